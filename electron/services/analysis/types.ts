/**
 * Types of the analysis service: what goes in (files, added lines), what comes out (a report of
 * {@link Finding}s and the files that were skipped), and the rule categories the corpus measures.
 */
import type { Finding } from '../../../shared/model/domain';

/** A language the AST rules understand; any other text file still gets the secret scan. */
export type LanguageId = 'python' | 'javascript' | 'typescript' | 'tsx';

/** Every language with a grammar, in a stable order. */
export const LANGUAGE_IDS: ReadonlyArray<LanguageId> = ['python', 'javascript', 'typescript', 'tsx'];

/** JavaScript and its typed dialects share most rules. */
export const JS_FAMILY: ReadonlyArray<LanguageId> = ['javascript', 'typescript', 'tsx'];

/** The threat categories the rules and the labelled corpus are organised by. */
export type RuleCategory =
  | 'code-execution'
  | 'command-injection'
  | 'sql-injection'
  | 'deserialization'
  | 'sandbox-escape'
  | 'path-traversal'
  | 'tls-verification'
  | 'weak-hash'
  | 'insecure-randomness'
  | 'dom-injection'
  | 'denied-import'
  | 'secrets'
  | 'ssrf'
  | 'open-redirect'
  | 'xxe'
  | 'ldap-injection'
  | 'xpath-injection'
  | 'trust-boundary'
  | 'insecure-cookie';

/** Every category, in the order reports list them. */
export const RULE_CATEGORIES: ReadonlyArray<RuleCategory> = [
  'code-execution',
  'command-injection',
  'sql-injection',
  'deserialization',
  'sandbox-escape',
  'path-traversal',
  'tls-verification',
  'weak-hash',
  'insecure-randomness',
  'dom-injection',
  'denied-import',
  'secrets',
  'ssrf',
  'open-redirect',
  'xxe',
  'ldap-injection',
  'xpath-injection',
  'trust-boundary',
  'insecure-cookie',
];

/** One file to analyse. */
export interface AnalysisFile {
  /** Repository-relative path with `/` separators; also picks the language by extension. */
  readonly path: string;
  readonly text: string;
  /**
   * 1-based line numbers the revision adds (from the diff). Absent: every line counts as added,
   * which is what a plain path scan wants.
   */
  readonly addedLines?: ReadonlyArray<number> | ReadonlySet<number>;
}

/** Why a file was not analysed. */
export type SkipReason = 'binary' | 'too-large' | 'symlink' | 'timeout' | 'error';

/** A file the analyser did not look into, with the reason, so the reviewer knows. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: SkipReason;
  readonly note: string;
}

/** A file whose syntax tree has errors: the AST rules ran on the parts that parse. */
export interface ParseError {
  readonly path: string;
  /** 1-based position of the first syntax error. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Counters for one analysis run. */
export interface AnalysisStats {
  readonly files: number;
  /** Files whose syntax tree has no error (files with errors are listed in {@link AnalysisReport.parseErrors}). */
  readonly parsedFiles: number;
  readonly lines: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/** The outcome of analysing a set of files. */
export interface AnalysisReport {
  /** Sorted: introduced first, then by severity (highest first), path, line, column, rule. */
  readonly findings: ReadonlyArray<Finding>;
  readonly skipped: ReadonlyArray<SkippedFile>;
  /** Files that do not parse cleanly, sorted by path; their findings on the parts that parse are in `findings`. */
  readonly parseErrors: ReadonlyArray<ParseError>;
  readonly stats: AnalysisStats;
}

/** Options every analyser (in-process or worker pool) takes. */
export interface AnalyzerOptions {
  /** Modules the policy forbids importing (`pickle`, `child_process`, `lodash` also denies `lodash/fp`). */
  readonly deniedImports?: ReadonlyArray<string>;
  /** Files larger than this many UTF-16 code units are skipped with a note (default 2 MiB). */
  readonly maxFileBytes?: number;
}

/** Default size above which a file is skipped rather than parsed. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

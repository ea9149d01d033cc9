/**
 * The analysis engine: parses each file with tree-sitter, runs every rule for its language in one
 * combined query, applies rule predicates, adds the secret scan, and returns findings with stable
 * fingerprints and the introduced / pre-existing mark.
 *
 * The engine knows nothing about individual rules: they arrive as data (`rules/`), so adding one never
 * touches this file.
 */
import { createHash } from 'node:crypto';
import type { Language, Node, Query as QueryType } from 'web-tree-sitter';
import { Query } from 'web-tree-sitter';
import type { Finding, Severity } from '../../../shared/model/domain';
import { createCodeFacts, deniedModuleMatcher, FACT_QUERY_SOURCES, type FactQueries } from './code-facts';
import { AnalysisFailedError, RuleDefinitionError } from './errors';
import { lineStartsOf, rangesOfRows, rowAt, rowsContaining, type RowRange } from './line-ranges';
import { analyseQuery, splitQuery } from './query-text';
import { loadGrammars, languageForPath } from './languages';
import { builtinRules } from './rules';
import type { CodeFacts, Rule, RuleMatch } from './rules/rule';
import { TAINTED, type FlowNodeStep } from './taint';
import { GENERIC_SECRET, redactSecret, scanSecrets, SECRET_CWE, secretDetectors } from './secrets';
import {
  DEFAULT_MAX_FILE_BYTES,
  LANGUAGE_IDS,
  type AnalysisFile,
  type AnalysisReport,
  type AnalyzerOptions,
  type LanguageId,
  type ParseError,
  type RuleCategory,
  type SkippedFile,
} from './types';

/** The tool name our own findings carry. */
export const TOOL_NAME = 'gatehouse';

/** What SARIF and the UI need to know about a rule, AST or secret. */
export interface RuleDescriptor {
  readonly id: string;
  readonly title: string;
  readonly category: RuleCategory;
  readonly severity: Severity;
  readonly cwe: ReadonlyArray<string>;
  readonly message: string;
  readonly remediation: string;
  readonly languages: ReadonlyArray<LanguageId> | 'any';
}

/** Options of {@link createAnalyzer}. */
export interface CreateAnalyzerOptions extends AnalyzerOptions {
  /** The AST rules to run (default: every built-in rule). */
  readonly rules?: ReadonlyArray<Rule>;
  /**
   * The grammars to load now (default: every language). A file of a language not loaded is listed as not
   * analysed; {@link Analyzer.load} loads more. None loads no wasm at all (text files only get the secret scan).
   */
  readonly languages?: ReadonlyArray<LanguageId>;
}

/** An in-process analyser; create one per thread and reuse it. */
export interface Analyzer {
  /** Every rule this analyser can report, AST and secrets. */
  readonly rules: ReadonlyArray<RuleDescriptor>;
  /** Analyses files synchronously (use the worker pool to keep a UI thread free). */
  analyzeFiles(files: ReadonlyArray<AnalysisFile>): AnalysisReport;
  /** Loads the grammars of these languages if they are not loaded yet. */
  load(languages: ReadonlyArray<LanguageId>): Promise<void>;
  /** Compiles the rule queries now rather than on first use (surfaces a broken rule early); default: the loaded languages. */
  precompile(languages?: ReadonlyArray<LanguageId>): void;
  /** Frees the parsers and compiled queries. */
  close(): void;
}

/**
 * A pattern that is one bare node tested by its text, like `((string) @s (#match? @s "…"))`: web-tree-sitter
 * evaluates text predicates in JavaScript after copying each candidate out of wasm, and here every node of
 * that type is a candidate. (A structured pattern, like a route decorator on a function, has few candidates.)
 */
const BARE_TEXT_TEST = /^\(\s*\(\s*[\w.]+\s*\)\s*@[\w.-]+\s*\(#[\w-]+\?/;
const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const PARSE_DEADLINE_MS = 20_000;
const SNIPPET_MAX_LINES = 5;
const SNIPPET_MAX_CHARS = 600;
// Source code: an unquoted right-hand side is an expression, not a value (see scanSecrets).
const SOURCE_EXTENSIONS = /\.(py|pyw|pyi|js|mjs|cjs|jsx|ts|mts|cts|tsx|go|java|kt|kts|rb|php|cs|rs|c|cc|cpp|h|hpp|swift|scala|groovy|dart|lua|r|m|vue|svelte)$/i;

/**
 * Patterns that need certain words in the file, run only over the lines holding them. The patterns of every
 * rule whose needles are all words (and that has no file gate) share one query: one compile and one ranged
 * pass over the union of their lines instead of one per rule. That finds the same matches, because a match
 * holds a node whose whole text is one of its own pattern's needles, so it touches one of that pattern's lines.
 */
interface NeedleQuery {
  /** The rule of each pattern, by pattern index. */
  readonly ruleByPattern: ReadonlyArray<Rule>;
  readonly needles: ReadonlyArray<string>;
  /** True when every needle is a word: it then matches only as a whole word. */
  readonly wordNeedles: boolean;
  /** Run only on files whose text matches (the rule's {@link Rule.fileGate}), and then only on the needles' lines. */
  readonly fileGate?: RegExp;
  readonly query: QueryType;
}

interface CompiledLanguage {
  /** Patterns that may match any file, plus the shared call, import and scope patterns: one pass per file. */
  readonly query: QueryType;
  /** What each pattern of `query` is: a rule's, the shared call patterns, or the import patterns. */
  readonly ruleByPattern: ReadonlyArray<Rule | 'call' | 'import' | 'scope'>;
  /**
   * The text predicates of `query`'s file-gated rule patterns, by pattern index, taken out of the query so they
   * run only on files that pass the rule's gate (see {@link deferGatedPredicates}).
   */
  readonly deferredPredicates: ReadonlyArray<ReadonlyArray<TextPredicate> | undefined>;
  /** Patterns run only on files containing one of their words (see query-text.ts). */
  readonly needleQueries: ReadonlyArray<NeedleQuery>;
  /**
   * The patterns of file-gated rules that test the text of a bare node (`#match?` and friends on any string),
   * all in one query: in the shared pass their predicates would copy every string of every file out of wasm.
   * It runs once on a file that passes any of their gates.
   */
  readonly gatedQuery: { readonly query: QueryType; readonly ruleByPattern: ReadonlyArray<Rule> } | undefined;
  /** Every word needle of `needleQueries` as one whole-word pattern: one scan of a file finds the rows of all of them. */
  readonly wordNeedlePattern: RegExp | undefined;
  /** Rules by exact qualified callee. */
  readonly exactCalls: ReadonlyMap<string, ReadonlyArray<Rule>>;
  /** Last name segments of the exact callees: a call whose callee ends otherwise needs no name resolution. */
  readonly exactLastNames: ReadonlySet<string>;
  /** Rules by method name, for `*.name` entries. */
  readonly suffixCalls: ReadonlyMap<string, ReadonlyArray<Rule>>;
  readonly facts: FactQueries;
}

/**
 * The shared call patterns: every call whose callee ends in a name, with that name captured (and the
 * member expression, when there is one, as `@callee`). TypeScript's CommonJS output calls imports as
 * `(0, module_1.fn)(...)`, hence the sequence-expression form; Python's `getattr(os, "system")(...)` names its
 * callee in a string.
 */
const CALL_PATTERNS: Readonly<Record<'python' | 'js', string>> = {
  python: `(call function: (identifier) @name) @finding
    (call function: (attribute attribute: (identifier) @name) @callee) @finding
    (call function: (call function: (identifier) @getattr arguments: (argument_list . (_) . (string (string_content) @name) .)) @callee (#eq? @getattr "getattr")) @finding`,
  js: `(call_expression function: (identifier) @name) @finding
    (call_expression function: (member_expression property: (property_identifier) @name) @callee) @finding
    (call_expression function: (parenthesized_expression (sequence_expression (member_expression property: (property_identifier) @name) @callee .))) @finding
    (new_expression constructor: (identifier) @name) @finding
    (new_expression constructor: (member_expression property: (property_identifier) @name) @callee) @finding`,
};

/** One of web-tree-sitter's compiled text predicates (`#eq?`, `#match?`, `#any-of?` …) of a pattern. */
type TextPredicate = (captures: ReadonlyArray<{ readonly name: string; readonly node: Node }>) => boolean;

/**
 * Takes the text predicates of the file-gated rules' patterns out of the shared query and returns them by
 * pattern index. web-tree-sitter evaluates a pattern's text predicates in JavaScript on every candidate
 * match, copying each captured node's text out of wasm: a `#match?` on the method name of every call
 * with an argument cost more than the rest of the pattern's matching. The engine drops a gated rule's
 * matches on files its gate rejects anyway, so it runs these same predicate functions itself, only after
 * the gate passed: the same matches survive, in the same order.
 *
 * The predicates live in the query's `textPredicates` (internal to web-tree-sitter 0.25: per pattern, an array
 * of functions its `matches` calls). If that shape is not there, nothing is deferred and the library evaluates
 * them as before.
 */
function deferGatedPredicates(query: QueryType, ruleByPattern: ReadonlyArray<Rule | 'call' | 'import' | 'scope'>): ReadonlyArray<ReadonlyArray<TextPredicate> | undefined> {
  const holder = query as unknown as { textPredicates?: unknown };
  const all = holder.textPredicates;
  if (!Array.isArray(all) || all.length !== ruleByPattern.length || !all.every((p) => Array.isArray(p) && p.every((f) => typeof f === 'function'))) return [];
  const kept: Array<ReadonlyArray<TextPredicate>> = [];
  const deferred: Array<ReadonlyArray<TextPredicate> | undefined> = [];
  for (const [i, predicates] of (all as Array<ReadonlyArray<TextPredicate>>).entries()) {
    const kind = ruleByPattern[i];
    const gated = typeof kind === 'object' && kind.fileGate !== undefined && predicates.length > 0;
    kept.push(gated ? [] : predicates);
    deferred.push(gated ? predicates : undefined);
  }
  holder.textPredicates = kept;
  return deferred;
}

interface RawFinding {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly cwe: ReadonlyArray<string>;
  readonly message: string;
  readonly remediation: string;
  readonly start: number;
  readonly end: number;
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly snippet: string;
  /** What the fingerprint hashes: the matched code with whitespace collapsed (secrets: redacted). */
  readonly identity: string;
  readonly flow?: ReadonlyArray<FlowStep>;
}

type FlowStep = NonNullable<Finding['flow']>[number];

/** The first ERROR or MISSING node of a tree with errors, as a parse error. */
function firstSyntaxError(root: Node, path: string): ParseError {
  const cursor = root.walk();
  try {
    for (;;) {
      let node = cursor.currentNode;
      if (node.isError || node.isMissing) {
        // recovery often wraps good statements in one ERROR node from the top of the file: the error is the
        // innermost error inside it, or else its first stray token
        for (let depth = 0; depth < 64; depth++) {
          const inner: Node | undefined = node.children.find((c) => c !== null && (c.isError || c.isMissing || c.hasError)) ?? undefined;
          if (inner !== undefined) {
            node = inner;
            continue;
          }
          if (node.isError) node = node.children.find((c) => c !== null && !c.isNamed) ?? node;
          break;
        }
        const line = node.startPosition.row + 1;
        const column = node.startPosition.column + 1;
        const message = node.isMissing ? `syntax error: missing ${node.type} at line ${line}` : `syntax error at line ${line}, column ${column}`;
        return { path, line, column, message };
      }
      // descend only into subtrees that hold an error
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return { path, line: 1, column: 1, message: 'syntax error' };
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Masks the text of every string literal inside `target` where it appears in `text` (a key finding must not print the key). */
function maskLiterals(text: string, target: Node): string {
  let out = text;
  for (const fragment of target.descendantsOfType(['string_content', 'string_fragment'])) {
    if (fragment === null || fragment.text.length === 0) continue;
    out = out.split(fragment.text).join(redactSecret(fragment.text));
  }
  return out;
}

/** The nodes whose values reach a finding: a call's arguments, an assignment's value, or the node itself. */
function sinkInputs(target: Node): Node[] {
  const args = target.childForFieldName('arguments');
  if (args !== null) {
    return args.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment').map((a) => (a.type === 'keyword_argument' ? (a.childForFieldName('value') ?? a) : a));
  }
  // an assignment's value; otherwise the expression itself (a string built from data)
  if (target.type.includes('assignment') || target.type === 'variable_declarator' || target.type === 'pair' || target.type === 'return_statement') {
    const right = target.childForFieldName('right') ?? target.childForFieldName('value') ?? target.namedChildren[0] ?? null;
    if (right !== null) return [right];
  }
  return [target];
}

/** Source → sink steps when data from a source reaches the finding (the first such input). */
function flowInto(code: CodeFacts, target: Node, path: string, title: string): ReadonlyArray<FlowStep> | undefined {
  for (const input of sinkInputs(target)) {
    const value = code.valueOf(input);
    if (value.level !== TAINTED || value.steps === undefined || value.steps.length === 0) continue;
    const steps: FlowStep[] = value.steps.map((s) => ({
      path,
      line: s.node.startPosition.row + 1,
      column: s.node.startPosition.column + 1,
      message: s.message,
    }));
    steps.push({ path, line: target.startPosition.row + 1, column: target.startPosition.column + 1, message: `reaches the sink: ${title}` });
    return steps;
  }
  return undefined;
}

/** The steps a rule traced (where a hard-coded value is written), then the sink; none when they all lie inside the finding. */
function tracedFlow(traced: ReadonlyArray<FlowNodeStep> | undefined, target: Node, path: string, title: string): ReadonlyArray<FlowStep> | undefined {
  const outside = traced?.filter((s) => s.node.startIndex < target.startIndex || s.node.endIndex > target.endIndex);
  if (outside === undefined || outside.length === 0) return undefined;
  const steps: FlowStep[] = outside.map((s) => ({ path, line: s.node.startPosition.row + 1, column: s.node.startPosition.column + 1, message: s.message }));
  steps.push({ path, line: target.startPosition.row + 1, column: target.startPosition.column + 1, message: `reaches the sink: ${title}` });
  return steps;
}

/** Compares findings the way the review view lists them: introduced first, then severity, then place. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    Number(b.introduced) - Number(a.introduced) ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    a.startLine - b.startLine ||
    a.startColumn - b.startColumn ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)
  );
}

/** The numeric rank of a severity (info 0 … critical 4). */
export function severityRank(severity: Severity): number {
  return SEVERITY_RANK[severity];
}

/** A stable fingerprint: sha-256 of rule id, path and the normalised matched code (not its line). */
export function fingerprintOf(ruleId: string, path: string, identity: string, occurrence: number): string {
  return createHash('sha256').update(`gatehouse/v1\0${ruleId}\0${path}\0${identity}\0${occurrence}`).digest('hex');
}

/** Describes the secret detectors as rules, for SARIF and the UI. */
export function secretRuleDescriptors(): ReadonlyArray<RuleDescriptor> {
  return [...secretDetectors, GENERIC_SECRET].map((d) => ({
    id: d.id,
    title: d.title,
    category: 'secrets' as const,
    severity: d.severity,
    cwe: SECRET_CWE,
    message: d.message,
    remediation: d.remediation,
    languages: 'any' as const,
  }));
}

/** Describes AST rules for SARIF and the UI. */
export function ruleDescriptors(rules: ReadonlyArray<Rule>): ReadonlyArray<RuleDescriptor> {
  return rules.map((r) => ({
    id: r.id,
    title: r.title,
    category: r.category,
    severity: r.severity,
    cwe: r.cwe,
    message: r.message,
    remediation: r.remediation,
    languages: r.languages,
  }));
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

function compileLanguage(language: LanguageId, grammar: Language, rules: ReadonlyArray<Rule>): CompiledLanguage {
  const family = language === 'python' ? 'python' : 'js';
  const sources: string[] = [];
  const ruleByPattern: Array<Rule | 'call' | 'import' | 'scope'> = [];
  const exactCalls = new Map<string, Rule[]>();
  const suffixCalls = new Map<string, Rule[]>();
  const needleQueries: NeedleQuery[] = [];
  const sourceRules: Rule[] = [];
  const gatedSources: string[] = [];
  const gatedRules: Rule[] = [];
  // word-needle patterns of rules without a file gate, for the one shared needle query
  const wordSources: string[] = [];
  const wordRules: Rule[] = [];
  const wordNeedles = new Set<string>();
  const fail = (error: unknown): never => {
    for (const n of needleQueries) n.query.delete();
    throw error;
  };
  for (const rule of rules) {
    if (!rule.languages.includes(language)) continue;
    for (const callee of rule.calls ?? []) {
      if (callee.startsWith('*.')) pushTo(suffixCalls, callee.slice(2), rule);
      else pushTo(exactCalls, callee, rule);
    }
    if (rule.query === undefined) continue;
    const compile = (source: string): QueryType => {
      try {
        return new Query(grammar, source);
      } catch (error) {
        return fail(new RuleDefinitionError(rule.id, `query does not compile for ${language}: ${error instanceof Error ? error.message : String(error)}`));
      }
    };
    // each top-level unit of query text is exactly one pattern
    const patterns = analyseQuery(rule.query);
    // A rule gated on the file's text (Rule.fileGate) still has its structural patterns in the shared pass: a
    // tree-sitter traversal costs about the same for one pattern as for many (profiled: ~0.3 µs a node), so a
    // query of its own cost a whole extra walk of every file it ran on. Its matches are dropped in JS where
    // the gate does not match. Its patterns that test the text of every node of a type go to the one gated
    // query instead (see gatedQuery).
    const gated = patterns.filter((p) => p.needles.length > 0);
    for (const pattern of patterns) {
      if (pattern.needles.length > 0) continue;
      if (rule.fileGate !== undefined && BARE_TEXT_TEST.test(pattern.source)) {
        gatedSources.push(pattern.source);
        gatedRules.push(rule);
        continue;
      }
      sources.push(pattern.source);
      ruleByPattern.push(rule);
      sourceRules.push(rule);
    }
    if (gated.length > 0) {
      const needles = [...new Set(gated.flatMap((p) => p.needles))];
      const allWords = needles.every((n) => /^[\w$]+$/.test(n));
      if (allWords && rule.fileGate === undefined) {
        for (const p of gated) {
          wordSources.push(p.source);
          wordRules.push(rule);
        }
        for (const n of needles) wordNeedles.add(n);
        continue;
      }
      const query = compile(gated.map((p) => p.source).join('\n'));
      if (query.patternCount() !== gated.length) {
        query.delete();
        fail(new RuleDefinitionError(rule.id, `query splits into ${gated.length} patterns, tree-sitter counts ${query.patternCount()}`));
      }
      needleQueries.push({ ruleByPattern: gated.map(() => rule), needles, wordNeedles: allWords, ...(rule.fileGate === undefined ? {} : { fileGate: rule.fileGate }), query });
    }
  }
  if (wordSources.length > 0) {
    let query: QueryType | undefined;
    try {
      query = new Query(grammar, wordSources.join('\n'));
    } catch (error) {
      // name the rule: compile its patterns one by one (only on this error path)
      for (const [i, source] of wordSources.entries()) {
        try {
          new Query(grammar, source).delete();
        } catch (inner) {
          fail(new RuleDefinitionError(wordRules[i]?.id ?? 'needle patterns', `query does not compile for ${language}: ${inner instanceof Error ? inner.message : String(inner)}`));
        }
      }
      fail(new AnalysisFailedError(`needle queries for ${language} do not compile together: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (query !== undefined) {
      if (query.patternCount() !== wordSources.length) {
        query.delete();
        fail(new AnalysisFailedError(`needle queries for ${language} did not combine (${query.patternCount()} patterns, expected ${wordSources.length})`));
      }
      needleQueries.push({ ruleByPattern: wordRules, needles: [...wordNeedles], wordNeedles: true, query });
    }
  }
  for (const [kind, source] of [
    ['call', CALL_PATTERNS[family]],
    ['import', FACT_QUERY_SOURCES[family].imports],
    ['scope', FACT_QUERY_SOURCES[family].scopes],
  ] as const) {
    for (const pattern of splitQuery(source)) {
      sources.push(pattern);
      ruleByPattern.push(kind);
    }
  }
  let query: QueryType;
  try {
    query = new Query(grammar, sources.join('\n'));
  } catch (error) {
    // name the rule: compile its patterns one by one (only on this error path)
    for (const [i, source] of sources.entries()) {
      try {
        new Query(grammar, source).delete();
      } catch (inner) {
        fail(new RuleDefinitionError(sourceRules[i]?.id ?? 'call patterns', `query does not compile for ${language}: ${inner instanceof Error ? inner.message : String(inner)}`));
      }
    }
    return fail(new AnalysisFailedError(`rule queries for ${language} do not compile together: ${error instanceof Error ? error.message : String(error)}`));
  }
  if (query.patternCount() !== ruleByPattern.length) {
    query.delete();
    fail(new AnalysisFailedError(`rule queries for ${language} did not combine (${query.patternCount()} patterns, expected ${ruleByPattern.length})`));
  }
  let gatedQuery: CompiledLanguage['gatedQuery'];
  if (gatedSources.length > 0) {
    try {
      gatedQuery = { query: new Query(grammar, gatedSources.join('\n')), ruleByPattern: gatedRules };
    } catch (error) {
      query.delete();
      fail(new AnalysisFailedError(`gated rule queries for ${language} do not compile together: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (gatedQuery !== undefined && gatedQuery.query.patternCount() !== gatedRules.length) {
      query.delete();
      gatedQuery.query.delete();
      fail(new AnalysisFailedError(`gated rule queries for ${language} did not combine (${gatedQuery.query.patternCount()} patterns, expected ${gatedRules.length})`));
    }
  }
  const exactLastNames = new Set([...exactCalls.keys()].map((name) => name.slice(name.lastIndexOf('.') + 1)));
  const words = [...new Set(needleQueries.filter((n) => n.wordNeedles).flatMap((n) => n.needles))].sort((a, b) => b.length - a.length);
  return {
    query,
    ruleByPattern,
    deferredPredicates: deferGatedPredicates(query, ruleByPattern),
    needleQueries,
    gatedQuery,
    wordNeedlePattern: words.length === 0 ? undefined : new RegExp(`(?<![\\w$])(?:${words.map((w) => w.replace(/\$/g, '\\$')).join('|')})(?![\\w$])`, 'g'),
    exactCalls,
    exactLastNames,
    suffixCalls,
    facts: { definitions: new Query(grammar, FACT_QUERY_SOURCES[family].definitions) },
  };
}

function capturesByName(captures: ReadonlyArray<{ readonly name: string; readonly node: Node }>): Map<string, Node[]> {
  const byName = new Map<string, Node[]>();
  for (const c of captures) {
    const list = byName.get(c.name);
    if (list === undefined) byName.set(c.name, [c.node]);
    else list.push(c.node);
  }
  return byName;
}

function positionAt(lineStarts: ReadonlyArray<number>, index: number): { line: number; column: number } {
  const row = rowAt(lineStarts, index);
  return { line: row + 1, column: index - (lineStarts[row] ?? 0) + 1 };
}

function lineText(text: string, lineStarts: ReadonlyArray<number>, line: number): string {
  const start = lineStarts[line - 1] ?? text.length;
  const next = lineStarts[line];
  const end = next === undefined ? text.length : next - 1;
  return text.slice(start, end).replace(/\r$/, '');
}

function snippetOf(text: string, lineStarts: ReadonlyArray<number>, startLine: number, endLine: number): string {
  const lines: string[] = [];
  for (let line = startLine; line <= Math.min(endLine, startLine + SNIPPET_MAX_LINES - 1); line++) {
    lines.push(lineText(text, lineStarts, line).trimEnd());
  }
  const joined = lines.join('\n');
  return joined.length > SNIPPET_MAX_CHARS ? `${joined.slice(0, SNIPPET_MAX_CHARS)}…` : joined;
}

function normaliseIdentity(code: string): string {
  return code.replace(/\s+/g, ' ').trim().slice(0, 2000);
}

function skipReasonOf(file: AnalysisFile, maxFileBytes: number): SkippedFile | undefined {
  if (file.text.length > maxFileBytes) {
    return { path: file.path, reason: 'too-large', note: `${file.text.length} characters is over the ${maxFileBytes} limit; not analysed` };
  }
  const head = file.text.slice(0, 8192);
  // git's heuristic: a NUL in the first 8 KiB means binary; many U+FFFD means bytes that were not UTF-8
  if (head.includes('\u0000')) return { path: file.path, reason: 'binary', note: 'binary content (NUL byte); not analysed' };
  const replacement = head.split('\uFFFD').length - 1;
  if (head.length > 64 && replacement / head.length > 0.1) {
    return { path: file.path, reason: 'binary', note: 'not valid UTF-8 text; not analysed' };
  }
  return undefined;
}

function removeContained(raw: RawFinding[]): RawFinding[] {
  // One rule can match nested nodes for one problem (`''.__class__.__mro__`); keep the outermost.
  raw.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) || a.start - b.start || b.end - a.end);
  const kept: RawFinding[] = [];
  let outer: RawFinding | undefined;
  for (const f of raw) {
    if (outer !== undefined && outer.ruleId === f.ruleId && f.start >= outer.start && f.end <= outer.end) continue;
    kept.push(f);
    outer = f;
  }
  return kept;
}

/** Loads the grammars and returns a reusable analyser (rule queries compile on first use of each language). */
export async function createAnalyzer(options: CreateAnalyzerOptions = {}): Promise<Analyzer> {
  const rules = options.rules ?? builtinRules;
  const seenIds = new Set<string>();
  for (const rule of rules) {
    if (seenIds.has(rule.id)) throw new RuleDefinitionError(rule.id, 'duplicate rule id');
    if (rule.query === undefined && (rule.calls === undefined || rule.calls.length === 0)) throw new RuleDefinitionError(rule.id, 'has neither a query nor calls');
    seenIds.add(rule.id);
  }
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const isDenied = deniedModuleMatcher(options.deniedImports ?? []);
  const grammars = new Map(await loadGrammars(options.languages ?? LANGUAGE_IDS));
  // one load per language even when requests overlap
  const loading = new Map<LanguageId, Promise<void>>();
  function load(languages: ReadonlyArray<LanguageId>): Promise<void> {
    return Promise.all(
      languages
        .filter((l) => !grammars.has(l))
        .map((l) => {
          let pending = loading.get(l);
          if (pending === undefined) {
            pending = loadGrammars([l]).then(
              (loaded) => {
                for (const [id, grammar] of loaded) grammars.set(id, grammar);
              },
              (error: unknown) => {
                loading.delete(l);
                throw error;
              },
            );
            loading.set(l, pending);
          }
          return pending;
        }),
    ).then(() => undefined);
  }
  // Rule queries are compiled per language on first use: a Python-only scan never pays for TSX.
  const compiled = new Map<LanguageId, CompiledLanguage>();
  const compiledFor = (language: LanguageId): CompiledLanguage => {
    const existing = compiled.get(language);
    if (existing !== undefined) return existing;
    const grammar = grammars.get(language);
    if (grammar === undefined) throw new AnalysisFailedError(`no grammar for ${language}`);
    const spec = compileLanguage(language, grammar.language, rules);
    compiled.set(language, spec);
    return spec;
  };
  const descriptors = [...ruleDescriptors(rules), ...secretRuleDescriptors()];

  function astFindings(file: AnalysisFile, language: LanguageId, lineStarts: ReadonlyArray<number>): { raw: RawFinding[]; parseError?: ParseError } | 'timeout' {
    const grammar = grammars.get(language);
    if (grammar === undefined) throw new AnalysisFailedError(`the ${language} grammar is not loaded`);
    const spec = compiledFor(language);
    const deadline = Date.now() + PARSE_DEADLINE_MS;
    grammar.parser.reset();
    const tree = grammar.parser.parse(file.text, null, { progressCallback: () => Date.now() > deadline });
    if (tree === null) return 'timeout';
    try {
      const root = tree.rootNode;
      // one pass over the tree for rules, calls and imports; imports are bound before anything is judged
      const matches = spec.query.matches(root);
      const importMatches: Array<ReadonlyArray<{ name: string; node: Node }>> = [];
      const scopeNodes: Node[] = [];
      for (const m of matches) {
        const kind = spec.ruleByPattern[m.patternIndex];
        if (kind === 'import') importMatches.push(m.captures);
        else if (kind === 'scope' && m.captures[0] !== undefined) scopeNodes.push(m.captures[0].node);
      }
      const code = createCodeFacts(root, language, spec.facts, isDenied, file.text, lineStarts, importMatches, scopeNodes);
      const raw: RawFinding[] = [];
      const report = (rule: Rule, matched: Node, byName: ReadonlyMap<string, Node[]>): void => {
        let target = matched;
        let traced: FlowNodeStep[] | undefined;
        if (rule.predicate !== undefined) {
          const ruleMatch: RuleMatch = {
            capture: (name) => byName.get(name)?.[0],
            captures: (name) => byName.get(name) ?? [],
            code,
            reportAt: (node) => {
              target = node;
            },
            traceFrom: (node, message) => {
              (traced ??= []).push({ node, message });
            },
          };
          let hit: boolean;
          try {
            hit = rule.predicate(ruleMatch);
          } catch (error) {
            throw new AnalysisFailedError(`rule ${rule.id} failed on ${file.path}: ${error instanceof Error ? error.message : String(error)}`);
          }
          if (!hit) return;
        }
        // code in a branch whose condition folds to false never runs
        if (code.isDead(target)) return;
        const flow = flowInto(code, target, file.path, rule.title) ?? tracedFlow(traced, target, file.path, rule.title);
        const startLine = target.startPosition.row + 1;
        const endLine = target.endPosition.row + 1;
        raw.push({
          ruleId: rule.id,
          title: rule.title,
          severity: rule.severity,
          cwe: rule.cwe,
          message: rule.message,
          remediation: rule.remediation,
          start: target.startIndex,
          end: target.endIndex,
          startLine,
          startColumn: target.startPosition.column + 1,
          endLine,
          endColumn: target.endPosition.column + 1,
          snippet: rule.category === 'secrets' ? maskLiterals(snippetOf(file.text, lineStarts, startLine, endLine), target) : snippetOf(file.text, lineStarts, startLine, endLine),
          identity: rule.category === 'secrets' ? maskLiterals(normaliseIdentity(target.text), target) : normaliseIdentity(target.text),
          ...(flow === undefined ? {} : { flow }),
        });
      };
      // rows of every word needle, from one scan of the text
      let wordRows: Map<string, number[]> | undefined;
      const rowsOfWords = (needles: ReadonlyArray<string>): ReadonlyArray<RowRange> | undefined => {
        if (wordRows === undefined) {
          wordRows = new Map();
          if (spec.wordNeedlePattern !== undefined) {
            for (const m of file.text.matchAll(spec.wordNeedlePattern)) {
              const list = wordRows.get(m[0]) ?? [];
              list.push(rowAt(lineStarts, m.index));
              wordRows.set(m[0], list);
            }
          }
        }
        const rows = new Set<number>();
        for (const n of needles) for (const r of wordRows.get(n) ?? []) rows.add(r);
        return rows.size > 256 ? undefined : rangesOfRows(rows);
      };
      const gatedQuery = spec.gatedQuery;
      if (gatedQuery !== undefined && gatedQuery.ruleByPattern.some((r) => r.fileGate !== undefined && code.mentions(r.fileGate))) {
        for (const match of gatedQuery.query.matches(root)) {
          const rule = gatedQuery.ruleByPattern[match.patternIndex];
          if (rule?.fileGate === undefined || !code.mentions(rule.fileGate)) continue;
          const byName = capturesByName(match.captures);
          const target = byName.get('finding')?.[0] ?? match.captures[0]?.node;
          if (target !== undefined) report(rule, target, byName);
        }
      }
      for (const gated of spec.needleQueries) {
        if (gated.fileGate !== undefined && !code.mentions(gated.fileGate)) continue;
        // only the lines holding one of the pattern's words can match; a ranged query visits just those
        // a needle is the whole text of a node (#eq?/#any-of?), so a word needle only matches as a whole word:
        // "sh" need not stop at every "hash" and "show"
        const ranges = gated.wordNeedles ? rowsOfWords(gated.needles) : rowsContaining(file.text, lineStarts, gated.needles);
        if (ranges !== undefined && ranges.length === 0) continue;
        const runs = ranges === undefined ? [undefined] : ranges;
        for (const range of runs) {
          const options = range === undefined ? undefined : { startPosition: { row: range.startRow, column: 0 }, endPosition: { row: range.endRow, column: 0 } };
          for (const match of gated.query.matches(root, options)) {
            const rule = gated.ruleByPattern[match.patternIndex];
            const byName = capturesByName(match.captures);
            const target = byName.get('finding')?.[0] ?? match.captures[0]?.node;
            if (rule !== undefined && target !== undefined) report(rule, target, byName);
          }
        }
      }
      for (const match of matches) {
        const kind = spec.ruleByPattern[match.patternIndex];
        if (kind === undefined || kind === 'import' || kind === 'scope') continue;
        if (kind !== 'call') {
          if (kind.fileGate !== undefined && !code.mentions(kind.fileGate)) continue;
          const deferred = spec.deferredPredicates[match.patternIndex];
          if (deferred !== undefined && !deferred.every((p) => p(match.captures))) continue;
          const byName = capturesByName(match.captures);
          const target = byName.get('finding')?.[0] ?? match.captures[0]?.node;
          if (target !== undefined) report(kind, target, byName);
          continue;
        }
        // a call: find the rules that name its callee (most calls name none, so this stays cheap)
        let call: Node | undefined;
        let nameNode: Node | undefined;
        let member: Node | undefined;
        for (const c of match.captures) {
          if (c.name === 'finding') call = c.node;
          else if (c.name === 'name') nameNode = c.node;
          else if (c.name === 'callee') member = c.node;
        }
        if (call === undefined || nameNode === undefined) continue;
        const name = nameNode.text;
        const callee = member ?? nameNode;
        const bySuffix = spec.suffixCalls.get(name);
        const byExact = spec.exactLastNames.has(name) || (member === undefined && code.isImported(name));
        // most calls name no rule: they cost two lookups and no allocation
        if (bySuffix === undefined && !byExact) continue;
        const rulesForCall: Rule[] = bySuffix === undefined ? [] : [...bySuffix];
        if (byExact) {
          const qualified = code.qualifiedName(callee);
          for (const r of (qualified === undefined ? undefined : spec.exactCalls.get(qualified)) ?? []) {
            if (!rulesForCall.includes(r)) rulesForCall.push(r);
          }
        }
        if (rulesForCall.length === 0) continue;
        const byName = new Map<string, Node[]>([
          ['finding', [call]],
          ['callee', [callee]],
        ]);
        for (const r of rulesForCall) report(r, call, byName);
      }
      const parseError = root.hasError ? firstSyntaxError(root, file.path) : undefined;
      return { raw: removeContained(raw), ...(parseError === undefined ? {} : { parseError }) };
    } finally {
      tree.delete();
    }
  }

  function secretFindings(file: AnalysisFile, lineStarts: ReadonlyArray<number>): RawFinding[] {
    const out: RawFinding[] = [];
    for (const match of scanSecrets(file.text, SOURCE_EXTENSIONS.test(file.path))) {
      const from = positionAt(lineStarts, match.start);
      const to = positionAt(lineStarts, match.blockEnd ?? match.end);
      const line = lineText(file.text, lineStarts, from.line);
      const lineStart = lineStarts[from.line - 1] ?? 0;
      // the whole value is masked: a block (a PEM key written on one line) up to its end, not only the header
      const secretEndInLine = Math.min((match.blockEnd ?? match.end) - lineStart, line.length);
      const redactedLine = line.slice(0, from.column - 1) + redactSecret(match.secret) + line.slice(secretEndInLine);
      const snippet = redactedLine.trimEnd().slice(0, SNIPPET_MAX_CHARS);
      out.push({
        ruleId: match.ruleId,
        title: match.title,
        severity: match.severity,
        cwe: SECRET_CWE,
        message: match.message,
        remediation: match.remediation,
        start: match.start,
        end: match.blockEnd ?? match.end,
        startLine: from.line,
        startColumn: from.column,
        endLine: to.line,
        endColumn: to.column,
        snippet,
        identity: normaliseIdentity(snippet),
      });
    }
    return out;
  }

  function analyzeFiles(files: ReadonlyArray<AnalysisFile>): AnalysisReport {
    const started = performance.now();
    const findings: Finding[] = [];
    const skipped: SkippedFile[] = [];
    const parseErrors: ParseError[] = [];
    let parsedFiles = 0;
    let lines = 0;
    let bytes = 0;
    for (const file of files) {
      const skip = skipReasonOf(file, maxFileBytes);
      if (skip !== undefined) {
        skipped.push(skip);
        continue;
      }
      bytes += file.text.length;
      const lineStarts = lineStartsOf(file.text);
      lines += file.text.length === 0 ? 0 : lineStarts.length - (file.text.endsWith('\n') ? 1 : 0);
      const language = languageForPath(file.path, file.text);
      const raw: RawFinding[] = secretFindings(file, lineStarts);
      if (language !== undefined) {
        let ast: { raw: RawFinding[]; parseError?: ParseError } | 'timeout' | AnalysisFailedError;
        try {
          ast = astFindings(file, language, lineStarts);
        } catch (error) {
          // one file that breaks a rule must not cost the reviewer the findings of every other file;
          // it is listed as not analysed, so nobody takes its silence for a clean bill
          if (!(error instanceof AnalysisFailedError)) throw error;
          ast = error;
        }
        if (ast === 'timeout') skipped.push({ path: file.path, reason: 'timeout', note: `parsing took over ${PARSE_DEADLINE_MS / 1000} s; AST rules not run (secrets were scanned)` });
        else if (ast instanceof AnalysisFailedError) skipped.push({ path: file.path, reason: 'error', note: `${ast.message}; AST rules not run (secrets were scanned)` });
        else {
          // a file with syntax errors still gets the findings of the parts that parse, and is listed as not parsing
          if (ast.parseError === undefined) parsedFiles++;
          else parseErrors.push(ast.parseError);
          raw.push(...ast.raw);
        }
      }
      const added = file.addedLines === undefined ? undefined : file.addedLines instanceof Set ? file.addedLines : new Set(file.addedLines);
      const occurrences = new Map<string, number>();
      raw.sort((a, b) => a.start - b.start || (a.ruleId < b.ruleId ? -1 : 1));
      for (const f of raw) {
        const key = `${f.ruleId}\0${f.identity}`;
        const occurrence = occurrences.get(key) ?? 0;
        occurrences.set(key, occurrence + 1);
        let introduced = added === undefined;
        for (let line = f.startLine; !introduced && line <= f.endLine; line++) introduced = added?.has(line) ?? true;
        findings.push({
          ruleId: f.ruleId,
          title: f.title,
          severity: f.severity,
          cwe: [...f.cwe],
          path: file.path,
          startLine: f.startLine,
          startColumn: f.startColumn,
          endLine: f.endLine,
          endColumn: f.endColumn,
          snippet: f.snippet,
          message: f.message,
          remediation: f.remediation,
          introduced,
          tool: TOOL_NAME,
          fingerprint: fingerprintOf(f.ruleId, file.path, f.identity, occurrence),
          ...(f.flow === undefined ? {} : { flow: f.flow }),
        });
      }
    }
    findings.sort(compareFindings);
    return {
      findings,
      skipped,
      parseErrors,
      stats: { files: files.length, parsedFiles, lines, bytes, durationMs: performance.now() - started },
    };
  }

  function close(): void {
    for (const c of compiled.values()) {
      c.query.delete();
      c.gatedQuery?.query.delete();
      for (const n of c.needleQueries) n.query.delete();
      c.facts.definitions.delete();
    }
    compiled.clear();
    for (const g of grammars.values()) g.parser.delete();
  }

  function precompile(languages: ReadonlyArray<LanguageId> = [...grammars.keys()]): void {
    for (const language of languages) compiledFor(language);
  }

  return { rules: descriptors, analyzeFiles, load, precompile, close };
}

/**
 * The shape of an AST rule. Rules are data: adding one means adding an object to a list in this folder,
 * never touching the engine.
 *
 * The engine compiles every rule's `query` for each of its languages, runs them over the parsed file,
 * dispatches every call to the rules whose `calls` list its qualified callee and, for each match, calls
 * the optional `predicate` with the captured nodes and a few code facts (qualified
 * names through imports, whether an expression is a constant, where a value comes from). The node
 * captured as `@finding` (or, without one, the first capture) is what the finding points at.
 */
import type { Node } from 'web-tree-sitter';
import type { Severity } from '../../../../shared/model/domain';
import type { SinkKind, Value } from '../taint';
import type { LanguageId, RuleCategory } from '../types';

/** Facts about the file a match is in, computed lazily and shared by every rule. */
export interface CodeFacts {
  readonly language: LanguageId;
  /**
   * The dotted name an expression refers to, resolved through the file's imports:
   * `sp.call` after `import subprocess as sp` → `subprocess.call`; `exec` after
   * `const { exec } = require('node:child_process')` → `child_process.exec`; a call adds `()`.
   * Undefined for expressions that are not names.
   */
  qualifiedName(node: Node | null | undefined): string | undefined;
  /** True when a local name is bound by an import (`import x as y`, `const { y } = require('x')`). */
  isImported(name: string): boolean;
  /** The callee of a call node, qualified (see {@link qualifiedName}). */
  calleeName(call: Node | null | undefined): string | undefined;
  /** True when the value is known at analysis time: literals, constants built from literals. */
  isStatic(node: Node | null | undefined): boolean;
  /** True when the expression builds a string at run time (f-string, template, `+`, `%`, `.format`). */
  isDynamicString(node: Node | null | undefined): boolean;
  /** True when the expression is string-like (a literal, template or string-building expression). */
  isStringLike(node: Node | null | undefined): boolean;
  /** The literal text parts of an expression (following local constants), joined. */
  literalText(node: Node | null | undefined): string;
  /** The string value of a plain string literal, or undefined. */
  stringValue(node: Node | null | undefined): string | undefined;
  /** Positional argument `index` (0-based) of a call, or undefined. */
  argument(call: Node | null | undefined, index: number): Node | undefined;
  /** All positional arguments of a call. */
  positionalArguments(call: Node | null | undefined): ReadonlyArray<Node>;
  /** A named argument: a Python keyword argument, or a property of a JS options object argument. */
  keywordArgument(call: Node | null | undefined, name: string): Node | undefined;
  /** True for `False`/`false`/`None`/`null`/`undefined`/`0`/empty strings. */
  isFalsy(node: Node | null | undefined): boolean;
  /**
   * True when a value reaching `node` may come from a source (qualified-name patterns), following local
   * assignments and stopping at calls whose callee matches a sanitizer pattern.
   */
  flowsFrom(node: Node | null | undefined, sources: ReadonlyArray<RegExp>, sanitizers: ReadonlyArray<RegExp>): boolean;
  /** Names around a node that say what its value is for: assignment targets, keyword names, the function. */
  purposeNames(node: Node): ReadonlyArray<string>;
  /** True when the file's text contains `word` (a string, or a pattern) anywhere: a cheap gate before costlier questions. */
  mentions(word: string | RegExp): boolean;
  /** The abstract value of an expression where it stands (flow-sensitive: branches joined, dead branches skipped; see taint.ts). */
  valueOf(node: Node): Value;
  /** True when data from a source (request, argv, stdin, environment, file or socket) may reach `node` unsanitised for `kind`. */
  isTainted(node: Node | null | undefined, kind: SinkKind): boolean;
  /** True when `node` is a run-time value (not a constant, not a number or allow-listed choice) not sanitised for `kind`. */
  isUnsafe(node: Node | null | undefined, kind: SinkKind): boolean;
  /** True when the node is in a branch that never runs (its condition folds to a constant). */
  isDead(node: Node): boolean;
  /** True when the module (or a parent package of it) is on the policy's deny list. */
  isDeniedModule(moduleName: string): boolean;
}

/** What a predicate sees: the captures of one match and the file's facts. */
export interface RuleMatch {
  /** The first node captured under `name`. */
  capture(name: string): Node | undefined;
  /** Every node captured under `name`. */
  captures(name: string): ReadonlyArray<Node>;
  readonly code: CodeFacts;
  /** Reports the finding on another node than the match (an anchor's enclosing expression). */
  reportAt(node: Node): void;
  /**
   * Adds a step before the sink to the finding's flow, when no source → sink flow of untrusted data explains it:
   * where a hard-coded value is written, or where the value the sink uses was assigned.
   */
  traceFrom(node: Node, message: string): void;
}

/** One AST rule. */
export interface Rule {
  /** `<language>.<category>.<name>`, stable: SARIF consumers and fingerprints use it. */
  readonly id: string;
  readonly title: string;
  readonly category: RuleCategory;
  readonly severity: Severity;
  /** CWE tags as CodeQL writes them: `external/cwe/cwe-78`. */
  readonly cwe: ReadonlyArray<string>;
  readonly languages: ReadonlyArray<LanguageId>;
  /** A tree-sitter query; may hold several patterns. Capture `@finding` marks the reported node. */
  readonly query?: string;
  /**
   * Calls the rule looks at, by qualified callee (resolved through imports, so aliases match):
   * `os.system` exactly, or `*.execute` for a method of that name on any receiver. A call match
   * captures the call as `@finding` and its callee as `@callee`. A rule has `calls`, `query` or both.
   */
  readonly calls?: ReadonlyArray<string>;
  /**
   * Text a file must contain for the rule's `query` matches to count (the patterns still run in the
   * shared pass; matches in files whose text fails the gate are dropped): for rules whose anchors are
   * common (strings, operators) but whose findings need something rare (a request object, a route
   * decorator). `calls` are not gated.
   */
  readonly fileGate?: RegExp;
  /** Decides matches a query alone cannot; absent means every match is a finding. */
  readonly predicate?: (match: RuleMatch) => boolean;
  readonly message: string;
  readonly remediation: string;
}

/** A CWE tag in CodeQL's form. */
export function cwe(id: number): string {
  return `external/cwe/cwe-${id}`;
}

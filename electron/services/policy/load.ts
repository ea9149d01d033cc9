/**
 * Reading a policy file: YAML → the zod schema in shared/model/policy.ts, with every problem named by
 * key path and line.
 *
 * Deny by default: a missing file, a YAML error, an unknown key, a missing mandatory key or an
 * out-of-range value gives `{ ok: false, problems }`, and a gate given no policy refuses everything.
 * YAML 1.2 core schema, unique keys, at most 100 alias expansions (no "billion laughs"); unknown tags
 * and other warnings are problems too.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { Policy, type PolicyProblem } from '../../../shared/model/policy';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { policyDigest } from './digest';

/** Largest policy file read. */
export const MAX_POLICY_BYTES = 256 * 1024;

/** A loaded policy, or every reason it is not one. */
export type PolicyLoadResult =
  | { readonly ok: true; readonly policy: Policy; readonly digest: string; readonly problems: ReadonlyArray<PolicyProblem> }
  | { readonly ok: false; readonly policy: null; readonly digest: null; readonly problems: ReadonlyArray<PolicyProblem> };

/** Where a policy comes from: its text, or a file path. */
export type PolicySource = { readonly text: string } | { readonly file: string };

function failed(problems: ReadonlyArray<PolicyProblem>): PolicyLoadResult {
  return { ok: false, policy: null, digest: null, problems };
}

/** Loads and validates a policy; never throws for a bad policy, returns every problem instead. */
export function loadPolicy(source: PolicySource): PolicyLoadResult {
  if ('file' in source) {
    if (!existsSync(source.file))
      return failed([{ path: '', line: null, column: null, message: `no policy file at ${source.file}: nothing can be applied (deny by default)` }]);
    const size = statSync(source.file).size;
    if (size > MAX_POLICY_BYTES)
      return failed([{ path: '', line: null, column: null, message: `policy file is ${size} bytes; at most ${MAX_POLICY_BYTES} are read` }]);
    return parsePolicyText(readFileSync(source.file, 'utf8'));
  }
  return parsePolicyText(source.text);
}

/** Throws PolicyInvalid (listing every problem) unless the policy loaded. */
export function requirePolicy(result: PolicyLoadResult): Policy {
  if (result.ok) return result.policy;
  throw new GatehouseError(
    ErrorCode.PolicyInvalid,
    `the policy is invalid, so nothing can be applied:\n${result.problems.map(formatPolicyProblem).join('\n')}`,
    { problems: result.problems },
  );
}

/** One problem as a line of text: `line 7: approvals.HIGH.count: count must be at least 1`. */
export function formatPolicyProblem(problem: PolicyProblem): string {
  const where = problem.line === null ? '' : `line ${problem.line}${problem.column === null ? '' : `, column ${problem.column}`}: `;
  return `${where}${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

function parsePolicyText(text: string): PolicyLoadResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES)
    return failed([{ path: '', line: null, column: null, message: `policy is larger than ${MAX_POLICY_BYTES} bytes` }]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const yamlProblems: PolicyProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    path: '',
    ...position(e.pos[0]),
    message: `YAML: ${e.message.split('\n')[0] ?? e.message}`,
  }));
  if (yamlProblems.length > 0) return failed(yamlProblems);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return failed([{ path: '', line: 1, column: 1, message: `YAML: ${(error as Error).message}` }]);
  }
  if (raw === null || raw === undefined)
    return failed([{ path: '', line: 1, column: 1, message: 'the policy is empty: nothing can be applied (deny by default)' }]);

  const parsed = Policy.safeParse(raw);
  if (parsed.success) {
    const policy: Policy = parsed.data;
    return { ok: true, policy, digest: policyDigest(policy), problems: [] };
  }
  const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, raw, doc, position));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path));
  return failed(problems);
}

type Position = (offset: number) => { line: number; column: number };

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, doc: Document, position: Position): PolicyProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const at = locate(doc, [...path, key]);
      return { path: [...path, key].join('.'), ...position(at.offset), message: `unknown key "${key}" (deny by default: check the spelling)` };
    });
  }
  const at = locate(doc, path);
  // Whatever zod calls it (invalid_type, or invalid_value for a literal), an absent key is "missing".
  const parent = valueAt(raw, path.slice(0, -1));
  const missing = path.length > 0 && typeof parent === 'object' && parent !== null && valueAt(raw, path) === undefined;
  const key = path[path.length - 1];
  return [
    {
      path: path.join('.'),
      ...position(at.offset),
      message: missing ? `required key "${String(key)}" is missing${path.length > 1 ? ` under ${path.slice(0, -1).join('.')}` : ''}` : issue.message,
    },
  ];
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let value: unknown = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/**
 * The offset to report for a key path: the key itself when present (so the line is where the reader
 * looks), otherwise the nearest enclosing key that exists (for a missing key, its parent's line).
 */
function locate(doc: Document, path: ReadonlyArray<string | number>): { offset: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value === segment || String(p.key.value) === String(segment) : false));
      if (!pair) return { offset };
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!item) return { offset };
      const range = (item as Node).range;
      if (range) offset = range[0];
      node = item;
    } else return { offset };
  }
  return { offset };
}

/**
 * Reading tree-sitter query source text: splitting it into top-level patterns and finding the literal
 * words a pattern's `#eq?` / `#any-of?` predicates require.
 *
 * web-tree-sitter checks text predicates in JavaScript after copying every candidate node out of wasm,
 * so `((identifier) @x (#eq? @x "__builtins__"))` would copy every identifier of every file. A file
 * that does not contain any of a pattern's required words cannot match it, so the engine runs such
 * patterns only on files that do — a `String.includes` instead of a tree walk.
 */

/** One top-level pattern of a query and the words it needs (empty: it can match any file). */
export interface QueryPattern {
  readonly source: string;
  readonly needles: ReadonlyArray<string>;
}

/** Splits query source into its top-level patterns (each with trailing captures and quantifiers). */
export function splitQuery(source: string): ReadonlyArray<string> {
  const patterns: string[] = [];
  let depth = 0;
  let start = -1;
  let i = 0;
  const flushIfComplete = (): void => {
    if (depth !== 0 || start === -1) return;
    // take trailing captures / quantifiers (`@finding`, `*`, `?`, `+`) with the pattern
    let j = i;
    for (;;) {
      const rest = /^\s*(@[\w.-]+|[*+?])/.exec(source.slice(j));
      if (rest === null) break;
      j += rest[0].length;
    }
    patterns.push(source.slice(start, j).trim());
    start = -1;
    i = j;
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === ';') {
      const eol = source.indexOf('\n', i);
      i = eol === -1 ? source.length : eol + 1;
      continue;
    }
    if (ch === '"') {
      i++;
      while (i < source.length && source[i] !== '"') i += source[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (ch === '(' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
      i++;
      continue;
    }
    if (ch === ')' || ch === ']') {
      depth--;
      i++;
      flushIfComplete();
      continue;
    }
    if (depth === 0 && start === -1 && ch !== undefined && /\S/.test(ch)) {
      // a bare top-level token (an anonymous node like "/" alone) is its own pattern
      const token = /^[^\s()[\]]+/.exec(source.slice(i));
      const text = token?.[0] ?? ch;
      patterns.push(text);
      i += text.length;
      continue;
    }
    i++;
  }
  return patterns;
}

const TEXT_PREDICATE = /\(#(?:eq|any-of)\?\s+@[\w.-]+((?:\s+"(?:[^"\\]|\\.)*")+)\s*\)/g;
const STRING = /"((?:[^"\\]|\\.)*)"/g;

/**
 * The words one pattern requires. A pattern with several positive text predicates needs all of them,
 * so any one predicate's words are a valid filter; the smallest set is kept.
 */
export function requiredWords(pattern: string): ReadonlyArray<string> {
  let best: string[] | undefined;
  for (const predicate of pattern.matchAll(TEXT_PREDICATE)) {
    const words = [...(predicate[1] ?? '').matchAll(STRING)].map((s) => JSON.parse(`"${s[1] ?? ''}"`) as string);
    if (words.length > 0 && words.every((w) => w.length > 0) && (best === undefined || words.length < best.length)) best = words;
  }
  return best ?? [];
}

/** Splits a query and finds each pattern's required words. */
export function analyseQuery(source: string): ReadonlyArray<QueryPattern> {
  return splitQuery(source).map((p) => ({ source: p, needles: requiredWords(p) }));
}

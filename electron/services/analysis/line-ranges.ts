/**
 * Where in a file a word occurs, as row ranges for tree-sitter's ranged queries. Running a query over
 * the few lines that can match instead of the whole tree is what keeps rare-word rules and name
 * lookups cheap on large files.
 */

/** Half-open row range `[startRow, endRow)` (0-based), as tree-sitter positions take it. */
export interface RowRange {
  readonly startRow: number;
  readonly endRow: number;
}

/** Offsets where each line starts. */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The 0-based row of an offset. */
export function rowAt(lineStarts: ReadonlyArray<number>, index: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Rows holding any of `needles`, merged into ranges; `undefined` when they are so many that one
 * pass over the whole file is cheaper (more than `limit` rows).
 */
export function rowsContaining(
  text: string,
  lineStarts: ReadonlyArray<number>,
  needles: ReadonlyArray<string>,
  wholeWord = false,
  limit = 256,
): ReadonlyArray<RowRange> | undefined {
  const rows = new Set<number>();
  for (const needle of needles) {
    if (needle.length === 0) continue;
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) {
      if (wholeWord && (isWordChar(text.charCodeAt(i - 1)) || isWordChar(text.charCodeAt(i + needle.length)))) continue;
      rows.add(rowAt(lineStarts, i));
      if (rows.size > limit) return undefined;
    }
  }
  return rangesOfRows(rows);
}

/** Rows merged into sorted half-open ranges. */
export function rangesOfRows(rows: ReadonlySet<number>): ReadonlyArray<RowRange> {
  const sorted = [...rows].sort((a, b) => a - b);
  const ranges: RowRange[] = [];
  for (const row of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.endRow === row) ranges[ranges.length - 1] = { startRow: last.startRow, endRow: row + 1 };
    else ranges.push({ startRow: row, endRow: row + 1 });
  }
  return ranges;
}

function isWordChar(code: number): boolean {
  // NaN (outside the text) is not a word character
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}

/**
 * What a reviewer must be told about a file's text: binary or not, valid UTF-8 or not, CRLF line
 * endings, invisible and bidirectional-control characters (Trojan Source, CVE-2021-42574), and how
 * many lines a change adds and removes.
 */
import { isAscii } from 'node:buffer';

/** An invisible or direction-changing character found in a text. */
export interface HiddenCharacter {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units (as Monaco counts). */
  readonly column: number;
  /** `U+202E`. */
  readonly codePoint: string;
  readonly name: string;
  readonly kind: 'bidi' | 'zero-width';
}

/** Most hidden characters reported per file (the count is always exact). */
export const MAX_HIDDEN_REPORTED = 200;

const BIDI: ReadonlyMap<number, string> = new Map([
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x061c, 'ARABIC LETTER MARK'],
]);

const ZERO_WIDTH: ReadonlyMap<number, string> = new Map([
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x2060, 'WORD JOINER'],
  [0x2061, 'FUNCTION APPLICATION'],
  [0x2062, 'INVISIBLE TIMES'],
  [0x2063, 'INVISIBLE SEPARATOR'],
  [0x2064, 'INVISIBLE PLUS'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE'],
  [0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x00ad, 'SOFT HYPHEN'],
  [0x115f, 'HANGUL CHOSEONG FILLER'],
  [0x1160, 'HANGUL JUNGSEONG FILLER'],
  [0x3164, 'HANGUL FILLER'],
  [0xffa0, 'HALFWIDTH HANGUL FILLER'],
]);

const HIDDEN = /[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0]/gu;

/** Git's binary test: a NUL byte in the first 8,000 bytes. */
export function isBinary(content: Uint8Array): boolean {
  // A native search (memchr) instead of a loop over up to 8,000 bytes per side.
  return Buffer.from(content.buffer, content.byteOffset, Math.min(content.length, 8000)).indexOf(0) !== -1;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** A decoded text. */
export interface DecodedText {
  readonly text: string;
  readonly invalidUtf8: boolean;
  /** Every byte was below 0x80: the text holds no hidden character (see {@link findHiddenCharacters}). */
  readonly ascii: boolean;
}

/**
 * Decodes UTF-8; invalid sequences become U+FFFD and are reported. Pure ASCII (most source files,
 * checked natively) is decoded as Latin-1, which is the same characters and V8's compact one-byte
 * string, without the UTF-8 decoder's validation.
 */
export function decodeText(content: Uint8Array): DecodedText {
  if (isAscii(content)) return { text: Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1'), invalidUtf8: false, ascii: true };
  try {
    return { text: strictUtf8.decode(content), invalidUtf8: false, ascii: false };
  } catch {
    return { text: lenientUtf8.decode(content), invalidUtf8: true, ascii: false };
  }
}

/** Whether a text uses CRLF line endings anywhere. */
export function hasCrlf(text: string): boolean {
  return text.includes('\r\n');
}

/** Finds invisible and bidirectional-control characters, with line and column. */
export function findHiddenCharacters(text: string): { readonly found: ReadonlyArray<HiddenCharacter>; readonly count: number } {
  const found: HiddenCharacter[] = [];
  let count = 0;
  let line = 1;
  let lineStart = 0;
  let scanned = 0;
  HIDDEN.lastIndex = 0;
  for (let match = HIDDEN.exec(text); match !== null; match = HIDDEN.exec(text)) {
    const at = match.index;
    const code = text.charCodeAt(at);
    // A byte-order mark opening the file is an encoding marker, not a hidden character.
    if (code === 0xfeff && at === 0) continue;
    for (let i = text.indexOf('\n', scanned); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
      line += 1;
      lineStart = i + 1;
    }
    scanned = at;
    count += 1;
    if (found.length < MAX_HIDDEN_REPORTED) {
      const bidi = BIDI.get(code);
      found.push({
        line,
        column: at - lineStart + 1,
        codePoint: `U+${code.toString(16).toUpperCase().padStart(4, '0')}`,
        name: bidi ?? ZERO_WIDTH.get(code) ?? 'INVISIBLE CHARACTER',
        kind: bidi !== undefined ? 'bidi' : 'zero-width',
      });
    }
  }
  return { found, count };
}

const WHITESPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);

function isSpace(code: number): boolean {
  // Printable ASCII first: most characters of source text, and none of them is whitespace.
  if (code > 0x20 && code < 0x7f) return false;
  return WHITESPACE.has(code) || (code >= 0x2000 && code <= 0x200a);
}

/** Whether two texts differ only in whitespace (including line endings). Stops at the first real difference. */
export function differsOnlyInWhitespace(oldText: string, newText: string): boolean {
  if (oldText === newText) return false;
  // A shared prefix strips to the same characters on both sides: compare from where the texts part.
  const limit = Math.min(oldText.length, newText.length);
  let i = 0;
  while (i < limit && oldText.charCodeAt(i) === newText.charCodeAt(i)) i += 1;
  let j = i;
  for (;;) {
    while (i < oldText.length && isSpace(oldText.charCodeAt(i))) i += 1;
    while (j < newText.length && isSpace(newText.charCodeAt(j))) j += 1;
    if (i >= oldText.length || j >= newText.length) return i >= oldText.length && j >= newText.length;
    if (oldText.charCodeAt(i) !== newText.charCodeAt(j)) return false;
    i += 1;
    j += 1;
  }
}

/** Splits a text into lines (a final line without a newline counts; an empty text has none). */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Work budget for one line diff (comparisons); beyond it the changed middle counts as replaced. */
const MAX_DIFF_WORK = 20_000_000;

/**
 * Lines added and removed between two texts: the length of a shortest edit script (Myers 1986),
 * after trimming the common head and tail. When the edit is so large that the search would exceed a
 * fixed budget, the differing middle is counted as all removed and all added.
 */
export function countLineChanges(oldText: string, newText: string): { readonly added: number; readonly removed: number } {
  if (oldText === newText) return { added: 0, removed: 0 };
  // Only the lines around the differing middle are split: a one-line edit in a large file costs a
  // scan of the text, not an array of all its lines.
  let head = 0;
  const limit = Math.min(oldText.length, newText.length);
  while (head < limit && oldText.charCodeAt(head) === newText.charCodeAt(head)) head += 1;
  let tail = 0;
  while (tail < limit - head && oldText.charCodeAt(oldText.length - 1 - tail) === newText.charCodeAt(newText.length - 1 - tail)) tail += 1;
  // Widen to whole lines: back to the start of the line holding the first difference, and forward
  // to the end of the line holding the last (keeping its newline in the shared tail).
  // (At head 0 there is nothing before it: `lastIndexOf('\n', -1)` would still look at index 0 and,
  // for a text opening with an empty line, skip that line.)
  const start = head === 0 ? 0 : oldText.lastIndexOf('\n', head - 1) + 1;
  const oldEnd = nextNewline(oldText, Math.max(oldText.length - tail - 1, start));
  const newEnd = nextNewline(newText, Math.max(newText.length - tail - 1, start));
  // The shared tail must be whole lines on both sides; otherwise count from the full ends.
  const sameTail = oldText.length - oldEnd === newText.length - newEnd;
  return countLineChangesWhole(oldText.slice(start, sameTail ? oldEnd : oldText.length), newText.slice(start, sameTail ? newEnd : newText.length));
}

/** Where the line holding `from` ends, past its newline (the text's end for a last line without one). */
function nextNewline(text: string, from: number): number {
  const at = text.indexOf('\n', from);
  return at < 0 ? text.length : at + 1;
}

function countLineChangesWhole(oldText: string, newText: string): { readonly added: number; readonly removed: number } {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // A last line without a newline differs from the same line with one, as in git's diff.
  if (a.length > 0 && !oldText.endsWith('\n')) a[a.length - 1] += '\n\\';
  if (b.length > 0 && !newText.endsWith('\n')) b[b.length - 1] += '\n\\';
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return { added: m, removed: n };
  // Most edits are small: search on the lines themselves first, with a small budget (equal lines
  // compare by content, with no table of every line); only a large edit interns lines as integers.
  const direct = shortestEdit(a, b, start, n, m, SMALL_EDIT_WORK);
  if (direct !== null) return direct;
  const ids = new Map<string, number>();
  const toIds = (lines: string[], from: number, to: number): Int32Array => {
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i += 1) {
      const line = lines[i] as string;
      let id = ids.get(line);
      if (id === undefined) {
        id = ids.size;
        ids.set(line, id);
      }
      out[i - from] = id;
    }
    return out;
  };
  return shortestEdit(toIds(a, start, endA), toIds(b, start, endB), 0, n, m, MAX_DIFF_WORK) ?? { added: m, removed: n };
}

/** Work budget of the first search over the lines themselves (see {@link countLineChangesWhole}). */
const SMALL_EDIT_WORK = 4096;

/**
 * Myers' greedy search for the length of a shortest edit script between `x[from..from+n)` and
 * `y[from..from+m)`; null when it would take more than `budget` steps.
 */
function shortestEdit(x: ArrayLike<string | number>, y: ArrayLike<string | number>, from: number, n: number, m: number, budget: number): { added: number; removed: number } | null {
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  let work = 0;
  for (let d = 0; d <= max; d += 1) {
    for (let k = -d; k <= d; k += 2) {
      let px: number;
      if (k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))) px = v[offset + k + 1] as number;
      else px = (v[offset + k - 1] as number) + 1;
      let py = px - k;
      while (px < n && py < m && x[from + px] === y[from + py]) {
        px += 1;
        py += 1;
      }
      v[offset + k] = px;
      if (px >= n && py >= m) {
        // d = deletions + insertions and n - deletions = m - insertions (both equal the LCS).
        const removed = (d + n - m) / 2;
        return { added: d - removed, removed };
      }
    }
    work += d + 1;
    if (work > budget) return null;
  }
  return null;
}

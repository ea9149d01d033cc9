/**
 * The rows of a file's plain diff preview (DiffPreview.tsx): the diff the review shows with its first
 * render, before Monaco has loaded. Pure functions, no DOM.
 *
 * The line diff is jsdiff's `structuredPatch` (the `diff` package main already uses for line counts):
 * Myers' algorithm with a time budget, so a huge or pathological file gives up quickly and the pane
 * waits for Monaco's own diff instead of holding the first render.
 */
import { structuredPatch } from 'diff';

/** One side of a row: its line number and text; null where the other side has a line and this one none. */
export interface PreviewCell {
  readonly line: number;
  /** The line's text, cut at the line limit. */
  readonly text: string;
  /** Characters of the line past `text` (0: the whole line is there). */
  readonly cut: number;
  readonly kind: 'context' | 'added' | 'removed';
}

/** A row of the preview: a hunk's header, or a line on either side (both for context lines). */
export type PreviewRow =
  | { readonly type: 'hunk'; readonly header: string }
  | { readonly type: 'line'; readonly base: PreviewCell | null; readonly head: PreviewCell | null };

/** The preview of one file's diff. */
export interface DiffPreviewModel {
  readonly rows: ReadonlyArray<PreviewRow>;
  /** Rows the diff has beyond `rows` (cut at the row limit). */
  readonly moreRows: number;
}

/** Options of {@link previewRows}. */
export interface PreviewOptions {
  /** Pair removed and added lines side by side (the side-by-side view); otherwise one column, removed lines first. */
  readonly sideBySide: boolean;
  readonly ignoreWhitespace: boolean;
  /** Rows kept; the pane shows about fifty, Monaco takes over with the rest. */
  readonly maxRows: number;
  /** jsdiff's time budget in milliseconds; past it there is no preview. */
  readonly timeoutMs: number;
  /** Characters of a line drawn (a minified line of megabytes would hold up the first render). */
  readonly maxLineChars: number;
}

/**
 * The rows of the diff between `original` and `modified` (null: the side does not exist, as for an
 * added or deleted file), or null when the diff did not finish within its time budget.
 */
export function previewRows(original: string | null, modified: string | null, options: PreviewOptions): DiffPreviewModel | null {
  const patch = structuredPatch('base', 'head', original ?? '', modified ?? '', undefined, undefined, {
    // Unchanged lines around each change, as `git diff` shows them.
    context: 3,
    ignoreWhitespace: options.ignoreWhitespace,
    // Line endings are not content: CRLF and LF lines compare equal and no line ends in a drawn CR,
    // as in Monaco, whose models normalise line endings. A CR inside a line is still shown.
    stripTrailingCr: true,
    timeout: options.timeoutMs,
  });
  if (patch === undefined) return null;
  const rows: PreviewRow[] = [];
  let total = 0;
  const push = (row: PreviewRow): void => {
    total += 1;
    if (rows.length < options.maxRows) rows.push(row);
  };
  for (const hunk of patch.hunks) {
    // As git prints it: an empty range starts at the line before it (0 in an empty file).
    const start = (first: number, lines: number): number => (lines === 0 ? first - 1 : first);
    push({ type: 'hunk', header: `@@ -${start(hunk.oldStart, hunk.oldLines)},${hunk.oldLines} +${start(hunk.newStart, hunk.newLines)},${hunk.newLines} @@` });
    let baseLine = hunk.oldStart;
    let headLine = hunk.newStart;
    // A run of removed and added lines: paired side by side, or removed then added in one column.
    let removed: PreviewCell[] = [];
    let added: PreviewCell[] = [];
    const flush = (): void => {
      if (options.sideBySide) {
        for (let index = 0; index < Math.max(removed.length, added.length); index += 1) {
          push({ type: 'line', base: removed[index] ?? null, head: added[index] ?? null });
        }
      } else {
        for (const cell of removed) push({ type: 'line', base: cell, head: null });
        for (const cell of added) push({ type: 'line', base: null, head: cell });
      }
      removed = [];
      added = [];
    };
    for (const line of hunk.lines) {
      const mark = line[0];
      const full = line.length - 1;
      const text = line.slice(1, 1 + options.maxLineChars);
      const cut = full - text.length;
      if (mark === '-') {
        removed.push({ line: baseLine, text, cut, kind: 'removed' });
        baseLine += 1;
      } else if (mark === '+') {
        added.push({ line: headLine, text, cut, kind: 'added' });
        headLine += 1;
      } else if (mark === ' ') {
        flush();
        push({ type: 'line', base: { line: baseLine, text, cut, kind: 'context' }, head: { line: headLine, text, cut, kind: 'context' } });
        baseLine += 1;
        headLine += 1;
      }
      // "\ No newline at end of file" rows are jsdiff's notes, not lines of the file.
    }
    flush();
  }
  return { rows, moreRows: total - rows.length };
}

/** A piece of a line as the preview draws it: text as is, or a character that must not act invisibly. */
export type Segment = { readonly text: string } | { readonly codePoint: string };

/**
 * Characters a line must show as their code point instead of drawing them: C0/C1 controls (a tab
 * stays a tab), bidirectional embeddings, overrides and isolates (Trojan Source, CVE-2021-42574), and
 * zero-width or invisible formatting characters. Drawn as is, they would let a proposal make its text
 * read differently from what it does — the same characters Monaco shows with `renderControlCharacters`
 * and its unicode highlighter.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are shown, not drawn.
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/gu;

/** Splits `text` into plain runs and the characters of {@link INVISIBLE}, each named by its code point (e.g. `U+202E`). */
export function visibleSegments(text: string): ReadonlyArray<Segment> {
  const segments: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    const at = match.index;
    if (at > last) segments.push({ text: text.slice(last, at) });
    segments.push({ codePoint: `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}` });
    last = at + match[0].length;
  }
  if (last < text.length || segments.length === 0) segments.push({ text: text.slice(last) });
  return segments;
}

/**
 * The plain diff's rows (renderer/features/review/diff-preview-model.ts): line numbers on both sides,
 * pairing side by side, added and deleted files, the row limit, the time budget, and invisible
 * characters spelled out rather than drawn (a proposal must not make the plain view read differently
 * from the diff editor's).
 */
import { describe, expect, it } from 'vitest';
import { previewRows, visibleSegments, type PreviewRow } from '../../../renderer/features/review/diff-preview-model';

const options = { sideBySide: true, ignoreWhitespace: false, maxRows: 1000, timeoutMs: 1000, maxLineChars: 200 };

/** A compact form of the rows: `@@` for a hunk, else `base|head` with `-3:x` / `+4:y` / ` 5:z` cells. */
function compact(rows: ReadonlyArray<PreviewRow>): string[] {
  const cell = (value: { line: number; text: string; kind: string } | null): string =>
    value === null ? '' : `${value.kind === 'added' ? '+' : value.kind === 'removed' ? '-' : ' '}${value.line}:${value.text}`;
  return rows.map((row) => (row.type === 'hunk' ? row.header : `${cell(row.base)}|${cell(row.head)}`));
}

describe('previewRows', () => {
  const base = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n') + '\n';
  const head = ['a', 'b', 'c', 'd', 'E', 'x', 'f', 'g', 'h', 'j'].join('\n') + '\n';

  it('pairs removed and added lines side by side, with each side numbered as in its file', () => {
    const model = previewRows(base, head, options);
    expect(model?.moreRows).toBe(0);
    expect(compact(model?.rows ?? [])).toEqual([
      '@@ -2,9 +2,9 @@',
      ' 2:b| 2:b',
      ' 3:c| 3:c',
      ' 4:d| 4:d',
      '-5:e|+5:E',
      '|+6:x',
      ' 6:f| 7:f',
      ' 7:g| 8:g',
      ' 8:h| 9:h',
      '-9:i|',
      ' 10:j| 10:j',
    ]);
  });

  it('puts removed lines before added ones in one column', () => {
    const model = previewRows(base, head, { ...options, sideBySide: false });
    expect(compact(model?.rows ?? []).slice(4, 7)).toEqual(['-5:e|', '|+5:E', '|+6:x']);
  });

  it('shows an added file as added lines only and a deleted file as removed lines only', () => {
    expect(compact(previewRows(null, 'one\ntwo\n', options)?.rows ?? [])).toEqual(['@@ -0,0 +1,2 @@', '|+1:one', '|+2:two']);
    expect(compact(previewRows('one\n', null, options)?.rows ?? [])).toEqual(['@@ -1,1 +0,0 @@', '-1:one|']);
  });

  it('ignores whitespace-only changes when the reviewer hides them', () => {
    expect(previewRows('if x:\n  y()\n', 'if x:\n    y()\n', { ...options, ignoreWhitespace: true })?.rows).toEqual([]);
    expect(previewRows('if x:\n  y()\n', 'if x:\n    y()\n', options)?.rows.length).toBeGreaterThan(0);
  });

  it('compares CRLF and LF lines as equal and draws no line ending, as the diff editor does', () => {
    expect(previewRows('a\r\nb\r\n', 'a\nb\n', options)?.rows).toEqual([]);
    const model = previewRows('a\r\nb\r\n', 'a\r\nB\r\n', options);
    expect(compact(model?.rows ?? [])).toEqual(['@@ -1,2 +1,2 @@', ' 1:a| 1:a', '-2:b|+2:B']);
  });

  it('keeps at most maxRows rows and counts the rest', () => {
    const many = Array.from({ length: 500 }, (_, index) => `line ${index}`).join('\n');
    const model = previewRows(null, many, { ...options, maxRows: 50 });
    expect(model?.rows).toHaveLength(50);
    expect(model?.moreRows).toBe(451);
  });

  it('cuts a line at maxLineChars and counts what is left', () => {
    const model = previewRows(null, `${'x'.repeat(250)}\nshort\n`, options);
    const [, first, second] = model?.rows ?? [];
    expect(first?.type === 'line' && first.head).toEqual({ line: 1, text: 'x'.repeat(200), cut: 50, kind: 'added' });
    expect(second?.type === 'line' && second.head).toEqual({ line: 2, text: 'short', cut: 0, kind: 'added' });
  });

  it('gives up (null) when the diff does not finish within its time budget', () => {
    // Every line differs on both sides: Myers' algorithm has to walk the whole edit graph.
    const left = Array.from({ length: 30_000 }, (_, index) => `left ${index} ${(index * 7919) % 104729}`).join('\n');
    const right = Array.from({ length: 30_000 }, (_, index) => `right ${index} ${(index * 104729) % 7919}`).join('\n');
    expect(previewRows(left, right, { ...options, timeoutMs: 1 })).toBeNull();
  });
});

describe('visibleSegments', () => {
  it('leaves ordinary text, tabs and right-to-left letters as they are', () => {
    expect(visibleSegments('\tconst x = "שלום";')).toEqual([{ text: '\tconst x = "שלום";' }]);
    expect(visibleSegments('')).toEqual([{ text: '' }]);
  });

  it('names bidirectional controls (Trojan Source) by their code point instead of letting them reorder the line', () => {
    // The CVE-2021-42574 example: an override and isolates make a comment look like code and back.
    const line = 'if (isAdmin) { \u202E \u2066// Check if admin\u2069 \u2066 return; }';
    const segments = visibleSegments(line);
    expect(segments.filter((segment) => 'codePoint' in segment)).toEqual([{ codePoint: 'U+202E' }, { codePoint: 'U+2066' }, { codePoint: 'U+2069' }, { codePoint: 'U+2066' }]);
    // Nothing is lost: the plain text is every other character, in order.
    expect(segments.map((segment) => ('text' in segment ? segment.text : '')).join('')).toBe(line.replace(/[\u202E\u2066\u2069]/g, ''));
  });

  it('names zero-width characters, the byte order mark and C0/C1 controls', () => {
    const codePoints = visibleSegments('a\u200Bb\uFEFFc\u0000d\u0085e\u00ADf\u061Cg').flatMap((segment) => ('codePoint' in segment ? [segment.codePoint] : []));
    expect(codePoints).toEqual(['U+200B', 'U+FEFF', 'U+0000', 'U+0085', 'U+00AD', 'U+061C']);
  });
});

import { describe, expect, it } from 'vitest';
import { applyHunks, parsePatch } from '../../../../electron/services/git/unified-diff';

const limits = { maxBytes: 1024 * 1024, maxFiles: 100 };

describe('parsePatch', () => {
  it('reads git headers: new, deleted, renamed, mode change, quoted paths', () => {
    const patch = [
      'From: someone',
      'Subject: preamble is ignored',
      '',
      'diff --git a/new.txt b/new.txt',
      'new file mode 100755',
      'index 0000000..e69de29',
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1,2 @@',
      '+one',
      '+two',
      'diff --git a/old.txt b/old.txt',
      'deleted file mode 100644',
      '--- a/old.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/from.txt b/to.txt',
      'similarity index 100%',
      'rename from from.txt',
      'rename to to.txt',
      'diff --git a/x.sh b/x.sh',
      'old mode 100644',
      'new mode 100755',
      'diff --git "a/sp ace/\\303\\274.txt" "b/sp ace/\\303\\274.txt"',
      '--- "a/sp ace/\\303\\274.txt"',
      '+++ "b/sp ace/\\303\\274.txt"',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n');
    const files = parsePatch(patch, limits);
    expect(files.map((f) => [f.oldPath, f.newPath, f.oldMode?.toString(8) ?? null, f.newMode?.toString(8) ?? null, f.hunks.length])).toEqual([
      [null, 'new.txt', null, '100755', 1],
      ['old.txt', null, '100644', null, 1],
      ['from.txt', 'to.txt', null, null, 0],
      ['x.sh', 'x.sh', '100644', '100755', 0],
      ['sp ace/\u00fc.txt', 'sp ace/\u00fc.txt', null, null, 1],
    ]);
  });

  it('reads plain diff -u output with timestamps', () => {
    const patch = ['--- a/f.txt\t2024-01-01 00:00:00.000000000 +0000', '+++ b/f.txt\t2024-01-02 00:00:00.000000000 +0000', '@@ -1,2 +1,2 @@', ' keep', '-old', '+new', ''].join('\n');
    expect(parsePatch(patch, limits)).toEqual([expect.objectContaining({ oldPath: 'f.txt', newPath: 'f.txt' })]);
  });

  it('refuses truncated hunks, too many files and too many bytes', () => {
    expect(() => parsePatch('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n', limits)).toThrow(/truncated/u);
    const many = Array.from({ length: 3 }, (_, i) => `--- a/f${i}\n+++ b/f${i}\n@@ -1 +1 @@\n-a\n+b\n`).join('');
    expect(() => parsePatch(many, { maxBytes: 1e6, maxFiles: 2 })).toThrow(/more than 2/u);
    expect(() => parsePatch(many, { maxBytes: 10, maxFiles: 10 })).toThrow(/limit/u);
  });
});

describe('applyHunks', () => {
  const hunk = (oldStart: number, lines: string[], flags: { oldNoNewline?: boolean; newNoNewline?: boolean } = {}) => {
    const parsed = lines.map((l) => ({ op: l[0] as ' ' | '-' | '+', text: l.slice(1) }));
    return {
      oldStart,
      oldLines: parsed.filter((l) => l.op !== '+').length,
      newStart: oldStart,
      newLines: parsed.filter((l) => l.op !== '-').length,
      lines: parsed,
      oldNoNewline: flags.oldNoNewline ?? false,
      newNoNewline: flags.newNoNewline ?? false,
    };
  };

  it('applies several hunks in order, keeping CRLF bytes', () => {
    const old = 'a\r\nb\r\nc\r\nd\r\ne\r\n';
    const out = applyHunks('f', old, [hunk(1, [' a\r', '-b\r', '+B\r']), hunk(4, [' d\r', '+d2\r', ' e\r'])]);
    expect(out).toBe('a\r\nB\r\nc\r\nd\r\nd2\r\ne\r\n');
  });

  it('handles a missing newline at the end on either side', () => {
    expect(applyHunks('f', 'a\nb', [hunk(2, ['-b', '+b'], { oldNoNewline: true })])).toBe('a\nb\n');
    expect(applyHunks('f', 'a\nb\n', [hunk(2, ['-b', '+c'], { newNoNewline: true })])).toBe('a\nc');
    expect(() => applyHunks('f', 'a\nb\n', [hunk(2, ['-b', '+c'], { oldNoNewline: true })])).toThrow(/newline/u);
  });

  it('creates a file from an empty old side and deletes everything', () => {
    expect(applyHunks('f', '', [hunk(0, ['+x', '+y'])])).toBe('x\ny\n');
    expect(applyHunks('f', 'x\ny\n', [hunk(1, ['-x', '-y'])])).toBe('');
  });

  it('refuses context that is not there', () => {
    expect(() => applyHunks('f', 'a\nb\n', [hunk(1, [' a', '-c', '+d'])])).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });
});

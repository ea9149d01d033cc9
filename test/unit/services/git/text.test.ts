import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countLineChanges, decodeText, differsOnlyInWhitespace, findHiddenCharacters, isBinary, MAX_HIDDEN_REPORTED } from '../../../../electron/services/git/text';
import { makeRepo } from '../../../fixtures/git/repo';

describe('countLineChanges', () => {
  it.each([
    ['', '', 0, 0],
    ['a\n', '', 0, 1],
    ['', 'a\nb\n', 2, 0],
    ['a\nb\nc\n', 'a\nc\n', 0, 1],
    ['a\nb\nc\n', 'a\nB\nc\n', 1, 1],
    ['a\nb', 'a\nb\n', 1, 1],
    ['x\ny\nz\n', 'z\ny\nx\n', 2, 2],
  ])('%j -> %j adds %i and removes %i', (a, b, added, removed) => {
    expect(countLineChanges(a, b)).toEqual({ added, removed });
  });

  it('agrees with git diff --numstat on random edits', () => {
    const t = makeRepo({});
    try {
      // A small deterministic generator (no Math.random in tests).
      let seed = 12345;
      const next = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      const pairs: Array<[string, string]> = [];
      // The last four are large rewrites: past the first, small search over the lines themselves.
      for (let k = 0; k < 16; k += 1) {
        const old = Array.from({ length: 20 + next(60) + (k >= 12 ? 300 : 0) }, () => `l${next(15)}`);
        const edited = [...old];
        for (let e = 0; e < 1 + next(15) + (k >= 12 ? 400 : 0); e += 1) {
          const at = next(edited.length + 1);
          if (next(2) === 0) edited.splice(at, 1);
          else edited.splice(at, 0, `n${next(15)}`);
        }
        pairs.push([`${old.join('\n')}\n`, `${edited.join('\n')}\n`]);
      }
      pairs.forEach(([a], i) => t.write(`f${i}.txt`, a));
      const base = t.commitAll('base');
      pairs.forEach(([, b], i) => t.write(`f${i}.txt`, b));
      const head = t.commitAll('head');
      const git = new Map(
        t
          .git('diff', '--numstat', '--minimal', base, head)
          .split('\n')
          .map((line) => {
            const [plus, minus, path] = line.split('\t') as [string, string, string];
            return [path, { added: Number(plus), removed: Number(minus) }] as const;
          }),
      );
      pairs.forEach(([a, b], i) => {
        const ours = countLineChanges(a, b);
        const theirs = git.get(`f${i}.txt`) ?? { added: 0, removed: 0 };
        // Both are shortest edit scripts, so the totals match even where the alignment differs.
        expect(ours.added + ours.removed).toBe(theirs.added + theirs.removed);
        expect(ours.added - ours.removed).toBe(theirs.added - theirs.removed);
      });
    } finally {
      t.cleanup();
    }
  });
});

describe('countLineChanges at the start of a text', () => {
  // A text opening with an empty line, changed at its first character: the common-head scan found no
  // shared character, and `lastIndexOf('\n', -1)` still looked at index 0 and skipped that first line.
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['\n', ''],
    ['', '\n'],
    ['\n', 'x'],
    ['\nx\n', 'x\n'],
    ['\n\nx\n', 'y\n\nx\n'],
    ['\na\nb\n', 'a\nb\n'],
  ];

  it('agrees with git diff --numstat on real files', () => {
    const t = makeRepo({});
    try {
      cases.forEach(([a], i) => t.write(`f${i}.txt`, a));
      t.write('keep.txt', 'keep\n');
      const base = t.commitAll('base');
      cases.forEach(([, b], i) => t.write(`f${i}.txt`, b));
      const head = t.commitAll('head');
      const git = new Map(
        t
          .git('diff', '--numstat', base, head)
          .split('\n')
          .map((line) => {
            const [plus, minus, path] = line.split('\t') as [string, string, string];
            return [path, { added: Number(plus), removed: Number(minus) }] as const;
          }),
      );
      cases.forEach(([a, b], i) => {
        expect({ file: i, ...countLineChanges(a, b) }).toEqual({ file: i, ...(git.get(`f${i}.txt`) ?? { added: 0, removed: 0 }) });
      });
    } finally {
      t.cleanup();
    }
  });

  it('counts as a plain LCS line diff does, on random small texts', () => {
    // The model: lines as git sees them (a last line without a newline is a different line), and
    // added = |new| - LCS, removed = |old| - LCS over the whole texts, with no trimming.
    const lines = (text: string): string[] => {
      const parts = text.split('\n');
      const last = parts.pop() as string;
      return last === '' ? parts.map((l) => `${l}\n`) : [...parts.map((l) => `${l}\n`), `${last}\\`];
    };
    const model = (a: string, b: string): { added: number; removed: number } => {
      const x = lines(a);
      const y = lines(b);
      const table = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
      for (let i = x.length - 1; i >= 0; i -= 1) {
        for (let j = y.length - 1; j >= 0; j -= 1) {
          const row = table[i] as number[];
          row[j] = x[i] === y[j] ? ((table[i + 1] as number[])[j + 1] as number) + 1 : Math.max((table[i + 1] as number[])[j] as number, row[j + 1] as number);
        }
      }
      const lcs = (table[0] as number[])[0] as number;
      return { added: y.length - lcs, removed: x.length - lcs };
    };
    const text = fc.array(fc.constantFrom('', 'a', 'b', 'ab', ' ', '\r'), { maxLength: 8 }).chain((ls) => fc.boolean().map((end) => ls.join('\n') + (end ? '\n' : '')));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(countLineChanges(a, b)).toEqual(model(a, b));
      }),
      { numRuns: 3000, seed: 1618 },
    );
  });
});

describe('text flags', () => {
  it('detects binary content as git does (NUL in the first 8000 bytes)', () => {
    expect(isBinary(Buffer.from('plain text'))).toBe(false);
    expect(isBinary(Buffer.from([0x61, 0x00, 0x62]))).toBe(true);
    expect(isBinary(Buffer.concat([Buffer.alloc(8000, 0x61), Buffer.from([0])]))).toBe(false);
    expect(isBinary(Buffer.concat([Buffer.alloc(7999, 0x61), Buffer.from([0])]))).toBe(true);
    // A view into a larger buffer is searched within its own bounds only.
    const larger = Buffer.from([0, 0x61, 0x62, 0]);
    expect(isBinary(larger.subarray(1, 3))).toBe(false);
    expect(isBinary(new Uint8Array(larger.buffer, larger.byteOffset + 1, 3))).toBe(true);
  });

  it('decodes UTF-8 and reports invalid sequences', () => {
    expect(decodeText(Buffer.from('h\u00e9llo'))).toEqual({ text: 'h\u00e9llo', invalidUtf8: false, ascii: false });
    const bad = decodeText(Buffer.from([0x68, 0xc3, 0x28]));
    expect(bad.invalidUtf8).toBe(true);
    expect(bad.text).toContain('\ufffd');
    // An overlong encoding of '/' is invalid, not a slash.
    expect(decodeText(Buffer.from([0xc0, 0xaf])).invalidUtf8).toBe(true);
  });

  it('decodes pure ASCII as UTF-8 would and marks it ASCII; one byte of 0x80 or more is not ASCII', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (raw, at) => {
        const ascii = Uint8Array.from(raw, (b) => b & 0x7f);
        const decoded = decodeText(ascii.subarray(at % (ascii.length + 1)));
        expect(decoded).toEqual({ text: strict.decode(ascii.subarray(at % (ascii.length + 1))), invalidUtf8: false, ascii: true });
        if (raw.some((b) => b >= 0x80)) expect(decodeText(raw).ascii).toBe(false);
      }),
      { numRuns: 300 },
    );
    // A hidden character makes the text non-ASCII, so the scan the ASCII flag skips still runs for it.
    const hidden = decodeText(Buffer.from('let a = 1; // \u202e'));
    expect(hidden.ascii).toBe(false);
    expect(findHiddenCharacters(hidden.text).count).toBe(1);
  });

  it('finds Trojan Source characters with line and column, ignoring a leading BOM', () => {
    const text = '\ufeffline one\n  x\u202eyz\n\n\u2067a\u2069 and \u00ad\n';
    const { found, count } = findHiddenCharacters(text);
    expect(count).toBe(4);
    expect(found.map((f) => [f.line, f.column, f.codePoint, f.kind])).toEqual([
      [2, 4, 'U+202E', 'bidi'],
      [4, 1, 'U+2067', 'bidi'],
      [4, 3, 'U+2069', 'bidi'],
      [4, 9, 'U+00AD', 'zero-width'],
    ]);
    const many = findHiddenCharacters('\u200b'.repeat(MAX_HIDDEN_REPORTED + 5));
    expect(many.count).toBe(MAX_HIDDEN_REPORTED + 5);
    expect(many.found).toHaveLength(MAX_HIDDEN_REPORTED);
  });

  it('recognises whitespace-only changes', () => {
    expect(differsOnlyInWhitespace('a b\n', 'a  b\n')).toBe(true);
    expect(differsOnlyInWhitespace('a\n', 'a\r\n')).toBe(true);
    expect(differsOnlyInWhitespace('a\n', 'a\n')).toBe(false);
    expect(differsOnlyInWhitespace('a\n', 'b\n')).toBe(false);
  });
});

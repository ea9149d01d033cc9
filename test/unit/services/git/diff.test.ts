import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { diffRevision, fileContents, readBlobAtRef, validateChangedPath } from '../../../../electron/services/git/diff';
import { UnsafePathError } from '../../../../electron/services/git/errors';
import { openRepository, type GitRepository } from '../../../../electron/services/git/repository';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

async function twoCommits(before: (t: TempRepo) => void, after: (t: TempRepo) => void): Promise<{ t: TempRepo; repo: GitRepository; base: string; head: string }> {
  const t = makeRepo({});
  repos.push(t);
  before(t);
  const base = t.commitAll('base');
  after(t);
  const head = t.commitAll('head');
  return { t, repo: await openRepository({ dir: t.dir }), base, head };
}

describe('diffRevision', () => {
  it('reports status, modes, sizes, line counts and flags for every kind of change', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const { t, repo, base, head } = await twoCommits(
      (t) => {
        t.write('modified.txt', 'one\ntwo\nthree\n');
        t.write('deleted.txt', 'gone\n');
        t.write('renamed-old.txt', `${lines}\n`);
        t.write('similar-old.txt', `${lines}\nextra\n`);
        t.write('mode.sh', 'echo\n');
        t.write('crlf.txt', 'a\nb\n');
        t.write('ws.txt', 'if (x) {\n  y();\n}\n');
        t.write('bin.dat', Buffer.from([1, 2, 3]));
        t.write('typechange', 'was a file\n');
        t.write('unchanged/deep/file.txt', 'same\n');
      },
      (t) => {
        t.write('modified.txt', 'one\n2\nthree\nfour\n');
        t.git('rm', '-q', 'deleted.txt', 'renamed-old.txt', 'similar-old.txt', 'typechange');
        t.write('renamed-new.txt', `${lines}\n`);
        t.write('similar-new.txt', `${lines}\nchanged extra\n`);
        t.write('mode.sh', 'echo\n', 0o755);
        t.write('crlf.txt', 'a\r\nb\r\n');
        t.write('ws.txt', 'if (x) {\n\ty();\n}\n');
        t.write('bin.dat', Buffer.from([0, 1, 2, 3, 0]));
        t.write('bad-utf8.txt', Buffer.from([0x61, 0xff, 0xfe, 0x0a]));
        t.write('trojan.js', 'const ok = 1;\nif (isAdmin) { /* \u202e } \u2066 begin admins only */\nconst zero\u200bwidth = 2;\n');
        t.symlink('typechange', 'modified.txt');
      },
    );
    const diff = await diffRevision(repo, base, head);
    const byPath = new Map(diff.files.map((f) => [f.path, f]));
    expect(byPath.get('modified.txt')).toMatchObject({ status: 'modified', oldMode: '100644', newMode: '100644', added: 2, removed: 1, oldSize: 14, newSize: 17 });
    expect(byPath.get('deleted.txt')).toMatchObject({ status: 'deleted', newPath: null, oldPath: 'deleted.txt', removed: 1, added: 0 });
    expect(byPath.get('renamed-new.txt')).toMatchObject({ status: 'renamed', oldPath: 'renamed-old.txt', newPath: 'renamed-new.txt', similarity: 1, added: 0, removed: 0 });
    expect(byPath.get('similar-new.txt')).toMatchObject({ status: 'renamed', oldPath: 'similar-old.txt', added: 1, removed: 1 });
    expect(byPath.get('mode.sh')).toMatchObject({ status: 'mode-only', oldMode: '100644', newMode: '100755', added: 0, removed: 0, flags: { modeOnly: true, modeChanged: true } });
    expect(byPath.get('crlf.txt')?.flags).toMatchObject({ crlf: true, whitespaceOnly: true });
    expect(byPath.get('ws.txt')).toMatchObject({ added: 1, removed: 1, flags: { whitespaceOnly: true, crlf: false } });
    expect(byPath.get('bin.dat')).toMatchObject({ added: null, removed: null, oldSize: 3, newSize: 5, flags: { binary: true } });
    expect(byPath.get('bad-utf8.txt')).toMatchObject({ status: 'added', flags: { invalidUtf8: true, binary: false } });
    expect(byPath.get('typechange')).toMatchObject({ status: 'type-change', oldKind: 'file', newKind: 'symlink', newMode: '120000', flags: { symlink: true } });
    const trojan = byPath.get('trojan.js');
    expect(trojan?.flags.hiddenCharacterCount).toBe(3);
    expect(trojan?.flags.hiddenCharacters).toEqual([
      expect.objectContaining({ line: 2, codePoint: 'U+202E', kind: 'bidi', name: 'RIGHT-TO-LEFT OVERRIDE' }),
      expect.objectContaining({ line: 2, codePoint: 'U+2066', kind: 'bidi' }),
      expect.objectContaining({ line: 3, column: 11, codePoint: 'U+200B', kind: 'zero-width' }),
    ]);
    expect(byPath.has('unchanged/deep/file.txt')).toBe(false);
    // Agrees with git's own accounting of the text files.
    const numstat = t.git('diff', '--numstat', '-M', base, head);
    for (const line of numstat.split('\n')) {
      const [plus, minus, path] = line.split('\t') as [string, string, string];
      if (plus === '-' || path.includes('=>')) continue;
      const file = byPath.get(path);
      expect(file && [file.added, file.removed]).toEqual([Number(plus), Number(minus)]);
    }
    expect(diff.totals.files).toBe(diff.files.length);
  });

  it('returns metadata only above the size bound', async () => {
    const { repo, base, head } = await twoCommits(
      (t) => t.write('big.txt', 'x\n'),
      (t) => t.write('big.txt', 'y\n'.repeat(5000)),
    );
    const diff = await diffRevision(repo, base, head, { maxTextBytes: 1000 });
    expect(diff.files[0]).toMatchObject({ path: 'big.txt', newSize: 10000, added: null, flags: { tooLarge: true } });
    const contents = await fileContents(repo, { base, head, path: 'big.txt', maxTextBytes: 1000 });
    expect(contents.old).toMatchObject({ kind: 'text', text: 'x\n' });
    expect(contents.new).toMatchObject({ kind: 'too-large', size: 10000 });
  });

  it('only reads the trees on changed paths', async () => {
    const { repo, base, head } = await twoCommits(
      (t) => {
        for (let i = 0; i < 30; i += 1) t.write(`pkg${i}/src/file.txt`, `${i}\n`);
      },
      (t) => t.write('pkg7/src/file.txt', 'changed\n'),
    );
    let reads = 0;
    const readTreeRaw = repo.objects.readTreeRaw.bind(repo.objects);
    (repo.objects as { readTreeRaw: typeof readTreeRaw }).readTreeRaw = async (oid, options) => {
      reads += 1;
      return readTreeRaw(oid, options);
    };
    const diff = await diffRevision(repo, base, head);
    expect(diff.files.map((f) => f.path)).toEqual(['pkg7/src/file.txt']);
    // root × 2, pkg7 × 2, pkg7/src × 2: the 29 equal subtrees are never opened.
    expect(reads).toBe(6);
  });
});

describe('fileContents and readBlobAtRef', () => {
  it('returns both sides as text, binary, symlink or absent', async () => {
    const { repo, base, head } = await twoCommits(
      (t) => {
        t.write('a.txt', 'old\n');
        t.write('b.bin', Buffer.from([0, 1]));
      },
      (t) => {
        t.write('a.txt', 'new \u00e9\n');
        t.symlink('l', 'a.txt');
      },
    );
    expect(await fileContents(repo, { base, head, path: 'a.txt' })).toEqual({
      path: 'a.txt',
      old: expect.objectContaining({ kind: 'text', text: 'old\n', mode: '100644', invalidUtf8: false }),
      new: expect.objectContaining({ kind: 'text', text: 'new \u00e9\n', size: 7 }),
    });
    expect((await fileContents(repo, { base, head, path: 'b.bin' })).new).toMatchObject({ kind: 'binary', size: 2 });
    expect(await fileContents(repo, { base, head, path: 'l' })).toMatchObject({ old: { kind: 'absent' }, new: { kind: 'symlink', target: 'a.txt' } });
    await expect(fileContents(repo, { base, head, path: '../x' })).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it('reads a file from a ref, null when absent, refusing symlinks and unsafe paths', async () => {
    const { repo, head } = await twoCommits(
      (t) => t.write('policy/gatehouse.yaml', 'rules: []\n'),
      (t) => t.symlink('policy/link.yaml', 'gatehouse.yaml'),
    );
    const blob = await readBlobAtRef(repo, 'main', 'policy/gatehouse.yaml');
    expect(blob?.content.toString()).toBe('rules: []\n');
    expect(blob?.mode).toBe('100644');
    expect((await readBlobAtRef(repo, head, 'policy/gatehouse.yaml'))?.oid).toBe(blob?.oid);
    expect(await readBlobAtRef(repo, 'main', 'policy/missing.yaml')).toBeNull();
    await expect(readBlobAtRef(repo, 'main', 'policy/link.yaml')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(readBlobAtRef(repo, 'main', '.git/config')).rejects.toMatchObject({ code: 'REFUSED' });
    await expect(readBlobAtRef(repo, 'no-such-branch', 'policy/gatehouse.yaml')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Ref names are checked before they can become paths under .git.
    for (const ref of ['../../../../etc/passwd', 'refs/../config', 'main:README', 'a b', 'x\\y']) {
      await expect(readBlobAtRef(repo, ref, 'policy/gatehouse.yaml')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(diffRevision(repo, ref, head)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
  });
});

describe('validateChangedPath with a memo of checked folders', () => {
  /** What the check says about a path: fine, or the refused path and reason. */
  const outcome = (path: string, mode: number | null, memo?: Set<string>): string => {
    try {
      validateChangedPath(path, mode, memo);
      return 'ok';
    } catch (error) {
      if (!(error instanceof UnsafePathError)) throw error;
      return `${error.path}: ${error.reason}`;
    }
  };
  const hostile = ['..', '.', '.git', '.GIT', '.git.', '.git ', 'git~1', '.g\u200cit', '.git::$INDEX_ALLOCATION', 'a\\b', 'C:', 'c:x', 'x\u0000y', 'x\u0007', '\uFFFD', '', 'x'.repeat(256), '.gitmodules', 'GITMOD~1', '.gitattributes'];
  const safe = ['src', 'a', 'lib.ts', 'README.md', 'm0', '\u00fcml'];

  it('refuses exactly what the full check refuses, in a folder seen before or not', () => {
    const component = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...safe) }, { weight: 1, arbitrary: fc.constantFrom(...hostile) });
    const path = fc.oneof(
      fc.array(component, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/')),
      // Leading slashes, drive letters and over-long paths, whole.
      fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
      fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => `C:/${parts.join('/')}`),
      fc.constantFrom(`src/${'d/'.repeat(2100)}x.ts`, `src/a/${'y'.repeat(250)}/${'z'.repeat(250)}`),
    );
    const mode = fc.constantFrom(0o100644, 0o100755, 0o120000, 0o160000, null);
    fc.assert(
      fc.property(fc.array(fc.tuple(path, mode), { minLength: 1, maxLength: 30 }), (paths) => {
        const memo = new Set<string>();
        for (const [p, m] of paths) {
          // Seed the memo with the path's folder through a safe sibling first, when that sibling passes.
          const slash = p.lastIndexOf('/');
          if (slash > 0) outcome(`${p.slice(0, slash)}/ok.ts`, 0o100644, memo);
          expect(outcome(p, m, memo)).toBe(outcome(p, m));
        }
      }),
      { numRuns: 500, seed: 77 },
    );
  });

  it('still refuses a disguised .git, a symlinked .gitmodules and an over-long path in a folder already checked', () => {
    const memo = new Set<string>();
    expect(outcome('src/a/one.ts', 0o100644, memo)).toBe('ok');
    expect(memo.has('src/a')).toBe(true);
    expect(outcome('src/a/.Git ', 0o100644, memo)).toMatch(/\.git/u);
    expect(outcome('src/a/.gitmodules', 0o120000, memo)).toMatch(/symlink/u);
    expect(outcome('src/a/.gitmodules', 0o100644, memo)).toBe('ok');
    // A folder short enough to pass with a short name, and a long name in it that makes the path too long.
    const deep = `src/${'abcdefghi/'.repeat(396)}`;
    expect(outcome(`${deep}ok.ts`, 0o100644, memo)).toBe('ok');
    expect(outcome(`${deep}${'y'.repeat(200)}`, 0o100644, memo)).toMatch(/longer than/u);
    expect(outcome(`${deep}${'y'.repeat(200)}`, 0o100644)).toMatch(/longer than/u);
    expect(outcome('/src/a/one.ts', 0o100644, memo)).toMatch(/absolute/u);
    // A folder that failed is never remembered.
    expect(outcome('src/../x.ts', 0o100644, memo)).toMatch(/".."/u);
    expect(memo.has('src/..')).toBe(false);
  });
});

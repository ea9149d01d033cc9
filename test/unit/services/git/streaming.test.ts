import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateChangedPath } from '../../../../electron/services/git/diff';
import { createIndexBuilder, lockIndex, parseIndex, readIndex } from '../../../../electron/services/git/index-file';
import { mergeBase } from '../../../../electron/services/git/proposals';
import { openRepository } from '../../../../electron/services/git/repository';
import { compareUtf8, diffTrees, forEachTreeChange, forEachTreeEntry, flattenTree, type TreeChange } from '../../../../electron/services/git/trees';
import { makeRepo, makeSwapRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('streaming tree walks', () => {
  it('compareUtf8 orders strings as their UTF-8 bytes', () => {
    const words = ['a', 'a/', 'a-b', 'a/b', 'ab', '\u00e9', '\uffff', '\u{1f600}', '\ue000', 'z', '', 'A'];
    const bytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...words].sort(compareUtf8)).toEqual(bytes);
  });

  it('lists the same changes as diffTrees, in index order, across file/directory swaps and non-ASCII names', async () => {
    const { repo: t, base, head } = makeSwapRepo();
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    for (const [from, to] of [
      [base, head],
      [head, base],
    ] as const) {
      const streamed: TreeChange[] = [];
      await forEachTreeChange(repo.objects, from, to, (change) => {
        streamed.push(change);
      });
      expect(streamed).toEqual(await diffTrees(repo.objects, from, to));
      expect(streamed.length).toBeGreaterThan(5);
    }
    const flat: string[] = [];
    await forEachTreeEntry(repo.objects, head, async (entry) => {
      await Promise.resolve();
      flat.push(entry.path);
    });
    expect(flat).toEqual((await flattenTree(repo.objects, head)).map((e) => e.path));
    expect(flat).toEqual(t.git('-c', 'core.quotePath=false', 'ls-tree', '-r', '--name-only', 'HEAD').split('\n'));
  });
});

describe('validating many paths of one folder', () => {
  it('checks a folder once and every leaf each time, and never remembers a folder that failed', () => {
    const checked = new Set<string>();
    validateChangedPath('src/a/one.ts', 0o100644, checked);
    expect(checked.has('src/a')).toBe(true);
    expect(() => validateChangedPath('src/a/.git', 0o100644, checked)).toThrow(/\.git/u);
    expect(() => validateChangedPath('src/a/.gitmodules', 0o120000, checked)).toThrow(/symlink/u);
    expect(() => validateChangedPath('src/.GIT/x', 0o100644, checked)).toThrow(/\.git/u);
    expect(checked.has('src/.GIT')).toBe(false);
    expect(() => validateChangedPath('src/.GIT/y', 0o100644, checked)).toThrow(/\.git/u);
  });
});

describe('index builder', () => {
  it('writes entry by entry exactly what serialising the whole list writes, and refuses entries out of order', () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n', 'z-\u00fcml\u00e4ut.txt': 'u\n' });
    repos.push(t);
    const gitdir = join(t.dir, '.git');
    const index = readIndex(gitdir);
    const builder = createIndexBuilder();
    for (const entry of index.entries) builder.add(entry);
    expect(builder.count).toBe(index.entries.length);
    const { checksum } = lockIndex(gitdir).commitBuilt(builder);
    const written = readFileSync(join(gitdir, 'index'));
    expect(written.toString('hex', written.length - 20)).toBe(checksum);
    expect(parseIndex(written).entries).toEqual(index.entries);
    expect(t.git('status', '--porcelain')).toBe('');

    const unordered = createIndexBuilder();
    unordered.add(index.entries[1] as (typeof index.entries)[number]);
    expect(() => unordered.add(index.entries[0] as (typeof index.entries)[number])).toThrow(/out of order/u);
    expect(() => unordered.add(index.entries[1] as (typeof index.entries)[number])).toThrow(/out of order/u);
  });
});

describe('merge base', () => {
  it('agrees with git merge-base on forks, criss-cross merges and unrelated histories', async () => {
    const t = makeRepo({ 'f.txt': '0\n' });
    repos.push(t);
    const root = t.git('rev-parse', 'HEAD');
    t.git('checkout', '-q', '-b', 'side');
    t.write('s.txt', '1\n');
    const side1 = t.commitAll('side 1');
    t.git('checkout', '-q', 'main');
    t.write('m.txt', '1\n');
    const main1 = t.commitAll('main 1');
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    expect(await mergeBase(repo, main1, side1)).toBe(root);
    expect(await mergeBase(repo, main1, side1)).toBe(t.git('merge-base', main1, side1));
    expect(await mergeBase(repo, root, main1)).toBe(root);
    // Criss-cross: each side merges the other's first commit.
    t.git('merge', '-q', '--no-edit', side1);
    t.write('m.txt', '2\n');
    const main2 = t.commitAll('main 2');
    t.git('checkout', '-q', 'side');
    t.git('merge', '-q', '--no-edit', main1);
    t.write('s.txt', '2\n');
    const side2 = t.commitAll('side 2');
    const ours = await mergeBase(repo, main2, side2);
    expect(t.git('merge-base', '--all', main2, side2).split('\n')).toContain(ours);
    t.git('checkout', '-q', '--orphan', 'lonely');
    t.git('rm', '-q', '-rf', '.');
    t.write('l.txt', 'l\n');
    const lonely = t.commitAll('unrelated');
    expect(await mergeBase(repo, lonely, main2)).toBeNull();
  });
});

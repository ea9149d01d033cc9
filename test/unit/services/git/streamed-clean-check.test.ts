import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIndex, readIndex, readIndexFile, serialiseIndex } from '../../../../electron/services/git/index-file';
import { openRepository, type GitRepository } from '../../../../electron/services/git/repository';
import { stagedPaths, stagedPathsFromIndexBytes } from '../../../../electron/services/git/status';
import { indexPathGroups, scanTrackedFiles, scanTrackedFilesStreaming, scanUntrackedFiles, scanWorktree, type TrackedFile } from '../../../../electron/services/git/worktree';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

type Visit = { file: TrackedFile; conflicted: boolean };

/** Both scans of the same index bytes: the parsed one and the streamed one, visit for visit. */
async function bothScans(repo: GitRepository, gitdir: string): Promise<{ parsed: Visit[]; streamed: Visit[]; parsedUntracked: unknown; streamedUntracked: unknown }> {
  const file = readIndexFile(gitdir);
  if (file === null) throw new Error('no index');
  const parsed: Visit[] = [];
  const streamed: Visit[] = [];
  const a = scanTrackedFiles(repo, parseIndex(file.bytes, file.mtimeNs), 'hash', (f, c) => parsed.push({ file: f, conflicted: c }), { memo: false });
  const b = scanTrackedFilesStreaming(repo, file.bytes, file.mtimeNs, 'hash', (f, c) => streamed.push({ file: f, conflicted: c }));
  expect([...b.shape.dirs].sort()).toEqual([...a.shape.dirs].sort());
  expect([...b.dirStats.keys()].sort()).toEqual([...a.dirStats.keys()].sort());
  return {
    parsed,
    streamed,
    parsedUntracked: scanUntrackedFiles(repo, a, { content: 'hash', memo: false }),
    streamedUntracked: scanUntrackedFiles(repo, b, { content: 'hash', memo: false }),
  };
}

describe('the clean check streamed over the index bytes', () => {
  it('finds exactly what the parsed scan finds: edits, exec bits, symlinks, deletions, swaps, racy entries, untracked files', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'same.txt': 'same\n', 'exec.sh': 'echo\n', 'gone.txt': 'x\n', 'd/inner.txt': 'i\n', 'd/deep/more.txt': 'm\n', 'swap/f.txt': 'f\n', 'z.txt': 'z\n' });
    repos.push(t);
    t.symlink('link', 'a.txt');
    t.commitAll('more');
    const gitdir = join(t.dir, '.git');
    // Let the index be older than every file, then refresh it: everything clean and not racy.
    const past = new Date(Date.now() - 10_000);
    for (const p of ['a.txt', 'same.txt', 'exec.sh', 'gone.txt', 'd/inner.txt', 'd/deep/more.txt', 'swap/f.txt', 'z.txt']) utimesSync(join(t.dir, p), past, past);
    t.git('update-index', '--refresh');
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });

    const clean = await bothScans(repo, gitdir);
    expect(clean.streamed).toEqual(clean.parsed);
    expect(clean.streamed.every((v) => v.file.clean)).toBe(true);

    writeFileSync(join(t.dir, 'a.txt'), 'b\n'); // same size, new content
    const sameStat = statSync(join(t.dir, 'same.txt'));
    writeFileSync(join(t.dir, 'same.txt'), 'same\n'); // stat changed, content not: refreshed
    utimesSync(join(t.dir, 'same.txt'), sameStat.atime, new Date(sameStat.mtimeMs + 5000));
    chmodSync(join(t.dir, 'exec.sh'), 0o755);
    unlinkSync(join(t.dir, 'gone.txt'));
    unlinkSync(join(t.dir, 'link'));
    symlinkSync('z.txt', join(t.dir, 'link'));
    rmSync(join(t.dir, 'swap'), { recursive: true });
    writeFileSync(join(t.dir, 'swap'), 'now a file\n');
    mkdirSync(join(t.dir, 'new'));
    writeFileSync(join(t.dir, 'new', 'untracked.txt'), 'u\n');
    const dirty = await bothScans(repo, gitdir);
    expect(dirty.streamed).toEqual(dirty.parsed);
    expect(dirty.streamedUntracked).toEqual(dirty.parsedUntracked);
    const unclean = dirty.streamed.filter((v) => !v.file.clean).map((v) => v.file.path);
    expect(unclean).toEqual(['a.txt', 'exec.sh', 'gone.txt', 'link', 'swap/f.txt']);
    expect(dirty.streamed.find((v) => v.file.path === 'same.txt')?.file.refreshed).toBe(true);

    // Racy: an index written in the same instant as a file (mtime at or after the index's) is hashed.
    const indexStat = statSync(join(gitdir, 'index'));
    utimesSync(join(t.dir, 'z.txt'), indexStat.atime, indexStat.mtime);
    const racy = await bothScans(repo, gitdir);
    expect(racy.streamed).toEqual(racy.parsed);
  });

  it('reports conflicted, intent-to-add and staged paths as the parsed index does', async () => {
    const t = makeRepo({ 'c.txt': 'base\n', 'keep.txt': 'k\n' });
    repos.push(t);
    t.git('checkout', '-q', '-b', 'other');
    t.write('c.txt', 'theirs\n');
    t.commitAll('theirs');
    t.git('checkout', '-q', 'main');
    t.write('c.txt', 'ours\n');
    t.commitAll('ours');
    try {
      t.git('merge', '-q', 'other');
    } catch {
      // the conflict is the point
    }
    t.write('ita.txt', 'later\n');
    t.git('add', '-N', 'ita.txt');
    t.write('keep.txt', 'staged\n');
    t.git('add', 'keep.txt');
    const gitdir = join(t.dir, '.git');
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const scans = await bothScans(repo, gitdir);
    expect(scans.streamed).toEqual(scans.parsed);
    expect(scans.streamed.filter((v) => v.conflicted).map((v) => v.file.path)).toEqual(['c.txt']);
    const head = t.git('rev-parse', 'HEAD^{tree}');
    const bytes = readFileSync(join(gitdir, 'index'));
    const scan = scanWorktree(repo, readIndex(gitdir), { untracked: false, content: 'hash' });
    const expected = await stagedPaths(repo, scan, head);
    expect(await stagedPathsFromIndexBytes(repo, bytes, head)).toEqual(expected);
    expect(expected).toContain('keep.txt');
  });

  it('refuses an index whose paths are out of order instead of missing a path', () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
    repos.push(t);
    const entries = [...parseIndex(readFileSync(join(t.dir, '.git', 'index'))).entries];
    const swapped = serialiseIndex([entries[0], entries[2], entries[1]] as typeof entries);
    expect(() => [...indexPathGroups(swapped)]).toThrow(/out of order/u);
    expect([...indexPathGroups(serialiseIndex(entries))].map((g) => g.path)).toEqual(['a.txt', 'b.txt', 'c.txt']);
  });
});

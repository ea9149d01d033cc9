import { chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRepository } from '../../../../electron/services/git/repository';
import { checkDirty } from '../../../../electron/services/git/status';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function fixture(): TempRepo {
  const t = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'dir/c.txt': 'c\n', 'dir/d.txt': 'd\n', '.gitignore': '*.log\nignored-dir/\n' });
  t.write('run.sh', 'echo\n', 0o755);
  t.commitAll('exec');
  repos.push(t);
  return t;
}

describe('checkDirty', () => {
  it('is clean on a clean tree, and agrees with git status on every kind of change', async () => {
    const t = fixture();
    const repo = await openRepository({ dir: t.dir });
    expect(await checkDirty(repo)).toMatchObject({ clean: true, staged: [], unstaged: [], untracked: [], conflicted: [], branch: 'refs/heads/main' });
    t.write('a.txt', 'changed\n');
    unlinkSync(join(t.dir, 'b.txt'));
    chmodSync(join(t.dir, 'run.sh'), 0o644);
    rmSync(join(t.dir, 'dir'), { recursive: true });
    symlinkSync('a.txt', join(t.dir, 'dir'));
    t.write('new.txt', 'n\n');
    t.write('x.log', 'ignored\n');
    t.write('ignored-dir/y', 'ignored\n');
    t.write('staged.txt', 's\n');
    t.git('add', 'staged.txt');
    const dirty = await checkDirty(repo);
    expect(dirty.clean).toBe(false);
    expect(dirty.unstaged).toEqual(['a.txt', 'b.txt', 'dir/c.txt', 'dir/d.txt', 'run.sh']);
    expect(dirty.staged).toEqual(['staged.txt']);
    expect(dirty.untracked).toEqual(['dir', 'new.txt']);
    const porcelain = t.gitRaw('status', '--porcelain', '--untracked-files=all').split('\n').filter((l) => l.length > 0).map((l) => l.slice(3)).sort();
    expect([...new Set([...dirty.unstaged, ...dirty.staged, ...dirty.untracked])].sort()).toEqual(porcelain);
  });

  it('notices a change that keeps the size and mtime only through the content hash of changed stat data', async () => {
    const t = fixture();
    const repo = await openRepository({ dir: t.dir });
    expect((await checkDirty(repo)).clean).toBe(true);
    // Same size, new content; restore the old mtime (ctime still moves, so the stat data differs).
    const when = new Date('2024-01-01T00:00:00Z');
    utimesSync(join(t.dir, 'a.txt'), when, when);
    t.git('update-index', '--refresh');
    writeFileSync(join(t.dir, 'a.txt'), 'Z\n');
    utimesSync(join(t.dir, 'a.txt'), when, when);
    expect((await checkDirty(repo)).unstaged).toEqual(['a.txt']);
  });

  it('refreshes stat data of touched but unchanged files, so git and the next check see them clean', async () => {
    const t = fixture();
    const repo = await openRepository({ dir: t.dir });
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(t.dir, 'a.txt'), later, later);
    expect((await checkDirty(repo)).clean).toBe(true);
    expect(t.git('diff-files', '--name-only')).toBe('');
  });

  it('can skip the untracked walk, and reports unmerged paths', async () => {
    const t = fixture();
    const repo = await openRepository({ dir: t.dir });
    t.write('new.txt', 'n\n');
    expect((await checkDirty(repo, { untracked: false })).clean).toBe(true);
    t.git('checkout', '-q', '-b', 'other');
    t.write('a.txt', 'other\n');
    t.commitAll('other');
    t.git('checkout', '-q', 'main');
    t.write('a.txt', 'main\n');
    t.commitAll('main');
    try {
      t.git('merge', '-q', 'other');
    } catch {
      // A conflict is the point.
    }
    const dirty = await checkDirty(repo);
    expect(dirty.conflicted).toEqual(['a.txt']);
    expect(dirty.clean).toBe(false);
  });

  it('does not descend into a nested repository or ignored directories', async () => {
    const t = fixture();
    const repo = await openRepository({ dir: t.dir });
    mkdirSync(join(t.dir, 'nested/.git'), { recursive: true });
    writeFileSync(join(t.dir, 'nested/file.txt'), 'x');
    expect((await checkDirty(repo)).untracked).toEqual([]);
  });
});

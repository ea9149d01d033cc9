import { chmodSync, existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpoint, getCheckpoint, listCheckpoints } from '../../../electron/services/git/checkpoints';
import { openRepository } from '../../../electron/services/git/repository';
import { previewRollback, rollback } from '../../../electron/services/git/rollback';
import { checkDirty } from '../../../electron/services/git/status';
import { describeOutside, describeRepoState, describeTree, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
function fixture(files?: Record<string, string>): TempRepo {
  const repo = makeRepo(files);
  repos.push(repo);
  return repo;
}
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('rollback', () => {
  it('restores deleted, added and modified files byte for byte, modes and untracked files included', async () => {
    const t = fixture({ 'a.txt': 'alpha\n', 'dir/b.txt': 'beta\n', 'dir/deep/c.bin': '', 'keep.txt': 'keep\n' });
    t.write('dir/deep/c.bin', Buffer.from([0, 1, 2, 255, 254, 0]));
    t.write('run.sh', '#!/bin/sh\necho hi\n', 0o755);
    t.symlink('link-to-a', 'a.txt');
    t.write('.gitignore', '*.log\nbuild/\n');
    t.commitAll('second');
    // Dirty state worth keeping: a modified tracked file, a staged change, an untracked file.
    t.write('a.txt', 'alpha changed but not committed\r\n');
    t.write('staged.txt', 'staged\n');
    t.git('add', 'staged.txt');
    t.write('notes/untracked.md', 'untracked but precious\n');
    t.write('debug.log', 'ignored\n');
    const before = describeRepoState(t);
    const outsideBefore = describeOutside(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'before experiment', operator: 'lead@example.com' });

    // Wreck the repository: delete, add, modify, change modes, commit, create untracked files and dirs.
    unlinkSync(join(t.dir, 'keep.txt'));
    rmSync(join(t.dir, 'dir'), { recursive: true });
    t.write('a.txt', 'totally different\n');
    chmodSync(join(t.dir, 'run.sh'), 0o644);
    unlinkSync(join(t.dir, 'link-to-a'));
    t.write('link-to-a', 'now a file\n');
    t.write('new/tracked.txt', 'new\n');
    t.commitAll('wreck');
    t.write('created-after/untracked.txt', 'created after the checkpoint\n');
    t.write('created-after/deeper/x.txt', 'x\n');
    t.write('stray.txt', 'stray\n');
    t.write('build/output.bin', 'ignored dir content\n');
    t.write('debug.log', 'ignored, changed\n');

    const preview = await previewRollback(repo, checkpoint.id);
    expect(preview.headChanges).toBe(true);
    expect(preview.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['keep.txt', 'dir/b.txt', 'a.txt', 'run.sh', 'link-to-a', 'created-after/untracked.txt', 'stray.txt', 'new/tracked.txt']),
    );

    const result = await rollback(repo, { checkpointId: checkpoint.id, operator: 'lead@example.com', reason: 'undo the experiment' });
    expect(result.headOid).toBe(checkpoint.headOid);
    const after = describeRepoState(t);
    // Ignored files are left alone; everything else is exactly as before.
    expect(existsSync(join(t.dir, 'build/output.bin'))).toBe(true);
    expect(t.read('debug.log').toString()).toBe('ignored, changed\n');
    delete (after as Record<string, string>)['build'];
    delete (after as Record<string, string>)['build/output.bin'];
    delete (after as Record<string, string>)['debug.log'];
    delete (before as Record<string, string>)['debug.log'];
    const { ['<index>']: indexAfter, ...restAfter } = after;
    const { ['<index>']: indexBefore, ...restBefore } = before;
    expect(restAfter['<refs>']?.split('\n').filter((l) => !l.startsWith('refs/gatehouse/'))).toEqual(
      restBefore['<refs>']?.split('\n').filter((l) => !l.startsWith('refs/gatehouse/')),
    );
    delete (restAfter as Record<string, string>)['<refs>'];
    delete (restBefore as Record<string, string>)['<refs>'];
    expect(restAfter).toEqual(restBefore);
    expect(indexAfter).toBeDefined();
    expect(indexBefore).toBeDefined();
    // The index says what it said before (native git agrees): staged.txt staged, a.txt modified, notes untracked.
    expect(t.git('status', '--porcelain', '--untracked-files=all').split('\n').map((l) => l.trim()).sort()).toEqual(['?? notes/untracked.md', 'A  staged.txt', 'M a.txt']);
    expect(describeOutside(t)).toEqual(outsideBefore);
    const dirty = await checkDirty(repo);
    expect(dirty.unstaged).toEqual(['a.txt']);
    expect(dirty.staged).toEqual(['staged.txt']);
    expect(dirty.untracked).toEqual(['notes/untracked.md']);
  });

  it('a rollback can itself be rolled back', async () => {
    const t = fixture({ 'a.txt': 'one\n', 'b/c.txt': 'c\n' });
    const repo = await openRepository({ dir: t.dir });
    const first = await createCheckpoint(repo, { reason: 'start', operator: 'lead' });
    t.write('a.txt', 'two\n');
    t.write('b/new.txt', 'new\n');
    t.commitAll('two');
    t.write('untracked.txt', 'u\n');
    const second = describeRepoState(t);
    const result = await rollback(repo, { checkpointId: first.id, operator: 'lead' });
    expect(t.read('a.txt').toString()).toBe('one\n');
    expect(existsSync(join(t.dir, 'untracked.txt'))).toBe(false);
    expect(existsSync(join(t.dir, 'b/new.txt'))).toBe(false);
    // Undo the rollback.
    const undo = await rollback(repo, { checkpointId: result.undo?.id ?? 'missing-undo', operator: 'lead' });
    const restored = describeRepoState(t);
    expect({ ...restored, '<refs>': '', '<index>': '' }).toEqual({ ...second, '<refs>': '', '<index>': '' });
    expect(t.git('status', '--porcelain')).toBe('?? untracked.txt');
    expect(undo.headOid).toBe(t.git('rev-parse', 'HEAD'));
    const ids = (await listCheckpoints(repo)).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining([first.id, result.undo?.id, undo.undo?.id]));
  });

  it('removes directories that only untracked files created, and recreates deleted directories', async () => {
    const t = fixture({ 'src/a/b/c.txt': 'c\n', 'top.txt': 't\n' });
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    rmSync(join(t.dir, 'src'), { recursive: true });
    mkdirSync(join(t.dir, 'fresh/empty/dirs'), { recursive: true });
    writeFileSync(join(t.dir, 'fresh/empty/dirs/f.txt'), 'f');
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    expect(describeTree(t.dir)).toEqual({
      src: 'dir',
      'src/a': 'dir',
      'src/a/b': 'dir',
      'src/a/b/c.txt': expect.stringMatching(/^file 644 /u),
      'top.txt': expect.stringMatching(/^file 644 /u),
    });
  });

  it('restores a file where a directory now stands, and the reverse', async () => {
    const t = fixture({ 'x/inner.txt': 'inner\n', y: 'plain file\n' });
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    rmSync(join(t.dir, 'x'), { recursive: true });
    t.write('x', 'x is a file now\n');
    unlinkSync(join(t.dir, 'y'));
    t.write('y/inner.txt', 'y is a directory now\n');
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    expect(t.read('x/inner.txt').toString()).toBe('inner\n');
    expect(t.read('y').toString()).toBe('plain file\n');
    expect(t.git('status', '--porcelain')).toBe('');
  });

  it('puts HEAD back on the checkpoint\u2019s branch when another branch is checked out now', async () => {
    const t = fixture({ 'a.txt': 'main\n' });
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'on main', operator: 'o' });
    t.git('checkout', '-q', '-b', 'side');
    t.write('a.txt', 'side\n');
    const side = t.commitAll('side work');
    const result = await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    expect(result.branch).toBe('refs/heads/main');
    expect(t.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(t.read('a.txt').toString()).toBe('main\n');
    expect(t.git('rev-parse', 'side')).toBe(side);
    // And back again through the undo checkpoint.
    await rollback(repo, { checkpointId: result.undo?.id ?? 'missing-undo', operator: 'o' });
    expect(t.git('symbolic-ref', 'HEAD')).toBe('refs/heads/side');
    expect(t.read('a.txt').toString()).toBe('side\n');
    expect(t.git('status', '--porcelain')).toBe('');
  });

  it('never writes through a symlink: a directory replaced by a link to the outside is restored as a directory', async () => {
    const t = fixture({ 'vendor/lib.js': 'lib\n', 'a.txt': 'a\n' });
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    const outsideBefore = describeOutside(t);
    rmSync(join(t.dir, 'vendor'), { recursive: true });
    t.symlink('vendor', '../outside');
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    expect(describeOutside(t)).toEqual(outsideBefore);
    expect(existsSync(join(t.outside, 'lib.js'))).toBe(false);
    expect(t.read('vendor/lib.js').toString()).toBe('lib\n');
    expect(t.git('status', '--porcelain')).toBe('');
  });

  it('restores the working tree\u2019s own symlinks as recorded, even ones pointing outside', async () => {
    const t = fixture({ 'a.txt': 'a\n' });
    t.symlink('shared', '../outside');
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    unlinkSync(join(t.dir, 'shared'));
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    expect(describeTree(t.dir)['shared']).toBe('link ../outside');
  });

  it('refuses an unknown checkpoint and a malformed id', async () => {
    const t = fixture();
    const repo = await openRepository({ dir: t.dir });
    await expect(rollback(repo, { checkpointId: '20990101T000000000Z-00000000', operator: 'o' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(rollback(repo, { checkpointId: '../../HEAD', operator: 'o' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(getCheckpoint(repo, 'x')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses while another git process holds the index lock, changing nothing', async () => {
    const t = fixture({ 'a.txt': 'a\n' });
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    t.write('a.txt', 'changed\n');
    writeFileSync(join(t.dir, '.git/index.lock'), '');
    const before = describeRepoState(t);
    await expect(rollback(repo, { checkpointId: cp.id, operator: 'o' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(describeRepoState(t)).toEqual(before);
  });
});

/**
 * The shortcuts a rollback from a fresh process takes (issue 16), each against native git on a real
 * repository: the index tree remembered across processes in the git directory (git's cache-tree idea)
 * is used only for the very index it was computed from, and a file changed right after a rollback with
 * the same size and mtime (git's racy-git case) is still seen as changed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../../electron/services/git/checkpoints';
import { openRepository } from '../../../electron/services/git/repository';
import { rollback } from '../../../electron/services/git/rollback';
import { checkDirty } from '../../../electron/services/git/status';
import { INDEX_TREE_FILE } from '../../../electron/services/git/worktree';
import { describeTree, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function fixture(): TempRepo {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`src/d${i % 3}/f${i}.txt`] = `file ${i}\n`;
  const t = makeRepo(files);
  repos.push(t);
  return t;
}

/** A handle as a new CLI process opens it: nothing remembered in memory. */
const fresh = (t: TempRepo) => openRepository({ dir: t.dir, targetBranch: 'main' });

describe('the index tree remembered across processes', () => {
  it('is written by a rollback for the index it wrote, and a fresh handle snapshots to the tree git writes', async () => {
    const t = fixture();
    const checkpoint = await createCheckpoint(await fresh(t), { reason: 'base', operator: 'lead' });
    t.write('src/d0/f0.txt', 'changed\n');
    t.write('scratch.txt', 'untracked\n');
    await rollback(await fresh(t), { checkpointId: checkpoint.id, operator: 'lead' });
    const line = readFileSync(join(t.dir, '.git', INDEX_TREE_FILE), 'utf8');
    const indexChecksum = readFileSync(join(t.dir, '.git', 'index')).subarray(-20).toString('hex');
    expect(line).toBe(`${indexChecksum} ${t.git('write-tree')}\n`);
    const again = await createCheckpoint(await fresh(t), { reason: 'again', operator: 'lead' });
    expect(again.indexTree).toBe(t.git('write-tree'));
    expect(again.worktreeTree).toBe(checkpoint.worktreeTree);
  });

  it('is not used once git changed the index, nor when its tree object is gone', async () => {
    const t = fixture();
    const checkpoint = await createCheckpoint(await fresh(t), { reason: 'base', operator: 'lead' });
    t.write('src/d1/f1.txt', 'changed\n');
    await rollback(await fresh(t), { checkpointId: checkpoint.id, operator: 'lead' });
    // git stages a change: the remembered line names the old index's checksum.
    t.write('src/d2/f2.txt', 'staged\n');
    t.git('add', 'src/d2/f2.txt');
    const staged = await createCheckpoint(await fresh(t), { reason: 'staged', operator: 'lead' });
    expect(staged.indexTree).toBe(t.git('write-tree'));
    expect(staged.indexTree).not.toBe(checkpoint.indexTree);
    // A line for this very index naming a tree the object store lacks is not trusted.
    const indexChecksum = readFileSync(join(t.dir, '.git', 'index')).subarray(-20).toString('hex');
    writeFileSync(join(t.dir, '.git', INDEX_TREE_FILE), `${indexChecksum} ${'1'.repeat(40)}\n`);
    const missing = await createCheckpoint(await fresh(t), { reason: 'missing', operator: 'lead' });
    expect(missing.indexTree).toBe(t.git('write-tree'));
    // A torn line is ignored.
    writeFileSync(join(t.dir, '.git', INDEX_TREE_FILE), indexChecksum.slice(0, 20));
    expect((await createCheckpoint(await fresh(t), { reason: 'torn', operator: 'lead' })).indexTree).toBe(t.git('write-tree'));
  });
});

describe('racy git after a rollback', () => {
  it('sees a file rewritten at once with the same size and mtime as changed, in a fresh process', async () => {
    const t = fixture();
    const checkpoint = await createCheckpoint(await fresh(t), { reason: 'base', operator: 'lead' });
    const base = describeTree(t.dir);
    t.write('src/d0/f3.txt', 'other\n');
    await rollback(await fresh(t), { checkpointId: checkpoint.id, operator: 'lead' });
    // Within the same instant as the index the rollback wrote: same length, mtime put back.
    const path = join(t.dir, 'src/d0/f3.txt');
    const before = statSync(path, { bigint: true });
    writeFileSync(path, 'FILE 3\n');
    // touch keeps nanoseconds (utimes from JavaScript rounds them).
    const ns = before.mtimeNs;
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, path]);
    expect(statSync(path, { bigint: true }).size).toBe(before.size);
    expect(statSync(path, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    expect(t.git('status', '--porcelain')).toBe('M src/d0/f3.txt'); // git's own view (output trimmed)
    const dirty = await checkDirty(await fresh(t));
    expect(dirty.clean).toBe(false);
    const result = await rollback(await fresh(t), { checkpointId: checkpoint.id, operator: 'lead' });
    expect(result.nothingToRollBack).toBe(false);
    expect(describeTree(t.dir)).toEqual(base);
    // The user's version is kept in the undo checkpoint: rolling back to it gives it back.
    await rollback(await fresh(t), { checkpointId: result.undo?.id ?? '', operator: 'lead' });
    expect(readFileSync(path, 'utf8')).toBe('FILE 3\n');
  });
});

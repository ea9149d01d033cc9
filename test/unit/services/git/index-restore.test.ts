/**
 * The index after a rollback, patched from the old index's bytes (index-restore.ts): byte for byte what
 * rebuilding it from the target's whole tree with the same stat data writes, on real repositories with
 * every kind of change (modified, deleted, added, staged, executable bit, untracked files becoming
 * tracked); null for what it does not take (index v4, non-ASCII paths, a checksum that is not the
 * scan's, entries out of order, conflicts), where a real rollback falls back and git still agrees.
 */
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureState, createCheckpoint, type Checkpoint, type RepositoryState } from '../../../../electron/services/git/checkpoints';
import { serialiseIndex, type IndexStat } from '../../../../electron/services/git/index-file';
import { restoreIndexBytes, type KnownFile } from '../../../../electron/services/git/index-restore';
import { openRepository, type GitRepository } from '../../../../electron/services/git/repository';
import { restoreSources, rollback } from '../../../../electron/services/git/rollback';
import { diffTrees, flattenTree } from '../../../../electron/services/git/trees';
import { indexEntriesFor, knownFromScan, statLookup } from '../../../../electron/services/git/worktree';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function files(count: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i += 1) out[`src/d${i % 3}/f${i}.txt`] = `file ${i}\n`;
  out['README.md'] = '# test\n';
  return out;
}

/** A repository with a checkpoint of its committed state, then every kind of change made after it. */
async function changedRepo(): Promise<{ t: TempRepo; repo: GitRepository; checkpoint: Checkpoint }> {
  const t = makeRepo(files(30));
  repos.push(t);
  const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
  // The checkpoint holds a staged change and an untracked file of its own.
  t.write('src/d0/f0.txt', 'staged at the checkpoint\n');
  t.git('add', 'src/d0/f0.txt');
  t.write('untracked-at-checkpoint.txt', 'u\n');
  const checkpoint = await createCheckpoint(repo, { reason: 'base', operator: 'test' });
  t.write('src/d1/f1.txt', 'modified\n');
  unlinkSync(join(t.dir, 'src/d2/f2.txt'));
  t.write('src/new/added.txt', 'added\n');
  t.git('add', 'src/new/added.txt');
  chmodSync(join(t.dir, 'src/d0/f3.txt'), 0o755);
  t.write('src/d1/f4.txt', 'staged after\n');
  t.git('add', 'src/d1/f4.txt');
  t.git('rm', '-q', '--cached', 'src/d2/f5.txt');
  t.write('scratch/later.txt', 'later\n');
  unlinkSync(join(t.dir, 'untracked-at-checkpoint.txt'));
  return { t, repo, checkpoint };
}

/** Stat data a rollback's writes would report, made up but distinct per path. */
function writtenStats(changes: ReadonlyArray<{ path: string; new: { oid: string; mode: number } | null }>): Map<string, KnownFile> {
  const written = new Map<string, KnownFile>();
  changes.forEach((change, i) => {
    if (change.new === null) return;
    const stat: IndexStat = { ctimeSec: 1000 + i, ctimeNsec: i, mtimeSec: 2000 + i, mtimeNsec: i, dev: 1, ino: 500 + i, uid: 0, gid: 0, size: 10 + i };
    written.set(change.path, { oid: change.new.oid, mode: change.new.mode, stat });
  });
  return written;
}

/** What the rebuild writes: the target's whole index tree, stat data from the scan and the writes. */
async function rebuilt(repo: GitRepository, now: RepositoryState, target: string, written: ReadonlyMap<string, KnownFile>): Promise<Buffer> {
  const known = knownFromScan(now.scan);
  for (const [path, value] of written) known.set(path, value);
  return serialiseIndex(indexEntriesFor(await flattenTree(repo.objects, target), statLookup(known)));
}

/** The patch's input from a scan, as rollback.ts builds it. */
async function patchInput(repo: GitRepository, now: RepositoryState, target: string, written: ReadonlyMap<string, KnownFile>) {
  const { known, unclean } = restoreSources(now.scan, written);
  return { oldChecksum: now.scan.index.checksum, changes: await diffTrees(repo.objects, now.indexTree, target), known, unclean };
}

describe('restoreIndexBytes', () => {
  it('writes exactly what the rebuild writes, both ways between two states', async () => {
    const { t, repo, checkpoint } = await changedRepo();
    const now = await captureState(repo);
    const index = readFileSync(join(t.dir, '.git/index'));
    const toCheckpoint = writtenStats(await diffTrees(repo.objects, now.worktreeTree, checkpoint.worktreeTree));
    const forward = restoreIndexBytes({ oldIndex: index, ...(await patchInput(repo, now, checkpoint.indexTree, toCheckpoint)) });
    expect(forward).not.toBeNull();
    expect(Buffer.concat(forward?.parts ?? []).equals(await rebuilt(repo, now, checkpoint.indexTree, toCheckpoint))).toBe(true);
    expect(forward?.checksum).toBe(createHash('sha1').update(Buffer.concat(forward?.parts.slice(0, -1) ?? [])).digest('hex'));
    // Nothing written: every stat comes from the scan alone; and an index with no change at all.
    const none = restoreIndexBytes({ oldIndex: index, ...(await patchInput(repo, now, checkpoint.indexTree, new Map())) });
    expect(Buffer.concat(none?.parts ?? []).equals(await rebuilt(repo, now, checkpoint.indexTree, new Map()))).toBe(true);
    const same = restoreIndexBytes({ oldIndex: index, ...(await patchInput(repo, now, now.indexTree, new Map())) });
    expect(Buffer.concat(same?.parts ?? []).equals(await rebuilt(repo, now, now.indexTree, new Map()))).toBe(true);
  });

  it('leaves the index git agrees with after a real rollback, and back', async () => {
    const { t, repo, checkpoint } = await changedRepo();
    const stagedBefore = t.git('ls-files', '--stage');
    const unstagedBefore = t.git('diff-files', '--name-status');
    expect(unstagedBefore).toBe('M\tsrc/d0/f3.txt\nM\tsrc/d1/f1.txt\nD\tsrc/d2/f2.txt');
    const undo = (await rollback(repo, { checkpointId: checkpoint.id, operator: 'test' })).undo;
    // Every entry's stat data matches its file (asked before git status, which would refresh the index).
    expect(t.git('diff-files', '--name-only')).toBe('');
    expect(t.git('status', '--porcelain', '--untracked-files=all')).toBe('M  src/d0/f0.txt\n?? untracked-at-checkpoint.txt');
    expect(t.git('ls-files', '--stage')).toBe(t.git('ls-tree', '-r', '--full-tree', checkpoint.indexTree).replace(/ blob /gu, ' ').replace(/\t/gu, ' 0\t'));
    await rollback(repo, { checkpointId: undo?.id ?? '', operator: 'test' });
    expect(t.git('ls-files', '--stage')).toBe(stagedBefore);
    // The files changed but not staged before are that again, nothing else.
    expect(t.git('diff-files', '--name-status')).toBe(unstagedBefore);
  });

  it('answers null for what it does not take, and a rollback falls back to the rebuild', async () => {
    const { t, repo, checkpoint } = await changedRepo();
    const now = await captureState(repo);
    const index = readFileSync(join(t.dir, '.git/index'));
    const input = await patchInput(repo, now, checkpoint.indexTree, new Map());
    expect(restoreIndexBytes({ oldIndex: index, ...input })).not.toBeNull();
    // Not the index the scan read.
    expect(restoreIndexBytes({ oldIndex: index, ...input, oldChecksum: '0'.repeat(40) })).toBeNull();
    const tampered = Buffer.from(index);
    tampered[100] = (tampered[100] as number) ^ 1;
    expect(restoreIndexBytes({ oldIndex: tampered, ...input })).toBeNull();
    // Entries out of order (the first two swapped, checksum recomputed).
    const first = 12;
    const size = (at: number): number => ((62 + index.indexOf(0, at + 62) - (at + 62)) + 8) & ~7;
    const second = first + size(first);
    const swapped = Buffer.concat([index.subarray(0, first), index.subarray(second, second + size(second)), index.subarray(first, second), index.subarray(second + size(second), index.length - 20)]);
    const reordered = Buffer.concat([swapped, createHash('sha1').update(swapped).digest()]);
    expect(restoreIndexBytes({ oldIndex: reordered, ...input, oldChecksum: reordered.toString('hex', reordered.length - 20) })).toBeNull();
    // A non-ASCII path among the changes.
    expect(restoreIndexBytes({ oldIndex: index, ...input, changes: [...input.changes, { path: 'zz/é.txt', old: null, new: { mode: 0o100644, oid: 'a'.repeat(40) } }] })).toBeNull();
    // Index version 4: null, and the rollback still leaves what git agrees with.
    t.git('update-index', '--index-version', '4');
    const v4 = await captureState(repo);
    expect(restoreIndexBytes({ oldIndex: readFileSync(join(t.dir, '.git/index')), ...(await patchInput(repo, v4, checkpoint.indexTree, new Map())) })).toBeNull();
    await rollback(repo, { checkpointId: checkpoint.id, operator: 'test' });
    expect(t.git('diff-files', '--name-only')).toBe('');
    expect(t.git('status', '--porcelain', '--untracked-files=all')).toBe('M  src/d0/f0.txt\n?? untracked-at-checkpoint.txt');
  });

  it('falls back for a non-ASCII path in the index, and git agrees after the rollback', async () => {
    const t = makeRepo({ ...files(5), 'docs/café.md': 'crème\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'base', operator: 'test' });
    t.write('docs/café.md', 'brûlée\n');
    t.write('src/d0/f0.txt', 'changed\n');
    const now = await captureState(repo);
    expect(restoreIndexBytes({ oldIndex: readFileSync(join(t.dir, '.git/index')), ...(await patchInput(repo, now, checkpoint.indexTree, new Map())) })).toBeNull();
    await rollback(repo, { checkpointId: checkpoint.id, operator: 'test' });
    expect(t.git('diff-files', '--name-only')).toBe('');
    expect(t.git('status', '--porcelain')).toBe('');
  });
});

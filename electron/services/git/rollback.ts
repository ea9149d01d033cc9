/**
 * Rollback to a checkpoint: branch, HEAD, index and working tree restored byte for byte (modes
 * included), untracked files the checkpoint lacks removed, ignored files left alone.
 *
 * A checkpoint of the current state is taken first and returned, so the rollback itself can be undone
 * by rolling back to it. Only the paths that differ between now and the checkpoint are touched; the
 * index is rewritten from the checkpoint's index tree, keeping the stat data of every file that did not
 * change so the next dirty check stays cheap.
 */
import { reverseChanges } from './apply';
import {
  assertCheckpointRestorable,
  captureState,
  commitCheckpoint,
  getCheckpoint,
  type Checkpoint,
  type CreatedCheckpoint,
} from './checkpoints';
import { diffTreeOids, validateChangedPath, type DiffFile, type RevisionDiff } from './diff';
import { GitConflictError } from './errors';
import { lockIndex } from './index-file';
import { readHead, resolveRefOrNull, setHead, updateRef } from './refs';
import type { GitRepository } from './repository';
import { diffTrees, flattenTree } from './trees';
import { indexEntriesFor, knownFromScan, statLookup, writeWorktreeChanges } from './worktree';

/** What a rollback would do. */
export interface RollbackPreview {
  readonly checkpoint: Checkpoint;
  /** HEAD now. */
  readonly current: { readonly branch: string | null; readonly headOid: string | null };
  /** Files that would change, from now to the checkpoint. */
  readonly files: ReadonlyArray<DiffFile>;
  readonly totals: RevisionDiff['totals'];
  /** HEAD's branch or commit would change. */
  readonly headChanges: boolean;
  /** The index would change. */
  readonly indexChanges: boolean;
}

/**
 * Previews a rollback: the diff from the current working tree (untracked files included) to the
 * checkpoint. Writes the blobs of changed files as unreferenced objects, nothing else.
 */
export async function previewRollback(repo: GitRepository, checkpointId: string): Promise<RollbackPreview> {
  const checkpoint = await getCheckpoint(repo, checkpointId);
  return repo.exclusive(async () => {
    const now = await captureState(repo);
    const diff = await diffTreeOids(repo, now.worktreeTree, checkpoint.worktreeTree);
    return {
      checkpoint,
      current: { branch: now.branch, headOid: now.headOid },
      files: diff.files,
      totals: diff.totals,
      headChanges: now.branch !== checkpoint.branch || now.headOid !== checkpoint.headOid,
      indexChanges: now.indexTree !== checkpoint.indexTree,
    };
  });
}

/** Input of {@link rollback}. */
export interface RollbackInput {
  readonly checkpointId: string;
  /** Who asked (recorded on the checkpoint taken first). */
  readonly operator: string;
  readonly reason?: string;
}

/** The result of {@link rollback}. */
export interface RollbackResult {
  /** The checkpoint restored. */
  readonly checkpoint: Checkpoint;
  /** The checkpoint of the state before the rollback: roll back to it to undo. */
  readonly undo: CreatedCheckpoint;
  readonly branch: string | null;
  readonly headOid: string | null;
  /** Paths written or removed. */
  readonly changedPaths: number;
}

/** Restores a checkpoint (see the module comment). */
export async function rollback(repo: GitRepository, input: RollbackInput): Promise<RollbackResult> {
  const checkpoint = await getCheckpoint(repo, input.checkpointId);
  await assertCheckpointRestorable(repo, checkpoint);
  if (checkpoint.headOid === null) throw new GitConflictError(`checkpoint ${checkpoint.id} was taken on a branch without commits`);
  const target = checkpoint.headOid;
  return repo.exclusive(async () => {
    const lock = lockIndex(repo.gitdir, repo.memo);
    try {
      const now = await captureState(repo);
      const undo = await commitCheckpoint(repo, now, {
        operator: input.operator,
        reason: `before rollback to ${checkpoint.id}${input.reason === undefined ? '' : `: ${input.reason}`}`,
      });
      const changes = await diffTrees(repo.objects, now.worktreeTree, checkpoint.worktreeTree);
      for (const change of changes) validateChangedPath(change.path, change.new?.mode ?? null);
      // The checkpoint recorded this working tree: its symlinks come back as they were (see WriteChangesOptions).
      const { written } = await writeWorktreeChanges(repo, changes, { resultTree: checkpoint.worktreeTree, symlinks: 'as-recorded' });
      const known = knownFromScan(now.scan);
      for (const [path, value] of written) known.set(path, value);
      const entries = indexEntriesFor(await flattenTree(repo.objects, checkpoint.indexTree), statLookup(known));
      try {
        const committed = lock.commit(entries);
        // This index is the checkpoint's index tree: the next snapshot need not rebuild it.
        repo.memo.indexTrees.set(committed.checksum, checkpoint.indexTree);
      } catch (error) {
        await writeWorktreeChanges(repo, reverseChanges(changes), { resultTree: now.worktreeTree, symlinks: 'as-recorded' });
        throw error;
      }
      let moved: { ref: string; from: string | null } | null = null;
      try {
        if (checkpoint.branch !== null) {
          const branchNow = await resolveRefOrNull(repo, checkpoint.branch);
          if (branchNow !== target) {
            await updateRef(repo, checkpoint.branch, target, branchNow, `gatehouse rollback to ${checkpoint.id}`);
            moved = { ref: checkpoint.branch, from: branchNow };
          }
          await setHead(repo, { branch: checkpoint.branch });
        } else {
          await setHead(repo, { oid: target });
        }
      } catch (error) {
        // Put back what was changed: the branch, the index, the working tree, HEAD.
        if (moved !== null && moved.from !== null) await updateRef(repo, moved.ref, moved.from, target, 'gatehouse rollback failed');
        const back = lockIndex(repo.gitdir, repo.memo);
        back.commit(now.scan.index.entries);
        await writeWorktreeChanges(repo, reverseChanges(changes), { resultTree: now.worktreeTree, symlinks: 'as-recorded' });
        if (now.branch !== null) await setHead(repo, { branch: now.branch });
        else if (now.headOid !== null) await setHead(repo, { oid: now.headOid });
        throw error;
      }
      const head = await readHead(repo);
      return { checkpoint, undo, branch: head.branch, headOid: head.oid, changedPaths: changes.length };
    } finally {
      lock.release();
    }
  });
}

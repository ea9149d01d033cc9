/**
 * Showing a checkpoint: what differs between it and the repository now.
 */
import { captureState, getCheckpoint, type Checkpoint } from './checkpoints';
import { diffTreeOids, type DiffFile, type RevisionDiff } from './diff';
import type { GitRepository } from './repository';

/** A checkpoint and the diff from it to the current working tree. */
export interface CheckpointShow {
  readonly checkpoint: Checkpoint;
  readonly current: { readonly branch: string | null; readonly headOid: string | null; readonly indexTree: string; readonly worktreeTree: string };
  /** Files changed since the checkpoint (checkpoint → now, untracked files included). */
  readonly files: ReadonlyArray<DiffFile>;
  readonly totals: RevisionDiff['totals'];
}

/** Shows a checkpoint and the diff from it to now. Writes blobs of changed files as unreferenced objects only. */
export async function showCheckpoint(repo: GitRepository, id: string): Promise<CheckpointShow> {
  const checkpoint = await getCheckpoint(repo, id);
  return repo.exclusive(async () => {
    const now = await captureState(repo);
    const diff = await diffTreeOids(repo, checkpoint.worktreeTree, now.worktreeTree);
    return {
      checkpoint,
      current: { branch: now.branch, headOid: now.headOid, indexTree: now.indexTree, worktreeTree: now.worktreeTree },
      files: diff.files,
      totals: diff.totals,
    };
  });
}

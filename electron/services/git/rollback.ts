/**
 * Rollback to a checkpoint: branch, HEAD, index and working tree restored byte for byte (modes
 * included), untracked files the checkpoint lacks removed, ignored files left alone.
 *
 * A checkpoint of the current state is taken first and returned, so the rollback itself can be undone
 * by rolling back to it. Only the paths that differ between now and the checkpoint are touched; the
 * index is rewritten to the checkpoint's index tree, keeping the stat data of every file that did not
 * change so the next dirty check stays cheap: patched from the old index's bytes where it can
 * (index-restore.ts), rebuilt from the whole tree otherwise. The state left behind is snapshotted with a
 * lean scan (captureState's `lean`) when Gatehouse already knows the index's tree.
 *
 * Crash-safe: an operation journal (journal.ts) is written before the first write and advanced phase by
 * phase; a process killed midway leaves it for recover.ts, which finishes the rollback on the next start.
 */
import { reverseChanges } from './apply';
import {
  assertCheckpointRestorable,
  captureState,
  commitCheckpoint,
  getCheckpoint,
  sameState,
  type Checkpoint,
  type CreatedCheckpoint,
  type RepositoryState,
} from './checkpoints';
import { diffTreeOids, validateChangedPath, type DiffFile, type RevisionDiff } from './diff';
import { GitConflictError } from './errors';
import { lockIndex, readIndexFile, type IndexLock } from './index-file';
import { restoreIndexBytes, type KnownFile } from './index-restore';
import { MODE_GITLINK } from './object-store';
import { crashPoint, startJournal, type JournalHandle, type JournalState } from './journal';
import { readHead, resolveRefOrNull, setHead, updateRef } from './refs';
import type { GitRepository } from './repository';
import { diffTrees, flattenTree } from './trees';
import { indexEntriesFor, indexPathGroups, knownFromScan, rememberIndexTree, representativeEntry, statLookup, writeWorktreeChanges, type SkippedFile, type WorktreeScan } from './worktree';

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
  /** Untracked files the undo checkpoint could not capture (too large, unreadable): the rollback would lose them. */
  readonly notCaptured: ReadonlyArray<SkippedFile>;
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
      notCaptured: now.scan.skipped,
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
  /** The checkpoint of the state before the rollback: roll back to it to undo (null when nothing changed). */
  readonly undo: CreatedCheckpoint | null;
  /** The repository already was the checkpoint: nothing was written and no undo checkpoint taken. */
  readonly nothingToRollBack: boolean;
  readonly branch: string | null;
  readonly headOid: string | null;
  /** Paths written or removed. */
  readonly changedPaths: number;
  /** Untracked files the undo checkpoint did not capture (too large, unreadable), which the rollback removed or left. */
  readonly notCaptured: ReadonlyArray<SkippedFile>;
}

/** The state a checkpoint records, as a journal names it. */
export function checkpointState(checkpoint: Checkpoint): JournalState {
  return {
    branch: checkpoint.branch,
    headOid: checkpoint.headOid,
    indexTree: checkpoint.indexTree,
    worktreeTree: checkpoint.worktreeTree,
    checkpointId: checkpoint.id,
  };
}

/**
 * Brings the working tree, index, branch and HEAD from the captured state `now` to `target`, under
 * the index lock. A failure before the branch moves puts back what was written. Used by rollback and by
 * crash recovery (which has no undo checkpoint to take: the journal already names one).
 */
export async function restoreState(
  repo: GitRepository,
  now: RepositoryState,
  target: JournalState,
  journal: JournalHandle | null,
  reflogMessage: string,
  heldLock?: IndexLock,
): Promise<{ changedPaths: number }> {
  if (target.headOid === null) throw new GitConflictError('the state to restore was taken on a branch without commits');
  const headOid = target.headOid;
  const onLocked = journal === null ? undefined : (path: string) => journal.lockTaken(path);
  // A rollback's recovery finishes from its undo state whatever phase it reached: the phases below only
  // inform the recovery's report and skip the fsyncs (journal.ts). Lock records stay durable.
  const informational = { durable: journal?.current.operation !== 'rollback' };
  const lock = heldLock ?? lockIndex(repo.gitdir, repo.memo, onLocked);
  try {
    journal?.advance('index-locked', {}, informational);
    crashPoint(`${journal?.current.operation ?? 'restore'}:index-locked`);
    const changes = await diffTrees(repo.objects, now.worktreeTree, target.worktreeTree);
    for (const change of changes) validateChangedPath(change.path, change.new?.mode ?? null);
    // The checkpoint recorded this working tree: its symlinks come back as they were (see WriteChangesOptions).
    const { written } = await writeWorktreeChanges(repo, changes, { resultTree: target.worktreeTree, symlinks: 'as-recorded' });
    journal?.advance('tree-written', {}, informational);
    crashPoint(`${journal?.current.operation ?? 'restore'}:tree-written`);
    try {
      const checksum = await writeRestoredIndex(repo, lock, now, target.indexTree, written);
      // This index is the target's index tree: the next snapshot, in this process or the next, need not rebuild it.
      rememberIndexTree(repo, checksum, target.indexTree);
    } catch (error) {
      await writeWorktreeChanges(repo, reverseChanges(changes), { resultTree: now.worktreeTree, symlinks: 'as-recorded' });
      throw error;
    }
    journal?.advance('index-written', {}, informational);
    crashPoint(`${journal?.current.operation ?? 'restore'}:index-written`);
    let moved: { ref: string; from: string | null } | null = null;
    try {
      if (target.branch !== null) {
        const branchNow = await resolveRefOrNull(repo, target.branch);
        if (branchNow !== headOid) {
          await updateRef(repo, target.branch, headOid, branchNow, reflogMessage, { onLocked });
          moved = { ref: target.branch, from: branchNow };
        }
        crashPoint(`${journal?.current.operation ?? 'restore'}:branch-moved`);
        await setHead(repo, { branch: target.branch }, { onLocked });
      } else {
        await setHead(repo, { oid: headOid }, { onLocked });
      }
    } catch (error) {
      // Put back what was changed: the branch, the index, the working tree, HEAD.
      if (moved !== null && moved.from !== null) await updateRef(repo, moved.ref, moved.from, headOid, `${reflogMessage} failed`);
      const back = lockIndex(repo.gitdir, repo.memo);
      // A lean scan kept the old index's bytes, not its entries: they go back as they were.
      if (now.scan.lean !== undefined) back.commitParts([now.scan.lean.indexBytes]);
      else back.commit(now.scan.index.entries);
      await writeWorktreeChanges(repo, reverseChanges(changes), { resultTree: now.worktreeTree, symlinks: 'as-recorded' });
      if (now.branch !== null) await setHead(repo, { branch: now.branch });
      else if (now.headOid !== null) await setHead(repo, { oid: now.headOid });
      throw error;
    }
    journal?.advance('ref-updated', {}, informational);
    crashPoint(`${journal?.current.operation ?? 'restore'}:ref-updated`);
    return { changedPaths: changes.length };
  } finally {
    lock.release();
  }
}

/**
 * What {@link restoreIndexBytes} needs to know of the disk, from the scan before the rollback and the
 * files it wrote: fresh stat data by path, and the tracked paths whose old entry no longer describes
 * the disk. Exported for the tests, which feed the same input to the restore and to the rebuild.
 */
export function restoreSources(scan: WorktreeScan, written: ReadonlyMap<string, KnownFile>): { known: Map<string, KnownFile>; unclean: Set<string> } {
  const known = new Map<string, KnownFile>();
  const unclean = new Set<string>();
  for (const t of scan.tracked) {
    if (t.clean && !t.refreshed) continue;
    unclean.add(t.path);
    if (t.present && t.current !== null && t.stat !== null && t.entry.mode !== MODE_GITLINK) known.set(t.path, { oid: t.current.oid, mode: t.current.mode, stat: t.stat });
  }
  for (const u of scan.untracked) if (u.current !== null) known.set(u.path, { oid: u.current.oid, mode: u.current.mode, stat: u.stat });
  for (const [path, value] of written) known.set(path, value);
  return { known, unclean };
}

/**
 * Writes the index of `targetIndexTree` under the held lock, keeping the stat data of every file that
 * did not change: patched from the old index's bytes where it can (index-restore.ts), else rebuilt from
 * the target's whole tree. Returns the new index's checksum.
 */
async function writeRestoredIndex(
  repo: GitRepository,
  lock: IndexLock,
  now: RepositoryState,
  targetIndexTree: string,
  written: ReadonlyMap<string, KnownFile>,
): Promise<string> {
  // A lean scan streamed these very bytes; otherwise the index file is read again (under the same lock).
  const file = now.scan.lean !== undefined ? { bytes: now.scan.lean.indexBytes } : readIndexFile(repo.gitdir);
  if (file !== null) {
    const { known, unclean } = restoreSources(now.scan, written);
    const changes = await diffTrees(repo.objects, now.indexTree, targetIndexTree);
    const restored = restoreIndexBytes({ oldIndex: file.bytes, oldChecksum: now.scan.index.checksum, changes, known, unclean });
    if (restored !== null) {
      lock.commitParts(restored.parts);
      return restored.checksum;
    }
  }
  const known = knownFromScan(now.scan);
  if (now.scan.lean !== undefined) addCleanEntries(known, now.scan.lean.indexBytes, new Set(now.scan.tracked.map((t) => t.path)));
  for (const [path, value] of written) known.set(path, value);
  const entries = indexEntriesFor(await flattenTree(repo.objects, targetIndexTree), statLookup(known));
  return lock.commit(entries).checksum;
}

/**
 * What a full scan would have known of the files a lean one left out (clean, stat data unchanged): each
 * path's entry as the index holds it, gitlinks excepted, as {@link knownFromScan} gives them.
 */
function addCleanEntries(known: Map<string, KnownFile>, indexBytes: Buffer, kept: ReadonlySet<string>): void {
  for (const { path, entries } of indexPathGroups(indexBytes)) {
    if (kept.has(path)) continue;
    const entry = representativeEntry(entries);
    if (entry.mode !== MODE_GITLINK) known.set(path, { oid: entry.oid, mode: entry.mode, stat: entry.stat });
  }
}

/** Restores a checkpoint (see the module comment). */
export async function rollback(repo: GitRepository, input: RollbackInput): Promise<RollbackResult> {
  const checkpoint = await getCheckpoint(repo, input.checkpointId);
  await assertCheckpointRestorable(repo, checkpoint);
  if (checkpoint.headOid === null) throw new GitConflictError(`checkpoint ${checkpoint.id} was taken on a branch without commits`);
  return repo.exclusive(async () => {
    const journal = startJournal(repo.gitdir, {
      operation: 'rollback',
      id: `rollback-${checkpoint.id}-${repo.clock.now().getTime()}`,
      target: checkpointState(checkpoint),
      undo: null,
      operator: input.operator,
      startedAt: repo.clock.now(),
    });
    crashPoint('rollback:journal-written');
    let lock: IndexLock | undefined;
    let now: RepositoryState;
    let undo: CreatedCheckpoint;
    try {
      // The index lock first: another git process at work refuses the rollback before any checkpoint.
      lock = lockIndex(repo.gitdir, repo.memo, (path) => journal.lockTaken(path));
      // Lean: the state left behind is snapshotted in one streamed pass over the index (checkpoints.ts).
      now = await captureState(repo, { lean: true });
      if (sameState(now, checkpoint)) {
        // Already there: an undo checkpoint of this very state would only add a ref (issue 12 §4).
        lock.release();
        journal.finish();
        return { checkpoint, undo: null, nothingToRollBack: true, branch: now.branch, headOid: now.headOid, changedPaths: 0, notCaptured: [] };
      }
      undo = await commitCheckpoint(
        repo,
        now,
        { operator: input.operator, reason: `before rollback to ${checkpoint.id}${input.reason === undefined ? '' : `: ${input.reason}`}` },
        { onLocked: (path) => journal.lockTaken(path) },
      );
    } catch (error) {
      lock?.release();
      journal.finish();
      throw error;
    }
    journal.advance('undo-recorded', { undo: checkpointState(undo) });
    crashPoint('rollback:undo-recorded');
    let changedPaths: number;
    try {
      ({ changedPaths } = await restoreState(repo, now, checkpointState(checkpoint), journal, `gatehouse rollback to ${checkpoint.id}`, lock));
    } catch (error) {
      // restoreState put back what it wrote (and released the lock): nothing left for a recovery to do.
      journal.finish();
      throw error;
    }
    journal.finish();
    const head = await readHead(repo);
    return { checkpoint, undo, nothingToRollBack: false, branch: head.branch, headOid: head.oid, changedPaths, notCaptured: now.scan.skipped };
  });
}

/**
 * Applying an approved revision to the target branch and the working tree.
 *
 * Every check runs before anything is written: the proposal head is still the approved one, its tree is
 * the approved tree, the merge base is the approved base, HEAD is on the target branch, the index and
 * working tree have no changes, and (when the target moved on) the merge has no conflict. Then only the
 * paths that differ between the current head and the result are written, the index follows, and the
 * branch moves last with a compare-and-swap. A failure at any write puts back what was already written.
 *
 * The approvals gate is not here: the caller passes the revision the gate approved. A checkpoint can be
 * taken here (`checkpoint` option) after the checks and before the first write; a caller that takes its
 * own checkpoint first may omit it.
 *
 * Crash-safe: an operation journal (journal.ts) naming the state before and the new head is written before
 * the first write; a process killed midway leaves it for recover.ts, which undoes the apply on the next
 * start (or only clears the journal when the branch had already moved: the apply was complete).
 */
import fs from 'node:fs';
import * as git from 'isomorphic-git';
import { commitCheckpoint, type CreatedCheckpoint } from './checkpoints';
import { validateChangedPath } from './diff';
import { GitConflictError, GitInvalidInputError, GitNotFoundError, GitRefusedError } from './errors';
import { createIndexBuilder, indexEntries, lockIndex, parseIndex, readIndexFile, serialiseIndex, ZERO_STAT, type IndexStat } from './index-file';
import { crashPoint, startJournal } from './journal';
import { MODE_GITLINK } from './object-store';
import { mergeBase, proposalRef } from './proposals';
import { isOid, readHead, resolveRefOrNull, updateRef } from './refs';
import type { GitIdentity, GitRepository } from './repository';
import { stagedPathsFromIndexBytes } from './status';
import { compareUtf8, editTree, forEachTreeChange, type TreeChange, type TreeEdit } from './trees';
import { scanTrackedFilesStreaming, scanUntrackedFiles, writeWorktreeStream, type ChangeSource, type SkippedFile } from './worktree';

/** The revision an approval names. */
export interface ApprovedRevision {
  /** Proposal name (`fix-login`) or full ref. */
  readonly proposal: string;
  readonly baseOid: string;
  readonly headOid: string;
  readonly treeOid: string;
}

/** Input of {@link applyRevision}. */
export interface ApplyInput {
  readonly revision: ApprovedRevision;
  /** Committer (and author) of a merge commit; default the handle's identity. */
  readonly committer?: GitIdentity;
  /** Merge commit message; default `Apply <proposal> (<head>)`. */
  readonly message?: string;
  /** Take a checkpoint after the checks pass and before the first write. */
  readonly checkpoint?: { readonly operator: string; readonly reason?: string };
}

/** The result of {@link applyRevision}. */
export interface ApplyResult {
  /** The target branch's new head. */
  readonly headOid: string;
  readonly previousHeadOid: string;
  readonly mode: 'fast-forward' | 'merge';
  /** Paths written or removed in the working tree. */
  readonly changedPaths: number;
  /** The checkpoint taken before writing, when asked for. */
  readonly checkpoint: CreatedCheckpoint | null;
}

function isNamedError(error: unknown, ...codes: string[]): error is Error & { data?: unknown } {
  return error instanceof Error && codes.includes((error as { code?: string }).code ?? '');
}

/**
 * Merges `headOid` into the target with isomorphic-git, writing the merge commit but no branch, index
 * or working-tree file; any conflict aborts the merge and nothing but unreferenced objects remain.
 */
async function mergeCommit(repo: GitRepository, targetRef: string, headOid: string, committer: GitIdentity, message: string): Promise<string> {
  const signature = { name: committer.name, email: committer.email, timestamp: Math.floor(repo.clock.now().getTime() / 1000), timezoneOffset: 0 };
  try {
    const result = await git.merge({
      fs,
      dir: repo.dir,
      gitdir: repo.gitdir,
      ours: targetRef,
      theirs: headOid,
      fastForward: false,
      noUpdateBranch: true,
      abortOnConflict: true,
      author: signature,
      committer: signature,
      message,
      cache: repo.cache,
    });
    if (result.oid === undefined) throw new GitConflictError('the merge produced no commit');
    return result.oid;
  } catch (error) {
    if (isNamedError(error, 'MergeConflictError')) {
      throw new GitConflictError(`merging ${headOid} into ${targetRef} conflicts`, { paths: (error.data as { filepaths?: unknown } | undefined)?.filepaths ?? [] });
    }
    if (isNamedError(error, 'MergeNotSupportedError')) {
      throw new GitConflictError(`merging ${headOid} into ${targetRef} needs a merge git cannot do automatically here`);
    }
    throw error;
  }
}

/** Reverses tree changes (to put the working tree back). */
export function reverseChanges(changes: ReadonlyArray<TreeChange>): TreeChange[] {
  return changes.map((c) => ({ path: c.path, old: c.new, new: c.old }));
}

/** An index with no entries (what a missing index file means). */
const EMPTY_INDEX = serialiseIndex([]);

/**
 * The apply's checks on the index and working tree, streamed (see {@link applyRevision}): refuses
 * staged, unstaged and conflicted paths as before, and returns the state before (the target's tree as
 * the index, plus the untracked files captured as blobs), the fresh stat data of files whose stat
 * changed but content did not, and the index file's bytes. Nothing parsed outlives the call.
 */
async function checkCleanAndCapture(
  repo: GitRepository,
  targetTree: string,
  branch: string | null,
  headOid: string,
): Promise<{
  readonly before: { branch: string | null; headOid: string; indexTree: string; worktreeTree: string; scan: { skipped: ReadonlyArray<SkippedFile> } };
  readonly refreshed: Map<string, IndexStat>;
  readonly indexBytes: Buffer | null;
}> {
  const file = readIndexFile(repo.gitdir);
  const bytes = file === null ? EMPTY_INDEX : file.bytes;
  const unstaged: string[] = [];
  const conflicted: string[] = [];
  const refreshed = new Map<string, IndexStat>();
  // Streamed over the index bytes: a path's parsed entries are dropped after its check.
  const tracked = scanTrackedFilesStreaming(repo, bytes, file === null ? null : file.mtimeNs, 'hash', (found, isConflicted) => {
    if (isConflicted) conflicted.push(found.path);
    if (!found.clean) unstaged.push(found.path);
    else if (found.refreshed && found.stat !== null) refreshed.set(found.path, found.stat);
  });
  const staged = await stagedPathsFromIndexBytes(repo, bytes, targetTree);
  if (staged.length > 0 || unstaged.length > 0 || conflicted.length > 0) {
    throw new GitConflictError('the working tree or index has changes; commit, stash or roll them back first', { staged, unstaged, conflicted });
  }
  // Clean: the index is the target's tree, and the working tree is that plus the untracked files.
  const before = await repo.objects.batch(async () => {
    const { untracked, skipped } = scanUntrackedFiles(repo, tracked, { content: 'write', memo: false });
    const edits: TreeEdit[] = [];
    for (const u of untracked) if (u.current !== null) edits.push({ path: u.path, entry: u.current });
    const worktreeTree = edits.length === 0 ? targetTree : await editTree(repo.objects, targetTree, edits);
    return { branch, headOid, indexTree: targetTree, worktreeTree, scan: { skipped } };
  });
  return { before, refreshed, indexBytes: file === null ? null : file.bytes };
}

/** Applies an approved revision (see the module comment). */
export async function applyRevision(repo: GitRepository, input: ApplyInput): Promise<ApplyResult> {
  const { revision } = input;
  for (const [name, value] of [
    ['baseOid', revision.baseOid],
    ['headOid', revision.headOid],
    ['treeOid', revision.treeOid],
  ] as const) {
    if (typeof value !== 'string' || !isOid(value)) throw new GitInvalidInputError(`${name} is not an object id`);
  }
  const ref = proposalRef(repo, revision.proposal);
  return repo.exclusive(async () => {
    const current = await resolveRefOrNull(repo, ref);
    if (current === null) throw new GitNotFoundError(`no proposal ${ref}`, { ref });
    if (current !== revision.headOid) {
      throw new GitConflictError(`proposal ${ref} moved since approval (approved ${revision.headOid}, now ${current})`, {
        approved: revision.headOid,
        current,
      });
    }
    const head = await repo.objects.readCommit(revision.headOid);
    if (head.tree !== revision.treeOid) {
      throw new GitRefusedError(`the head's tree ${head.tree} is not the approved tree ${revision.treeOid}`, { tree: head.tree });
    }
    const targetRef = `refs/heads/${repo.targetBranch}`;
    const checkedOut = await readHead(repo);
    if (checkedOut.branch !== targetRef) {
      throw new GitConflictError(`the working tree is on ${checkedOut.branch ?? 'a detached HEAD'}, not ${targetRef}`);
    }
    const targetOid = checkedOut.oid;
    if (targetOid === null) throw new GitNotFoundError(`target branch ${repo.targetBranch} has no commits`);
    const base = await mergeBase(repo, targetOid, revision.headOid);
    if (base === revision.headOid) throw new GitConflictError(`${revision.headOid} is already part of ${repo.targetBranch}`);
    if (base !== revision.baseOid) {
      throw new GitConflictError(`the merge base is ${base ?? 'none'}, not the approved base ${revision.baseOid}`, { base });
    }
    let indexLockPath: string | null = null;
    const lock = lockIndex(repo.gitdir, repo.memo, (path) => (indexLockPath = path));
    try {
      // The checks and the state before stream over the index and the trees; the parsed index is
      // dropped before the first write (only its bytes stay, walked again entry by entry below).
      const targetTree = (await repo.objects.readCommit(targetOid)).tree;
      const { before, refreshed, indexBytes } = await checkCleanAndCapture(repo, targetTree, checkedOut.branch, targetOid);
      const fastForward = targetOid === revision.baseOid;
      const newHead = fastForward
        ? revision.headOid
        : await mergeCommit(repo, targetRef, revision.headOid, input.committer ?? repo.identity, input.message ?? `Apply ${ref} (${revision.headOid.slice(0, 12)})\n`);
      const newTree = (await repo.objects.readCommit(newHead)).tree;
      // Walked again for each pass (validation, the write passes, the index): the trees are small next
      // to the files they name, and holding every changed path is what made a large apply heavy.
      const changes: ChangeSource = (visit) => forEachTreeChange(repo.objects, targetTree, newTree, visit);
      const reversed: ChangeSource = (visit) => forEachTreeChange(repo.objects, newTree, targetTree, visit);
      let changedPaths = 0;
      const checkedDirs = new Set<string>();
      await changes((change) => {
        validateChangedPath(change.path, change.new?.mode ?? null, checkedDirs);
        changedPaths += 1;
      });
      const journal = startJournal(repo.gitdir, {
        operation: 'apply',
        id: `apply-${revision.headOid}-${repo.clock.now().getTime()}`,
        target: { branch: targetRef, headOid: newHead, indexTree: newTree, worktreeTree: newTree, checkpointId: null },
        undo: null,
        previousHead: targetOid,
        operator: input.checkpoint?.operator ?? input.committer?.name ?? repo.identity.name,
        startedAt: repo.clock.now(),
      });
      if (indexLockPath !== null) journal.lockTaken(indexLockPath);
      crashPoint('apply:journal-written');
      let checkpoint: CreatedCheckpoint | null = null;
      try {
        checkpoint =
          input.checkpoint === undefined
            ? null
            : await commitCheckpoint(
                repo,
                before,
                { operator: input.checkpoint.operator, reason: input.checkpoint.reason ?? `before applying ${ref} ${revision.headOid}` },
                { onLocked: (path) => journal.lockTaken(path) },
              );
      } catch (error) {
        journal.finish();
        throw error;
      }
      // The state before, from the checkpoint or the captured trees (unreferenced objects, kept by git for weeks).
      journal.advance('undo-recorded', {
        undo: { branch: before.branch, headOid: before.headOid, indexTree: before.indexTree, worktreeTree: before.worktreeTree, checkpointId: checkpoint?.id ?? null },
      });
      crashPoint('apply:undo-recorded');
      // The new index is built as the files land, in index order: the old (clean) index entries the
      // change leaves alone, merged with the written ones and their fresh stat data. Equal to the
      // entries of the new tree, since the old index was the target's tree.
      const builder = createIndexBuilder();
      const oldEntries = indexEntries(indexBytes ?? EMPTY_INDEX);
      let old = oldEntries.next();
      const keepOldBefore = (path: string | null): void => {
        while (old.done !== true && (path === null || compareUtf8(old.value.path, path) < 0)) {
          const e = old.value;
          old = oldEntries.next();
          const stat = e.mode === MODE_GITLINK ? ZERO_STAT : (refreshed.get(e.path) ?? e.stat);
          builder.add({ path: e.path, oid: e.oid, mode: e.mode, stage: 0, stat, assumeValid: false, skipWorktree: false, intentToAdd: false });
        }
      };
      let treeWritten = false;
      try {
        await writeWorktreeStream(repo, changes, { resultTree: newTree }, (change, stat) => {
          keepOldBefore(change.path);
          if (old.done !== true && old.value.path === change.path) old = oldEntries.next();
          if (change.new === null) return;
          builder.add({ path: change.path, oid: change.new.oid, mode: change.new.mode, stage: 0, stat: stat ?? ZERO_STAT, assumeValid: false, skipWorktree: false, intentToAdd: false });
        });
        treeWritten = true;
        keepOldBefore(null);
      } catch (error) {
        // A failed write was put back by writeWorktreeStream; a failure after every write puts all back.
        if (treeWritten) await writeWorktreeStream(repo, reversed, { resultTree: targetTree, symlinks: 'as-recorded' }, () => undefined);
        journal.finish();
        throw error;
      }
      journal.advance('tree-written');
      crashPoint('apply:tree-written');
      try {
        const committed = lock.commitBuilt(builder);
        repo.memo.indexTrees.set(committed.checksum, newTree);
      } catch (error) {
        await writeWorktreeStream(repo, reversed, { resultTree: targetTree, symlinks: 'as-recorded' }, () => undefined);
        journal.finish();
        throw error;
      }
      journal.advance('index-written');
      crashPoint('apply:index-written');
      try {
        await updateRef(repo, targetRef, newHead, targetOid, `gatehouse apply ${ref}: ${fastForward ? 'fast-forward' : 'merge'}`, {
          onLocked: (path) => journal.lockTaken(path),
        });
      } catch (error) {
        const back = lockIndex(repo.gitdir, repo.memo);
        back.commit(indexBytes === null ? [] : parseIndex(indexBytes).entries);
        await writeWorktreeStream(repo, reversed, { resultTree: targetTree, symlinks: 'as-recorded' }, () => undefined);
        journal.finish();
        throw error;
      }
      journal.advance('ref-updated');
      crashPoint('apply:ref-updated');
      journal.finish();
      return { headOid: newHead, previousHeadOid: targetOid, mode: fastForward ? 'fast-forward' : 'merge', changedPaths, checkpoint };
    } finally {
      lock.release();
    }
  });
}

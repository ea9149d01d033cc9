/**
 * The dirty check: is the working tree what the index and HEAD say?
 *
 * Stat-based, as `git status` is: one lstat per tracked file, content hashed only for files whose stat
 * data changed, the index compared with HEAD by tree oid (hashing the index's trees in memory), and a
 * walk for untracked files that skips ignored directories. Entries found unchanged after hashing get
 * fresh stat data in the index (when the index lock is free), so the next check is cheaper.
 */
import { GitConflictError } from './errors';
import { lockIndex, readIndex, type IndexEntry, type IndexLock } from './index-file';
import { readHead } from './refs';
import type { GitRepository } from './repository';
import { buildTree, compareUtf8, comparePaths, flattenTree, forEachTreeEntry } from './trees';
import { indexFlatEntries, indexPathGroups, rememberedIndexTree, rememberIndexTree, representativeEntry, scanWorktree, type IndexShape, type WorktreeScan } from './worktree';

/** The result of {@link checkDirty}. */
export interface DirtyState {
  /** Nothing staged, nothing changed, no conflicts, and (when checked) no untracked files. */
  readonly clean: boolean;
  /** Full ref HEAD points to, or null when detached. */
  readonly branch: string | null;
  readonly headOid: string | null;
  /** Paths whose index entry differs from HEAD. */
  readonly staged: ReadonlyArray<string>;
  /** Tracked paths whose file differs from the index (modified, deleted, mode or type changed). */
  readonly unstaged: ReadonlyArray<string>;
  /** Untracked, not ignored files (empty when `untracked: false`). */
  readonly untracked: ReadonlyArray<string>;
  /** Unmerged paths. */
  readonly conflicted: ReadonlyArray<string>;
}

/** Options for {@link checkDirty}. */
export interface CheckDirtyOptions {
  /** Also look for untracked files; default true. */
  readonly untracked?: boolean;
  /** Write fresh stat data for files found unchanged after hashing; default true. */
  readonly refresh?: boolean;
}

/** Staged paths: index entries that differ from HEAD's tree. */
export async function stagedPaths(repo: GitRepository, scan: WorktreeScan, headTree: string | null): Promise<string[]> {
  const indexEntries = indexFlatEntries(scan.index);
  // Remembered per index checksum (written, like git's cache-tree), so an unchanged index costs nothing.
  const checksum = scan.index.checksum;
  let indexTree = rememberedIndexTree(repo, checksum);
  if (indexTree === undefined) {
    indexTree = buildTree(repo.objects, indexEntries);
    rememberIndexTree(repo, checksum, indexTree);
  }
  if (indexTree === headTree) return [];
  const head = new Map((await flattenTree(repo.objects, headTree)).map((e) => [e.path, e]));
  const staged: string[] = [];
  for (const e of indexEntries) {
    const h = head.get(e.path);
    if (h === undefined || h.oid !== e.oid || h.mode !== e.mode) staged.push(e.path);
    head.delete(e.path);
  }
  staged.push(...head.keys());
  return staged.sort(comparePaths);
}

/**
 * The same paths as {@link stagedPaths}, found by walking HEAD's tree in step with the index (both in
 * index order) instead of building the index's tree and flattening HEAD's: nothing per file is held,
 * which is what a 50,000-file apply needs. An index out of order shows up as staged paths, never as
 * a false "nothing staged" (every entry must meet an equal one).
 */
export async function stagedPathsStreaming(repo: GitRepository, shape: IndexShape, headTree: string | null): Promise<string[]> {
  const groups = shape.byPath.values();
  return stagedPathsFromGroups(repo, { next: () => { const n = groups.next(); return n.done === true ? { done: true, value: undefined } : { done: false, value: { entries: n.value } }; } }, headTree);
}

/**
 * {@link stagedPathsStreaming} over an index file's bytes: the index is walked one path at a time in
 * step with HEAD's tree, so not even the parsed entries are held (a 50,000-file apply's clean check).
 */
export async function stagedPathsFromIndexBytes(repo: GitRepository, bytes: Buffer, headTree: string | null): Promise<string[]> {
  return stagedPathsFromGroups(repo, indexPathGroups(bytes), headTree);
}

async function stagedPathsFromGroups(repo: GitRepository, groups: Iterator<{ readonly entries: ReadonlyArray<IndexEntry> }>, headTree: string | null): Promise<string[]> {
  const staged: string[] = [];
  const nextEntry = (): { path: string; mode: number; oid: string } | null => {
    for (;;) {
      const next = groups.next();
      if (next.done === true) return null;
      const entry = representativeEntry(next.value.entries);
      // An intent-to-add entry has no content yet: it is not part of the index's tree (git write-tree).
      if (!entry.intentToAdd) return entry;
    }
  };
  let current = nextEntry();
  await forEachTreeEntry(repo.objects, headTree, (h) => {
    while (current !== null && compareUtf8(current.path, h.path) < 0) {
      staged.push(current.path);
      current = nextEntry();
    }
    if (current !== null && current.path === h.path) {
      if (current.oid !== h.oid || current.mode !== h.mode) staged.push(h.path);
      current = nextEntry();
    } else staged.push(h.path);
  });
  for (; current !== null; current = nextEntry()) staged.push(current.path);
  return [...new Set(staged)].sort(comparePaths);
}

/** Checks whether the working tree and index are clean (see the module comment). */
export async function checkDirty(repo: GitRepository, options: CheckDirtyOptions = {}): Promise<DirtyState> {
  let lock: IndexLock | null = null;
  if (options.refresh ?? true) {
    try {
      lock = lockIndex(repo.gitdir, repo.memo);
    } catch (error) {
      // Someone else holds the index: check without refreshing.
      if (!(error instanceof GitConflictError)) throw error;
    }
  }
  try {
    const index = readIndex(repo.gitdir, repo.memo);
    const scan = scanWorktree(repo, index, { untracked: options.untracked ?? true, content: 'hash' });
    const head = await readHead(repo);
    const headTree = head.oid === null ? null : (await repo.objects.readCommit(head.oid)).tree;
    const staged = await stagedPaths(repo, scan, headTree);
    const unstaged = scan.tracked.filter((t) => !t.clean).map((t) => t.path);
    const untracked = scan.untracked.map((u) => u.path);
    if (lock !== null) {
      const refreshed = new Map(scan.tracked.filter((t) => t.refreshed && t.stat !== null).map((t) => [t.path, t.stat]));
      if (refreshed.size > 0) {
        const entries: IndexEntry[] = index.entries.map((e) => {
          const stat = e.stage === 0 ? refreshed.get(e.path) : undefined;
          return stat === undefined || stat === null ? e : { ...e, stat };
        });
        lock.commit(entries);
        lock = null;
      }
    }
    return {
      clean: staged.length === 0 && unstaged.length === 0 && untracked.length === 0 && scan.conflicted.length === 0,
      branch: head.branch,
      headOid: head.oid,
      staged,
      unstaged,
      untracked,
      conflicted: scan.conflicted,
    };
  } finally {
    lock?.release();
  }
}

/**
 * The working tree: a stat-based scan (what changed since the index last saw each file), a snapshot of
 * everything that is not ignored into tree objects, and writing the paths that differ between two
 * trees back to disk with every safety check done before the first byte is written.
 */
import { crashPoint } from './journal';
import {
  closeSync,
  constants as fsConstants,
  renameSync,
  writeFileSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { GitConflictError, GitRefusedError, UnsafePathError } from './errors';
import { createIgnoreMatcher } from './ignore';
import { indexEntries, indexMtimeMs, indexPaths, isRacy, statMatchesFast, statToIndex, ZERO_STAT, type GitIndex, type IndexEntry, type IndexStat } from './index-file';
import { hashObject, MODE_EXECUTABLE, MODE_FILE, MODE_GITLINK, MODE_SYMLINK } from './object-store';
import { checkParentsOnDisk, componentProblem, resolveSymlinkInTree, validateRepoPath } from './path-safety';
import type { GitRepository } from './repository';
import { buildTree, compareUtf8, editTree, lookupPath, type EntryRef, type FlatEntry, type TreeChange, type TreeEdit, type TreeVisitor } from './trees';

/** lstat that answers undefined when the path or one of its parents is missing (ENOENT, ENOTDIR). */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    // A missing path answers undefined without building an exception (a rollback's deleted files).
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function lstatExactOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** What the scan found at a tracked path. */
export interface TrackedFile {
  readonly path: string;
  /** The index entry (for an unmerged path: stage 2, else 3, else 1). */
  readonly entry: IndexEntry;
  /** Present on disk as a file or symlink. */
  readonly present: boolean;
  /** Content and mode match the index entry. */
  readonly clean: boolean;
  /** Current content oid and mode when present (the entry's when the stat data matched). */
  readonly current: EntryRef | null;
  /** Current stat data when present. */
  readonly stat: IndexStat | null;
  /** The stat data changed but the content did not: the index entry can take the new stat. */
  readonly refreshed: boolean;
}

/** An untracked, not ignored file. */
export interface UntrackedFile {
  readonly path: string;
  readonly current: EntryRef | null;
  readonly stat: IndexStat;
}

/** A file the scan left alone, with why. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/** The result of {@link scanWorktree}. */
export interface WorktreeScan {
  /** The index scanned against; a lean scan's holds no entries ({@link scanWorktreeLean}). */
  readonly index: GitIndex;
  /**
   * A lean scan ({@link scanWorktreeLean}): `tracked` holds only the files whose index entry does not
   * describe them as they are (changed, missing, stat data refreshed), `index.entries` is empty, and
   * `indexBytes` are the index file's bytes it streamed.
   */
  readonly lean?: { readonly indexBytes: Buffer };
  readonly tracked: ReadonlyArray<TrackedFile>;
  readonly untracked: ReadonlyArray<UntrackedFile>;
  /** Paths with unmerged (stage 1-3) index entries. */
  readonly conflicted: ReadonlyArray<string>;
  /** Untracked files not captured (unsafe names, larger than the bound). */
  readonly skipped: ReadonlyArray<SkippedFile>;
}

/** Options for {@link scanWorktree}. */
export interface ScanOptions {
  /** List untracked files (walks every directory). */
  readonly untracked: boolean;
  /**
   * `write`: store the content of changed tracked files and of untracked files as blobs (a snapshot);
   * `hash`: only hash changed tracked files, and do not read untracked files (a dirty check).
   */
  readonly content: 'write' | 'hash';
  /** Untracked files larger than this are skipped (not captured, not touched); default 64 MiB. */
  readonly maxUntrackedBytes?: number;
}

/** Git's mode for what lstat found, or null for something git does not track (socket, fifo...). */
export function diskMode(stat: { isSymbolicLink(): boolean; isFile(): boolean; mode: number | bigint }, fileMode: boolean, indexMode?: number): number | null {
  if (stat.isSymbolicLink()) return MODE_SYMLINK;
  if (!stat.isFile()) return null;
  if (!fileMode) return indexMode === MODE_EXECUTABLE ? MODE_EXECUTABLE : MODE_FILE;
  return Number(stat.mode) & 0o100 ? MODE_EXECUTABLE : MODE_FILE;
}

/** Reads what git stores for a path: a file's bytes, or a symlink's target. */
export function readDiskContent(absolute: string, mode: number): Buffer {
  return mode === MODE_SYMLINK ? (readlinkSync(absolute, { encoding: 'buffer' }) as Buffer) : readFileSync(absolute);
}

/** The entry that stands for a path in the index's tree: stage 0, else "ours" (2), else "theirs" (3). */
export function representativeEntry(entries: ReadonlyArray<IndexEntry>): IndexEntry {
  return representative(entries);
}

function representative(entries: ReadonlyArray<IndexEntry>): IndexEntry {
  return entries.find((e) => e.stage === 0) ?? entries.find((e) => e.stage === 2) ?? entries.find((e) => e.stage === 3) ?? (entries[0] as IndexEntry);
}

/**
 * Scans the working tree against an index: one lstat per tracked file, content read only when the stat
 * data changed (or the entry is racily clean), and optionally a walk for untracked files.
 */
/** What a scan derives from an index alone; remembered per parsed index. */
export interface IndexShape {
  readonly byPath: ReadonlyMap<string, IndexEntry[]>;
  /** Every directory that holds tracked files. */
  readonly dirs: ReadonlySet<string>;
}

function indexShape(repo: GitRepository, index: GitIndex, remember = true): IndexShape {
  // Keyed by the index checksum: an index rewritten with the same entries keeps its shape.
  const key = index.checksum === '' || !remember ? null : index.checksum;
  const memo = key === null ? undefined : repo.memo.shapes.get(key);
  if (memo !== undefined) return memo;
  const byPath = new Map<string, IndexEntry[]>();
  for (const entry of index.entries) {
    const list = byPath.get(entry.path);
    if (list === undefined) byPath.set(entry.path, [entry]);
    else list.push(entry);
  }
  const dirs = new Set<string>();
  for (const path of byPath.keys()) {
    let slash = path.indexOf('/');
    while (slash >= 0) {
      dirs.add(path.slice(0, slash));
      slash = path.indexOf('/', slash + 1);
    }
  }
  const shape = { byPath, dirs };
  if (key !== null) {
    if (repo.memo.shapes.size >= 4) repo.memo.shapes.clear();
    repo.memo.shapes.set(key, shape);
  }
  return shape;
}

/** One directory's entries, as readdir gave them. */
export interface DirectoryListing {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly entries: ReadonlyArray<{ readonly name: string; readonly kind: 'dir' | 'file' | 'link' | 'other' }>;
}

/**
 * Lists a directory, reusing the previous listing while the directory's mtime, ctime and inode are
 * unchanged (git's untracked cache idea). A listing is only kept when the directory was last changed
 * more than two seconds before it was read, so a change in the same clock tick is never missed.
 */
function listDirectory(repo: GitRepository, absolute: string, rel: string, stat: Stats, remember = true): DirectoryListing['entries'] {
  const cached = repo.memo.listings.get(rel);
  if (cached !== undefined && cached.mtimeMs === stat.mtimeMs && cached.ctimeMs === stat.ctimeMs && cached.ino === stat.ino) return cached.entries;
  const entries = readdirSync(absolute, { withFileTypes: true }).map((d) => ({
    name: d.name,
    kind: d.isDirectory() ? ('dir' as const) : d.isFile() ? ('file' as const) : d.isSymbolicLink() ? ('link' as const) : ('other' as const),
  }));
  if (!remember) return entries;
  if (Date.now() - Math.max(stat.mtimeMs, stat.ctimeMs) > 2000) {
    repo.memo.listings.set(rel, { mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, entries });
  } else repo.memo.listings.delete(rel);
  return entries;
}

/** The paths and directories an index tracks, as the untracked walk asks about them. */
export interface TrackedPaths {
  readonly byPath: { has(path: string): boolean };
  /** Every directory that holds tracked files. */
  readonly dirs: ReadonlySet<string>;
}

/** Lstat of every tracked directory: the ones still directories, and the ones replaced (by a file, a symlink, nothing). */
function statTrackedDirs(dir: string, trackedDirs: Iterable<string>): { readonly brokenDirs: Set<string>; readonly dirStats: Map<string, Stats>; readonly underBroken: (path: string) => boolean } {
  const brokenDirs = new Set<string>();
  const dirStats = new Map<string, Stats>();
  for (const prefix of trackedDirs) {
    const stat = lstatOrUndefined(`${dir}/${prefix}`);
    if (stat === undefined || !stat.isDirectory()) brokenDirs.add(prefix);
    else dirStats.set(prefix, stat);
  }
  const underBroken = (path: string): boolean => {
    if (brokenDirs.size === 0) return false;
    let slash = path.indexOf('/');
    while (slash >= 0) {
      if (brokenDirs.has(path.slice(0, slash))) return true;
      slash = path.indexOf('/', slash + 1);
    }
    return false;
  };
  return { brokenDirs, dirStats, underBroken };
}

/** The check of one tracked path (all its index entries) against the disk; see {@link scanTrackedFiles}. */
function checkTrackedPath(
  repo: GitRepository,
  path: string,
  entries: ReadonlyArray<IndexEntry>,
  content: ScanOptions['content'],
  indexMs: number | null,
  underBroken: (path: string) => boolean,
  visitFile: (file: TrackedFile, conflicted: boolean) => void,
): void {
  const entry = representative(entries);
  const conflicted = entries.length > 1 || entry.stage !== 0;
  const visit = (file: TrackedFile): void => visitFile(file, conflicted);
  if (entry.mode === MODE_GITLINK || entry.skipWorktree || entry.assumeValid) {
    // Submodules are pointers: never entered, never compared with their checkout. Entries marked
    // skip-worktree or assume-valid are taken as the index says, as git does.
    visit({ path, entry, present: true, clean: true, current: { mode: entry.mode, oid: entry.oid }, stat: entry.stat, refreshed: false });
    return;
  }
  const absolute = `${repo.dir}/${path}`;
  const st = underBroken(path) ? undefined : lstatOrUndefined(absolute);
  const mode = st === undefined ? null : diskMode(st, repo.fileMode, entry.mode);
  if (st === undefined || mode === null) {
    visit({ path, entry, present: false, clean: false, current: null, stat: null, refreshed: false });
    return;
  }
  const normal = !entry.intentToAdd && entry.stage === 0;
  if (mode === entry.mode && normal && statMatchesFast(entry.stat, st) && !isRacy(entry.stat, indexMs)) {
    visit({ path, entry, present: true, clean: true, current: { mode, oid: entry.oid }, stat: entry.stat, refreshed: false });
    return;
  }
  // Stat data changed: exact stat (with nanoseconds) for the index, then the content decides.
  const exact = lstatExactOrUndefined(absolute);
  if (exact === undefined) {
    visit({ path, entry, present: false, clean: false, current: null, stat: null, refreshed: false });
    return;
  }
  const stat = statToIndex(exact);
  const bytes = readDiskContent(absolute, mode);
  const oid = content === 'write' ? repo.objects.write('blob', bytes) : hashObject('blob', bytes);
  const clean = oid === entry.oid && mode === entry.mode && normal;
  visit({ path, entry, present: true, clean, current: { mode, oid }, stat, refreshed: clean });
}

/**
 * The index's entries grouped by path, one group at a time, straight from the index bytes: nothing per
 * entry outlives its group. Refuses an index whose paths are out of order (git refuses such an index
 * too), since a path's entries must be adjacent for the grouping to see all of them.
 */
export function* indexPathGroups(bytes: Buffer): Generator<{ readonly path: string; readonly entries: IndexEntry[] }> {
  let group: IndexEntry[] = [];
  let path: string | null = null;
  for (const entry of indexEntries(bytes)) {
    if (path !== null && entry.path === path) {
      group.push(entry);
      continue;
    }
    if (path !== null) {
      if (compareUtf8(path, entry.path) > 0) throw new GitRefusedError(`the index is out of order at ${entry.path}`);
      yield { path, entries: group };
    }
    path = entry.path;
    group = [entry];
  }
  if (path !== null) yield { path, entries: group };
}

/**
 * {@link scanTrackedFiles} over an index file's bytes instead of a parsed index: entries are parsed one
 * path at a time and dropped after their check, so a 50,000-entry index never exists as 50,000 objects
 * (what grew a large apply's memory). Only the tracked paths and directories are kept, as strings, for
 * {@link scanUntrackedFiles}. The same checks as {@link scanTrackedFiles}, path for path.
 */
export function scanTrackedFilesStreaming(
  repo: GitRepository,
  bytes: Buffer,
  mtimeNs: bigint | null,
  content: ScanOptions['content'],
  visitFile: (file: TrackedFile, conflicted: boolean) => void,
): { readonly shape: TrackedPaths; readonly dirStats: ReadonlyMap<string, Stats> } {
  const paths = new Set<string>();
  const dirs = new Set<string>();
  // Paths only, straight from the bytes: the pass below parses and checks every entry.
  for (const path of indexPaths(bytes)) {
    if (paths.has(path)) continue; // a conflicted path's other stages
    paths.add(path);
    let slash = path.lastIndexOf('/');
    // Parents are added deepest first; once one is known, its own parents are too.
    while (slash >= 0) {
      const parent = path.slice(0, slash);
      if (dirs.has(parent)) break;
      dirs.add(parent);
      slash = path.lastIndexOf('/', slash - 1);
    }
  }
  const { dirStats, underBroken } = statTrackedDirs(repo.dir, dirs);
  const indexMs = mtimeNs === null ? null : Number(mtimeNs) / 1_000_000;
  for (const { path, entries } of indexPathGroups(bytes)) checkTrackedPath(repo, path, entries, content, indexMs, underBroken, visitFile);
  return { shape: { byPath: paths, dirs }, dirStats };
}

/** What the tracked part of a scan found out about the directories that hold tracked files. */
export interface TrackedDirs {
  readonly shape: TrackedPaths;
  /** lstat of each tracked directory that is still a directory. */
  readonly dirStats: ReadonlyMap<string, Stats>;
}

/**
 * Checks every tracked path against the index (one lstat each; content read only when the stat data
 * changed or the entry is racily clean) and hands each result to `visit` instead of collecting them,
 * so a caller that needs only a verdict holds nothing per file.
 */
export function scanTrackedFiles(
  repo: GitRepository,
  index: GitIndex,
  content: ScanOptions['content'],
  visitFile: (file: TrackedFile, conflicted: boolean) => void,
  options: { readonly memo?: boolean } = {},
): TrackedDirs & { readonly shape: IndexShape } {
  const { dir } = repo;
  // memo: false leaves nothing of this index on the handle (an apply drops it before writing).
  const shape = indexShape(repo, index, options.memo ?? true);
  const { byPath, dirs: trackedDirs } = shape;
  // One lstat per directory that holds tracked files tells whether a symlink or a file replaced it
  // (then everything below it is deleted, as git sees it: "beyond a symbolic link").
  const { dirStats, underBroken } = statTrackedDirs(dir, trackedDirs);
  const indexMs = indexMtimeMs(index);
  for (const [path, entries] of byPath) checkTrackedPath(repo, path, entries, content, indexMs, underBroken, visitFile);
  return { shape, dirStats };
}

/** Walks the working tree for untracked, not ignored files (see {@link scanWorktree}). */
export function scanUntrackedFiles(
  repo: GitRepository,
  tracked: TrackedDirs,
  options: Pick<ScanOptions, 'content' | 'maxUntrackedBytes'> & { readonly memo?: boolean },
): { readonly untracked: UntrackedFile[]; readonly skipped: SkippedFile[] } {
  const { dir } = repo;
  const maxUntracked = options.maxUntrackedBytes ?? 64 * 1024 * 1024;
  const { byPath, dirs: trackedDirs } = tracked.shape;
  const { dirStats } = tracked;
  const contentOid = (absolute: string, mode: number): string => {
    const bytes = readDiskContent(absolute, mode);
    return options.content === 'write' ? repo.objects.write('blob', bytes) : hashObject('blob', bytes);
  };
  const untracked: UntrackedFile[] = [];
  const skipped: SkippedFile[] = [];
  const matcher = createIgnoreMatcher({ dir, gitdir: repo.gitdir, excludesFile: repo.excludesFile });
  const walk = (relDir: string, parentIgnored: boolean, stat: Stats): void => {
    const absoluteDir = relDir === '' ? dir : `${dir}/${relDir}`;
    const listing = listDirectory(repo, absoluteDir, relDir, stat, options.memo ?? true);
    if (listing.some((e) => e.name === '.gitignore')) matcher.enterDirectory(relDir);
    for (const dirent of listing) {
      const name = dirent.name;
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      if (name === '.git') continue; // ours at the root; a nested repository's elsewhere
      if (dirent.kind === 'dir') {
        if (trackedDirs.has(rel)) {
          const childStat = dirStats.get(rel);
          if (childStat !== undefined) walk(rel, parentIgnored || matcher.isIgnored(rel, true), childStat);
          continue;
        }
        if (parentIgnored || matcher.isIgnored(rel, true)) continue;
        // An untracked directory holding its own repository is left alone (as `git clean -fd` does).
        if (existsSync(join(dir, rel, '.git'))) {
          skipped.push({ path: rel, reason: 'nested git repository' });
          continue;
        }
        const problem = componentProblem(name);
        if (problem !== null) {
          skipped.push({ path: rel, reason: problem });
          continue;
        }
        const childStat = lstatOrUndefined(join(dir, rel));
        if (childStat !== undefined && childStat.isDirectory()) walk(rel, false, childStat);
        continue;
      }
      if (dirent.kind !== 'file' && dirent.kind !== 'link') continue;
      if (byPath.has(rel)) continue;
      if (parentIgnored || matcher.isIgnored(rel, false)) continue;
      const problem = componentProblem(name);
      if (problem !== null) {
        skipped.push({ path: rel, reason: problem });
        continue;
      }
      const absolute = join(dir, rel);
      const big = lstatExactOrUndefined(absolute);
      if (big === undefined) continue;
      const mode = diskMode(big, repo.fileMode);
      if (mode === null) continue;
      if (big.size > BigInt(maxUntracked)) {
        skipped.push({ path: rel, reason: `larger than ${maxUntracked} bytes` });
        continue;
      }
      const stat = statToIndex(big);
      const current = options.content === 'write' ? { mode, oid: contentOid(absolute, mode) } : null;
      untracked.push({ path: rel, current, stat });
    }
  };
  const rootStat = lstatOrUndefined(dir);
  if (rootStat !== undefined) walk('', false, rootStat);
  return { untracked, skipped };
}

/**
 * Scans the working tree against an index: one lstat per tracked file, content read only when the stat
 * data changed (or the entry is racily clean), and optionally a walk for untracked files.
 */
export function scanWorktree(repo: GitRepository, index: GitIndex, options: ScanOptions): WorktreeScan {
  const tracked: TrackedFile[] = [];
  const conflicted: string[] = [];
  const dirs = scanTrackedFiles(repo, index, options.content, (file, isConflicted) => {
    tracked.push(file);
    if (isConflicted) conflicted.push(file.path);
  });
  const { untracked, skipped } = options.untracked ? scanUntrackedFiles(repo, dirs, options) : { untracked: [], skipped: [] };
  return { index, tracked, untracked, conflicted, skipped };
}

/**
 * {@link scanWorktree} with `content: 'write'` and untracked files, in one streamed pass over the index
 * file's bytes ({@link scanTrackedFilesStreaming}: no parsed index, no path map, no object per clean
 * file): what a rollback's snapshot of the state it leaves needs. Only the tracked files that differ
 * from their entries are kept (see {@link WorktreeScan.lean}); the index's tree must be known already
 * ({@link rememberedIndexTree}), since the entries are not kept to build it.
 */
export function scanWorktreeLean(repo: GitRepository, file: { readonly bytes: Buffer; readonly mtimeNs: bigint }, checksum: string): WorktreeScan {
  const tracked: TrackedFile[] = [];
  const conflicted: string[] = [];
  const dirs = scanTrackedFilesStreaming(repo, file.bytes, file.mtimeNs, 'write', (found, isConflicted) => {
    if (!found.clean || found.refreshed) tracked.push(found);
    if (isConflicted) conflicted.push(found.path);
  });
  const { untracked, skipped } = scanUntrackedFiles(repo, dirs, { content: 'write' });
  const index: GitIndex = { version: file.bytes.readUInt32BE(4), entries: [], mtimeNs: file.mtimeNs, checksum };
  return { index, tracked, untracked, conflicted, skipped, lean: { indexBytes: file.bytes } };
}

/** The index as a tree (stage 0, else "ours" for unmerged paths). */
export function indexFlatEntries(index: GitIndex): FlatEntry[] {
  const chosen = new Map<string, IndexEntry[]>();
  for (const e of index.entries) {
    const list = chosen.get(e.path);
    if (list === undefined) chosen.set(e.path, [e]);
    else list.push(e);
  }
  const out: FlatEntry[] = [];
  for (const [path, entries] of chosen) {
    const entry = representative(entries);
    // An intent-to-add entry has no content yet: it is not part of the index's tree (git write-tree).
    if (entry.intentToAdd) continue;
    out.push({ path, mode: entry.mode, oid: entry.oid });
  }
  return out;
}

/**
 * The file, in the git directory, naming the tree of the index last written or snapshotted by Gatehouse:
 * `<index checksum> <tree oid>`. It carries the in-process memo across processes (what git's cache-tree
 * index extension does), so a command that opens the repository afresh need not rebuild and hash every
 * tree of a large index. The checksum is the index file's own SHA-1 trailer: any change to the index
 * (git add, commit, checkout) changes it and the line no longer applies.
 */
export const INDEX_TREE_FILE = 'gatehouse-index-tree';

const INDEX_TREE_LINE = /^([0-9a-f]{40}) ([0-9a-f]{40})\n$/u;

/**
 * The index tree remembered for this index checksum, in memory or in {@link INDEX_TREE_FILE}; undefined when
 * none, or when the tree object is no longer there (a `git gc --prune` may have removed it): the caller rebuilds it.
 */
export function rememberedIndexTree(repo: GitRepository, checksum: string): string | undefined {
  if (checksum === '') return undefined;
  let tree = repo.memo.indexTrees.get(checksum);
  if (tree === undefined) {
    let line: string;
    try {
      line = readFileSync(`${repo.gitdir}/${INDEX_TREE_FILE}`, 'utf8');
    } catch {
      return undefined; // none yet, or unreadable: the tree is rebuilt
    }
    const match = INDEX_TREE_LINE.exec(line);
    if (match === null || match[1] !== checksum) return undefined;
    tree = match[2] as string;
  }
  return repo.objects.exists(tree) ? tree : undefined;
}

/**
 * Remembers the tree of the index with this checksum, in memory and in {@link INDEX_TREE_FILE} (written
 * whole through a temporary file; a failure to write it only loses the shortcut).
 */
export function rememberIndexTree(repo: GitRepository, checksum: string, tree: string): void {
  if (checksum === '') return;
  repo.memo.indexTrees.set(checksum, tree);
  const path = `${repo.gitdir}/${INDEX_TREE_FILE}`;
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${checksum} ${tree}\n`, { mode: 0o644 });
    renameSync(temp, path);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was left behind.
    }
  }
}

/** The trees of a snapshot. */
export interface SnapshotTrees {
  readonly indexTree: string;
  readonly worktreeTree: string;
}

/**
 * Writes the index tree and the working-tree tree of a scan taken with `content: 'write'`.
 *
 * The index tree is remembered per index checksum; the working-tree tree is the index tree with only
 * the differing paths edited in, so a large clean repository costs a few hashes, not a rebuild.
 */
export async function writeSnapshotTrees(repo: GitRepository, scan: WorktreeScan): Promise<SnapshotTrees> {
  const { objects } = repo;
  const checksum = scan.index.checksum;
  let indexTree = rememberedIndexTree(repo, checksum);
  if (indexTree === undefined) {
    // A lean scan kept no entries to build it from (its caller checked the tree was known).
    if (scan.lean !== undefined) throw new GitConflictError('the index tree of a lean scan is not known');
    indexTree = buildTree(objects, indexFlatEntries(scan.index));
    rememberIndexTree(repo, checksum, indexTree);
  }
  const edits: TreeEdit[] = [];
  for (const t of scan.tracked) {
    const inIndexTree = !t.entry.intentToAdd;
    if (!t.present || t.current === null) {
      if (inIndexTree) edits.push({ path: t.path, entry: null });
    } else if (!inIndexTree || t.current.oid !== t.entry.oid || t.current.mode !== t.entry.mode) {
      edits.push({ path: t.path, entry: t.current });
    }
  }
  for (const u of scan.untracked) if (u.current !== null) edits.push({ path: u.path, entry: u.current });
  const worktreeTree = edits.length === 0 ? indexTree : await editTree(objects, indexTree, edits);
  return { indexTree, worktreeTree };
}

/** Stat data for the new index: fresh for written paths, from the scan for untouched clean ones. */
export type StatSource = (path: string, mode: number, oid: string) => IndexStat;

/** Builds index entries for a flat list, taking stat data from `statFor`. */
export function indexEntriesFor(entries: ReadonlyArray<FlatEntry>, statFor: StatSource): IndexEntry[] {
  return entries.map((e) => ({
    path: e.path,
    oid: e.oid,
    mode: e.mode,
    stage: 0,
    stat: statFor(e.path, e.mode, e.oid),
    assumeValid: false,
    skipWorktree: false,
    intentToAdd: false,
  }));
}

/**
 * Stat data known to describe the content on disk: a map from path to `{ oid, mode, stat }` filled from a
 * scan (for untouched paths) and from the writes (for written paths). Anything else gets zero stat
 * data, which the next dirty check re-hashes.
 */
export function statLookup(known: ReadonlyMap<string, { readonly oid: string; readonly mode: number; readonly stat: IndexStat }>): StatSource {
  return (path, mode, oid) => {
    const k = known.get(path);
    return k !== undefined && k.oid === oid && k.mode === mode ? k.stat : ZERO_STAT;
  };
}

/** What is on disk for each path of a scan, for {@link statLookup} (of a lean scan: only the paths it kept). */
export function knownFromScan(scan: WorktreeScan): Map<string, { oid: string; mode: number; stat: IndexStat }> {
  const known = new Map<string, { oid: string; mode: number; stat: IndexStat }>();
  for (const t of scan.tracked) {
    if (t.present && t.current !== null && t.stat !== null && t.entry.mode !== MODE_GITLINK) {
      known.set(t.path, { oid: t.current.oid, mode: t.current.mode, stat: t.stat });
    }
  }
  for (const u of scan.untracked) if (u.current !== null) known.set(u.path, { oid: u.current.oid, mode: u.current.mode, stat: u.stat });
  return known;
}

/** Options for {@link writeWorktreeChanges}. */
export interface WriteChangesOptions {
  /** The tree the working tree will match afterwards: symlink targets are resolved in it. */
  readonly resultTree: string;
  /**
   * `inside-only` (default): every new symlink must resolve inside the result tree (content from a
   * proposal). `as-recorded`: symlinks are restored as a checkpoint recorded them from this working
   * tree, wherever they point (a monorepo's `vendor -> ../shared`). Either way nothing is ever
   * written through a symlink.
   */
  readonly symlinks?: 'inside-only' | 'as-recorded';
}

/** The result of {@link writeWorktreeChanges}: fresh stat data of every written path. */
export interface WrittenChanges {
  readonly written: Map<string, { oid: string; mode: number; stat: IndexStat }>;
}

/**
 * A list of changes that can be walked more than once, in index order: an array, or a tree walk
 * ({@link forEachTreeChange}) that reads the trees again on each pass instead of holding every path.
 */
export type ChangeSource = ReadonlyArray<TreeChange> | ((visit: TreeVisitor<TreeChange>) => Promise<void>);

async function eachChange(source: ChangeSource, visit: TreeVisitor<TreeChange>): Promise<void> {
  if (typeof source === 'function') return source(visit);
  for (const change of source) {
    const pending = visit(change);
    if (pending !== undefined) await pending;
  }
}

/** Called for every change in index order once the write phase reaches it: `stat` of what was written, or null. */
export type ChangeWritten = (change: TreeChange, stat: IndexStat | null) => void;

/**
 * Makes the working tree match `change.new` at every changed path (`change.old` is what is there now).
 *
 * All checks run first: every path is validated, every new symlink must resolve inside the result
 * tree, no parent directory on disk may be a symlink, and nothing unexpected may sit where a file goes.
 * Then deletions, then writes (the old entry removed, the new one created with O_EXCL|O_NOFOLLOW, as
 * git's checkout does). If a write fails midway, every
 * path already touched is put back from `change.old` before the error is rethrown.
 */
export async function writeWorktreeChanges(repo: GitRepository, changes: ReadonlyArray<TreeChange>, options: WriteChangesOptions): Promise<WrittenChanges> {
  const written = new Map<string, { oid: string; mode: number; stat: IndexStat }>();
  await writeWorktreeStream(repo, changes, options, (change, stat) => {
    if (stat !== null && change.new !== null) written.set(change.path, { oid: change.new.oid, mode: change.new.mode, stat });
  });
  return { written };
}

/**
 * {@link writeWorktreeChanges} over a {@link ChangeSource}, in passes over the source (checks, then
 * deletions, then writes), keeping per path only what a removal needs (the removed paths): a
 * 50,000-file apply streams its changes from the two trees. `onWritten` sees every change in index
 * order during the write pass (a deletion with a null stat), so a caller can build the new index as
 * the files land.
 */
export async function writeWorktreeStream(repo: GitRepository, source: ChangeSource, options: WriteChangesOptions, onWritten: ChangeWritten): Promise<void> {
  const { dir } = repo;
  const removed = new Set<string>();
  const addedDirs = new Set<string>();
  let additions = 0;
  // Symlinks of the result must stay inside the repository, following the result's other symlinks.
  const lookup = async (path: string): Promise<{ kind: 'symlink'; target: string } | { kind: 'other' } | null> => {
    const entry = await lookupPath(repo.objects, options.resultTree, path);
    if (entry === null) return null;
    if (entry.mode === MODE_SYMLINK) return { kind: 'symlink', target: (await repo.objects.readBlob(entry.oid)).toString('utf8') };
    return { kind: 'other' };
  };
  // Symlink targets are checked before any write; file contents are read one at a time as they are
  // written, so a 50,000-file change never holds every blob in memory.
  const symlinkTargets = new Map<string, Buffer>();
  await eachChange(source, async (change) => {
    validateRepoPath(change.path);
    if (change.old !== null && change.new === null) removed.add(change.path);
    if (change.old !== null && change.new !== null && (change.old.mode === MODE_GITLINK) !== (change.new.mode === MODE_GITLINK)) removed.add(change.path);
    if (change.new === null) return;
    additions += 1;
    let slash = change.path.indexOf('/');
    while (slash >= 0) {
      addedDirs.add(change.path.slice(0, slash));
      slash = change.path.indexOf('/', slash + 1);
    }
    if (change.new.mode !== MODE_SYMLINK) return;
    const content = await repo.objects.readBlob(change.new.oid);
    if (options.symlinks !== 'as-recorded') await resolveSymlinkInTree(change.path, content.toString('utf8'), lookup);
    symlinkTargets.set(change.path, content);
  });
  // Nothing may be written through a symlink, and nothing we do not know about may be overwritten.
  const conflicts: string[] = [];
  // What lies on disk above each directory is checked once per directory, not once per file in it.
  const parentStates = new Map<string, ReturnType<typeof checkParentsOnDisk>>();
  const checkParents = (path: string): void => {
    const slash = path.lastIndexOf('/');
    const parentDir = slash < 0 ? '' : path.slice(0, slash);
    let parents = parentStates.get(parentDir);
    if (parents === undefined) {
      parents = checkParentsOnDisk(dir, path);
      parentStates.set(parentDir, parents);
    }
    // A symlink or file in the way is fine only when this same change removes it first.
    if (parents === 'ok' || removed.has(parents.blockedAt)) return;
    if (parents.symlink) throw new UnsafePathError(path, `would write through the symlink ${parents.blockedAt}`);
    conflicts.push(parents.blockedAt);
  };
  await eachChange(source, (change) => {
    if (change.new === null) return;
    checkParents(change.path);
    const here = lstatOrUndefined(join(dir, change.path));
    if (here === undefined) return;
    if (here.isDirectory()) {
      if (change.new.mode === MODE_GITLINK) return;
      // A directory where a file goes: acceptable only when every file in it is being removed.
      if (!directoryEmptiedBy(join(dir, change.path), change.path, removed)) conflicts.push(change.path);
      return;
    }
    if (change.old === null) conflicts.push(change.path);
  });
  await eachChange(source, (change) => {
    if (change.old === null || change.new !== null) return;
    checkParents(change.path);
  });
  if (conflicts.length > 0) {
    throw new GitConflictError(`files in the working tree are in the way: ${[...new Set(conflicts)].slice(0, 10).join(', ')}`, {
      paths: [...new Set(conflicts)],
    });
  }
  parentStates.clear();

  // How far each phase got, in source order: enough to list what to put back after a failure.
  let removedDone = 0;
  let writesDone = 0;
  try {
    if (removed.size > 0) {
      await eachChange(source, (change) => {
        if (!removed.has(change.path)) return;
        removedDone += 1;
        removePath(dir, change.path, change.old as EntryRef);
      });
      pruneEmptyParents(dir, [...removed], addedDirs);
    }
    const verified = new Set<string>();
    const half = Math.floor(additions / 2);
    await eachChange(source, async (change) => {
      if (change.new === null) {
        onWritten(change, null);
        return;
      }
      if (writesDone === half) crashPoint('worktree:half-written');
      // Counted before writing: a write that fails after removing the old entry is restored too.
      writesDone += 1;
      const content =
        change.new.mode === MODE_GITLINK ? null : change.new.mode === MODE_SYMLINK ? (symlinkTargets.get(change.path) ?? null) : await repo.objects.readBlob(change.new.oid);
      onWritten(change, writeEntry(dir, change.path, change.new, content, verified));
    });
  } catch (error) {
    await restore(repo, await changesDone(source, removed, removedDone, writesDone));
    throw error;
  }
}

/** The changes a failed write had touched, in the order it touched them (removals, then writes). */
async function changesDone(source: ChangeSource, removed: ReadonlySet<string>, removedDone: number, writesDone: number): Promise<TreeChange[]> {
  const done: TreeChange[] = [];
  try {
    let n = 0;
    await eachChange(source, (change) => {
      if (n < removedDone && removed.has(change.path)) {
        done.push(change);
        n += 1;
      }
    });
    let w = 0;
    await eachChange(source, (change) => {
      if (w < writesDone && change.new !== null) {
        done.push(change);
        w += 1;
      }
    });
  } catch {
    // The trees were read by every earlier pass; if they cannot be read now, restore what was listed.
  }
  return done;
}

function directoryEmptiedBy(absolute: string, rel: string, removed: ReadonlySet<string>): boolean {
  for (const dirent of readdirSync(absolute, { withFileTypes: true })) {
    const childRel = `${rel}/${dirent.name}`;
    if (dirent.isDirectory()) {
      if (!directoryEmptiedBy(join(absolute, dirent.name), childRel, removed)) return false;
    } else if (!removed.has(childRel)) return false;
  }
  return true;
}

function removePath(dir: string, path: string, old: EntryRef): void {
  const absolute = join(dir, path);
  const stat = lstatOrUndefined(absolute);
  if (stat === undefined) return;
  if (stat.isDirectory()) {
    // A gitlink's checkout: removed only when empty, never recursively (git leaves it too).
    if (old.mode === MODE_GITLINK) {
      try {
        rmdirSync(absolute);
      } catch {
        // Not empty: a checked-out submodule stays on disk.
      }
    }
    return;
  }
  unlinkSync(absolute);
}

function pruneEmptyParents(dir: string, removedPaths: ReadonlyArray<string>, keep: ReadonlySet<string>): void {
  const candidates = new Set<string>();
  for (const path of removedPaths) {
    let slash = path.lastIndexOf('/');
    while (slash > 0) {
      candidates.add(path.slice(0, slash));
      slash = path.lastIndexOf('/', slash - 1);
    }
  }
  // Deepest first, so a chain of directories emptied together goes away in one pass.
  const ordered = [...candidates].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const rel of ordered) {
    if (keep.has(rel)) continue;
    const absolute = join(dir, rel);
    const stat = lstatOrUndefined(absolute);
    if (stat === undefined || !stat.isDirectory()) continue;
    if (readdirSync(absolute).length === 0) rmdirSync(absolute);
  }
}

function ensureParents(dir: string, path: string, verified: Set<string>): void {
  const parts = path.split('/');
  let rel = '';
  for (let i = 0; i < parts.length - 1; i += 1) {
    rel = rel === '' ? (parts[i] as string) : `${rel}/${parts[i] as string}`;
    if (verified.has(rel)) continue;
    const current = join(dir, rel);
    const stat = lstatOrUndefined(current);
    if (stat === undefined) {
      mkdirSync(current);
      verified.add(rel);
      continue;
    }
    // Checked before any write; seeing one now means the tree changed under us: stop, and restore.
    if (stat.isSymbolicLink()) throw new UnsafePathError(path, `would write through the symlink ${rel}`);
    if (!stat.isDirectory()) throw new GitConflictError(`${rel} is in the way of ${path}`);
    verified.add(rel);
  }
}

function writeEntry(dir: string, path: string, entry: EntryRef, content: Buffer | null, verified: Set<string> = new Set()): IndexStat | null {
  ensureParents(dir, path, verified);
  const absolute = join(dir, path);
  if (entry.mode !== MODE_GITLINK && entry.mode !== MODE_SYMLINK) {
    // Most writes replace a file that is there: try that first, without an lstat (the open refuses a
    // symlink, and the descriptor's own fstat decides); anything else falls through to the checks below.
    const stat = overwriteInPlace(absolute, entry, content as Buffer, null);
    if (stat !== null) return stat;
  }
  const existing = lstatOrUndefined(absolute);
  if (entry.mode === MODE_GITLINK) {
    // A submodule is a pointer: an empty directory marks it, nothing is fetched or checked out.
    if (existing === undefined) mkdirSync(absolute);
    return null;
  }
  if (existing !== undefined && existing.isFile() && entry.mode !== MODE_SYMLINK) {
    const stat = overwriteInPlace(absolute, entry, content as Buffer, existing);
    if (stat !== null) return stat;
  }
  // As git's checkout does: remove what is there (never following a symlink), then create the new
  // entry with O_EXCL|O_NOFOLLOW, so a symlink planted in between makes the write fail, not follow.
  if (existing !== undefined) {
    if (existing.isDirectory()) rmdirSync(absolute);
    else unlinkSync(absolute);
  }
  if (entry.mode === MODE_SYMLINK) {
    symlinkSync((content as Buffer).toString('utf8'), absolute);
  } else {
    const fd = openSync(absolute, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, entry.mode === MODE_EXECUTABLE ? 0o777 : 0o666);
    try {
      writeSync(fd, content as Buffer);
      return statToIndex(fstatSync(fd, { bigint: true }));
    } finally {
      closeSync(fd);
    }
  }
  return statToIndex(lstatSync(absolute, { bigint: true }));
}

/**
 * Rewrites a regular file in place when that is as safe as replacing it: it is a file with one link
 * (checked on the open descriptor, so a path swapped for a symlink or a hard link to a file elsewhere
 * after the lstat is never written through) and its executable bit is already the one wanted. Returns
 * the new stat data, or null when the caller must remove and recreate the file instead.
 *
 * Unlinking and recreating costs a filesystem journal round per file (about a millisecond each here,
 * most of a large checkout); truncating and writing the same inode does not.
 *
 * `existing` null: no lstat was taken; the open descriptor's fstat alone decides (a missing path, a
 * symlink, a directory or a FIFO answer null as above).
 */
export function overwriteInPlace(absolute: string, entry: EntryRef, content: Buffer, existing: Stats | null): IndexStat | null {
  const executable = entry.mode === MODE_EXECUTABLE;
  if (existing !== null && ((existing.mode & 0o100) !== 0) !== executable) return null;
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in after the lstat must not hold the open until a reader comes (the
    // fstat below then refuses it); on a regular file the flag changes nothing.
    fd = openSync(absolute, fsConstants.O_WRONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (error) {
    // Swapped for a symlink (ELOOP) or removed since the lstat, or a read-only file: replace it as git
    // does. Anything else (no space, I/O error) is a failed write.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ETXTBSY' || code === 'ENXIO') return null;
    // Without an lstat first: a directory (EISDIR) or a missing parent (ENOTDIR) is the caller's to handle.
    if (existing === null && (code === 'EISDIR' || code === 'ENOTDIR')) return null;
    throw error;
  }
  try {
    const held = fstatSync(fd);
    if (!held.isFile() || held.nlink !== 1) return null;
    if (existing !== null ? held.ino !== existing.ino || held.dev !== existing.dev : ((held.mode & 0o100) !== 0) !== executable) return null;
    let written = 0;
    while (written < content.length) written += writeSync(fd, content, written, content.length - written, written);
    // Only a file that was longer keeps bytes past the new end.
    if (held.size > content.length) ftruncateSync(fd, content.length);
    return statToIndex(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

async function restore(repo: GitRepository, done: ReadonlyArray<TreeChange>): Promise<void> {
  // Undo in reverse order: writes first (remove or rewrite), then deletions (rewrite the old entry).
  for (const change of [...done].reverse()) {
    try {
      const absolute = join(repo.dir, change.path);
      if (change.new !== null && change.new.mode !== MODE_GITLINK) {
        const stat = lstatOrUndefined(absolute);
        if (stat !== undefined && !stat.isDirectory()) unlinkSync(absolute);
      }
      if (change.old !== null) {
        const content = change.old.mode === MODE_GITLINK ? null : await repo.objects.readBlob(change.old.oid);
        writeEntry(repo.dir, change.path, change.old, content);
      }
    } catch {
      // Best effort: keep restoring the other paths; the caller reports the original failure.
    }
  }
  // Directories created for new paths go again, unless an old entry needs them.
  const keep = new Set<string>();
  for (const change of done) {
    if (change.old === null) continue;
    const parts = change.path.split('/');
    for (let i = 1; i < parts.length; i += 1) keep.add(parts.slice(0, i).join('/'));
  }
  try {
    pruneEmptyParents(repo.dir, done.filter((c) => c.old === null).map((c) => c.path), keep);
  } catch {
    // Best effort, as above.
  }
}

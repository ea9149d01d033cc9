/**
 * Tree operations on object ids: flatten, look up, compare (skipping equal subtrees), build from a flat
 * list, and edit a few paths of an existing tree.
 */
import { UnsafePathError } from './errors';
import { compareEntryNames, EMPTY_TREE_OID, hashObject, MODE_TREE, serialiseTree, type ObjectStore, type RawTree, type TreeEntry } from './object-store';

/** A non-tree entry at a repository-relative path (file, executable, symlink or gitlink). */
export interface FlatEntry {
  readonly path: string;
  readonly mode: number;
  readonly oid: string;
}

/** One side of a changed path. */
export interface EntryRef {
  readonly mode: number;
  readonly oid: string;
}

/** A path whose entry differs between two trees (null = absent on that side). */
export interface TreeChange {
  readonly path: string;
  readonly old: EntryRef | null;
  readonly new: EntryRef | null;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** Compares paths in git's index order (UTF-8 bytes). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Every non-tree entry of a tree, in index order. */
export async function flattenTree(store: ObjectStore, treeOid: string | null): Promise<FlatEntry[]> {
  const out: FlatEntry[] = [];
  if (treeOid === null) return out;
  const walk = async (oid: string, prefix: string): Promise<void> => {
    for (const entry of await store.readTree(oid)) {
      const path = join(prefix, entry.name);
      if (entry.mode === MODE_TREE) await walk(entry.oid, path);
      else out.push({ path, mode: entry.mode, oid: entry.oid });
    }
  };
  // Trees are checked to be in git's order when parsed, and a depth-first walk of git's tree order
  // (directories compared as `name/`) is exactly index order (full paths compared as bytes).
  await walk(treeOid, '');
  return out;
}

/** The entry at a path of a tree (a subtree has mode 040000), or null. */
export async function lookupPath(store: ObjectStore, treeOid: string, path: string): Promise<TreeEntry | null> {
  let current = treeOid;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i += 1) {
    const entries = await store.readTree(current);
    const found = entries.find((e) => e.name === parts[i]);
    if (found === undefined) return null;
    if (i === parts.length - 1) return found;
    if (found.mode !== MODE_TREE) return null;
    current = found.oid;
  }
  return null;
}

/**
 * Lists the paths that differ between two trees, in index order. Subtrees with equal oids are skipped
 * without being read, so the cost follows the size of the change, not of the repository.
 */
export async function diffTrees(store: ObjectStore, oldTree: string | null, newTree: string | null): Promise<TreeChange[]> {
  const out: TreeChange[] = [];
  await walkChanges(
    (oid) => store.readTreeRaw(oid),
    oldTree,
    newTree,
    (change) => {
      out.push(change);
    },
  );
  return out;
}

function sameOid(a: Buffer, aAt: number, b: Buffer, bAt: number): boolean {
  for (let i = 0; i < 20; i += 1) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

function entryRef(tree: RawTree, i: number): EntryRef {
  const nul = tree.nameEnd[i] as number;
  return { mode: tree.modes[i] as number, oid: tree.bytes.toString('hex', nul + 1, nul + 21) };
}

function entryPath(prefix: string, tree: RawTree, i: number): string {
  return join(prefix, tree.bytes.toString('utf8', tree.nameStart[i], tree.nameEnd[i]));
}

/**
 * The changes between two trees in index order, walked over their raw bytes ({@link RawTree}): both
 * entry lists are in git's tree order, so they merge; a name that is a file on one side and a
 * directory on the other sorts as two items (`a`, then `a/`), which puts the file's removal or
 * addition exactly where index order has it. Equal entries are compared in place and cost no string;
 * subtrees with equal oids are skipped unread.
 */
async function walkChanges(read: (oid: string) => Promise<RawTree>, oldTree: string | null, newTree: string | null, visit: TreeVisitor<TreeChange>): Promise<void> {
  const emit = async (change: TreeChange): Promise<void> => {
    const pending = visit(change);
    if (pending !== undefined) await pending;
  };
  const addAll = async (oid: string, prefix: string, side: 'old' | 'new'): Promise<void> => {
    const tree = await read(oid);
    for (let i = 0; i < tree.count; i += 1) {
      const path = entryPath(prefix, tree, i);
      const ref = entryRef(tree, i);
      if (ref.mode === MODE_TREE) await addAll(ref.oid, path, side);
      else await emit(side === 'old' ? { path, old: ref, new: null } : { path, old: null, new: ref });
    }
  };
  const walk = async (a: string, b: string, prefix: string): Promise<void> => {
    if (a === b) return;
    const left = await read(a);
    const right = await read(b);
    let i = 0;
    let j = 0;
    while (i < left.count || j < right.count) {
      let order: number;
      if (i >= left.count) order = 1;
      else if (j >= right.count) order = -1;
      else {
        order = compareEntryNames(
          left.bytes,
          left.nameStart[i] as number,
          left.nameEnd[i] as number,
          left.modes[i] === MODE_TREE,
          right.bytes,
          right.nameStart[j] as number,
          right.nameEnd[j] as number,
          right.modes[j] === MODE_TREE,
        );
      }
      if (order < 0) {
        const path = entryPath(prefix, left, i);
        const ref = entryRef(left, i);
        i += 1;
        if (ref.mode === MODE_TREE) await addAll(ref.oid, path, 'old');
        else await emit({ path, old: ref, new: null });
      } else if (order > 0) {
        const path = entryPath(prefix, right, j);
        const ref = entryRef(right, j);
        j += 1;
        if (ref.mode === MODE_TREE) await addAll(ref.oid, path, 'new');
        else await emit({ path, old: null, new: ref });
      } else {
        // Equal names of the same kind (a tree's name sorts with a `/`): equal entries cost nothing.
        const same = left.modes[i] === right.modes[j] && sameOid(left.bytes, (left.nameEnd[i] as number) + 1, right.bytes, (right.nameEnd[j] as number) + 1);
        if (!same) {
          const path = entryPath(prefix, left, i);
          const oldRef = entryRef(left, i);
          const newRef = entryRef(right, j);
          if (oldRef.mode === MODE_TREE) await walk(oldRef.oid, newRef.oid, path);
          else await emit({ path, old: oldRef, new: newRef });
        }
        i += 1;
        j += 1;
      }
    }
  };
  await walk(oldTree ?? EMPTY_TREE_OID, newTree ?? EMPTY_TREE_OID, '');
}

/**
 * Compares two strings in the order of their UTF-8 bytes (git's path order) without encoding them.
 * UTF-16 code units already sort that way except that surrogates (astral characters, U+D800-DFFF)
 * sort below U+E000-FFFF, where UTF-8 puts them above.
 */
export function compareUtf8(a: string, b: string): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i += 1) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** What a tree walk calls for each item; a returned promise is awaited before the walk goes on. */
export type TreeVisitor<T> = (item: T) => void | Promise<void>;

/**
 * Calls `visit` for every path that differs between two trees, in index order (UTF-8 bytes of the
 * full path), the same changes {@link diffTrees} lists. Nothing is collected: both trees are walked
 * in lockstep, subtrees with equal oids are skipped unread, and trees are read without the handle's
 * memo, so a 50,000-file change holds one directory of each side at a time. A second walk reads the
 * trees again (cheap next to writing the files), so a caller can make several passes.
 */
export async function forEachTreeChange(store: ObjectStore, oldTree: string | null, newTree: string | null, visit: TreeVisitor<TreeChange>): Promise<void> {
  await walkChanges((oid) => store.readTreeRaw(oid, { memo: false }), oldTree, newTree, visit);
}

/** Calls `visit` for every non-tree entry of a tree, in index order, holding one directory at a time. */
export async function forEachTreeEntry(store: ObjectStore, treeOid: string | null, visit: TreeVisitor<FlatEntry>): Promise<void> {
  if (treeOid === null) return;
  const walk = async (oid: string, prefix: string): Promise<void> => {
    for (const entry of await store.readTree(oid, { memo: false })) {
      const path = join(prefix, entry.name);
      if (entry.mode === MODE_TREE) await walk(entry.oid, path);
      else {
        const pending = visit({ path, mode: entry.mode, oid: entry.oid });
        if (pending !== undefined) await pending;
      }
    }
  };
  await walk(treeOid, '');
}

interface DirNode {
  readonly files: Map<string, EntryRef>;
  readonly dirs: Map<string, DirNode>;
}

function newDir(): DirNode {
  return { files: new Map(), dirs: new Map() };
}

function writeDir(store: ObjectStore, node: DirNode, write: boolean): string {
  const entries: TreeEntry[] = [];
  for (const [name, child] of node.dirs) {
    const oid = writeDir(store, child, write);
    if (oid !== EMPTY_TREE_OID) entries.push({ name, mode: MODE_TREE, oid });
  }
  for (const [name, ref] of node.files) entries.push({ name, mode: ref.mode, oid: ref.oid });
  if (entries.length === 0) return EMPTY_TREE_OID;
  // `write` hashes first and skips trees that already exist, so an unchanged directory costs one hash.
  return write ? store.write('tree', serialiseTree(entries)) : hashObject('tree', serialiseTree(entries));
}

/**
 * Builds the tree of a flat list of entries and returns the root oid, writing the tree objects unless
 * `write` is false. Refuses a path that would need a file and a directory of the same name.
 */
export function buildTree(store: ObjectStore, entries: ReadonlyArray<FlatEntry>, write = true): string {
  const root = newDir();
  for (const entry of entries) {
    const parts = entry.path.split('/');
    let node = root;
    for (let i = 0; i < parts.length - 1; i += 1) {
      const name = parts[i] as string;
      if (node.files.has(name)) throw new UnsafePathError(entry.path, `${parts.slice(0, i + 1).join('/')} is a file`);
      let child = node.dirs.get(name);
      if (child === undefined) {
        child = newDir();
        node.dirs.set(name, child);
      }
      node = child;
    }
    const leaf = parts[parts.length - 1] as string;
    if (node.dirs.has(leaf)) throw new UnsafePathError(entry.path, 'is also a directory');
    node.files.set(leaf, { mode: entry.mode, oid: entry.oid });
  }
  return writeDir(store, root, write);
}

/** One edit for {@link editTree}: set an entry, or remove it (null). */
export interface TreeEdit {
  readonly path: string;
  readonly entry: EntryRef | null;
}

/**
 * Applies edits to a tree, reading only the directories on the edited paths, and writes the new trees.
 * Refuses an edit below a file, symlink or gitlink (`link -> x` then `link/f`), unless the same batch
 * removes that entry first. Directories left empty disappear, as in git.
 */
export async function editTree(store: ObjectStore, baseTree: string | null, edits: ReadonlyArray<TreeEdit>): Promise<string> {
  const apply = async (treeOid: string | null, prefix: string, level: ReadonlyArray<{ parts: string[]; edit: TreeEdit }>): Promise<string> => {
    const entries = new Map<string, TreeEntry>();
    if (treeOid !== null) for (const e of await store.readTree(treeOid)) entries.set(e.name, e);
    const single = new Map<string, TreeEdit>();
    const deeper = new Map<string, Array<{ parts: string[]; edit: TreeEdit }>>();
    for (const item of level) {
      const [name, ...rest] = item.parts as [string, ...string[]];
      if (rest.length === 0) single.set(name, item.edit);
      else {
        const list = deeper.get(name) ?? [];
        list.push({ parts: rest, edit: item.edit });
        deeper.set(name, list);
      }
    }
    for (const name of new Set([...single.keys(), ...deeper.keys()])) {
      const existing = entries.get(name);
      const edit = single.get(name);
      const below = deeper.get(name);
      // What the edits below this name leave there: a tree oid, or the empty tree.
      let child: string | null = null;
      if (below !== undefined) child = await apply(existing !== undefined && existing.mode === MODE_TREE ? existing.oid : null, join(prefix, name), below);
      const hasChildren = child !== null && child !== EMPTY_TREE_OID;
      const path = join(prefix, name);
      if (edit !== undefined && edit.entry !== null) {
        // A file (or symlink) and something inside it: `link -> x` then `link/f`.
        if (hasChildren) throw new UnsafePathError(`${path}/${(below?.[0]?.parts ?? []).join('/')}`, `${path} is a file, symlink or gitlink, not a directory`);
        entries.set(name, { name, mode: edit.entry.mode, oid: edit.entry.oid });
        continue;
      }
      if (edit === undefined && existing !== undefined && existing.mode !== MODE_TREE) {
        if (hasChildren) throw new UnsafePathError(`${path}/${(below?.[0]?.parts ?? []).join('/')}`, `${path} is a file, symlink or gitlink, not a directory`);
        continue; // only removals below a file: nothing to remove
      }
      if (hasChildren) entries.set(name, { name, mode: MODE_TREE, oid: child as string });
      else entries.delete(name);
    }
    if (entries.size === 0) return EMPTY_TREE_OID;
    return store.write('tree', serialiseTree([...entries.values()]));
  };
  const seen = new Set<string>();
  for (const edit of edits) {
    if (seen.has(edit.path)) throw new UnsafePathError(edit.path, 'path appears twice');
    seen.add(edit.path);
  }
  return apply(baseTree, '', edits.map((edit) => ({ parts: edit.path.split('/'), edit })));
}

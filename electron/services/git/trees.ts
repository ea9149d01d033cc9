/**
 * Tree operations on object ids: flatten, look up, compare (skipping equal subtrees), build from a flat
 * list, and edit a few paths of an existing tree.
 */
import { UnsafePathError } from './errors';
import { EMPTY_TREE_OID, hashObject, MODE_TREE, serialiseTree, type ObjectStore, type TreeEntry } from './object-store';

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
 * Lists the paths that differ between two trees. Subtrees with equal oids are skipped without being
 * read, so the cost follows the size of the change, not of the repository.
 */
export async function diffTrees(store: ObjectStore, oldTree: string | null, newTree: string | null): Promise<TreeChange[]> {
  const out: TreeChange[] = [];
  const addAll = async (oid: string, prefix: string, side: 'old' | 'new'): Promise<void> => {
    for (const entry of await store.readTree(oid)) {
      const path = join(prefix, entry.name);
      if (entry.mode === MODE_TREE) await addAll(entry.oid, path, side);
      else {
        const ref = { mode: entry.mode, oid: entry.oid };
        out.push(side === 'old' ? { path, old: ref, new: null } : { path, old: null, new: ref });
      }
    }
  };
  const walk = async (a: string | null, b: string | null, prefix: string): Promise<void> => {
    if (a === b) return;
    if (a === null) return addAll(b as string, prefix, 'new');
    if (b === null) return addAll(a, prefix, 'old');
    const left = new Map((await store.readTree(a)).map((e) => [e.name, e]));
    const right = new Map((await store.readTree(b)).map((e) => [e.name, e]));
    const names = new Set([...left.keys(), ...right.keys()]);
    for (const name of names) {
      const l = left.get(name);
      const r = right.get(name);
      if (l !== undefined && r !== undefined && l.oid === r.oid && l.mode === r.mode) continue;
      const path = join(prefix, name);
      const lTree = l !== undefined && l.mode === MODE_TREE;
      const rTree = r !== undefined && r.mode === MODE_TREE;
      if (lTree || rTree) {
        // A file replaced by a directory (or the reverse) is a delete plus the directory's contents.
        if (l !== undefined && !lTree) out.push({ path, old: { mode: l.mode, oid: l.oid }, new: null });
        if (r !== undefined && !rTree) out.push({ path, old: null, new: { mode: r.mode, oid: r.oid } });
        await walk(lTree ? (l as TreeEntry).oid : null, rTree ? (r as TreeEntry).oid : null, path);
      } else {
        out.push({
          path,
          old: l === undefined ? null : { mode: l.mode, oid: l.oid },
          new: r === undefined ? null : { mode: r.mode, oid: r.oid },
        });
      }
    }
  };
  await walk(oldTree ?? EMPTY_TREE_OID, newTree ?? EMPTY_TREE_OID, '');
  const keyed = out.map((c) => ({ c, key: Buffer.from(c.path, 'utf8') }));
  keyed.sort((x, y) => Buffer.compare(x.key, y.key));
  return keyed.map((k) => k.c);
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

/** A tree entry's name as git sorts it within its tree (a subtree as if it ended in `/`). */
function sortName(entry: TreeEntry): string {
  return entry.mode === MODE_TREE ? `${entry.name}/` : entry.name;
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
  const read = (oid: string): Promise<ReadonlyArray<TreeEntry>> => store.readTree(oid, { memo: false });
  const emit = async (change: TreeChange): Promise<void> => {
    const pending = visit(change);
    if (pending !== undefined) await pending;
  };
  const addAll = async (oid: string, prefix: string, side: 'old' | 'new'): Promise<void> => {
    for (const entry of await read(oid)) {
      const path = join(prefix, entry.name);
      if (entry.mode === MODE_TREE) await addAll(entry.oid, path, side);
      else {
        const ref = { mode: entry.mode, oid: entry.oid };
        await emit(side === 'old' ? { path, old: ref, new: null } : { path, old: null, new: ref });
      }
    }
  };
  const walk = async (a: string, b: string, prefix: string): Promise<void> => {
    if (a === b) return;
    // Both lists are in git's tree order (parseTree refuses anything else): merge them. A name that is
    // a file on one side and a directory on the other sorts as two items (`a`, then `a/`), which puts
    // the file's removal or addition exactly where index order has it.
    const left = await read(a);
    const right = await read(b);
    let i = 0;
    let j = 0;
    while (i < left.length || j < right.length) {
      const l = left[i];
      const r = right[j];
      const order = l === undefined ? 1 : r === undefined ? -1 : compareUtf8(sortName(l), sortName(r));
      if (order < 0) {
        const entry = l as TreeEntry;
        i += 1;
        const path = join(prefix, entry.name);
        if (entry.mode === MODE_TREE) await addAll(entry.oid, path, 'old');
        else await emit({ path, old: { mode: entry.mode, oid: entry.oid }, new: null });
      } else if (order > 0) {
        const entry = r as TreeEntry;
        j += 1;
        const path = join(prefix, entry.name);
        if (entry.mode === MODE_TREE) await addAll(entry.oid, path, 'new');
        else await emit({ path, old: null, new: { mode: entry.mode, oid: entry.oid } });
      } else {
        const lEntry = l as TreeEntry;
        const rEntry = r as TreeEntry;
        i += 1;
        j += 1;
        if (lEntry.oid === rEntry.oid && lEntry.mode === rEntry.mode) continue;
        const path = join(prefix, lEntry.name);
        if (lEntry.mode === MODE_TREE) await walk(lEntry.oid, rEntry.oid, path);
        else await emit({ path, old: { mode: lEntry.mode, oid: lEntry.oid }, new: { mode: rEntry.mode, oid: rEntry.oid } });
      }
    }
  };
  await walk(oldTree ?? EMPTY_TREE_OID, newTree ?? EMPTY_TREE_OID, '');
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

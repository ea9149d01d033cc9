/**
 * Reading and writing git objects for one repository handle.
 *
 * Loose objects are read and written here directly (one synchronous read and `zlib.inflateSync`), because
 * isomorphic-git spends about half a millisecond of promise and stream overhead on every object and
 * the review diff of a 1,000-file proposal reads 2,000 blobs. Objects found only in packfiles are read
 * through isomorphic-git's `readObject`, with the handle's shared `cache` so each pack index is parsed once.
 * Parsed trees and commits are immutable (named by their hash), so they are memoised per handle.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs, { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { constants as zlibConstants, deflateSync, inflateSync } from 'node:zlib';
import * as git from 'isomorphic-git';
import { GitNotFoundError, GitRefusedError } from './errors';
import { createPackReader, MAX_OBJECT_BYTES, type PackedObject } from './pack';
import { writePack } from './write-pack';

/** The kinds of git object. */
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** Git mode of a subtree. */
export const MODE_TREE = 0o040000;
/** Git mode of a regular file. */
export const MODE_FILE = 0o100644;
/** Git mode of an executable file. */
export const MODE_EXECUTABLE = 0o100755;
/** Git mode of a symlink (the blob holds its target). */
export const MODE_SYMLINK = 0o120000;
/** Git mode of a gitlink (a submodule pointer: the oid of a commit in another repository). */
export const MODE_GITLINK = 0o160000;

/** The empty tree every git knows without storing it. */
export const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** One entry of a parsed tree. */
export interface TreeEntry {
  readonly name: string;
  readonly mode: number;
  readonly oid: string;
}

/** An author or committer line. */
export interface Signature {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** Minutes, as isomorphic-git counts them (negative east of UTC). */
  readonly timezoneOffset: number;
}

/** A parsed commit. */
export interface ParsedCommit {
  readonly oid: string;
  readonly tree: string;
  readonly parents: ReadonlyArray<string>;
  readonly author: Signature;
  readonly committer: Signature;
  readonly message: string;
}

/** A blob read with a size bound: the content, or only its size when it was larger. */
export interface BoundedBlob {
  readonly size: number;
  readonly content: Buffer | null;
}

/** Object access for one repository (see the module comment). */
export interface ObjectStore {
  readonly gitdir: string;
  /** Reads any object; throws {@link GitNotFoundError} when it does not exist. */
  read(oid: string): Promise<{ readonly type: ObjectType; readonly content: Buffer }>;
  /** Reads a blob in full. */
  readBlob(oid: string): Promise<Buffer>;
  /** Reads a blob unless it is larger than `maxBytes`, in which case only its size is returned. */
  readBlobBounded(oid: string, maxBytes: number): Promise<BoundedBlob>;
  /**
   * Reads and parses a tree (memoised unless `memo` is false: a walk over every tree of a large
   * checkout would otherwise keep them all); refuses duplicate or unsorted entries.
   */
  readTree(oid: string, options?: { readonly memo?: boolean }): Promise<ReadonlyArray<TreeEntry>>;
  /**
   * Reads a tree as offsets into its checked bytes ({@link scanTree}), memoised by bytes held unless
   * `memo` is false: what tree walks over many entries use.
   */
  readTreeRaw(oid: string, options?: { readonly memo?: boolean }): Promise<RawTree>;
  /** Reads and parses a commit (memoised). */
  readCommit(oid: string): Promise<ParsedCommit>;
  /** Writes an object as a loose object unless it is known to exist; returns its oid. */
  write(type: ObjectType, content: Uint8Array): string;
  /** Whether the object is known to exist (written through this store, or a tree, commit or tag read through it). */
  has(oid: string): boolean;
  /** Whether the object is on disk now (loose, or in a known pack) or waiting in the current batch. */
  exists(oid: string): boolean;
  /**
   * Runs `work` with new objects collected in memory (readable at once) and written together at the
   * end: as one packfile when there are many, as loose objects when there are few. Nested calls join
   * the outer batch. If `work` throws, the collected objects are dropped (nothing refers to them).
   */
  batch<T>(work: () => Promise<T>): Promise<T>;
}

/** Options for {@link createObjectStore}. */
export interface ObjectStoreOptions {
  readonly dir: string;
  readonly gitdir: string;
  /** The handle's isomorphic-git cache. */
  readonly cache: object;
  /** Parsed trees kept in memory; default 50,000. */
  readonly maxTrees?: number;
}

/** Bytes of trees (and their offsets) a handle keeps for {@link ObjectStore.readTreeRaw}. */
const RAW_TREE_MEMO_BYTES = 32 * 1024 * 1024;

/** Hex SHA-1 of an object as git names it (`<type> <size>\0<content>`). */
export function hashObject(type: ObjectType, content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Serialises tree entries in git's order (names compared as bytes, trees as if they ended in `/`). */
export function serialiseTree(entries: ReadonlyArray<TreeEntry>): Buffer {
  const items = entries.map((e) => ({ e, key: e.mode === MODE_TREE ? `${e.name}/` : e.name, head: `${e.mode.toString(8)} ${e.name}\0` }));
  if (items.every((i) => isAscii(i.key))) {
    // For ASCII names, UTF-16 order is byte order: no buffers needed to sort.
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } else {
    const bytes = new Map(items.map((i) => [i, Buffer.from(i.key, 'utf8')]));
    items.sort((a, b) => Buffer.compare(bytes.get(a) as Buffer, bytes.get(b) as Buffer));
  }
  let size = 0;
  for (const i of items) size += Buffer.byteLength(i.head, 'utf8') + 20;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const i of items) {
    offset += out.write(i.head, offset, 'utf8');
    offset += out.write(i.e.oid, offset, 'hex');
  }
  return out;
}

/** A commit to write with {@link serialiseCommit}. */
export interface CommitInput {
  readonly tree: string;
  readonly parents: ReadonlyArray<string>;
  readonly author: Signature;
  readonly committer: Signature;
  readonly message: string;
}

function signatureLine(s: Signature): string {
  // Signature.timezoneOffset counts minutes west of UTC, as isomorphic-git does; git writes +hhmm east.
  const east = -s.timezoneOffset;
  const abs = Math.abs(east);
  const tz = `${east < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${s.name} <${s.email}> ${s.timestamp} ${tz}`;
}

/** Serialises a commit object (message ends with a newline, as git writes it). */
export function serialiseCommit(commit: CommitInput): Buffer {
  for (const s of [commit.author, commit.committer]) {
    if (/[<>\n\0]/u.test(s.name) || /[<>\n\0]/u.test(s.email)) throw new GitRefusedError('a name or email holds <, >, a newline or NUL');
  }
  const lines = [`tree ${commit.tree}`, ...commit.parents.map((p) => `parent ${p}`), `author ${signatureLine(commit.author)}`, `committer ${signatureLine(commit.committer)}`];
  const message = commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`, 'utf8');
}

/** Normalises a mode read from a tree the way git's `canon_mode` does (old 100664 files become 100644). */
export function canonicalMode(mode: number): number {
  if (mode === MODE_TREE || mode === MODE_SYMLINK || mode === MODE_GITLINK) return mode;
  if ((mode & 0o170000) === 0o100000) return mode & 0o111 ? MODE_EXECUTABLE : MODE_FILE;
  return mode;
}

/**
 * Compares two tree entry names as git's `base_name_compare` does (bytes; a tree as if it ended in
 * `/`); the names may lie in different buffers.
 */
export function compareEntryNames(a: Buffer, aStart: number, aEnd: number, aTree: boolean, b: Buffer, bStart: number, bEnd: number, bTree: boolean): number {
  const common = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < common; i += 1) {
    const d = (a[aStart + i] as number) - (b[bStart + i] as number);
    if (d !== 0) return d;
  }
  const c1 = aEnd - aStart > common ? (a[aStart + common] as number) : aTree ? 0x2f : 0;
  const c2 = bEnd - bStart > common ? (b[bStart + common] as number) : bTree ? 0x2f : 0;
  return c1 - c2;
}

/**
 * A tree object's entries as offsets into its bytes, checked as git's fsck checks order and
 * duplicates: a walk over two trees compares names and oids in place and makes a string only for the
 * entries that differ (a tree of a hundred files costs three small arrays, not a hundred objects).
 */
export interface RawTree {
  readonly bytes: Buffer;
  readonly count: number;
  /** Offset of each entry's name. */
  readonly nameStart: Int32Array;
  /** Offset of the NUL ending each entry's name; the entry's 20-byte oid follows it. */
  readonly nameEnd: Int32Array;
  /** Each entry's mode, canonical ({@link canonicalMode}). */
  readonly modes: Int32Array;
}

/** Beyond this many steps back, the duplicate check of a tree entry switches to a set of names. */
const DUPLICATE_SCAN_STEPS = 32;

/**
 * Scans a tree object's bytes into a {@link RawTree}, refusing what {@link parseTree} refuses except
 * names that collide only once decoded (invalid UTF-8, refused later by the path checks): a bad mode,
 * a truncated entry, entries out of git's order or duplicated (`link` as a file and as a directory).
 *
 * Hand-written because it reads untrusted bytes on every diff, checkout and apply: every offset is
 * checked against the buffer before it is used.
 */
export function scanTree(oid: string, content: Buffer): RawTree {
  // The smallest entry is 24 bytes (`1 a\0` and the oid): a bound on the count before allocating.
  const max = Math.floor(content.length / 24) + 1;
  const nameStart = new Int32Array(max);
  const nameEnd = new Int32Array(max);
  const modes = new Int32Array(max);
  let count = 0;
  let offset = 0;
  // Names of the non-tree entries, once a hostile tree makes the backward duplicate scan long.
  let fileNames: Set<string> | null = null;
  while (offset < content.length) {
    let mode = 0;
    let p = offset;
    for (; p < content.length && content[p] !== 0x20; p += 1) {
      const digit = (content[p] as number) - 0x30;
      if (digit < 0 || digit > 7 || p - offset > 6) throw new GitRefusedError(`malformed tree ${oid}: bad mode`, { oid });
      mode = mode * 8 + digit;
    }
    const nul = p < content.length ? content.indexOf(0, p + 1) : -1;
    if (p === offset || p >= content.length || nul < 0 || nul + 21 > content.length || count >= max) throw new GitRefusedError(`malformed tree ${oid}`, { oid });
    const canonical = canonicalMode(mode);
    const tree = canonical === MODE_TREE;
    const start = p + 1;
    // Duplicate or unsorted entries: one tree could hold both `link` (a symlink) and `link/` (a directory).
    if (count > 0) {
      const prev = count - 1;
      if (compareEntryNames(content, nameStart[prev] as number, nameEnd[prev] as number, modes[prev] === MODE_TREE, content, start, nul, tree) >= 0) {
        throw new GitRefusedError(`malformed tree ${oid}: entries duplicated or out of order`, { oid });
      }
    }
    // A file `a` and a directory `a` are not neighbours in git's order (`a`, `a-b`, `a.c`, `a/`): every
    // entry between them starts with `a` and a byte below `/`, so look back over those for a file `a`.
    if (tree && fileNames === null) {
      const length = nul - start;
      let steps = 0;
      for (let k = count - 1; k >= 0; k -= 1) {
        const ks = nameStart[k] as number;
        const kLength = (nameEnd[k] as number) - ks;
        if (kLength < length || content.compare(content, start, nul, ks, ks + length) !== 0) break;
        if (kLength === length) throw new GitRefusedError(`malformed tree ${oid}: duplicate entry ${JSON.stringify(content.toString('utf8', start, nul))}`, { oid });
        if ((content[ks + length] as number) >= 0x2f) break;
        steps += 1;
        if (steps > DUPLICATE_SCAN_STEPS) {
          fileNames = new Set();
          for (let f = 0; f < count; f += 1) if (modes[f] !== MODE_TREE) fileNames.add(content.toString('latin1', nameStart[f], nameEnd[f]));
          break;
        }
      }
    }
    if (fileNames !== null) {
      // latin1 maps bytes one to one: the set compares exact bytes.
      const name = content.toString('latin1', start, nul);
      if (!tree) fileNames.add(name);
      else if (fileNames.has(name)) throw new GitRefusedError(`malformed tree ${oid}: duplicate entry ${JSON.stringify(content.toString('utf8', start, nul))}`, { oid });
    }
    nameStart[count] = start;
    nameEnd[count] = nul;
    modes[count] = canonical;
    count += 1;
    offset = nul + 21;
  }
  return { bytes: content, count, nameStart, nameEnd, modes };
}

function parseTree(oid: string, raw: RawTree): ReadonlyArray<TreeEntry> {
  const content = raw.bytes;
  const entries: TreeEntry[] = [];
  const names = new Set<string>();
  for (let i = 0; i < raw.count; i += 1) {
    const nul = raw.nameEnd[i] as number;
    const name = content.toString('utf8', raw.nameStart[i], nul);
    // Names that differ as bytes but decode alike (invalid UTF-8) would be one name to every caller.
    if (names.has(name)) throw new GitRefusedError(`malformed tree ${oid}: duplicate entry ${JSON.stringify(name)}`, { oid });
    names.add(name);
    entries.push({ name, mode: raw.modes[i] as number, oid: content.toString('hex', nul + 1, nul + 21) });
  }
  return entries;
}

function parseSignature(line: string): Signature {
  const match = /^(.*) <([^>]*)> (-?\d+) ([+-])(\d\d)(\d\d)$/u.exec(line);
  if (match === null) return { name: line, email: '', timestamp: 0, timezoneOffset: 0 };
  const minutes = Number(match[5]) * 60 + Number(match[6]);
  return {
    name: match[1] as string,
    email: match[2] as string,
    timestamp: Number(match[3]),
    timezoneOffset: match[4] === '-' ? minutes : -minutes,
  };
}

function parseCommit(oid: string, content: Buffer): ParsedCommit {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  let tree = '';
  const parents: string[] = [];
  let author: Signature | null = null;
  let committer: Signature | null = null;
  for (const line of head.split('\n')) {
    if (line.startsWith(' ')) continue; // continuation of gpgsig / mergetag
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parseSignature(value);
    else if (key === 'committer') committer = parseSignature(value);
  }
  if (!/^[0-9a-f]{40}$/u.test(tree) || author === null || committer === null) {
    throw new GitRefusedError(`malformed commit ${oid}`, { oid });
  }
  return { oid, tree, parents, author, committer, message };
}

/**
 * Inflates a loose object, as a typed refusal when zlib rejects it or it inflates past `maxOutput` bytes.
 * `partial`: the input is a prefix of the stream (to read the header).
 */
function inflateLoose(oid: string, compressed: Buffer, partial: boolean, maxOutput?: number): Buffer {
  try {
    return inflateSync(compressed, {
      ...(partial ? { finishFlush: zlibConstants.Z_SYNC_FLUSH } : {}),
      ...(maxOutput === undefined ? {} : { maxOutputLength: Math.max(1, maxOutput) }),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ERR_BUFFER_TOO_LARGE' ? 'inflates past the size its header claims' : `is not valid zlib data (${(error as Error).message})`;
    throw new GitRefusedError(`corrupt object ${oid}: it ${why}`, { oid });
  }
}

function parseHeader(oid: string, wrapped: Buffer): { type: ObjectType; size: number; start: number } {
  const nul = wrapped.indexOf(0);
  const header = nul < 0 ? '' : wrapped.toString('latin1', 0, nul);
  const match = /^(blob|tree|commit|tag) (\d+)$/u.exec(header);
  if (match === null) throw new GitRefusedError(`corrupt object ${oid}`, { oid });
  return { type: match[1] as ObjectType, size: Number(match[2]), start: nul + 1 };
}

/** Loose objects up to this size (compressed) are inflated in one pass ({@link createObjectStore}). */
const SINGLE_INFLATE_MAX_COMPRESSED = 1024 * 1024;
/** The one-pass inflate stops at this many times the compressed size... */
const SINGLE_INFLATE_RATIO = 16;
/** ...or at this many bytes, whichever is larger. */
const SINGLE_INFLATE_MIN_BOUND = 64 * 1024;

/** A loose object's inflated bytes checked: header, declared size, object id. */
function checkedLoose(oid: string, wrapped: Buffer): { type: ObjectType; content: Buffer } {
  const { type, size, start } = parseHeader(oid, wrapped);
  if (size > MAX_OBJECT_BYTES) {
    throw new GitRefusedError(`object ${oid} claims ${size} bytes; objects over ${MAX_OBJECT_BYTES} bytes are not read`, { oid });
  }
  const content = wrapped.subarray(start);
  if (content.length !== size || createHash('sha1').update(wrapped).digest('hex') !== oid) {
    throw new GitRefusedError(`corrupt object ${oid}`, { oid });
  }
  return { type, content };
}

/** Creates the object access of one repository handle. */
export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  const { gitdir, cache, dir } = options;
  const maxTrees = options.maxTrees ?? 50_000;
  const trees = new Map<string, ReadonlyArray<TreeEntry>>();
  const rawTrees = new Map<string, RawTree>();
  let rawTreeBytes = 0;
  const commits = new Map<string, ParsedCommit>();
  const known = new Set<string>([EMPTY_TREE_OID]);
  const fanOutDirs = new Set<string>();
  let pending: Map<string, { type: ObjectType; content: Buffer }> | null = null;
  let pendingBytes = 0;

  const loosePath = (oid: string): string => `${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;

  // Loose objects are read into one reused buffer (the caller inflates at once, which copies out):
  // open, read, close, without readFileSync's fstat and allocation.
  const looseScratch = Buffer.allocUnsafe(64 * 1024);
  const readLoose = (oid: string): Buffer | null => {
    let fd: number;
    try {
      fd = openSync(loosePath(oid), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const got = readSync(fd, looseScratch, 0, looseScratch.length, 0);
      if (got < looseScratch.length) return looseScratch.subarray(0, got);
    } finally {
      closeSync(fd);
    }
    return readFileSync(loosePath(oid));
  };

  const packs = createPackReader(gitdir);
  const readPacked = (oid: string, refresh: boolean, maxBytes?: number): PackedObject | null => {
    try {
      return packs.read(oid, maxBytes === undefined ? { refresh } : { refresh, maxBytes });
    } catch {
      // A pack we cannot read ourselves (being rewritten, unusual format): isomorphic-git tries next.
      return null;
    }
  };

  const readLooseObject = (oid: string, compressed: Buffer): { type: ObjectType; content: Buffer } => {
    // A small object is inflated once, whole, with a bound a few times its compressed size: the header
    // comes from the result. Only one that inflates past the bound (a zip bomb, or very repetitive
    // content) is read the careful way below, header first.
    if (compressed.length <= SINGLE_INFLATE_MAX_COMPRESSED) {
      const bound = Math.max(SINGLE_INFLATE_MIN_BOUND, compressed.length * SINGLE_INFLATE_RATIO);
      let wrapped: Buffer | null = null;
      try {
        wrapped = inflateSync(compressed, { maxOutputLength: bound });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
          throw new GitRefusedError(`corrupt object ${oid}: it is not valid zlib data (${(error as Error).message})`, { oid });
        }
      }
      if (wrapped !== null) return checkedLoose(oid, wrapped);
    }
    // The header first, from a bounded prefix: a size it claims is checked before anything that large
    // is inflated, and the whole object may not inflate past it (a zip bomb stops at the claimed size).
    const declared = parseHeader(oid, inflateLoose(oid, compressed.subarray(0, 256), true));
    if (declared.size > MAX_OBJECT_BYTES) {
      throw new GitRefusedError(`object ${oid} claims ${declared.size} bytes; objects over ${MAX_OBJECT_BYTES} bytes are not read`, { oid });
    }
    return checkedLoose(oid, inflateLoose(oid, compressed, false, declared.start + declared.size));
  };

  // Blobs read are not remembered: a checkout of 50,000 files would keep 50,000 ids for nothing (a
  // write of one checks the disk instead, once).
  const remember = (oid: string, type: ObjectType): void => {
    if (type !== 'blob') known.add(oid);
  };

  const read = async (oid: string): Promise<{ type: ObjectType; content: Buffer }> => {
    if (!/^[0-9a-f]{40}$/u.test(oid)) throw new GitNotFoundError(`not an object id: ${oid}`, { oid });
    if (oid === EMPTY_TREE_OID) return { type: 'tree', content: Buffer.alloc(0) };
    const held = pending?.get(oid);
    if (held !== undefined) return held;
    // Packs first (most objects of a cloned or gc'd repository), then loose objects, then packs
    // written since we last looked, then isomorphic-git (alternates, anything unusual).
    for (const step of ['pack', 'loose', 'repack'] as const) {
      if (step === 'loose') {
        const compressed = readLoose(oid);
        if (compressed === null) continue;
        const object = readLooseObject(oid, compressed);
        remember(oid, object.type);
        return object;
      }
      const packed = readPacked(oid, step === 'repack');
      if (packed !== null && packed.content !== null) {
        remember(oid, packed.type);
        return { type: packed.type, content: packed.content };
      }
    }
    try {
      const result = await git.readObject({ fs, dir, gitdir, oid, format: 'content', cache });
      const object = result.object;
      if (!(object instanceof Uint8Array)) throw new GitRefusedError(`unexpected object format for ${oid}`);
      remember(oid, result.type as ObjectType);
      return { type: result.type as ObjectType, content: Buffer.from(object.buffer, object.byteOffset, object.byteLength) };
    } catch (error) {
      if (error instanceof Error && (error as { code?: string }).code === 'NotFoundError') {
        throw new GitNotFoundError(`object ${oid} not found`, { oid });
      }
      throw error;
    }
  };

  const writeLoose = (oid: string, type: ObjectType, content: Uint8Array): void => {
    const target = loosePath(oid);
    const fanOut = oid.slice(0, 2);
    if (!fanOutDirs.has(fanOut)) {
      mkdirSync(`${gitdir}/objects/${fanOut}`, { recursive: true });
      fanOutDirs.add(fanOut);
    }
    const temp = `${gitdir}/objects/${fanOut}/tmp_obj_${randomBytes(6).toString('hex')}`;
    const compressed = deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]));
    const fd = openSync(temp, 'wx', 0o444);
    try {
      writeSync(fd, compressed);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(temp, target);
    } catch (error) {
      unlinkSync(temp);
      throw error;
    }
  };

  // Fewer objects than this are written loose: a pack per handful of objects would only add files.
  const PACK_THRESHOLD = 8;
  const flush = (): void => {
    if (pending === null || pending.size === 0) return;
    const objects = [...pending].map(([oid, o]) => ({ oid, type: o.type, content: o.content }));
    if (objects.length >= PACK_THRESHOLD) {
      writePack(gitdir, objects);
      packs.reload();
    } else for (const o of objects) writeLoose(o.oid, o.type, o.content);
    for (const o of objects) known.add(o.oid);
    pending.clear();
    pendingBytes = 0;
  };

  const expect = async (oid: string, type: ObjectType): Promise<Buffer> => {
    const object = await read(oid);
    if (object.type !== type) throw new GitRefusedError(`object ${oid} is a ${object.type}, not a ${type}`, { oid });
    return object.content;
  };

  const readTreeRaw = async (oid: string, options?: { readonly memo?: boolean }): Promise<RawTree> => {
    const memo = rawTrees.get(oid);
    if (memo !== undefined) return memo;
    const content = await expect(oid, 'tree');
    if (options?.memo === false) return scanTree(oid, content);
    // A small tree's bytes may be a slice of a shared pool: the memo keeps its own copy, so the bound
    // in bytes is what it really holds.
    const own = content.buffer.byteLength <= content.length + 1024 ? content : Buffer.from(content);
    const raw = scanTree(oid, own);
    rawTrees.set(oid, raw);
    rawTreeBytes += own.length + raw.nameStart.byteLength * 3;
    while (rawTreeBytes > RAW_TREE_MEMO_BYTES) {
      const [oldestOid, oldest] = rawTrees.entries().next().value as [string, RawTree];
      rawTrees.delete(oldestOid);
      rawTreeBytes -= oldest.bytes.length + oldest.nameStart.byteLength * 3;
    }
    return raw;
  };

  return {
    gitdir,
    read,
    readBlob: (oid) => expect(oid, 'blob'),
    async readBlobBounded(oid, maxBytes) {
      const held = pending?.get(oid);
      if (held !== undefined) {
        if (held.type !== 'blob') throw new GitRefusedError(`object ${oid} is a ${held.type}, not a blob`, { oid });
        return { size: held.content.length, content: held.content.length > maxBytes ? null : held.content };
      }
      const packed = readPacked(oid, false, maxBytes);
      if (packed !== null) {
        if (packed.type !== 'blob') throw new GitRefusedError(`object ${oid} is a ${packed.type}, not a blob`, { oid });
        return { size: packed.size, content: packed.content };
      }
      const compressed = readLoose(oid);
      if (compressed !== null) {
        try {
          const wrapped = inflateSync(compressed, { maxOutputLength: maxBytes + 64 });
          const { type, size, start } = parseHeader(oid, wrapped);
          if (type !== 'blob') throw new GitRefusedError(`object ${oid} is a ${type}, not a blob`, { oid });
          if (wrapped.length - start !== size || createHash('sha1').update(wrapped).digest('hex') !== oid) {
            throw new GitRefusedError(`corrupt object ${oid}`, { oid });
          }
          if (size > maxBytes) return { size, content: null };
          return { size, content: wrapped.subarray(start) };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
            if (error instanceof GitRefusedError) throw error;
            throw new GitRefusedError(`corrupt object ${oid}: ${(error as Error).message}`, { oid });
          }
          // Larger than the bound: inflate only the start to learn the size from the header.
          const start = inflateLoose(oid, compressed.subarray(0, 256), true);
          const header = parseHeader(oid, start);
          return { size: header.size, content: null };
        }
      }
      const content = await expect(oid, 'blob');
      return content.length > maxBytes ? { size: content.length, content: null } : { size: content.length, content };
    },
    async readTree(oid, options) {
      const memo = trees.get(oid);
      if (memo !== undefined) return memo;
      // From the raw tree (and its memo): a tree both walked raw and parsed is read and inflated once.
      const entries = parseTree(oid, await readTreeRaw(oid, options));
      if (options?.memo === false) return entries;
      if (trees.size >= maxTrees) {
        const oldest = trees.keys().next().value;
        if (oldest !== undefined) trees.delete(oldest);
      }
      trees.set(oid, entries);
      return entries;
    },
    readTreeRaw,
    async readCommit(oid) {
      const memo = commits.get(oid);
      if (memo !== undefined) return memo;
      const object = await read(oid);
      let content = object.content;
      let commitOid = oid;
      // Peel annotated tags to the commit they name.
      for (let depth = 0; object.type === 'tag' && depth < 10; depth += 1) {
        const target = /^object ([0-9a-f]{40})$/mu.exec(content.toString('utf8'))?.[1];
        if (target === undefined) throw new GitRefusedError(`malformed tag ${oid}`);
        const next = await read(target);
        commitOid = target;
        content = next.content;
        if (next.type === 'commit') return parseAndKeep(commitOid, content);
        if (next.type !== 'tag') throw new GitRefusedError(`${oid} does not name a commit`, { oid });
      }
      if (object.type !== 'commit') throw new GitRefusedError(`${oid} is a ${object.type}, not a commit`, { oid });
      return parseAndKeep(commitOid, content);
    },
    write(type, content) {
      const oid = hashObject(type, content);
      if (known.has(oid) || pending?.has(oid) === true) return oid;
      if (existsSync(loosePath(oid)) || packs.has(oid)) {
        known.add(oid);
        return oid;
      }
      if (pending !== null) {
        pending.set(oid, { type, content: Buffer.from(content) });
        pendingBytes += content.length;
        // Keep memory bounded: a very large batch is written in several packs.
        if (pendingBytes > 64 * 1024 * 1024) flush();
        return oid;
      }
      writeLoose(oid, type, content);
      known.add(oid);
      return oid;
    },
    async batch(work) {
      if (pending !== null) return work();
      pending = new Map();
      pendingBytes = 0;
      try {
        const result = await work();
        flush();
        return result;
      } finally {
        pending = null;
        pendingBytes = 0;
      }
    },
    has: (oid) => known.has(oid) || pending?.has(oid) === true,
    exists: (oid) => oid === EMPTY_TREE_OID || pending?.has(oid) === true || existsSync(loosePath(oid)) || packs.has(oid),
  };

  function parseAndKeep(oid: string, content: Buffer): ParsedCommit {
    const parsed = parseCommit(oid, content);
    commits.set(oid, parsed);
    if (commits.size > 20_000) {
      const oldest = commits.keys().next().value;
      if (oldest !== undefined) commits.delete(oldest);
    }
    return parsed;
  }
}

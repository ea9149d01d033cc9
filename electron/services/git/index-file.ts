/**
 * Reading and writing git's index (`.git/index`, the "DIRC" format, versions 2 to 4).
 *
 * The index's cached stat data is what makes a dirty check cheap: a file whose lstat still matches its
 * entry is not read at all (git's `ie_match_stat`). isomorphic-git does not expose the stat data, so the
 * file is parsed here. See Documentation/gitformat-index.txt in git.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync, type BigIntStats, type Stats } from 'node:fs';
import { GitConflictError, GitRefusedError, GitUnsupportedError } from './errors';

/** The stat data an index entry caches (32-bit fields, as git stores them). */
export interface IndexStat {
  readonly ctimeSec: number;
  readonly ctimeNsec: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  readonly dev: number;
  readonly ino: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
}

/** One index entry. */
export interface IndexEntry {
  readonly path: string;
  readonly oid: string;
  /** Git mode: 0o100644, 0o100755, 0o120000 or 0o160000. */
  readonly mode: number;
  /** 0 for a normal entry, 1-3 for the sides of an unmerged path. */
  readonly stage: number;
  readonly stat: IndexStat;
  readonly assumeValid: boolean;
  readonly skipWorktree: boolean;
  readonly intentToAdd: boolean;
}

/** A parsed index file. */
export interface GitIndex {
  readonly version: number;
  readonly entries: ReadonlyArray<IndexEntry>;
  /** The index file's mtime in nanoseconds (for git's racy-clean rule), or null when there is no index. */
  readonly mtimeNs: bigint | null;
  /** The file's trailing SHA-1 (hex), naming this exact content; '' when there is no index. */
  readonly checksum: string;
}

/** Stat data that never matches a file, so the next dirty check hashes it. */
export const ZERO_STAT: IndexStat = {
  ctimeSec: 0,
  ctimeNsec: 0,
  mtimeSec: 0,
  mtimeNsec: 0,
  dev: 0,
  ino: 0,
  uid: 0,
  gid: 0,
  size: 0,
};

const NS = 1_000_000_000n;
const U32 = 0xffffffffn;

/** Converts an lstat result (with `bigint: true`) to the 32-bit fields an index entry keeps. */
export function statToIndex(stat: BigIntStats): IndexStat {
  return {
    ctimeSec: Number((stat.ctimeNs / NS) & U32),
    ctimeNsec: Number(stat.ctimeNs % NS),
    mtimeSec: Number((stat.mtimeNs / NS) & U32),
    mtimeNsec: Number(stat.mtimeNs % NS),
    dev: Number(stat.dev & U32),
    ino: Number(stat.ino & U32),
    uid: Number(stat.uid & U32),
    gid: Number(stat.gid & U32),
    size: Number(stat.size & U32),
  };
}

/**
 * Whether a file's current lstat still matches the entry's cached stat data (git's `match_stat_data`
 * with `core.checkStat=default`: times with nanoseconds, inode, owner, size; not the device).
 */
export function statMatches(cached: IndexStat, current: IndexStat): boolean {
  return (
    cached.mtimeSec === current.mtimeSec &&
    cached.mtimeNsec === current.mtimeNsec &&
    cached.ctimeSec === current.ctimeSec &&
    cached.ctimeNsec === current.ctimeNsec &&
    cached.ino === current.ino &&
    cached.uid === current.uid &&
    cached.gid === current.gid &&
    cached.size === current.size
  );
}

/**
 * The same comparison as {@link statMatches} on a plain (non-bigint) lstat result, which is cheaper to
 * get. Times are compared as Node derives `mtimeMs` from seconds and nanoseconds, so equal stat data
 * gives equal doubles; two times under a quarter of a microsecond apart could compare equal, a finer
 * grain than git uses on builds without nanosecond support.
 */
export function statMatchesFast(cached: IndexStat, current: Stats): boolean {
  return (
    current.mtimeMs === cached.mtimeSec * 1000 + cached.mtimeNsec / 1_000_000 &&
    current.ctimeMs === cached.ctimeSec * 1000 + cached.ctimeNsec / 1_000_000 &&
    current.ino % 4294967296 === cached.ino &&
    current.uid % 4294967296 === cached.uid &&
    current.gid % 4294967296 === cached.gid &&
    current.size % 4294967296 === cached.size
  );
}

/** The index file's mtime in milliseconds (as a double), for {@link isRacy}. */
export function indexMtimeMs(index: GitIndex): number | null {
  return index.mtimeNs === null ? null : Number(index.mtimeNs) / 1_000_000;
}

/**
 * Whether an entry is "racily clean": written in the same instant as the index, so a later change of the
 * same size could keep the same stat data. Such entries are hashed, as git does.
 */
export function isRacy(stat: IndexStat, indexMs: number | null): boolean {
  if (indexMs === null) return true;
  return stat.mtimeSec * 1000 + stat.mtimeNsec / 1_000_000 >= indexMs;
}

function readVarint(buf: Buffer, start: number): { value: number; next: number } {
  // gitformat-index: the offset encoding of pack files ("each byte adds one before shifting").
  let offset = start;
  let byte = buf[offset] as number;
  offset += 1;
  let value = byte & 0x7f;
  while (byte & 0x80) {
    value += 1;
    byte = buf[offset] as number;
    offset += 1;
    value = value * 128 + (byte & 0x7f);
  }
  return { value, next: offset };
}

/**
 * The entries of an index file's bytes, one at a time (the header and checksum checked first, the
 * extensions after the last entry): a caller that walks them once holds no entry it is done with.
 */
export function* indexEntries(buf: Buffer): Generator<IndexEntry, { readonly version: number; readonly checksum: string }> {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') throw new GitRefusedError('the index file is corrupt');
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) throw new GitUnsupportedError(`index version ${version} is not supported`);
  const body = buf.subarray(0, buf.length - 20);
  const trailer = buf.subarray(buf.length - 20);
  // index.skipHash writes a zero trailer.
  if (!trailer.equals(Buffer.alloc(20)) && !createHash('sha1').update(body).digest().equals(trailer)) {
    throw new GitRefusedError('the index file checksum does not match');
  }
  const count = buf.readUInt32BE(8);
  let offset = 12;
  let previousPath: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i += 1) {
    if (offset + 62 > body.length) throw new GitRefusedError('the index file is truncated');
    const start = offset;
    const stat: IndexStat = {
      ctimeSec: buf.readUInt32BE(offset),
      ctimeNsec: buf.readUInt32BE(offset + 4),
      mtimeSec: buf.readUInt32BE(offset + 8),
      mtimeNsec: buf.readUInt32BE(offset + 12),
      dev: buf.readUInt32BE(offset + 16),
      ino: buf.readUInt32BE(offset + 20),
      uid: buf.readUInt32BE(offset + 28),
      gid: buf.readUInt32BE(offset + 32),
      size: buf.readUInt32BE(offset + 36),
    };
    const mode = buf.readUInt32BE(offset + 24);
    const oid = buf.toString('hex', offset + 40, offset + 60);
    const flags = buf.readUInt16BE(offset + 60);
    offset += 62;
    let extended = 0;
    if (flags & 0x4000) {
      if (version < 3) throw new GitRefusedError('the index file is corrupt (extended flag in version 2)');
      extended = buf.readUInt16BE(offset);
      offset += 2;
    }
    let pathBytes: Buffer;
    if (version === 4) {
      const { value: strip, next } = readVarint(buf, offset);
      const nul = buf.indexOf(0, next);
      if (nul < 0 || strip > previousPath.length) throw new GitRefusedError('the index file is corrupt');
      pathBytes = Buffer.concat([previousPath.subarray(0, previousPath.length - strip), buf.subarray(next, nul)]);
      offset = nul + 1;
    } else {
      const nul = buf.indexOf(0, offset);
      if (nul < 0) throw new GitRefusedError('the index file is corrupt');
      pathBytes = buf.subarray(offset, nul);
      // Entries are padded with 1-8 NULs to a multiple of eight bytes.
      offset = start + ((nul - start + 8) & ~7);
    }
    previousPath = pathBytes;
    yield {
      path: pathBytes.toString('utf8'),
      oid,
      mode,
      stage: (flags >> 12) & 0x3,
      stat,
      assumeValid: (flags & 0x8000) !== 0,
      skipWorktree: (extended & 0x4000) !== 0,
      intentToAdd: (extended & 0x2000) !== 0,
    };
  }
  // Extensions: optional ones (upper-case first letter) are skipped; required ones we do not know
  // (split index `link`, sparse index `sdir`) mean the entries above are not the whole index.
  while (offset + 8 <= body.length) {
    const signature = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32BE(offset + 4);
    const first = signature.charCodeAt(0);
    if (!(first >= 0x41 && first <= 0x5a)) {
      throw new GitUnsupportedError(`index extension "${signature}" (split or sparse index) is not supported`);
    }
    offset += 8 + size;
  }
  // A zero trailer (index.skipHash) names nothing: no memo may be keyed on it.
  const zero = trailer.equals(Buffer.alloc(20));
  return { version, checksum: zero ? '' : trailer.toString('hex') };
}

/**
 * The paths of an index file's entries, in file order (a conflicted path once per stage), read straight
 * from the bytes of a version 2 or 3 index without building an entry or checking the checksum: for a pass
 * that needs only the paths, ahead of a pass over {@link indexEntries} that checks everything. A version 4
 * index (prefix-compressed paths) goes through {@link indexEntries}. Refuses what would read out of bounds.
 */
export function* indexPaths(buf: Buffer): Generator<string> {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') throw new GitRefusedError('the index file is corrupt');
  const version = buf.readUInt32BE(4);
  if (version === 4) {
    for (const entry of indexEntries(buf)) yield entry.path;
    return;
  }
  if (version < 2 || version > 4) throw new GitUnsupportedError(`index version ${version} is not supported`);
  const end = buf.length - 20;
  const count = buf.readUInt32BE(8);
  let offset = 12;
  for (let i = 0; i < count; i += 1) {
    if (offset + 62 > end) throw new GitRefusedError('the index file is truncated');
    const start = offset;
    const extended = (buf.readUInt16BE(offset + 60) & 0x4000) !== 0;
    if (extended && version < 3) throw new GitRefusedError('the index file is corrupt (extended flag in version 2)');
    const name = offset + (extended ? 64 : 62);
    const nul = buf.indexOf(0, name);
    if (nul < 0 || nul >= end) throw new GitRefusedError('the index file is corrupt');
    yield buf.toString('utf8', name, nul);
    offset = start + ((nul - start + 8) & ~7);
  }
}

/** Parses an index file's bytes. */
export function parseIndex(buf: Buffer, mtimeNs: bigint | null = null): GitIndex {
  const entries: IndexEntry[] = [];
  const walk = indexEntries(buf);
  for (let next = walk.next(); ; next = walk.next()) {
    if (next.done === true) return { version: next.value.version, entries, mtimeNs, checksum: next.value.checksum };
    entries.push(next.value);
  }
}

/** The index file's bytes and mtime, unparsed and not memoised, or null when there is no index. */
export function readIndexFile(gitdir: string): { readonly bytes: Buffer; readonly mtimeNs: bigint } | null {
  const file = `${gitdir}/index`;
  let stat: BigIntStats;
  try {
    stat = lstatSync(file, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { bytes: readFileSync(file), mtimeNs: stat.mtimeNs };
}

/** A remembered parse of the index, reused while the file is unchanged. */
export interface IndexMemo {
  current: { readonly key: string; readonly index: GitIndex } | null;
}

/**
 * Reads `<gitdir>/index`; a missing index is an empty one. With a memo, an index whose size, times,
 * inode and trailing checksum are unchanged is not parsed again.
 */
export function readIndex(gitdir: string, memo?: IndexMemo): GitIndex {
  const file = `${gitdir}/index`;
  let stat: BigIntStats;
  try {
    stat = lstatSync(file, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 2, entries: [], mtimeNs: null, checksum: '' };
    throw error;
  }
  if (memo !== undefined && memo.current !== null && stat.size >= 20n) {
    const fd = openSync(file, 'r');
    const trailer = Buffer.alloc(20);
    try {
      readSync(fd, trailer, 0, 20, Number(stat.size) - 20);
    } finally {
      closeSync(fd);
    }
    const key = `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${trailer.toString('hex')}`;
    if (memo.current.key === key) return memo.current.index;
  }
  const buf = readFileSync(file);
  const index = parseIndex(buf, stat.mtimeNs);
  if (memo !== undefined) {
    memo.current = { key: `${buf.length}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${index.checksum}`, index };
  }
  return index;
}

function entrySize(entry: IndexEntry, nameBytes: number): number {
  return indexEntrySize(entry.skipWorktree || entry.intentToAdd, nameBytes);
}

/** The bytes an entry takes in a version 2 or 3 index (NUL padded to a multiple of eight). */
export function indexEntrySize(extended: boolean, nameBytes: number): number {
  return ((extended ? 64 : 62) + nameBytes + 8) & ~7;
}

/** Writes one entry at `o` of a zero-filled buffer (the NUL padding after the name is already there); returns the offset after it. */
export function encodeIndexEntry(b: Buffer, o: number, e: IndexEntry, name: Buffer): number {
  const extended = e.skipWorktree || e.intentToAdd;
  const fixed = extended ? 64 : 62;
  b.writeUInt32BE(e.stat.ctimeSec >>> 0, o);
  b.writeUInt32BE(e.stat.ctimeNsec >>> 0, o + 4);
  b.writeUInt32BE(e.stat.mtimeSec >>> 0, o + 8);
  b.writeUInt32BE(e.stat.mtimeNsec >>> 0, o + 12);
  b.writeUInt32BE(e.stat.dev >>> 0, o + 16);
  b.writeUInt32BE(e.stat.ino >>> 0, o + 20);
  b.writeUInt32BE(e.mode >>> 0, o + 24);
  b.writeUInt32BE(e.stat.uid >>> 0, o + 28);
  b.writeUInt32BE(e.stat.gid >>> 0, o + 32);
  b.writeUInt32BE(e.stat.size >>> 0, o + 36);
  b.write(e.oid, o + 40, 'hex');
  const flags = (e.assumeValid ? 0x8000 : 0) | (extended ? 0x4000 : 0) | ((e.stage & 0x3) << 12) | Math.min(name.length, 0xfff);
  b.writeUInt16BE(flags, o + 60);
  if (extended) b.writeUInt16BE((e.skipWorktree ? 0x4000 : 0) | (e.intentToAdd ? 0x2000 : 0), o + 62);
  name.copy(b, o + fixed);
  return o + ((fixed + name.length + 8) & ~7);
}

/** Serialises entries (already sorted) as a version 2 index, or version 3 when an entry needs extended flags. */
export function serialiseIndex(entries: ReadonlyArray<IndexEntry>): Buffer {
  const version = entries.some((e) => e.skipWorktree || e.intentToAdd) ? 3 : 2;
  const names = entries.map((e) => Buffer.from(e.path, 'utf8'));
  let size = 12;
  entries.forEach((e, i) => {
    size += entrySize(e, (names[i] as Buffer).length);
  });
  // One zero-filled buffer: the NUL padding after each name is already there.
  const b = Buffer.alloc(size + 20);
  b.write('DIRC', 0, 'latin1');
  b.writeUInt32BE(version, 4);
  b.writeUInt32BE(entries.length, 8);
  let o = 12;
  entries.forEach((e, i) => {
    o = encodeIndexEntry(b, o, e, names[i] as Buffer);
  });
  createHash('sha1').update(b.subarray(0, size)).digest().copy(b, size);
  return b;
}

/**
 * Builds an index one entry at a time, in index order, into compact byte chunks: a 50,000-entry
 * index costs its own size (about 5 MB) instead of an object per entry. Refuses entries out of order.
 */
export interface IndexBuilder {
  /** Appends an entry; entries must come in index order (path bytes, then stage). */
  add(entry: IndexEntry): void;
  /** How many entries were added. */
  readonly count: number;
  /** Header, entries and trailing checksum, in order (called once, by {@link IndexLock.commitBuilt}). */
  finish(): { readonly parts: ReadonlyArray<Buffer>; readonly checksum: string; readonly version: number };
}

const CHUNK_BYTES = 1024 * 1024;

/** Creates an {@link IndexBuilder}. */
export function createIndexBuilder(): IndexBuilder {
  const chunks: Buffer[] = [];
  let chunk = Buffer.alloc(CHUNK_BYTES);
  let used = 0;
  let count = 0;
  let extended = false;
  let previous: Buffer | null = null;
  let previousStage = 0;
  return {
    get count() {
      return count;
    },
    add(entry) {
      const name = Buffer.from(entry.path, 'utf8');
      if (previous !== null) {
        const order = Buffer.compare(previous, name);
        if (order > 0 || (order === 0 && previousStage >= entry.stage)) throw new GitRefusedError(`index entries out of order at ${entry.path}`);
      }
      previous = name;
      previousStage = entry.stage;
      const size = entrySize(entry, name.length);
      if (used + size > chunk.length) {
        chunks.push(chunk.subarray(0, used));
        chunk = Buffer.alloc(Math.max(CHUNK_BYTES, size));
        used = 0;
      }
      used = encodeIndexEntry(chunk, used, entry, name);
      count += 1;
      if (entry.skipWorktree || entry.intentToAdd) extended = true;
    },
    finish() {
      chunks.push(chunk.subarray(0, used));
      const version = extended ? 3 : 2;
      const header = Buffer.alloc(12);
      header.write('DIRC', 0, 'latin1');
      header.writeUInt32BE(version, 4);
      header.writeUInt32BE(count, 8);
      const hash = createHash('sha1').update(header);
      for (const c of chunks) hash.update(c);
      const trailer = hash.digest();
      return { parts: [header, ...chunks, trailer], checksum: trailer.toString('hex'), version };
    },
  };
}

/** A held `index.lock`: git's own lock, so a native git running at the same time waits or fails cleanly. */
export interface IndexLock {
  /** Writes the entries to the lock file and renames it over the index; returns the parsed form it wrote. */
  commit(entries: ReadonlyArray<IndexEntry>): GitIndex;
  /**
   * Writes what a builder holds and renames the lock over the index; returns the new index's checksum.
   * The memo forgets the index (the next read parses the file).
   */
  commitBuilt(builder: IndexBuilder): { readonly checksum: string };
  /**
   * Writes a whole index given as parts (header, entries, trailing checksum: `restoreIndexBytes` in
   * index-restore.ts) and renames the lock over the index. The memo forgets the index.
   */
  commitParts(parts: ReadonlyArray<Buffer>): void;
  /** Removes the lock without changing the index. */
  release(): void;
}

/**
 * Takes `<gitdir>/index.lock` (O_EXCL); a lock held by someone else is a {@link GitConflictError}.
 * With a memo, the index written on commit is remembered as parsed.
 */
export function lockIndex(gitdir: string, memo?: IndexMemo, onLocked?: (lockPath: string) => void): IndexLock {
  const lockPath = `${gitdir}/index.lock`;
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GitConflictError('another git process holds the index lock (.git/index.lock)');
    }
    throw error;
  }
  // An operation journal records the lock (by inode) so a crash recovery can prove it is ours.
  onLocked?.(lockPath);
  let open = true;
  const writeAndRename = (parts: ReadonlyArray<Buffer>): void => {
    if (!open) throw new Error('index lock already released');
    open = false;
    let closed = false;
    try {
      // No fsync, like git's default (core.fsync leaves the index out): the rename replaces the file whole.
      for (const part of parts) {
        let written = 0;
        while (written < part.length) written += writeSync(fd, part, written, part.length - written);
      }
      closeSync(fd);
      closed = true;
      renameSync(lockPath, `${gitdir}/index`);
    } catch (error) {
      if (!closed) closeSync(fd);
      unlinkSync(lockPath);
      throw error;
    }
  };
  return {
    commit(entries) {
      const bytes = serialiseIndex(entries);
      writeAndRename([bytes]);
      const stat = lstatSync(`${gitdir}/index`, { bigint: true });
      const checksum = bytes.toString('hex', bytes.length - 20);
      const index: GitIndex = { version: bytes.readUInt32BE(4), entries, mtimeNs: stat.mtimeNs, checksum };
      // The next read of this very file reuses what was just written instead of parsing it.
      if (memo !== undefined) memo.current = { key: `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${checksum}`, index };
      return index;
    },
    commitBuilt(builder) {
      const { parts, checksum } = builder.finish();
      writeAndRename(parts);
      if (memo !== undefined) memo.current = null;
      return { checksum };
    },
    commitParts(parts) {
      writeAndRename(parts);
      if (memo !== undefined) memo.current = null;
    },
    release() {
      if (!open) return;
      open = false;
      closeSync(fd);
      unlinkSync(lockPath);
    },
  };
}

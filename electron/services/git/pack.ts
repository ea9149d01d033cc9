/**
 * Reading objects from packfiles (gitformat-pack: `.idx` versions 1 and 2, `.pack` with OFS and REF
 * deltas).
 *
 * Repositories that were cloned, fetched into or garbage-collected keep nearly everything in packs,
 * and a review diff reads thousands of blobs; isomorphic-git's `readObject` costs about half a
 * millisecond per packed object, so packs are read here: the index is parsed once per handle, each
 * object is read with one positioned read and inflated through one reused zlib handle (inflate.ts),
 * and delta bases are kept in a cache.
 *
 * Hand-written because it parses untrusted bytes on the review path: every size, offset and count is
 * checked before it is used, and what isomorphic-git does instead costs ten times as much. Integrity
 * is git's own for packed objects (git does not hash an object it unpacks from a pack; only fsck and
 * index-pack do): the index's checksum is verified when it is parsed, the pack's trailing checksum must
 * equal the one the index records (git's open_packed_git_1 check), every entry is inflated with zlib's
 * Adler-32 check to exactly the size its header gives, and every delta's sizes and copies are checked.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { GatehouseError } from '../../../shared/model/result';
import { GitRefusedError } from './errors';
import { inflateExact, InflateError } from './inflate';
import type { ObjectType } from './object-store';

/** Largest object read into memory, in bytes; larger ones are refused (bounded reads still learn their size). */
export const MAX_OBJECT_BYTES = 512 * 1024 * 1024;

/** A parsed pack index. */
export interface PackIndex {
  readonly packPath: string;
  /** Sorted 20-byte object ids, concatenated. */
  readonly oids: Buffer;
  readonly fanout: Uint32Array;
  readonly offsets: Float64Array;
  /** Every object's offset, ascending (built on first use): an entry ends where the next one starts. */
  sorted: Uint32Array | Float64Array | null;
  /** A small number naming this pack in its reader's delta base cache keys (set by the reader). */
  ordinal: number;
  /** The pack's own trailing checksum as the index records it: the pack file must end with it. */
  readonly packChecksum: Buffer;
}

const TYPES: Readonly<Record<number, ObjectType>> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
/** Bytes of inflated delta bases kept per pack reader, oldest overwritten first. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;
/** Largest delta base kept in the cache. */
const MAX_CACHED_BASE = 4 * 1024 * 1024;
const REF_DELTA = 7;
/** Largest whole object a reader keeps a copy of as the last one read (see `lastPlain`). */
const LAST_PLAIN_BYTES = 64 * 1024;

/** Parses a pack index (`.idx` v1 or v2); a typed refusal when it is malformed. Exported for the fuzz tests. */
export function parseIndexFile(idxPath: string): PackIndex {
  const buf = readFileSync(idxPath);
  const packPath = idxPath.replace(/\.idx$/u, '.pack');
  const corrupt = (why: string): GitRefusedError => new GitRefusedError(`corrupt pack index ${idxPath}: ${why}`, { path: idxPath });
  if (buf.length < 8 + 1024 + 40 && buf.length < 1024 + 40) throw corrupt('too short');
  const v2 = buf.readUInt32BE(0) === 0xff744f63;
  const fanoutStart = v2 ? 8 : 0;
  if (buf.length < fanoutStart + 1024 + 40) throw corrupt('too short');
  if (v2 && buf.readUInt32BE(4) !== 2) throw corrupt('unsupported version');
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) {
    fanout[i] = buf.readUInt32BE(fanoutStart + i * 4);
    if (i > 0 && (fanout[i] as number) < (fanout[i - 1] as number)) throw corrupt('fan-out table not sorted');
  }
  const count = fanout[255] as number;
  // The object count comes from the file: check the file holds that many entries before allocating for them.
  const needed = v2 ? fanoutStart + 1024 + count * 28 + 40 : 1024 + count * 24 + 40;
  if (buf.length < needed) throw corrupt(`the fan-out claims ${count} objects but the file is ${buf.length} bytes`);
  // The index's own checksum (its last 20 bytes, over everything before them): git checks it only in
  // fsck, but it costs one hash of a file a thirtieth of the pack's size, and it is what lets the
  // objects read through this index skip a hash each (see the reader's module comment).
  if (!createHash('sha1').update(buf.subarray(0, buf.length - 20)).digest().equals(buf.subarray(buf.length - 20))) throw corrupt('checksum mismatch');
  const packChecksum = Buffer.from(buf.subarray(buf.length - 40, buf.length - 20));
  const offsets = new Float64Array(count);
  if (v2) {
    const oidStart = fanoutStart + 1024;
    const offsetStart = oidStart + count * 20 + count * 4;
    const largeStart = offsetStart + count * 4;
    for (let i = 0; i < count; i += 1) {
      const small = buf.readUInt32BE(offsetStart + i * 4);
      if (small & 0x80000000) {
        const at = largeStart + (small & 0x7fffffff) * 8;
        if (at + 8 > buf.length - 40) throw corrupt('large offset out of range');
        offsets[i] = buf.readUInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
      } else offsets[i] = small;
    }
    return { packPath, oids: buf.subarray(oidStart, oidStart + count * 20), fanout, offsets, sorted: null, ordinal: 0, packChecksum };
  }
  // Version 1: 256 fan-out entries, then (4-byte offset, 20-byte id) pairs.
  const oids = Buffer.alloc(count * 20);
  for (let i = 0; i < count; i += 1) {
    const at = 1024 + i * 24;
    offsets[i] = buf.readUInt32BE(at);
    buf.copy(oids, i * 20, at + 4, at + 24);
  }
  return { packPath, oids, fanout, offsets, sorted: null, ordinal: 0, packChecksum };
}

/**
 * The position of `oid` in the index, or -1. Exported for the tests.
 *
 * Ids are compared byte by byte in place: `Buffer#compare` with offsets costs a call into C++ and its
 * argument checks per probe, several times what comparing the first differing byte or two costs.
 */
export function findInIndex(index: PackIndex, oid: Uint8Array): number {
  const first = oid[0] as number;
  const oids = index.oids;
  let lo = first === 0 ? 0 : (index.fanout[first - 1] as number);
  let hi = (index.fanout[first] as number) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = mid * 20;
    // From byte 0, not 1: the fan-out says which ids start with `first`, but a corrupt index may lie.
    let i = 0;
    while (i < 20 && oid[i] === oids[at + i]) i += 1;
    if (i === 20) return mid;
    if ((oid[i] as number) > (oids[at + i] as number)) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Where the entry at `offset` ends: the next entry's offset, or the pack's trailing checksum. Entries
 * are contiguous in a pack, so this is the exact length of its header and deflated data, and one read
 * of that many bytes replaces guessing a window (git computes the same from its reverse index).
 * Exported for the tests.
 */
export function entryEnd(index: PackIndex, offset: number, packSize: number): number {
  let sorted = index.sorted;
  if (sorted === null) {
    // 32-bit offsets (every pack under 4 GiB) in half the memory of doubles, and faster to search.
    sorted = (index.offsets.every((o) => o < 2 ** 32) ? Uint32Array.from(index.offsets) : Float64Array.from(index.offsets)).sort();
    index.sorted = sorted;
  }
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = sorted[mid] as number;
    if (at === offset) return mid + 1 < sorted.length ? (sorted[mid + 1] as number) : packSize - 20;
    if (at < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  // Not an indexed entry (a delta base named by a corrupt offset): the caller falls back to windows.
  return -1;
}

/** Bytes a pack window holds. */
const WINDOW_BYTES = 64 * 1024;
/** Windows kept per open pack. */
const WINDOW_SLOTS = 4;

/** Reads of one open pack through a few windows (see {@link createPackWindows}). */
export interface PackWindows {
  /**
   * `length` bytes at `offset`, fewer only where the file ends first. The answer may be a view of a
   * window: valid until the next read.
   */
  read(offset: number, length: number): Buffer;
}

/**
 * Reads of one open pack through a few reused windows, so entries read in pack order cost one read
 * per window instead of one per object (git maps its packs in windows for the same reason). A review
 * diff reads two streams at once, the old blobs and the deltas of the new ones, each in pack order:
 * hence several windows, the least recently used refilled.
 *
 * A read inside a window is a view of it. A read that continues a window (starts at most a window's
 * size past its end) refills that window with a whole window's bytes from its offset; any other read
 * fetches only the bytes asked for, so scattered reads cost what they did before. The caller checks
 * every size and offset it parses out of the bytes, as before: a window only changes where they come
 * from. Exported for the tests.
 */
export function createPackWindows(fd: number, packSize: number, slots = WINDOW_SLOTS, windowBytes = WINDOW_BYTES): PackWindows {
  const windows = Array.from({ length: slots }, () => ({ buf: null as Buffer | null, start: 0, length: 0, used: 0 }));
  let tick = 0;
  return {
    read(offset, length) {
      tick += 1;
      for (const w of windows) {
        if (w.buf !== null && offset >= w.start && offset + length <= w.start + w.length) {
          w.used = tick;
          return w.buf.subarray(offset - w.start, offset - w.start + length);
        }
      }
      if (length > windowBytes) return readAt(fd, offset, length);
      let chosen: (typeof windows)[number] | undefined;
      for (const w of windows) if (w.buf !== null && offset >= w.start && offset <= w.start + w.length + windowBytes) chosen = w;
      const continues = chosen !== undefined;
      if (chosen === undefined) for (const w of windows) if (chosen === undefined || w.used < chosen.used) chosen = w;
      const slot = chosen as (typeof windows)[number];
      slot.buf ??= Buffer.allocUnsafe(windowBytes);
      const span = continues ? Math.max(length, Math.min(windowBytes, packSize - offset)) : length;
      const got = readSync(fd, slot.buf, 0, span, offset);
      slot.start = offset;
      slot.length = got;
      slot.used = tick;
      return slot.buf.subarray(0, Math.min(got, length));
    },
  };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  const got = readSync(fd, out, 0, length, position);
  return out.subarray(0, got);
}

/** A delta's size varint at `at`: its value, and where the next field starts in `varintEnd`. */
let varintEnd = 0;
function deltaVarint(delta: Buffer, at: number): number {
  let p = at;
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = delta[p] as number;
    p += 1;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  varintEnd = p;
  return value;
}

function applyDelta(base: Buffer, delta: Buffer): Buffer {
  // Top-level helpers, not closures: this runs once per delta, and a closure per call is an allocation
  // (and, under a loader that keeps function names, a defineProperty) each time.
  const sourceSize = deltaVarint(delta, 0);
  let p = varintEnd;
  if (p > delta.length || sourceSize !== base.length) throw new GitRefusedError('corrupt pack: delta base size mismatch');
  const targetSize = deltaVarint(delta, p);
  p = varintEnd;
  if (p > delta.length) throw new GitRefusedError('corrupt pack: delta truncated');
  // The size a delta claims is checked before it is allocated.
  if (targetSize > MAX_OBJECT_BYTES) throw new GitRefusedError(`corrupt pack: a delta claims ${targetSize} bytes; objects over ${MAX_OBJECT_BYTES} bytes are not read`);
  const out = Buffer.allocUnsafe(targetSize);
  let o = 0;
  while (p < delta.length) {
    const op = delta[p] as number;
    p += 1;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit += 1) {
        if (op & (1 << bit)) {
          offset += (delta[p] as number) * 2 ** (8 * bit);
          p += 1;
        }
      }
      for (let bit = 0; bit < 3; bit += 1) {
        if (op & (0x10 << bit)) {
          size += (delta[p] as number) << (8 * bit);
          p += 1;
        }
      }
      if (size === 0) size = 0x10000;
      if (p > delta.length || offset + size > base.length || o + size > targetSize) throw new GitRefusedError('corrupt pack: delta copy out of range');
      // Most copies of a source file's delta are a few dozen bytes: a loop costs less than a call.
      if (size < 64) for (let i = 0; i < size; i += 1) out[o + i] = base[offset + i] as number;
      else base.copy(out, o, offset, offset + size);
      o += size;
    } else if (op !== 0) {
      if (p + op > delta.length || o + op > targetSize) throw new GitRefusedError('corrupt pack: delta insert out of range');
      for (let i = 0; i < op; i += 1) out[o + i] = delta[p + i] as number;
      p += op;
      o += op;
    } else throw new GitRefusedError('corrupt pack: delta opcode 0 is reserved');
  }
  if (o !== targetSize) throw new GitRefusedError('corrupt pack: delta result size mismatch');
  return out;
}

/** An object read from a pack; `content` is null when it is larger than the bound asked for. */
export interface PackedObject {
  readonly type: ObjectType;
  readonly size: number;
  readonly content: Buffer | null;
}

/** Reads packed objects of one repository. */
export interface PackReader {
  /**
   * The object, or null when no known pack holds it. `refresh` re-reads the pack directory first (for
   * packs written since); `maxBytes` returns only the size of larger objects.
   */
  read(oid: string, options?: { readonly refresh?: boolean; readonly maxBytes?: number }): PackedObject | null;
  /** Whether a known pack holds the object (no read). */
  has(oid: string): boolean;
  /** Re-reads the pack directory (after writing a pack). */
  reload(): void;
}

const TYPE_CODES: ReadonlyArray<ObjectType> = ['blob', 'tree', 'commit', 'tag'];

/**
 * Delta bases kept in one ring buffer: a base is copied in after the last one, the oldest are
 * overwritten when the ring comes round, and a map from (pack, offset) to a number says where each
 * lies. A 50,000-blob checkout resolves tens of thousands of bases; one Buffer (and one backing
 * store, and one object for the collector to trace) per base cost more than the bytes themselves.
 *
 * The ring is made of segments (4 MiB by default) allocated as writing first reaches them: a review
 * diff on a fresh handle keeps a few megabytes of bases and no longer pays for allocating (and the
 * collector for accounting) the whole bound up front. A base never spans two segments: one that does
 * not fit in what is left of a segment starts at the next, and whatever the skipped bytes held goes.
 *
 * What `get` returns is a view into the ring, valid until the next `put`: the reader applies a delta
 * to it at once, and copies a base it hands to a caller. Exported for the tests.
 */
export interface BaseCache {
  get(key: number): { readonly type: ObjectType; readonly view: Buffer } | undefined;
  put(key: number, type: ObjectType, content: Buffer): void;
}

/** Bytes of one segment of a {@link BaseCache}'s ring (the largest base it keeps). */
const BASE_CACHE_SEGMENT = MAX_CACHED_BASE;

const EMPTY = Buffer.alloc(0);

/** Creates a {@link BaseCache} of `capacity` bytes, allocated in segments of `segmentBytes`. */
export function createBaseCache(capacity: number, segmentBytes = BASE_CACHE_SEGMENT): BaseCache {
  const segment = Math.max(1, Math.min(segmentBytes, capacity));
  // Allocated on first use: a reader that meets no delta never holds any.
  const segments: Array<Buffer | undefined> = [];
  let head = 0;
  // key → (start × 2^23 + length) × 4 + type: exact in a double (start < 2^27, length ≤ 2^22).
  const where = new Map<number, number>();
  // Keys in the order they were written (the ring's order), oldest at `first`: a map's own order would
  // do, but a fresh iterator over a map that keeps deleting its oldest entries walks their holes.
  let order: number[] = [];
  let first = 0;
  const frontStart = (): number => {
    if (first >= order.length) return -1;
    return Math.floor((where.get(order[first] as number) as number) / 4 / 2 ** 23);
  };
  const evictFront = (): void => {
    where.delete(order[first] as number);
    first += 1;
    if (first > 4096 && first * 2 > order.length) {
      order = order.slice(first);
      first = 0;
    }
  };
  // Moves the write position to `next` (ahead of it in this round, or 0 to round the ring), dropping
  // the previous round's entries that start in the bytes skipped.
  const skipTo = (next: number): void => {
    const until = next === 0 ? Infinity : next;
    for (let s = frontStart(); s >= head && s < until; s = frontStart()) evictFront();
    head = next;
  };
  return {
    get(key) {
      const value = where.get(key);
      if (value === undefined) return undefined;
      const type = TYPE_CODES[value % 4] as ObjectType;
      const rest = Math.floor(value / 4);
      const length = rest % 2 ** 23;
      if (length === 0) return { type, view: EMPTY };
      const start = (rest - length) / 2 ** 23;
      const index = Math.floor(start / segment);
      const at = start - index * segment;
      return { type, view: (segments[index] as Buffer).subarray(at, at + length) };
    },
    put(key, type, content) {
      const length = content.length;
      if (length > segment || length > MAX_CACHED_BASE || where.has(key)) return;
      // The segment holding `head` ends here; a base that does not fit starts at the next one, or
      // at 0 when the ring has no room left after it.
      for (let end = Math.min((Math.floor(head / segment) + 1) * segment, capacity); head + length > end; end = Math.min(head + segment, capacity)) {
        skipTo(end >= capacity ? 0 : end);
      }
      // Entries written on the previous round start at or after `head`, oldest first: drop those this
      // copy overlaps (the ones written on this round all lie before `head`).
      for (let s = frontStart(); s >= head && s < head + length; s = frontStart()) evictFront();
      if (length > 0) {
        const index = Math.floor(head / segment);
        const buffer = (segments[index] ??= Buffer.allocUnsafeSlow(Math.min(segment, capacity - index * segment)));
        buffer.set(content, head - index * segment);
      }
      where.set(key, (head * 2 ** 23 + length) * 4 + TYPE_CODES.indexOf(type));
      order.push(key);
      head += length;
    },
  };
}

/** An open pack file: its descriptor, size and read windows (dropped with the descriptor). */
interface OpenPack {
  readonly fd: number;
  readonly size: number;
  readonly windows: PackWindows;
}

/** Creates a pack reader for `<gitdir>/objects/pack`. */
export function createPackReader(gitdir: string): PackReader {
  const packDir = `${gitdir}/objects/pack`;
  const indexes = new Map<string, PackIndex>();
  // Recently inflated delta bases, by pack and offset (delta chains share bases).
  const bases = createBaseCache(BASE_CACHE_BYTES);
  let packsSeen = 0;
  // REF delta bases being resolved (a cycle of bases is refused, not followed for ever).
  const resolving = new Set<string>();

  // Open pack files, kept while reads keep coming and closed after a second without any (so a pack
  // that `git gc` replaced is not held open, and a discarded handle leaves no descriptor behind).
  const fds = new Map<string, OpenPack>();
  let lastUse = 0;
  let closer: NodeJS.Timeout | null = null;
  const closeIdle = (): void => {
    closer = null;
    if (Date.now() - lastUse < 1000) {
      closer = setTimeout(closeIdle, 1000);
      closer.unref();
      return;
    }
    for (const open of fds.values()) closeSync(open.fd);
    fds.clear();
  };
  const openPack = (pack: PackIndex): OpenPack | null => {
    lastUse = Date.now();
    if (closer === null) {
      closer = setTimeout(closeIdle, 1000);
      closer.unref();
    }
    const existing = fds.get(pack.packPath);
    if (existing !== undefined) return existing;
    let fd: number;
    try {
      fd = openSync(pack.packPath, 'r');
    } catch {
      return null;
    }
    const size = fstatSync(fd).size;
    // As git's open_packed_git_1: a pack header, and the pack's trailing checksum equal to the one its
    // index recorded, or the pack is not the one the index describes.
    const head = Buffer.alloc(8);
    const trailer = Buffer.alloc(20);
    const matches =
      size >= 32 &&
      readSync(fd, head, 0, 8, 0) === 8 &&
      head.toString('latin1', 0, 4) === 'PACK' &&
      (head.readUInt32BE(4) === 2 || head.readUInt32BE(4) === 3) &&
      readSync(fd, trailer, 0, 20, size - 20) === 20 &&
      trailer.equals(pack.packChecksum);
    if (!matches) {
      closeSync(fd);
      throw new GitRefusedError(`packfile ${pack.packPath} does not match its index`, { path: pack.packPath });
    }
    const opened = { fd, size, windows: createPackWindows(fd, size) };
    fds.set(pack.packPath, opened);
    return opened;
  };

  const refresh = (): void => {
    let names: string[];
    try {
      names = readdirSync(packDir);
    } catch {
      return;
    }
    const present = new Set(names.filter((n) => n.endsWith('.idx')));
    for (const [name, pack] of [...indexes]) {
      if (present.has(name)) continue;
      indexes.delete(name);
      const open = fds.get(pack.packPath);
      if (open !== undefined) {
        closeSync(open.fd);
        fds.delete(pack.packPath);
      }
    }
    for (const name of present) {
      if (indexes.has(name)) continue;
      try {
        const parsed = parseIndexFile(`${packDir}/${name}`);
        parsed.ordinal = packsSeen;
        packsSeen += 1;
        indexes.set(name, parsed);
      } catch {
        // An index being written or of an unknown version: leave it to the fallback reader.
      }
    }
  };

  const remember = (key: number, value: { type: ObjectType; content: Buffer }): void => {
    // Bounded in bytes only (as git's core.deltaBaseCacheLimit): a checkout that walks thousands of
    // small blobs out of delta order needs thousands of bases, which cost little memory.
    if (key >= 0) bases.put(key, value.type, value.content);
  };

  const inflateAt = (fd: number, packSize: number, start: number, size: number, prefetched: Buffer | null, complete = false): Buffer => {
    // The whole deflated entry was read: no window to grow.
    if (complete && prefetched !== null) return inflateExact(prefetched, size);
    // The deflated data's length is not stored: read a window a little larger than the output (or use
    // what came with the entry header) and grow it if zlib runs out of input.
    let windowSize = Math.min(size + (size >> 4) + 256, packSize - start);
    let window = prefetched !== null && prefetched.length >= windowSize ? prefetched : null;
    for (;;) {
      try {
        return inflateExact(window ?? readAt(fd, start, windowSize), size);
      } catch (error) {
        if (windowSize >= packSize - start || !(error instanceof InflateError) || error.failure !== 'truncated') throw error;
        windowSize = Math.min(windowSize * 2, packSize - start);
        window = null;
      }
    }
  };

  // A copy of the last whole (not delta) object read for a caller: a review diff reads a file's old
  // blob and then its new one, most often a delta against that old blob, which would be inflated again.
  const lastPlain = { key: -1, type: 'blob' as ObjectType, length: 0, bytes: null as Buffer | null };

  // A delta's base: the entry at `baseOffset` in the same pack, or (when that is -1) the object `baseOid`.
  const readBase = (pack: PackIndex, open: OpenPack, baseOffset: number, baseOid: string, depth: number): PackedObject => {
    if (baseOffset >= 0) return readEntry(pack, open, baseOffset, depth + 1, Infinity);
    // A delta whose base is (through others) itself would recurse for ever.
    if (resolving.has(baseOid) || resolving.size > 10_000) throw new GitRefusedError(`corrupt pack: delta base ${baseOid} refers back to itself`);
    resolving.add(baseOid);
    try {
      const found = reader.read(baseOid, { refresh: false });
      if (found === null) throw new GitRefusedError(`corrupt pack: delta base ${baseOid} not found`);
      return found;
    } finally {
      resolving.delete(baseOid);
    }
  };

  const readEntry = (pack: PackIndex, open: OpenPack, offset: number, depth: number, maxBytes: number): PackedObject => {
    const { fd, size: packSize, windows } = open;
    // A number, not a string: this runs for every link of every delta chain. Offsets stay below 2^40
    // (a terabyte of pack) and ordinals below 2^13, so the key is exact; past that, nothing is cached.
    const key = pack.ordinal < 8192 && offset < 2 ** 40 ? pack.ordinal * 2 ** 40 + offset : -1;
    const cached = key < 0 ? undefined : key === lastPlain.key ? { type: lastPlain.type, view: (lastPlain.bytes as Buffer).subarray(0, lastPlain.length) } : bases.get(key);
    if (cached !== undefined) {
      // A view into the cache serves the delta applied to it next; anything handed out is a copy.
      const size = cached.view.length;
      if (size > maxBytes) return { type: cached.type, size, content: null };
      return { type: cached.type, size, content: depth > 0 ? cached.view : Buffer.from(cached.view) };
    }
    if (depth > 10_000) throw new GitRefusedError('corrupt pack: delta chain too deep');
    if (!Number.isSafeInteger(offset) || offset < 12 || offset >= packSize) throw new GitRefusedError(`corrupt pack: object offset ${offset} outside the pack`);
    // One read for the header and, for most objects, all of the deflated data, through the pack's
    // windows (nothing keeps a reference to what they answer: inflating copies out, and a delta is
    // inflated before its base is read).
    const end = entryEnd(pack, offset, packSize);
    const exact = end > offset ? end - offset : -1;
    // The exact entry when its length is known, else a window's worth to inflate from.
    const head = windows.read(offset, exact > 0 ? exact : Math.min(WINDOW_BYTES, packSize - offset));
    const got = head.length;
    let p = 0;
    let byte = head[p] as number;
    p += 1;
    const typeCode = (byte >> 4) & 7;
    let size = byte & 0x0f;
    let shift = 4;
    while (byte & 0x80) {
      byte = head[p] as number;
      p += 1;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (p > got) throw new GitRefusedError('corrupt pack: object header truncated');
    const plain = TYPES[typeCode];
    if (plain !== undefined) {
      if (size > maxBytes) return { type: plain, size, content: null };
      if (size > MAX_OBJECT_BYTES) throw new GitRefusedError(`corrupt pack: an object claims ${size} bytes; objects over ${MAX_OBJECT_BYTES} bytes are not read`);
      const content = inflateAt(fd, packSize, offset + p, size, head.subarray(p), exact > 0);
      if (depth > 0) remember(key, { type: plain, content });
      else if (key >= 0 && size <= LAST_PLAIN_BYTES) {
        lastPlain.bytes ??= Buffer.allocUnsafe(LAST_PLAIN_BYTES);
        content.copy(lastPlain.bytes);
        lastPlain.key = key;
        lastPlain.type = plain;
        lastPlain.length = size;
      }
      return { type: plain, size, content };
    }
    // Where the base is: an offset in this pack (OFS) or an id (REF); read only when needed.
    let baseOffset = -1;
    let baseOid = '';
    if (typeCode === OFS_DELTA) {
      byte = head[p] as number;
      p += 1;
      let back = byte & 0x7f;
      while (byte & 0x80) {
        byte = head[p] as number;
        p += 1;
        back = (back + 1) * 128 + (byte & 0x7f);
      }
      if (back <= 0 || back > offset) throw new GitRefusedError('corrupt pack: delta base offset out of range');
      baseOffset = offset - back;
    } else if (typeCode === REF_DELTA) {
      baseOid = head.toString('hex', p, p + 20);
      p += 20;
    } else throw new GitRefusedError(`corrupt pack: unknown object type ${typeCode}`);
    if (size > MAX_OBJECT_BYTES) throw new GitRefusedError(`corrupt pack: a delta claims ${size} bytes`);
    const delta = inflateAt(fd, packSize, offset + p, size, head.subarray(p), exact > 0);
    // The target size opens the delta (after the base's): a bounded read stops before resolving the chain.
    deltaVarint(delta, 0);
    const targetSize = deltaVarint(delta, varintEnd);
    if (targetSize > maxBytes) {
      const resolved = readBase(pack, open, baseOffset, baseOid, depth);
      return { type: resolved.type, size: targetSize, content: null };
    }
    const resolved = readBase(pack, open, baseOffset, baseOid, depth);
    if (resolved.content === null) throw new GitRefusedError('corrupt pack: delta base missing');
    const content = applyDelta(resolved.content, delta);
    if (depth > 0) remember(key, { type: resolved.type, content });
    return { type: resolved.type, size: content.length, content };
  };

  let loaded = false;
  const reader: PackReader = {
    has(oid) {
      if (!loaded) {
        refresh();
        loaded = true;
      }
      const wanted = Buffer.from(oid, 'hex');
      for (const pack of indexes.values()) if (findInIndex(pack, wanted) >= 0) return true;
      return false;
    },
    reload() {
      refresh();
      loaded = true;
    },
    read(oid, options = {}) {
      if (options.refresh === true || !loaded) {
        refresh();
        loaded = true;
      }
      const wanted = Buffer.from(oid, 'hex');
      for (const pack of indexes.values()) {
        const at = findInIndex(pack, wanted);
        if (at < 0) continue;
        const open = openPack(pack);
        if (open === null) continue; // repacked away since we read its index
        let result: PackedObject;
        try {
          result = readEntry(pack, open, pack.offsets[at] as number, 0, options.maxBytes ?? Infinity);
        } catch (error) {
          // zlib's and Buffer's own errors on hostile bytes become one typed refusal.
          if (error instanceof GatehouseError) throw error;
          throw new GitRefusedError(`packed object ${oid} is corrupt: ${error instanceof Error ? error.message : String(error)}`, { oid });
        }
        // No SHA-1 of each object, as git reads packed objects (unpack_entry: zlib's Adler-32 of every
        // deflated entry, the exact inflated size, delta sizes checked; hashes only in fsck or
        // index-pack). What vouches for the bytes: the index's checksum, the pack's trailer equal to
        // the index's record of it, and zlib's check of each entry and delta read here.
        // Most lookups of one diff hit the same pack: try it first next time.
        if (indexes.values().next().value !== pack) {
          const name = [...indexes].find(([, v]) => v === pack)?.[0];
          if (name !== undefined) {
            indexes.delete(name);
            const rest = [...indexes];
            indexes.clear();
            indexes.set(name, pack);
            for (const [k, v] of rest) indexes.set(k, v);
          }
        }
        return result;
      }
      return null;
    },
  };
  return reader;
}

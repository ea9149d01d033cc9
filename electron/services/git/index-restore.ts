/**
 * The index after a rollback, written from the index it replaces: the old index file's bytes patched
 * with the changes between the old index tree and the target's, instead of rebuilt from the whole target
 * tree (every tree of the repository read, an object per entry, every entry encoded again).
 *
 * An entry neither the rollback nor the scan before it touched keeps its bytes as they were, stat data
 * included, copied in runs; every other entry is encoded with the stat data the caller knows to describe
 * the disk, or zero stat data (the next dirty check hashes it). The result is byte for byte what
 * rebuilding the target's entries with the same stat data would write (rollback.ts's former way, still
 * the fallback).
 *
 * Only the plain case is taken: an index of version 2 or 3 whose checksum matches, whose entries are all
 * stage 0 without flags (no conflicts, assume-valid, skip-worktree or intent-to-add) and in order, with
 * ASCII paths (so string order is byte order). Anything else answers null and the caller rebuilds.
 */
import { createHash } from 'node:crypto';
import { encodeIndexEntry, indexEntrySize, ZERO_STAT, type IndexStat } from './index-file';
import { MODE_GITLINK } from './object-store';
import type { EntryRef, TreeChange } from './trees';

/** What the disk holds at a path, as a scan or a write saw it. */
export interface KnownFile {
  readonly oid: string;
  readonly mode: number;
  readonly stat: IndexStat;
}

/** Input of {@link restoreIndexBytes}. */
export interface IndexRestoreInput {
  /** The old index file's bytes, as read from disk under the index lock. */
  readonly oldIndex: Buffer;
  /** The checksum of the index the caller's scan read: bytes with another checksum are not used. */
  readonly oldChecksum: string;
  /** The changes from the old index's tree to the target index tree, in index order. */
  readonly changes: ReadonlyArray<TreeChange>;
  /**
   * Fresh stat data: of every path written, of every untracked file, and of every tracked file whose
   * stat data the scan refreshed or found changed (with the content it found).
   */
  readonly known: ReadonlyMap<string, KnownFile>;
  /** Tracked paths whose old entry's stat data does not describe the disk (dirty, missing, refreshed). */
  readonly unclean: ReadonlySet<string>;
}

/** The new index, as parts to write in order, and its checksum. */
export interface RestoredIndex {
  readonly parts: ReadonlyArray<Buffer>;
  readonly checksum: string;
  readonly count: number;
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Builds the new index (see the module comment), or null when the old index is not the plain case, or
 * its bytes are not the index the scan read, or the changes do not fit it (a deletion or modification
 * of a path it does not hold).
 */
export function restoreIndexBytes(input: IndexRestoreInput): RestoredIndex | null {
  const { oldIndex: buf, changes, known, unclean } = input;
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  const bodyEnd = buf.length - 20;
  const trailer = buf.toString('hex', bodyEnd);
  if (input.oldChecksum === '' || trailer !== input.oldChecksum) return null;
  if (!createHash('sha1').update(buf.subarray(0, bodyEnd)).digest().equals(buf.subarray(bodyEnd))) return null;
  for (const change of changes) if (!isAscii(change.path)) return null;

  const parts: Buffer[] = [];
  let count = 0;
  // A run of old entries copied as they are: [runStart, runEnd).
  let runStart = -1;
  let runEnd = -1;
  const flushRun = (): void => {
    if (runStart >= 0 && runEnd > runStart) parts.push(buf.subarray(runStart, runEnd));
    runStart = -1;
    runEnd = -1;
  };
  const encoded = (path: string, ref: EntryRef, stat: IndexStat): void => {
    flushRun();
    const name = Buffer.from(path, 'latin1');
    const out = Buffer.alloc(indexEntrySize(false, name.length));
    encodeIndexEntry(out, 0, { path, oid: ref.oid, mode: ref.mode, stage: 0, stat, assumeValid: false, skipWorktree: false, intentToAdd: false }, name);
    parts.push(out);
    count += 1;
  };
  /** The stat data the rebuilt index would give `ref` at `path`: what is known of the disk, else zero. */
  const knownStat = (path: string, ref: EntryRef): IndexStat => {
    const k = known.get(path);
    return k !== undefined && k.oid === ref.oid && k.mode === ref.mode ? k.stat : ZERO_STAT;
  };

  const entryCount = buf.readUInt32BE(8);
  let offset = 12;
  let previous: string | null = null;
  let c = 0;
  for (let i = 0; i < entryCount; i += 1) {
    if (offset + 62 > bodyEnd) return null;
    const start = offset;
    const flags = buf.readUInt16BE(offset + 60);
    // Any flag (assume-valid, extended) or a stage: not the plain case.
    if ((flags & 0xf000) !== 0) return null;
    const nul = buf.indexOf(0, offset + 62);
    if (nul < 0 || nul >= bodyEnd) return null;
    const end = start + ((nul - start + 8) & ~7);
    if (end > bodyEnd) return null;
    const path = buf.toString('latin1', offset + 62, nul);
    if (!isAscii(path) || (previous !== null && previous >= path)) return null;
    previous = path;
    offset = end;
    const mode = buf.readUInt32BE(start + 24);
    const oid = buf.toString('hex', start + 40, start + 60);
    // Changes before this path: additions (a change at an earlier path that the old index holds would
    // have met its entry already).
    while (c < changes.length && (changes[c] as TreeChange).path < path) {
      const change = changes[c] as TreeChange;
      if (change.old !== null || change.new === null) return null;
      encoded(change.path, change.new, knownStat(change.path, change.new));
      c += 1;
    }
    const change = c < changes.length && (changes[c] as TreeChange).path === path ? (changes[c] as TreeChange) : null;
    if (change !== null) {
      c += 1;
      if (change.old === null || change.old.oid !== oid || change.old.mode !== mode) return null;
      if (change.new !== null) encoded(path, change.new, knownStat(path, change.new));
      else flushRun();
      continue;
    }
    // Unchanged in the index. Its stat data stays when the disk still matches it as the scan saw it;
    // a gitlink gets zero stat data, as the rebuilt index gives it.
    if (mode === MODE_GITLINK || known.has(path) || unclean.has(path)) {
      encoded(path, { oid, mode }, mode === MODE_GITLINK ? ZERO_STAT : knownStat(path, { oid, mode }));
      continue;
    }
    if (runStart < 0) runStart = start;
    runEnd = end;
    count += 1;
  }
  while (c < changes.length) {
    const change = changes[c] as TreeChange;
    if (change.old !== null || change.new === null) return null;
    encoded(change.path, change.new, knownStat(change.path, change.new));
    c += 1;
  }
  flushRun();
  const header = Buffer.alloc(12);
  header.write('DIRC', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(count, 8);
  const hash = createHash('sha1').update(header);
  for (const part of parts) hash.update(part);
  const checksum = hash.digest();
  return { parts: [header, ...parts, checksum], checksum: checksum.toString('hex'), count };
}

/**
 * Writing a batch of new objects as one packfile (gitformat-pack: version 2 pack, version 2 index),
 * instead of one loose file each.
 *
 * A checkpoint of a 100-file change writes about a hundred blobs and trees; as loose objects that is a
 * hundred open/write/close/rename sequences, as a pack it is two files. Objects are stored whole (no
 * deltas); `git gc` repacks them like any other pack. The pack is renamed into place before its index,
 * because readers (git included) discover packs through their index.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import type { ObjectType } from './object-store';

/**
 * zlib level 1 (fastest). These packs are local, mostly short-lived snapshots (a checkpoint's blobs and
 * trees, taken on the path of every apply and rollback) that stand in for loose objects, and git writes
 * loose objects at level 1 too (`core.looseCompression`). A few percent more disk than level 6, for a
 * fraction of the time.
 */
const PACK_ZLIB_LEVEL = 1;

const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/** One object for {@link writePack}. */
export interface PackInput {
  readonly oid: string;
  readonly type: ObjectType;
  readonly content: Buffer;
}

function entryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let rest = Math.floor(size / 16);
  let byte = (TYPE_CODES[type] << 4) | (size & 0x0f);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

function writeFileOnce(path: string, content: Buffer): void {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o444);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}

/** Writes the objects as `objects/pack/pack-<sha>.{pack,idx}`; returns the pack's checksum. */
export function writePack(gitdir: string, objects: ReadonlyArray<PackInput>): string {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  parts.push(header);
  let offset = 12;
  const placed: Array<{ oid: Buffer; offset: number; crc: number }> = [];
  for (const object of objects) {
    const entry = Buffer.concat([entryHeader(object.type, object.content.length), deflateSync(object.content, { level: PACK_ZLIB_LEVEL })]);
    placed.push({ oid: Buffer.from(object.oid, 'hex'), offset, crc: crc32(entry) });
    parts.push(entry);
    offset += entry.length;
  }
  const body = Buffer.concat(parts);
  const packSha = createHash('sha1').update(body).digest();
  const pack = Buffer.concat([body, packSha]);

  placed.sort((a, b) => Buffer.compare(a.oid, b.oid));
  const large = placed.filter((p) => p.offset >= 0x80000000);
  const idx = Buffer.alloc(8 + 1024 + placed.length * (20 + 4 + 4) + large.length * 8 + 40);
  idx.writeUInt32BE(0xff744f63, 0);
  idx.writeUInt32BE(2, 4);
  const counts = new Uint32Array(256);
  for (const p of placed) counts[p.oid[0] as number] = (counts[p.oid[0] as number] as number) + 1;
  let running = 0;
  for (let i = 0; i < 256; i += 1) {
    running += counts[i] as number;
    idx.writeUInt32BE(running, 8 + i * 4);
  }
  let at = 8 + 1024;
  for (const p of placed) {
    p.oid.copy(idx, at);
    at += 20;
  }
  for (const p of placed) {
    idx.writeUInt32BE(p.crc >>> 0, at);
    at += 4;
  }
  let largeIndex = 0;
  const largeAt = at + placed.length * 4;
  for (const p of placed) {
    if (p.offset >= 0x80000000) {
      idx.writeUInt32BE((0x80000000 | largeIndex) >>> 0, at);
      idx.writeUInt32BE(Math.floor(p.offset / 4294967296), largeAt + largeIndex * 8);
      idx.writeUInt32BE(p.offset % 4294967296, largeAt + largeIndex * 8 + 4);
      largeIndex += 1;
    } else idx.writeUInt32BE(p.offset, at);
    at += 4;
  }
  at = largeAt + large.length * 8;
  packSha.copy(idx, at);
  at += 20;
  createHash('sha1').update(idx.subarray(0, at)).digest().copy(idx, at);

  const dir = `${gitdir}/objects/pack`;
  mkdirSync(dir, { recursive: true });
  const name = `${dir}/pack-${packSha.toString('hex')}`;
  writeFileOnce(`${name}.pack`, pack);
  writeFileOnce(`${name}.idx`, idx);
  return packSha.toString('hex');
}

/**
 * Fuzzing the hand-written git readers on malformed input (issue 12 §4): loose objects, pack indexes,
 * packs and the index file parse bytes an agent can influence (a pushed pack, a crafted object). With
 * fast-check, for a fixed budget of runs in the normal suite, each input must either read correctly or
 * fail with a typed GatehouseError; never hang, never allocate what a header merely claims.
 *
 * Seeds come from a real repository built with native git (a real index, a real pack with deltas); the
 * fuzzer mutates, truncates and splices them, and also feeds raw bytes.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../../shared/model/result';
import { indexPaths, parseIndex } from '../../../../electron/services/git/index-file';
import { createObjectStore, hashObject } from '../../../../electron/services/git/object-store';
import { createPackReader, parseIndexFile } from '../../../../electron/services/git/pack';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';
import { createHash } from 'node:crypto';

const RUNS = 150;
let seed: TempRepo;
let indexBytes: Buffer;
let idxBytes: Buffer;
let packBytes: Buffer;
let packedOids: string[];
let treeBytes: Buffer;
let scratch: TempRepo;

/** Runs a reader on hostile input: a typed error or a value, nothing else. */
function typedOrValue(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw new Error(`untyped ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

async function typedOrValueAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw new Error(`untyped ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

/** Mutations of a seed: flipped bytes, overwritten runs, truncation, a spliced tail. */
function mutated(seedBytes: () => Buffer): fc.Arbitrary<Buffer> {
  return fc
    .record({
      flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: null }),
      tail: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ flips, cut, tail }) => {
      const base = Buffer.from(seedBytes());
      for (const flip of flips) if (base.length > 0) base[flip.at % base.length] = flip.value;
      const kept = cut === null ? base : base.subarray(0, cut % (base.length + 1));
      return Buffer.concat([kept, Buffer.from(tail)]);
    });
}

/** A pack index whose fan-out claims `count` objects (and nothing else behind it). */
function hugeIdx(count: number): Buffer {
  const buf = Buffer.alloc(8 + 1024 + 40);
  buf.writeUInt32BE(0xff744f63, 0);
  buf.writeUInt32BE(2, 4);
  for (let i = 0; i < 256; i += 1) buf.writeUInt32BE(count, 8 + i * 4);
  return buf;
}

beforeAll(() => {
  seed = makeRepo({ 'a.txt': 'alpha\n'.repeat(200), 'dir/b.txt': 'beta\n'.repeat(100), 'c.txt': 'gamma\n' });
  // A second revision close to the first, so the pack holds deltas.
  seed.write('a.txt', `${'alpha\n'.repeat(200)}omega\n`);
  seed.commitAll('second');
  seed.git('repack', '-a', '-d', '-q');
  indexBytes = readFileSync(join(seed.dir, '.git/index'));
  const packDir = join(seed.dir, '.git/objects/pack');
  const idx = readdirSync(packDir).find((n) => n.endsWith('.idx')) as string;
  idxBytes = readFileSync(join(packDir, idx));
  packBytes = readFileSync(join(packDir, idx.replace(/\.idx$/u, '.pack')));
  packedOids = seed
    .git('cat-file', '--batch-all-objects', '--batch-check=%(objectname)')
    .split('\n')
    .filter((l) => /^[0-9a-f]{40}$/u.test(l));
  scratch = makeRepo({ 'x.txt': 'x\n' });
  treeBytes = execFileSync('git', ['cat-file', 'tree', 'HEAD^{tree}'], { cwd: seed.dir });
});

afterAll(() => {
  seed?.cleanup();
  scratch?.cleanup();
});

describe('the index file reader', () => {
  it('reads the real index it was seeded with', () => {
    expect(parseIndex(indexBytes).entries.map((e) => e.path)).toEqual(['a.txt', 'c.txt', 'dir/b.txt']);
    expect([...indexPaths(indexBytes)]).toEqual(['a.txt', 'c.txt', 'dir/b.txt']);
  });

  it('fails typed on mutated indexes (checksum recomputed, so the parser itself is reached)', () => {
    fc.assert(
      fc.property(mutated(() => indexBytes.subarray(0, indexBytes.length - 20)), (body) => {
        const withSum = Buffer.concat([body, createHash('sha1').update(body).digest()]);
        typedOrValue(() => parseIndex(withSum));
        typedOrValue(() => [...indexPaths(withSum)]);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('fails typed on raw bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (raw) => {
        typedOrValue(() => parseIndex(Buffer.from(raw)));
        typedOrValue(() => [...indexPaths(Buffer.from(raw))]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the loose object reader', () => {
  const oid = 'ab'.padEnd(40, '0');
  const place = (compressed: Buffer): void => {
    const dir = join(scratch.dir, '.git/objects', oid.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, oid.slice(2)), compressed);
  };
  const read = async (): Promise<void> => {
    const store = createObjectStore({ gitdir: join(scratch.dir, '.git'), dir: scratch.dir, cache: {} });
    await store.readBlob(oid);
  };

  it('fails typed on deflated garbage, bad headers and raw bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
          fc.uint8Array({ maxLength: 256 }).map((b) => deflateSync(b)),
          fc
            .tuple(fc.constantFrom('blob', 'tree', 'commit', 'tag', 'blobx', ''), fc.oneof(fc.nat(), fc.constant(4_294_967_296), fc.constant(2 ** 53)), fc.uint8Array({ maxLength: 128 }))
            .map(([type, size, body]) => deflateSync(Buffer.concat([Buffer.from(`${type} ${size}\0`), Buffer.from(body)]))),
        ),
        async (compressed) => {
          place(compressed);
          await typedOrValueAsync(read);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('fails typed on well-formed objects holding malformed trees and commits', async () => {
    const gitdir = join(scratch.dir, '.git');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('tree' as const, 'commit' as const), fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), mutated(() => treeBytes)), async (type, body) => {
        const id = hashObject(type, body);
        mkdirSync(join(gitdir, 'objects', id.slice(0, 2)), { recursive: true });
        writeFileSync(join(gitdir, 'objects', id.slice(0, 2), id.slice(2)), deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])));
        const store = createObjectStore({ gitdir, dir: scratch.dir, cache: {} });
        await typedOrValueAsync(() => (type === 'tree' ? store.readTree(id) : store.readCommit(id)));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a header claiming 4 GB before allocating it', async () => {
    place(deflateSync(Buffer.concat([Buffer.from('blob 4294967296\0'), Buffer.alloc(16)])));
    await expect(read()).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it("refuses a small object that inflates far past what its header says (a zip bomb)", async () => {
    // 64 MiB of zeros deflates to about 64 KiB; the header claims 10 bytes (inflating stops at the claimed size).
    place(deflateSync(Buffer.concat([Buffer.from('blob 10\0'), Buffer.alloc(64 * 1024 * 1024)])));
    await expect(read()).rejects.toMatchObject({ code: 'REFUSED' });
  });
});

describe('the pack reader', () => {
  // A pack index's trailing checksum recomputed, so a mutation reaches the parser behind it.
  const idxChecksummed = (idx: Buffer): Buffer => {
    if (idx.length < 20) return idx;
    const out = Buffer.from(idx);
    createHash('sha1').update(out.subarray(0, out.length - 20)).digest().copy(out, out.length - 20);
    return out;
  };
  const withPack = (idx: Buffer, pack: Buffer): ReturnType<typeof createPackReader> => {
    const packDir = join(scratch.dir, '.git/objects/pack');
    rmSync(packDir, { recursive: true, force: true });
    mkdirSync(packDir, { recursive: true });
    writeFileSync(join(packDir, 'pack-fuzz.idx'), idx);
    writeFileSync(join(packDir, 'pack-fuzz.pack'), pack);
    return createPackReader(join(scratch.dir, '.git'));
  };

  it('reads every object of the real pack it was seeded with', () => {
    const reader = withPack(idxBytes, packBytes);
    for (const oid of packedOids) expect(reader.read(oid)?.content).not.toBeNull();
  });

  it('fails typed on mutated packs (every object read)', () => {
    fc.assert(
      fc.property(mutated(() => packBytes), (pack) => {
        const reader = withPack(idxBytes, pack);
        for (const oid of packedOids) typedOrValue(() => reader.read(oid));
      }),
      { numRuns: RUNS },
    );
  });

  it('fails typed on mutated pack indexes (every object looked up)', () => {
    fc.assert(
      fc.property(mutated(() => idxBytes), fc.boolean(), (idx, rehash) => {
        const reader = withPack(rehash ? idxChecksummed(idx) : idx, packBytes);
        for (const oid of packedOids) typedOrValue(() => reader.read(oid));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses an index whose fan-out claims four billion objects without allocating for them', () => {
    const path = join(scratch.root, 'huge.idx');
    writeFileSync(path, hugeIdx(0xffffffff));
    expect(() => parseIndexFile(path)).toThrow(expect.objectContaining({ code: 'REFUSED', message: expect.stringMatching(/claims 4294967295 objects/) }) as Error);
    // The reader leaves such an index alone (no object is found in it) rather than failing every read.
    expect(withPack(hugeIdx(0xffffffff), packBytes).read(packedOids[0] as string)).toBeNull();
  });

  it('fails typed on mutated and raw pack index files', () => {
    const path = join(scratch.root, 'fuzz.idx');
    fc.assert(
      fc.property(fc.oneof(mutated(() => idxBytes), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b))), fc.boolean(), (idx, rehash) => {
        writeFileSync(path, rehash ? idxChecksummed(idx) : idx);
        typedOrValue(() => parseIndexFile(path));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses an object whose header or delta claims gigabytes', () => {
    // A lone blob entry claiming 2^40 bytes, then a REF delta claiming a 4 GiB result.
    const blobHeader = Buffer.from([0xb0 | 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    const body = Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]), blobHeader, deflateSync(Buffer.alloc(8))]);
    const packChecksum = createHash('sha1').update(body).digest();
    const fakePack = Buffer.concat([body, packChecksum]);
    const idx = Buffer.alloc(8 + 1024 + 28 + 40);
    idx.writeUInt32BE(0xff744f63, 0);
    idx.writeUInt32BE(2, 4);
    const oid = Buffer.alloc(20, 0x11);
    for (let i = 0x11; i < 256; i += 1) idx.writeUInt32BE(1, 8 + i * 4);
    oid.copy(idx, 8 + 1024);
    idx.writeUInt32BE(12, 8 + 1024 + 20 + 4);
    packChecksum.copy(idx, idx.length - 40);
    const reader = withPack(idxChecksummed(idx), fakePack);
    expect(() => reader.read(oid.toString('hex'))).toThrow(expect.objectContaining({ code: 'REFUSED' }) as Error);
  });

  it('refuses a pack whose trailing checksum is not the one its index records, and an index whose own checksum is wrong', () => {
    // Objects are not hashed one by one (as git reads packs): the pack must be the one the index describes.
    const swapped = Buffer.from(packBytes);
    swapped.writeUInt8((swapped.readUInt8(swapped.length - 1) ^ 0xff) & 0xff, swapped.length - 1);
    expect(() => withPack(idxBytes, swapped).read(packedOids[0] as string)).toThrow(expect.objectContaining({ code: 'REFUSED', message: expect.stringMatching(/does not match its index/u) }) as Error);
    const badIdx = Buffer.from(idxBytes);
    badIdx.writeUInt8((badIdx.readUInt8(badIdx.length - 1) ^ 0xff) & 0xff, badIdx.length - 1);
    const path = join(scratch.root, 'bad-checksum.idx');
    writeFileSync(path, badIdx);
    expect(() => parseIndexFile(path)).toThrow(expect.objectContaining({ code: 'REFUSED', message: expect.stringMatching(/checksum mismatch/u) }) as Error);
    expect(withPack(badIdx, packBytes).read(packedOids[0] as string)).toBeNull();
  });

  it('keeps the seed pack files untouched for the next runs', () => {
    const copy = join(scratch.root, 'pack-copy');
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(seed.dir, '.git/index'), join(copy, 'index'));
    expect(readFileSync(join(copy, 'index')).equals(indexBytes)).toBe(true);
  });
});

/**
 * Packed objects read through reused windows (pack.ts `createPackWindows`), and the reader's copy of
 * the last whole object it read: every read must give the bytes of the file at that offset whatever
 * came before (sequential runs, jumps back to a delta base, reads past the end), and every object of a
 * real pack with deep delta chains must read back as the object its id names, in any order.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../../shared/model/result';
import { hashObject } from '../../../../electron/services/git/object-store';
import { createPackReader, createPackWindows, entryEnd, findInIndex, parseIndexFile } from '../../../../electron/services/git/pack';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

let repo: TempRepo;
let scratch: TempRepo;
let oids: string[];
let byOffset: string[];

beforeAll(() => {
  repo = makeRepo({});
  // Twenty versions of a few similar files: a pack with delta chains, bases before and after their deltas.
  for (let v = 0; v < 20; v += 1) {
    for (let f = 0; f < 4; f += 1) {
      const lines: string[] = [];
      for (let l = 0; l < 120; l += 1) lines.push(`line ${l} of file ${f}${l % 17 === v % 17 ? ` changed in ${v}` : ''}`);
      repo.write(`src/f${f}.txt`, `${lines.join('\n')}\n`);
    }
    repo.commitAll(`v${v}`);
  }
  repo.git('repack', '-a', '-d', '-f', '-q', '--depth=50', '--window=50');
  const verify = repo.git('verify-pack', '-v', join(repo.dir, '.git/objects/pack', readdirSync(join(repo.dir, '.git/objects/pack')).find((n) => n.endsWith('.idx')) as string));
  const rows = verify
    .split('\n')
    .map((line) => line.split(/\s+/u))
    .filter((cols) => /^[0-9a-f]{40}$/u.test(cols[0] ?? ''));
  // The pack must hold deltas for the chain paths to be exercised.
  expect(rows.filter((cols) => cols.length >= 7).length).toBeGreaterThan(20);
  byOffset = [...rows].sort((a, b) => Number(a[4]) - Number(b[4])).map((cols) => cols[0] as string);
  oids = rows.map((cols) => cols[0] as string);
  scratch = makeRepo({ 'x.txt': 'x\n' });
});

afterAll(() => {
  repo?.cleanup();
  scratch?.cleanup();
});

describe('pack windows', () => {
  it('answer the file bytes at any offset, whatever was read before', () => {
    const file = join(scratch.root, 'bytes.bin');
    const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919 + (i >> 8)) & 0xff));
    writeFileSync(file, bytes);
    const read = fc.record({ offset: fc.nat({ max: 20_500 }), length: fc.integer({ min: 1, max: 3000 }), sequential: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 16, max: 2048 }), fc.array(read, { maxLength: 60 }), (slots, windowBytes, reads) => {
        const fd = openSync(file, 'r');
        try {
          const windows = createPackWindows(fd, bytes.length, slots, windowBytes);
          let next = 0;
          for (const r of reads) {
            // Half the reads continue where the last one ended (a pack read in order), half jump.
            const offset = r.sequential ? next : r.offset;
            const got = windows.read(offset, r.length);
            expect(Buffer.compare(got, bytes.subarray(offset, offset + r.length))).toBe(0);
            next = offset + r.length;
          }
        } finally {
          closeSync(fd);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the pack reader through windows', () => {
  const reader = (): ReturnType<typeof createPackReader> => createPackReader(join(repo.dir, '.git'));
  const check = (read: ReturnType<typeof createPackReader>, oid: string): void => {
    const found = read.read(oid);
    expect(found?.content).not.toBeNull();
    // The content must be the object its id names.
    expect(hashObject(found?.type as 'blob', found?.content as Buffer)).toBe(oid);
  };

  it('reads every object as its id names, in pack order, in reverse, in random orders and twice over', () => {
    const inOrder = reader();
    for (const oid of byOffset) check(inOrder, oid);
    const reversed = reader();
    for (const oid of [...byOffset].reverse()) check(reversed, oid);
    fc.assert(
      fc.property(fc.shuffledSubarray(oids, { minLength: 1 }), (order) => {
        const r = reader();
        for (const oid of order) check(r, oid);
        for (const oid of order) check(r, oid);
      }),
      { numRuns: 25 },
    );
  });

  it('hands out copies: changing a returned object changes no later read', () => {
    const r = reader();
    for (const oid of byOffset) {
      const found = r.read(oid);
      found?.content?.fill(0x78);
    }
    for (const oid of byOffset) check(r, oid);
  });

  it('fails typed, never crashes, on a pack corrupted behind the windows', () => {
    const packDir = join(repo.dir, '.git/objects/pack');
    const name = readdirSync(packDir).find((n) => n.endsWith('.pack')) as string;
    const pack = readFileSync(join(packDir, name));
    const idx = readFileSync(join(packDir, name.replace(/\.pack$/u, '.idx')));
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.integer({ min: 12, max: pack.length - 21 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }), (flips) => {
        const dir = join(scratch.dir, '.git/objects/pack');
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        // The trailer is kept, so the reader opens the pack and meets the damage while reading objects.
        const damaged = Buffer.from(pack);
        for (const flip of flips) damaged[flip.at] = flip.value;
        writeFileSync(join(dir, 'pack-w.pack'), damaged);
        writeFileSync(join(dir, 'pack-w.idx'), idx);
        const r = createPackReader(join(scratch.dir, '.git'));
        for (const oid of byOffset) {
          try {
            r.read(oid);
          } catch (error) {
            if (!(error instanceof GatehouseError)) throw new Error(`untyped ${(error as Error)?.message}`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('index lookups', () => {
  it('find every id and refuse absent ones as a plain Buffer.compare search does, and end each entry where the next starts', () => {
    const packDir = join(repo.dir, '.git/objects/pack');
    const index = parseIndexFile(join(packDir, readdirSync(packDir).find((n) => n.endsWith('.idx')) as string));
    const count = index.offsets.length;
    // The old search: Buffer#compare over the whole sorted table.
    const reference = (oid: Buffer): number => {
      for (let i = 0; i < count; i += 1) if (oid.compare(index.oids, i * 20, i * 20 + 20) === 0) return i;
      return -1;
    };
    for (const oid of oids) {
      const wanted = Buffer.from(oid, 'hex');
      expect(findInIndex(index, wanted)).toBe(reference(wanted));
      expect(findInIndex(index, wanted)).toBeGreaterThanOrEqual(0);
      // Ids next to a present one (last byte, and a middle byte, moved by one) are absent or found as themselves.
      for (const at of [19, 10, 1]) {
        for (const step of [1, 255]) {
          const near = Buffer.from(wanted);
          near[at] = ((near[at] as number) + step) % 256;
          expect(findInIndex(index, near)).toBe(reference(near));
        }
      }
    }
    const packSize = readFileSync(index.packPath).length;
    const ascending = [...index.offsets].sort((a, b) => a - b);
    ascending.forEach((offset, i) => {
      expect(entryEnd(index, offset, packSize)).toBe(i + 1 < ascending.length ? ascending[i + 1] : packSize - 20);
    });
    expect(index.sorted).toBeInstanceOf(Uint32Array);
    // An offset that starts no entry is not one.
    expect(entryEnd(index, (ascending[0] as number) + 1, packSize)).toBe(-1);
  });
});

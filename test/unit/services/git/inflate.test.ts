/**
 * Inflating pack entries through one reused zlib handle (inflate.ts), and through its `inflateSync`
 * fallback: both must give git's bytes for every object of a real pack, refuse corrupt, truncated,
 * mis-sized and bomb streams with the typed error (and read the next good stream correctly after), and
 * never return wrong bytes for a mutated stream.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forceInflateFallback, inflateExact, InflateError, inflateUsesNativeHandle } from '../../../../electron/services/git/inflate';
import { createPackReader, parseIndexFile } from '../../../../electron/services/git/pack';
import { gitEnv, makeRepo, type TempRepo } from '../../../fixtures/git/repo';

/** One entry of the pack: its deflated bytes (to the next entry) and the size its header declares. */
interface RawEntry {
  readonly deflated: Buffer;
  readonly size: number;
}

let repo: TempRepo;
let entries: RawEntry[];
let oids: string[];

beforeAll(() => {
  repo = makeRepo({});
  for (let v = 0; v < 12; v += 1) {
    for (let f = 0; f < 5; f += 1) {
      const lines: string[] = [];
      for (let l = 0; l < 80 + f * 30; l += 1) lines.push(`line ${l} of file ${f}${l % 13 === v % 13 ? ` changed in ${v}` : ''}`);
      repo.write(`src/f${f}.txt`, `${lines.join('\n')}\n`);
    }
    repo.write('empty.txt', '');
    repo.commitAll(`v${v}`);
  }
  repo.git('gc', '-q', '--prune=now');
  const packDir = join(repo.dir, '.git/objects/pack');
  const idx = readdirSync(packDir).find((n) => n.endsWith('.idx')) as string;
  const index = parseIndexFile(join(packDir, idx));
  const pack = readFileSync(index.packPath);
  const offsets = [...index.offsets].sort((a, b) => a - b);
  entries = offsets.map((offset, i) => {
    // gitformat-pack: type and size in a varint, then an OFS base offset or a REF base id for deltas.
    let p = offset;
    let byte = pack[p] as number;
    p += 1;
    const type = (byte >> 4) & 7;
    let size = byte & 0x0f;
    let shift = 4;
    while (byte & 0x80) {
      byte = pack[p] as number;
      p += 1;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (type === 6) {
      do p += 1;
      while ((pack[p - 1] as number) & 0x80);
    } else if (type === 7) p += 20;
    const end = i + 1 < offsets.length ? (offsets[i + 1] as number) : pack.length - 20;
    return { deflated: Buffer.from(pack.subarray(p, end)), size };
  });
  oids = repo
    .git('cat-file', '--batch-all-objects', '--batch-check=%(objectname)')
    .split('\n')
    .filter((l) => l !== '');
});

afterAll(() => repo?.cleanup());

afterEach(() => forceInflateFallback(false));

/** What `inflateExact` throws, or null. */
function failureOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (!(error instanceof InflateError)) throw error;
    return error.failure;
  }
}

describe.each([
  ['the reused native handle', false],
  ['the inflateSync fallback', true],
])('inflateExact through %s', (_name, fallback) => {
  it('is the path asked for', () => {
    forceInflateFallback(fallback);
    // On this Node the internals are there: the fast path must be the one in use unless forced off.
    expect(inflateUsesNativeHandle()).toBe(!fallback);
  });

  it('inflates every entry of a real pack as zlib does, and the pack reader gives git cat-file --batch', () => {
    forceInflateFallback(fallback);
    expect(entries.length).toBeGreaterThan(50);
    for (const entry of entries) expect(inflateExact(entry.deflated, entry.size).equals(inflateSync(entry.deflated))).toBe(true);
    const batch = execFileSync('git', ['cat-file', '--batch'], { cwd: repo.dir, env: gitEnv(repo.root), input: `${oids.join('\n')}\n`, maxBuffer: 64 * 1024 * 1024 });
    const reader = createPackReader(join(repo.dir, '.git'));
    let at = 0;
    for (const oid of oids) {
      const headerEnd = batch.indexOf(0x0a, at);
      const [name, type, size] = batch.toString('latin1', at, headerEnd).split(' ') as [string, string, string];
      const content = batch.subarray(headerEnd + 1, headerEnd + 1 + Number(size));
      at = headerEnd + 1 + Number(size) + 1;
      expect(name).toBe(oid);
      const ours = reader.read(oid);
      expect(ours?.type).toBe(type);
      expect(ours?.content?.equals(content)).toBe(true);
    }
  });

  it('refuses corrupt, truncated and mis-sized streams with the typed error, then reads the next good one', () => {
    forceInflateFallback(fallback);
    const text = Buffer.from('export const answer = 42;\n'.repeat(30));
    const good = deflateSync(text);
    const badCheck = Buffer.from(good);
    badCheck[badCheck.length - 2] = (badCheck[badCheck.length - 2] as number) ^ 0x10;
    const badHeader = Buffer.from(good);
    badHeader[0] = 0x00;
    const cases: Array<[Buffer, number, string]> = [
      [badCheck, text.length, 'corrupt'],
      [badHeader, text.length, 'corrupt'],
      [good.subarray(0, good.length - 4), text.length, 'truncated'],
      [good.subarray(0, 5), text.length, 'truncated'],
      [Buffer.alloc(0), text.length, 'truncated'],
      [good, text.length - 1, 'size'],
      [good, text.length + 1, 'size'],
      [good, 0, 'size'],
    ];
    for (const [input, size, failure] of cases) {
      expect(failureOf(() => inflateExact(input, size))).toBe(failure);
      expect(inflateExact(good, text.length).equals(text)).toBe(true);
    }
    // An empty object, and bytes after the stream's end (the next pack entry) ignored.
    expect(inflateExact(deflateSync(Buffer.alloc(0)), 0).length).toBe(0);
    expect(inflateExact(Buffer.concat([good, Buffer.from('next entry')]), text.length).equals(text)).toBe(true);
  });

  it('refuses a 64 MiB bomb declared as 100 bytes without inflating it', () => {
    forceInflateFallback(fallback);
    const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const before = process.memoryUsage().arrayBuffers;
    expect(failureOf(() => inflateExact(bomb, 100))).toBe('size');
    // Not a timing: the output is bounded by construction (declared size + 1); what was allocated for
    // it is far below what the stream would become.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    expect(inflateExact(deflateSync(Buffer.from('ok')), 2).toString()).toBe('ok');
  });

  it('never returns wrong bytes nor throws anything but the typed error for mutated real entries', () => {
    forceInflateFallback(fallback);
    const sample = entries.filter((e) => e.size > 0);
    fc.assert(
      fc.property(
        fc.nat({ max: sample.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -2, max: 2 }),
        (which, flips, sizeDelta) => {
          const entry = sample[which] as RawEntry;
          const expected = inflateSync(entry.deflated);
          const mutated = Buffer.from(entry.deflated);
          for (const [at, mask] of flips) mutated[at % mutated.length] = (mutated[at % mutated.length] as number) ^ mask;
          const size = Math.max(0, entry.size + sizeDelta);
          let out: Buffer | null = null;
          try {
            out = inflateExact(mutated, size);
          } catch (error) {
            expect(error).toBeInstanceOf(InflateError);
          }
          // Whatever passes zlib's Adler-32 and the exact size is either the real object or a stream
          // that really inflates to those bytes (zlib agrees).
          if (out !== null) expect(out.equals(inflateSync(mutated))).toBe(true);
          if (out !== null && sizeDelta === 0 && mutated.equals(entry.deflated)) expect(out.equals(expected)).toBe(true);
          // The handle must be usable after whatever happened.
          expect(inflateExact(entry.deflated, entry.size).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 400, seed: 4242 },
    );
  });
});

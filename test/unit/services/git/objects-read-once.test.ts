/**
 * A small loose object is inflated once (the header parsed from the whole result, not inflated first on
 * its own), and a tree read both raw and parsed is read once: counted on node:zlib's inflateSync, which
 * the object store calls for every loose object. What is read still agrees with `git cat-file`, and
 * hostile loose objects (bad header, wrong size, truncated, a zip bomb) are still refused.
 *
 * node:zlib is wrapped (not replaced) because the count of calls is the thing under test; every call
 * still goes to the real inflateSync.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObjectStore, hashObject, type ObjectType } from '../../../../electron/services/git/object-store';
import { gitEnv, makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const inflations = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:zlib', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:zlib')>();
  return {
    ...actual,
    inflateSync: (...args: Parameters<typeof actual.inflateSync>) => {
      inflations.count += 1;
      return actual.inflateSync(...args);
    },
  };
});

let t: TempRepo;
beforeEach(() => {
  t = makeRepo({ 'a.txt': 'alpha\n', 'dir/b.txt': 'beta\n'.repeat(50), 'dir/sub/c.txt': 'gamma\n' });
});
afterEach(() => t.cleanup());

const store = () => createObjectStore({ gitdir: join(t.dir, '.git'), dir: t.dir, cache: {} });

/** Writes an object file as given (compressed bytes) under the name `oid`. */
function placeLoose(oid: string, compressed: Buffer): void {
  const dir = join(t.dir, '.git/objects', oid.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, oid.slice(2)), compressed);
}

describe('loose objects', () => {
  it('inflates each small loose object once, and reads what git cat-file reads', async () => {
    const objects = store();
    const oids = t.git('rev-list', '--objects', '--all').split('\n').map((line) => line.split(' ')[0] as string);
    expect(oids.length).toBeGreaterThanOrEqual(6);
    for (const oid of oids) {
      inflations.count = 0;
      const object = await objects.read(oid);
      expect(inflations.count).toBe(1);
      expect(object.type).toBe(t.git('cat-file', '-t', oid));
      const native = execFileSync('git', ['cat-file', object.type, oid], { cwd: t.dir, env: gitEnv(t.root) });
      expect(object.content.equals(native)).toBe(true);
    }
  });

  it('reads a tree walked raw and then parsed (or the other way round) once', async () => {
    const tree = t.git('rev-parse', 'HEAD:dir');
    const first = store();
    inflations.count = 0;
    await first.readTreeRaw(tree);
    const parsed = await first.readTree(tree);
    expect(inflations.count).toBe(1);
    expect(parsed.map((e) => e.name)).toEqual(['b.txt', 'sub']);
    const second = store();
    inflations.count = 0;
    await second.readTree(tree);
    await second.readTreeRaw(tree);
    expect(inflations.count).toBe(1);
  });

  it('reads a very compressible object the careful way, correctly', async () => {
    const content = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const oid = hashObject('blob', content);
    placeLoose(oid, deflateSync(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content])));
    expect((await store().readBlob(oid)).equals(content)).toBe(true);
  });

  it('still refuses a bad header, a wrong size, a truncated stream and a zip bomb', async () => {
    const body = Buffer.from('some content\n');
    const wrap = (type: ObjectType | string, size: number, content: Buffer): Buffer => Buffer.concat([Buffer.from(`${type} ${size}\0`), content]);
    const oid = hashObject('blob', body);
    const cases: Buffer[] = [
      deflateSync(wrap('blobby', body.length, body)),
      deflateSync(wrap('blob', body.length + 1, body)),
      deflateSync(wrap('blob', body.length - 1, body)),
      deflateSync(wrap('blob', body.length, body)).subarray(0, 12),
      Buffer.from('not zlib at all'),
      // 64 MiB of zeros behind a header that claims 13 bytes.
      deflateSync(wrap('blob', body.length, Buffer.alloc(64 * 1024 * 1024))),
    ];
    for (const compressed of cases) {
      placeLoose(oid, compressed);
      await expect(store().readBlob(oid)).rejects.toMatchObject({ code: 'REFUSED' });
    }
    placeLoose(oid, deflateSync(wrap('blob', body.length, body)));
    expect((await store().readBlob(oid)).equals(body)).toBe(true);
  });
});

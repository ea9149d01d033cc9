/**
 * Packs written for a batch of new objects (a checkpoint's snapshot): git verifies them and reads every
 * object back, and each object is deflated at zlib level 1, the level git writes loose objects at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashObject } from '../../../../electron/services/git/object-store';
import { writePack } from '../../../../electron/services/git/write-pack';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('writePack', () => {
  it('writes a pack git verifies and reads, every object deflated at level 1', () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const objects = Array.from({ length: 12 }, (_, i) => {
      const content = Buffer.from(`file ${i}\n${'some text that compresses a little. '.repeat(i * 20)}`);
      return { oid: hashObject('blob', content), type: 'blob' as const, content };
    });
    const sha = writePack(join(t.dir, '.git'), objects);
    const packDir = join(t.dir, '.git/objects/pack');
    expect(readdirSync(packDir).sort()).toEqual([`pack-${sha}.idx`, `pack-${sha}.pack`]);
    const listing = t.git('verify-pack', '-v', join(packDir, `pack-${sha}.idx`));
    for (const object of objects) {
      expect(t.gitRaw('cat-file', 'blob', object.oid)).toBe(object.content.toString());
    }
    const pack = readFileSync(join(packDir, `pack-${sha}.pack`));
    const offsets = listing
      .split('\n')
      .map((line) => /^[0-9a-f]{40} blob\s+\d+ \d+ (\d+)$/u.exec(line)?.[1])
      .filter((offset): offset is string => offset !== undefined)
      .map(Number);
    expect(offsets).toHaveLength(objects.length);
    for (const offset of offsets) {
      // Past the entry's type-and-size varint, the zlib header: 0x78, then 0x01 for the fastest level.
      let at = offset;
      while (((pack[at] as number) & 0x80) !== 0) at += 1;
      expect([pack[at + 1], pack[at + 2]]).toEqual([0x78, 0x01]);
    }
  });
});

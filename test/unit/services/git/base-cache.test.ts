/**
 * The pack reader's ring-buffer cache of delta bases: whatever sequence of bases goes in, a lookup
 * gives exactly the bytes and type stored under that key or nothing (never bytes a later base wrote
 * over), the newest base is always there, and the ring never holds more than its capacity, whatever
 * the size of the segments the ring is allocated in (bases that do not fit in what is left of one start
 * at the next).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBaseCache } from '../../../../electron/services/git/pack';

describe('delta base cache', () => {
  it('returns what was stored under a key or nothing, across many rounds of the ring', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 150 }),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 40 }), length: fc.integer({ min: 0, max: 120 }), fill: fc.integer({ min: 0, max: 255 }), type: fc.constantFrom('blob' as const, 'tree' as const, 'commit' as const, 'tag' as const) }), { maxLength: 200 }),
        (capacity, segmentBytes, puts) => {
          const cache = createBaseCache(capacity, segmentBytes);
          // A base larger than a segment is not kept.
          const fits = Math.min(capacity, segmentBytes);
          // The model: the first put of a key wins while it stays (a second put of a present key is ignored).
          const stored = new Map<number, { type: string; bytes: Buffer }>();
          for (const put of puts) {
            const bytes = Buffer.alloc(put.length, put.fill);
            // Distinct contents per put, so an overwritten range cannot pass for the right one.
            if (bytes.length > 0) bytes[0] = put.key;
            const present = cache.get(put.key) !== undefined;
            cache.put(put.key, put.type, bytes);
            if (!present && put.length <= fits) stored.set(put.key, { type: put.type, bytes });
            if (put.length <= fits && !present) expect(cache.get(put.key)?.view.equals(bytes)).toBe(true);
            let held = 0;
            for (const [key, expected] of stored) {
              const got = cache.get(key);
              if (got === undefined) {
                stored.delete(key);
                continue;
              }
              held += got.view.length;
              expect(got.type).toBe(expected.type);
              expect(got.view.equals(expected.bytes)).toBe(true);
            }
            expect(held).toBeLessThanOrEqual(capacity);
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it('keeps bases on both sides of a segment boundary and drops those a skipped tail held', () => {
    // Segments [0, 16), [16, 32) and a short last one, [32, 40).
    const cache = createBaseCache(40, 16);
    const put = (key: number, length: number): void => cache.put(key, 'blob', Buffer.alloc(length, key));
    const held = (): number[] => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((k) => {
      const got = cache.get(k);
      // Every byte must be the key's own: no base another one wrote over.
      return got !== undefined && got.view.every((b) => b === k);
    });
    put(1, 10); // [0, 10)
    put(2, 6); // [10, 16): ends at the boundary
    put(3, 8); // [16, 24)
    put(4, 6); // [24, 30)
    put(5, 5); // no room in [30, 32): [32, 37), in the short segment
    expect(held()).toEqual([1, 2, 3, 4, 5]);
    put(6, 4); // no room after 37: round the ring, [0, 4), over key 1
    expect(held()).toEqual([2, 3, 4, 5, 6]);
    put(7, 6); // [4, 10): key 2 starts at 10 and stays
    expect(held()).toEqual([2, 3, 4, 5, 6, 7]);
    put(8, 10); // no room in [10, 16): key 2 held that tail and goes; [16, 26), over keys 3 and 4
    expect(held()).toEqual([5, 6, 7, 8]);
    put(9, 17); // larger than a segment: not kept
    expect(held()).toEqual([5, 6, 7, 8]);
    put(10, 16); // a whole segment: not in [26, 32) nor the short one (key 5 goes), so [0, 16), over 6 and 7
    expect(held()).toEqual([8, 10]);
    expect(cache.get(10)?.view.length).toBe(16);
  });
});

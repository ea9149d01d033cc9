/**
 * The pack reader's ring-buffer cache of delta bases: whatever sequence of bases goes in, a lookup
 * gives exactly the bytes and type stored under that key or nothing (never bytes a later base wrote
 * over), the newest base is always there, and the ring never holds more than its capacity.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBaseCache } from '../../../../electron/services/git/pack';

describe('delta base cache', () => {
  it('returns what was stored under a key or nothing, across many rounds of the ring', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 40 }), length: fc.integer({ min: 0, max: 120 }), fill: fc.integer({ min: 0, max: 255 }), type: fc.constantFrom('blob' as const, 'tree' as const, 'commit' as const, 'tag' as const) }), { maxLength: 200 }),
        (capacity, puts) => {
          const cache = createBaseCache(capacity);
          // The model: the first put of a key wins while it stays (a second put of a present key is ignored).
          const stored = new Map<number, { type: string; bytes: Buffer }>();
          for (const put of puts) {
            const bytes = Buffer.alloc(put.length, put.fill);
            // Distinct contents per put, so an overwritten range cannot pass for the right one.
            if (bytes.length > 0) bytes[0] = put.key;
            const present = cache.get(put.key) !== undefined;
            cache.put(put.key, put.type, bytes);
            if (!present && put.length <= capacity) stored.set(put.key, { type: put.type, bytes });
            if (put.length <= capacity && !present) expect(cache.get(put.key)?.view.equals(bytes)).toBe(true);
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
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { collectPairs, pairedVerdict, type BenchmarkDecisionSettings } from '../../../../electron/services/sandbox/benchmark';

const settings: BenchmarkDecisionSettings = { minEffect: 0.1, significance: 0.01, pairsWanted: 10 };

/** Runs a scripted benchmark: figures per side, in call order; records the order of sides. */
function scripted(base: (i: number) => number, head: (i: number) => number) {
  const calls: string[] = [];
  let b = 0;
  let h = 0;
  return {
    calls,
    run: async (side: 'base' | 'head'): Promise<number> => {
      calls.push(side);
      return side === 'base' ? base(b++) : head(h++);
    },
  };
}

function collect(run: (side: 'base' | 'head') => Promise<number>, extra: Partial<Parameters<typeof collectPairs<number>>[0]> = {}) {
  let clock = 0;
  return collectPairs<number>({
    run: async (side) => {
      clock += 1;
      return run(side);
    },
    succeeded: (f) => Number.isFinite(f) && f > 0,
    verdict: (pairs) => pairedVerdict(pairs.map((p) => p.base), pairs.map((p) => p.head), settings, pairs.map((p) => p.order)),
    settings,
    maxPairs: 60,
    budgetMs: 1_000,
    now: () => clock,
    ...extra,
  });
}

describe('collectPairs', () => {
  it('alternates which side runs first, pair by pair', async () => {
    const bench = scripted(() => 1, () => 1.5);
    await collect(bench.run);
    expect(bench.calls.slice(0, 6)).toEqual(['base', 'head', 'head', 'base', 'base', 'head']);
  });

  it('stops at the minimum when a slowdown is already significant at a tenth of the level', async () => {
    const bench = scripted((i) => 1 + (i % 3) * 0.01, (i) => 1.5 + (i % 4) * 0.01);
    const result = await collect(bench.run);
    expect(result).toMatchObject({ stop: 'significant' });
    expect(result.pairs).toHaveLength(10);
  });

  it('stops once the pairs show the change is within the minimum effect', async () => {
    const bench = scripted((i) => 1 + (i % 5) * 0.01, (i) => 1 + ((i + 2) % 5) * 0.01);
    const result = await collect(bench.run);
    expect(result.stop).toBe('within-effect');
    expect(result.pairs.length).toBeGreaterThanOrEqual(10);
    expect(result.pairs.length).toBeLessThan(60);
  });

  it('runs up to the maximum while the answer stays open', async () => {
    // Head alternately twice as slow and twice as fast (around +10 %): neither significant nor shown within the effect.
    const bench = scripted(() => 1, (i) => (i % 2 === 0 ? 2.2 : 0.55));
    const result = await collect(bench.run, { maxPairs: 24 });
    expect(result).toMatchObject({ stop: 'max-pairs' });
    expect(result.pairs).toHaveLength(24);
  });

  it('stops on the time budget, and at the first failed run', async () => {
    const open = scripted(() => 1, (i) => (i % 2 === 0 ? 2.2 : 0.55));
    expect(await collect(open.run, { budgetMs: 9 })).toMatchObject({ stop: 'budget' });
    const failing = scripted(() => 1, (i) => (i === 3 ? Number.NaN : 1));
    const failed = await collect(failing.run);
    expect(failed.stop).toBe('failed-run');
    expect(failed.pairs).toHaveLength(4);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const bench = scripted(() => 1, (i) => {
      if (i === 2) controller.abort();
      return 1;
    });
    expect(await collect(bench.run, { signal: controller.signal })).toMatchObject({ stop: 'cancelled' });
  });
});

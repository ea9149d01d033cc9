import { describe, expect, it } from 'vitest';
import { SandboxLimits, type SandboxRunResult } from '../../../../shared/model/sandbox';
import { compareBenchmarks, median, pairedVerdict, printedFigure, slowdownPValue, type BenchmarkRunPair } from '../../../../electron/services/sandbox/benchmark';

// Run results are plain data; these stand for what the engine returned.
function runResult(fields: Partial<SandboxRunResult>): SandboxRunResult {
  return {
    runId: 'r',
    status: 'completed',
    image: 'gatehouse/sandbox:1',
    imageDigest: null,
    command: ['bench'],
    limits: SandboxLimits.parse({}),
    exitCode: 0,
    durationMs: 1000,
    timedOut: false,
    oomKilled: false,
    peakMemoryBytes: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    violations: [],
    ...fields,
  };
}

describe('printedFigure', () => {
  it.each([
    ['12.5\n', 12.5],
    ['warming up\n0.48\n\n', 0.48],
    ['1e3', 1000],
    ['.5\r\n', 0.5],
    ['done in 3 s\n', null],
    ['-1\n', null],
    ['Infinity\n', null],
    ['NaN\n', null],
    ['', null],
    ['0x10\n', null],
  ])('%j -> %s', (stdout, figure) => {
    expect(printedFigure(stdout)).toBe(figure);
  });
});

describe('median', () => {
  it('takes the middle, or the mean of the two middles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

const settings = { minEffect: 0.1, significance: 0.01, pairsWanted: 10 };

function pairs(base: ReadonlyArray<Partial<SandboxRunResult>>, head: ReadonlyArray<Partial<SandboxRunResult>>): BenchmarkRunPair[] {
  return base.map((b, i) => ({ base: runResult(b), head: runResult(head[i] ?? {}), order: i % 2 === 0 ? 'base-first' : 'head-first' }));
}

const figures = (values: ReadonlyArray<number>) => values.map((v) => ({ stdout: `${v}\n` }));

describe('slowdownPValue', () => {
  it('is the exact one-sided signed-rank p-value: 10 pairs all slower give 1/1024', () => {
    const base = Array.from({ length: 10 }, () => 1);
    const head = Array.from({ length: 10 }, (_, i) => 1.1 + i * 0.01);
    expect(slowdownPValue(base, head)).toBeCloseTo(1 / 1024, 6);
  });

  it('is 1 when nothing changed, and large when head is faster', () => {
    expect(slowdownPValue([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(slowdownPValue([2, 2, 2, 2, 2, 2, 2], [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6])).toBeGreaterThan(0.99);
  });
});

describe('pairedVerdict', () => {
  it('the E2E flake: head 0.074/0.132/0.125 s against base 0.076/0.126/0.071 s is not a regression', () => {
    const verdict = pairedVerdict([0.076, 0.126, 0.071], [0.074, 0.132, 0.125], settings);
    expect(verdict.regression).toBe(false);
    expect(verdict.outcome).not.toBe('regression');
  });

  it('three pairs cannot reach p < 0.01: a real 50 % slowdown is inconclusive, never a regression', () => {
    const verdict = pairedVerdict([1, 1, 1], [1.5, 1.5, 1.5], settings);
    expect(verdict).toMatchObject({ outcome: 'inconclusive', regression: false });
    expect(verdict.note).toMatch(/3 of 10 pairs/);
  });

  it('a consistent 30 % slowdown over 10 pairs is a regression, even with outliers (a hiccup hitting one pair, one slow head run)', () => {
    const base = [1, 1.02, 0.98, 1.9, 1.01, 0.99, 1.03, 1, 0.97, 1.02];
    const head = [1.3, 1.33, 1.27, 2.5, 2.4, 1.29, 1.34, 1.3, 1.28, 1.32];
    const verdict = pairedVerdict(base, head, settings);
    expect(verdict).toMatchObject({ outcome: 'regression', regression: true });
    expect(verdict.change).toBeCloseTo(0.3, 1);
    expect(verdict.pValue).toBeLessThan(0.01);
    expect(verdict.samples).toHaveLength(10);
  });

  it('a significant slowdown below the minimum effect is no regression', () => {
    const base = Array.from({ length: 10 }, () => 1);
    const head = Array.from({ length: 10 }, (_, i) => 1.03 + i * 0.001);
    const verdict = pairedVerdict(base, head, settings);
    expect(verdict.pValue).toBeLessThan(0.01);
    expect(verdict).toMatchObject({ outcome: 'no-regression', regression: false });
  });

  it('a large median slowdown hidden in a wide spread is inconclusive', () => {
    const base = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const head = [1.9, 0.6, 1.8, 0.7, 1.6, 1.5, 0.8, 1.4, 1.3, 0.9];
    const verdict = pairedVerdict(base, head, settings);
    expect(verdict.change).toBeGreaterThan(0.1);
    expect(verdict.pValue).toBeGreaterThanOrEqual(0.01);
    expect(verdict).toMatchObject({ outcome: 'inconclusive', regression: false });
  });

  it('a zero figure gives no relative change', () => {
    expect(pairedVerdict([0, 1], [5, 1], settings)).toMatchObject({ change: null, regression: false, outcome: 'inconclusive' });
  });
});

describe('compareBenchmarks', () => {
  it('compares printed figures when every run printed one, keeping every sample and its order', () => {
    const base = [100, 101, 99, 100, 102, 98, 100, 101, 99, 100];
    const verdict = compareBenchmarks(pairs(figures(base), figures(base.map((b) => b * 1.2))), settings);
    expect(verdict).toMatchObject({ source: 'stdout', baseFigure: 100, headFigure: 120, regression: true, outcome: 'regression' });
    expect(verdict.change).toBeCloseTo(0.2);
    expect(verdict.samples[1]).toEqual({ base: 101, head: 101 * 1.2, order: 'head-first' });
  });

  it('falls back to wall time for both sides when one side printed no number', () => {
    const verdict = compareBenchmarks(
      pairs(
        [{ stdout: '100\n', durationMs: 1000 }, { stdout: '100\n', durationMs: 1200 }, { stdout: '100\n', durationMs: 900 }],
        [{ stdout: 'ok\n', durationMs: 1050 }, { stdout: 'ok\n', durationMs: 5000 }, { stdout: 'ok\n', durationMs: 1040 }],
      ),
      settings,
    );
    expect(verdict).toMatchObject({ source: 'duration', baseFigure: 1000, headFigure: 1050, regression: false, outcome: 'inconclusive' });
    // The median of the per-pair ratios 1.05, 4.17, 1.16.
    expect(verdict.change).toBeCloseTo(1040 / 900 - 1);
  });

  it('a faster head is no regression', () => {
    expect(compareBenchmarks(pairs(figures([2, 2]), figures([1, 1])), settings)).toMatchObject({ change: -0.5, regression: false, outcome: 'no-regression' });
  });

  it('a head benchmark that times out where base finished is a regression with no figure', () => {
    const verdict = compareBenchmarks(pairs([{}], [{ timedOut: true, exitCode: 137 }]), settings);
    expect(verdict).toMatchObject({ regression: true, outcome: 'regression', change: null, headFigure: null });
  });

  it('no comparison when the base benchmark failed', () => {
    expect(compareBenchmarks(pairs([{ exitCode: 1 }], [{}]), settings)).toMatchObject({ regression: false, change: null, outcome: 'not-compared' });
  });

  it('no pair at all (the budget ran out first) is inconclusive', () => {
    expect(compareBenchmarks([], settings)).toMatchObject({ regression: false, outcome: 'inconclusive' });
  });
});

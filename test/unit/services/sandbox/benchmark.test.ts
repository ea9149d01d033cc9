import { describe, expect, it } from 'vitest';
import { SandboxLimits, type SandboxRunResult } from '../../../../shared/model/sandbox';
import { compareBenchmarks, median, printedFigure } from '../../../../electron/services/sandbox/benchmark';

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

describe('compareBenchmarks', () => {
  it('compares printed figures when every run printed one', () => {
    const verdict = compareBenchmarks([runResult({ stdout: '100\n' })], [runResult({ stdout: '112\n' })], 0.1);
    expect(verdict).toMatchObject({ source: 'stdout', baseFigure: 100, headFigure: 112, regression: true });
    expect(verdict.change).toBeCloseTo(0.12);
  });

  it('falls back to wall time for both sides when one side printed no number', () => {
    const verdict = compareBenchmarks(
      [runResult({ stdout: '100\n', durationMs: 1000 }), runResult({ stdout: '100\n', durationMs: 1200 }), runResult({ stdout: '100\n', durationMs: 900 })],
      [runResult({ stdout: 'ok\n', durationMs: 1050 }), runResult({ stdout: 'ok\n', durationMs: 5000 }), runResult({ stdout: 'ok\n', durationMs: 1040 })],
      0.1,
    );
    expect(verdict).toMatchObject({ source: 'duration', baseFigure: 1000, headFigure: 1050, regression: false });
    expect(verdict.change).toBeCloseTo(0.05);
  });

  it('a faster head is no regression', () => {
    expect(compareBenchmarks([runResult({ stdout: '2' })], [runResult({ stdout: '1' })], 0.1)).toMatchObject({ change: -0.5, regression: false });
  });

  it('a head benchmark that times out where base finished is a regression with no figure', () => {
    const verdict = compareBenchmarks([runResult({})], [runResult({ timedOut: true, exitCode: 137 })], 0.1);
    expect(verdict).toMatchObject({ regression: true, change: null, headFigure: null });
  });

  it('no comparison when the base benchmark failed', () => {
    expect(compareBenchmarks([runResult({ exitCode: 1 })], [runResult({})], 0.1)).toMatchObject({ regression: false, change: null });
  });

  it('no relative change from a zero base figure', () => {
    expect(compareBenchmarks([runResult({ stdout: '0' })], [runResult({ stdout: '5' })], 0.1)).toMatchObject({ change: null, regression: false });
  });
});

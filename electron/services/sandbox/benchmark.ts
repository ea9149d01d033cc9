/**
 * How a benchmark run reports its figure, and how base and head figures become a regression verdict.
 *
 * Pure. The figure of one benchmark run is, in this order:
 * 1. the last non-empty line of its stdout, when that line is a single finite number >= 0
 *    (the benchmark's own measurement, in any unit, lower is better: e.g. `0.482` seconds), or
 * 2. the container's wall time from start to exit, in milliseconds.
 * Both sides use the same source: the printed number only when every run on both sides printed one.
 */
import type { SandboxRunResult } from '../../../shared/model/sandbox';

/** Where the compared figures came from. */
export type BenchmarkFigureSource = 'stdout' | 'duration';

const NUMBER_LINE = /^[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a benchmark printed as its last non-empty stdout line, or null. */
export function printedFigure(stdout: string): number | null {
  const lines = stdout.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    if (!NUMBER_LINE.test(line)) return null;
    const value = Number(line);
    return Number.isFinite(value) && value >= 0 ? value : null;
  }
  return null;
}

/** The median of a non-empty list. */
export function median(values: ReadonlyArray<number>): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A benchmark run that produced a usable figure: completed, exit 0, not killed by a limit. */
export function benchmarkSucceeded(run: SandboxRunResult): boolean {
  return run.status === 'completed' && run.exitCode === 0 && !run.timedOut && !run.oomKilled;
}

/** The comparison of base and head benchmark runs. */
export interface BenchmarkVerdict {
  readonly source: BenchmarkFigureSource | null;
  /** Median figure per side, null when that side's benchmark did not succeed. */
  readonly baseFigure: number | null;
  readonly headFigure: number | null;
  /** (head - base) / base; null without both figures or with a zero base. */
  readonly change: number | null;
  /** Head slower than base by more than the threshold, or head's benchmark failed where base's ran. */
  readonly regression: boolean;
  /** Why the verdict is what it is, in words. */
  readonly note: string;
}

/**
 * Compares benchmark runs of base and head (each side may have several repeats; medians are compared).
 *
 * A head benchmark that fails, times out or is OOM-killed where base's succeeded is a regression: the
 * change cannot be shown to be within the threshold, and a slowdown is what a timeout usually is.
 */
export function compareBenchmarks(
  base: ReadonlyArray<SandboxRunResult>,
  head: ReadonlyArray<SandboxRunResult>,
  threshold: number,
): BenchmarkVerdict {
  const baseOk = base.length > 0 && base.every(benchmarkSucceeded);
  const headOk = head.length > 0 && head.every(benchmarkSucceeded);
  if (!baseOk) {
    return { source: null, baseFigure: null, headFigure: null, change: null, regression: false, note: 'the base benchmark did not succeed; no comparison' };
  }
  if (!headOk) {
    return { source: null, baseFigure: null, headFigure: null, change: null, regression: true, note: 'the head benchmark failed where the base benchmark succeeded' };
  }
  const basePrinted = base.map((r) => printedFigure(r.stdout));
  const headPrinted = head.map((r) => printedFigure(r.stdout));
  const printed = [...basePrinted, ...headPrinted].every((f) => f !== null);
  const source: BenchmarkFigureSource = printed ? 'stdout' : 'duration';
  const baseFigure = printed ? median(basePrinted as number[]) : median(base.map((r) => r.durationMs));
  const headFigure = printed ? median(headPrinted as number[]) : median(head.map((r) => r.durationMs));
  if (baseFigure === 0) {
    return { source, baseFigure, headFigure, change: null, regression: false, note: 'the base figure is 0; no relative change' };
  }
  const change = (headFigure - baseFigure) / baseFigure;
  const regression = change > threshold;
  const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const note = regression
    ? `head is ${percent(change)} slower than base (threshold ${percent(threshold)})`
    : `change ${change >= 0 ? '+' : ''}${percent(change)} is within the threshold of ${percent(threshold)}`;
  return { source, baseFigure, headFigure, change, regression, note };
}

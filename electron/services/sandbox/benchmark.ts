/**
 * How a benchmark run reports its figure, and how paired base and head figures become a regression
 * verdict that holds under noise.
 *
 * Pure. The figure of one benchmark run is, in this order:
 * 1. the last non-empty line of its stdout, when that line is a single finite number >= 0
 *    (the benchmark's own measurement, in any unit, lower is better: e.g. `0.482` seconds), or
 * 2. the container's wall time from start to exit, in milliseconds.
 * Both sides use the same source: the printed number only when every run on both sides printed one.
 *
 * The verdict. Base and head run alternately in pairs (the sandbox swaps which goes first every pair,
 * so drift and warm-up hit both sides alike). Each pair gives a log-ratio ln(head / base). A slowdown
 * is a **regression** only when both hold:
 * - the one-sided Wilcoxon signed-rank test on the log-ratios (H1: head slower) gives p < significance
 *   (exact distribution without ties, normal approximation with ties; @stdlib/stats-wilcoxon), and
 * - the median of the per-pair ratios head / base exceeds 1 + the policy's minimum effect size.
 * It is **inconclusive** (never a regression) when the median ratio exceeds the minimum effect but the
 * test cannot tell it from noise (too few pairs, or a spread too wide), and **no-regression** when the
 * median slowdown is within the minimum effect.
 *
 * How many pairs ({@link collectPairs}): at least the policy's minimum (10), then more while the answer
 * is open, up to the maximum and within the time budget. It stops early when the pairs already show the
 * slowdown is within the minimum effect (the opposite one-sided test, p < 0.1: stopping there can only
 * turn a would-be regression into "no regression", never raise a false alarm), or at the minimum when
 * the slowdown is already significant at a tenth of the significance level (one early look, so it adds
 * at most a tenth to the false-alarm rate). Measured on a loaded 2-core machine by
 * test/bench/regression.bench.ts.
 */
import type wilcoxonTest from '@stdlib/stats-wilcoxon';
import { createRequire } from 'node:module';
import type { BenchmarkOutcome, BenchmarkPairOrder, BenchmarkSample, SandboxRunResult } from '../../../shared/model/sandbox';

// @stdlib/stats-wilcoxon loads some 200 modules: only when a comparison is judged, not with every command.
let wilcoxonModule: typeof wilcoxonTest | undefined;
const wilcoxon = ((...args: unknown[]): unknown => {
  wilcoxonModule ??= createRequire(__filename)('@stdlib/stats-wilcoxon') as typeof wilcoxonTest;
  return Reflect.apply(wilcoxonModule, undefined, args);
}) as typeof wilcoxonTest;

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

/** How the verdict is decided; the policy's `sandbox` section supplies these. */
export interface BenchmarkDecisionSettings {
  /** Minimum effect size: the median slowdown (fraction, 0.10 = 10 %) below which nothing is a regression. */
  readonly minEffect: number;
  /** The one-sided test's p-value must be below this (0.01). */
  readonly significance: number;
  /** The minimum number of pairs; fewer completed (time budget, cancel) is said in the note. */
  readonly pairsWanted: number;
}

/** Default decision settings: 10 % minimum effect, p < 0.01, at least 10 pairs. */
export const DEFAULT_BENCHMARK_SETTINGS: BenchmarkDecisionSettings = { minEffect: 0.1, significance: 0.01, pairsWanted: 10 };

/** Default most pairs one comparison runs while the answer is open. */
export const DEFAULT_MAX_BENCHMARK_PAIRS = 60;

/** p-value below which the pairs count as showing the slowdown is within the minimum effect (early stop). */
export const WITHIN_EFFECT_STOP_P = 0.1;

/** The comparison of base and head benchmark runs. */
export interface BenchmarkVerdict {
  readonly source: BenchmarkFigureSource | null;
  /** Median figure per side, null when that side's benchmark did not succeed. */
  readonly baseFigure: number | null;
  readonly headFigure: number | null;
  /** Median of the per-pair ratios head / base, minus 1 (0.3 = 30 % slower); null without figures. */
  readonly change: number | null;
  /** One-sided Wilcoxon signed-rank p-value (H1: head slower), null when no test ran. */
  readonly pValue: number | null;
  readonly outcome: BenchmarkOutcome;
  /** outcome === 'regression'. */
  readonly regression: boolean;
  /** Every pair's figures, in the order they ran. */
  readonly samples: ReadonlyArray<BenchmarkSample>;
  readonly settings: BenchmarkDecisionSettings;
  /** Why the verdict is what it is, in words. */
  readonly note: string;
}

const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** The one-sided Wilcoxon signed-rank p-value that head is slower than base, from paired figures. */
export function slowdownPValue(base: ReadonlyArray<number>, head: ReadonlyArray<number>): number {
  const logRatios = base.map((b, i) => Math.log((head[i] as number) / b));
  // All pairs equal: no evidence of any change (the library refuses an all-zero sample).
  if (logRatios.every((d) => d === 0)) return 1;
  // Fewer than two non-zero differences: the test needs two; one pair cannot show anything.
  if (logRatios.filter((d) => d !== 0).length < 2) return 1;
  return wilcoxon(logRatios, { alternative: 'greater', zeroMethod: 'wilcox', correction: true }).pValue;
}

/** The one-sided Wilcoxon signed-rank p-value that head is slower than base by less than `minEffect`. */
export function withinEffectPValue(base: ReadonlyArray<number>, head: ReadonlyArray<number>, minEffect: number): number {
  const shifted = base.map((b, i) => Math.log((head[i] as number) / b) - Math.log1p(minEffect));
  if (shifted.filter((d) => d !== 0).length < 2) return 1;
  return wilcoxon(shifted, { alternative: 'less', zeroMethod: 'wilcox', correction: true }).pValue;
}

/**
 * The verdict on paired figures (base[i] and head[i] ran next to each other); see the module comment.
 * Figures must be finite and above 0; a pair with a zero or bad figure makes the verdict inconclusive.
 */
export function pairedVerdict(
  base: ReadonlyArray<number>,
  head: ReadonlyArray<number>,
  settings: BenchmarkDecisionSettings,
  order?: ReadonlyArray<BenchmarkPairOrder>,
  source: BenchmarkFigureSource | null = null,
): BenchmarkVerdict {
  if (base.length !== head.length) throw new RangeError('base and head must have one figure per pair');
  const samples: BenchmarkSample[] = base.map((b, i) => ({ base: b, head: head[i] as number, order: order?.[i] ?? (i % 2 === 0 ? 'base-first' : 'head-first') }));
  const common = { source, samples, settings };
  if (base.length === 0) {
    return { ...common, baseFigure: null, headFigure: null, change: null, pValue: null, outcome: 'inconclusive', regression: false, note: 'no benchmark pair completed within the time budget' };
  }
  const baseFigure = median(base);
  const headFigure = median(head);
  if ([...base, ...head].some((f) => !Number.isFinite(f) || f <= 0)) {
    return { ...common, baseFigure, headFigure, change: null, pValue: null, outcome: 'inconclusive', regression: false, note: 'a benchmark figure is 0 or not a number; no relative change' };
  }
  const change = median(base.map((b, i) => (head[i] as number) / b)) - 1;
  const pValue = slowdownPValue(base, head);
  const significant = pValue < settings.significance;
  const beyondEffect = change > settings.minEffect;
  const fewer = base.length < settings.pairsWanted ? ` (${base.length} of ${settings.pairsWanted} pairs ran within the time budget)` : '';
  const stats = `median ratio ${(change + 1).toFixed(3)} over ${base.length} pairs, one-sided Wilcoxon p = ${pValue.toPrecision(2)}`;
  if (significant && beyondEffect) {
    return {
      ...common,
      baseFigure,
      headFigure,
      change,
      pValue,
      outcome: 'regression',
      regression: true,
      note: `head is ${percent(change)} slower than base, beyond the minimum effect of ${percent(settings.minEffect)} and significant at p < ${settings.significance}: ${stats}${fewer}`,
    };
  }
  if (beyondEffect) {
    return {
      ...common,
      baseFigure,
      headFigure,
      change,
      pValue,
      outcome: 'inconclusive',
      regression: false,
      note: `head looks ${percent(change)} slower, but the spread is too wide to tell it from noise at p < ${settings.significance}: ${stats}${fewer}`,
    };
  }
  return {
    ...common,
    baseFigure,
    headFigure,
    change,
    pValue,
    outcome: 'no-regression',
    regression: false,
    note: `median change ${change >= 0 ? '+' : ''}${percent(change)} is within the minimum effect of ${percent(settings.minEffect)}: ${stats}${fewer}`,
  };
}

/** One pair of benchmark runs, in the order they ran. */
export interface BenchmarkRunPair {
  readonly base: SandboxRunResult;
  readonly head: SandboxRunResult;
  readonly order: BenchmarkPairOrder;
}

/**
 * Compares paired benchmark runs of base and head (see the module comment).
 *
 * A head benchmark that fails, times out or is OOM-killed where base's succeeded is a regression: the
 * change cannot be shown to be within the threshold, and a slowdown is what a timeout usually is. A
 * failing base gives no comparison.
 */
export function compareBenchmarks(pairs: ReadonlyArray<BenchmarkRunPair>, settings: BenchmarkDecisionSettings): BenchmarkVerdict {
  const none = { baseFigure: null, headFigure: null, change: null, pValue: null, samples: [], settings } as const;
  const baseOk = pairs.every((p) => benchmarkSucceeded(p.base));
  const headOk = pairs.every((p) => benchmarkSucceeded(p.head));
  if (!baseOk) {
    return { ...none, source: null, outcome: 'not-compared', regression: false, note: 'the base benchmark did not succeed; no comparison' };
  }
  if (!headOk) {
    return { ...none, source: null, outcome: 'regression', regression: true, note: 'the head benchmark failed where the base benchmark succeeded' };
  }
  const basePrinted = pairs.map((p) => printedFigure(p.base.stdout));
  const headPrinted = pairs.map((p) => printedFigure(p.head.stdout));
  const printed = pairs.length > 0 && [...basePrinted, ...headPrinted].every((f) => f !== null);
  const source: BenchmarkFigureSource = printed ? 'stdout' : 'duration';
  const base = printed ? (basePrinted as number[]) : pairs.map((p) => p.base.durationMs);
  const head = printed ? (headPrinted as number[]) : pairs.map((p) => p.head.durationMs);
  return pairedVerdict(base, head, settings, pairs.map((p) => p.order), pairs.length === 0 ? null : source);
}

/** Why {@link collectPairs} stopped adding pairs. */
export type PairsStop = 'within-effect' | 'significant' | 'max-pairs' | 'budget' | 'failed-run' | 'cancelled';

/** Input of {@link collectPairs}. */
export interface CollectPairsOptions<T> {
  /** Runs the benchmark once on one side. */
  readonly run: (side: 'base' | 'head') => Promise<T>;
  /** Whether a run produced a figure (a failed run stops the pairs: nothing more to compare). */
  readonly succeeded: (run: T) => boolean;
  /** The verdict on the pairs so far (its samples are the figures). */
  readonly verdict: (pairs: ReadonlyArray<{ readonly base: T; readonly head: T; readonly order: BenchmarkPairOrder }>) => BenchmarkVerdict;
  readonly settings: BenchmarkDecisionSettings;
  /** Most pairs; at least `settings.pairsWanted`. */
  readonly maxPairs: number;
  /** No new pair starts after this many ms (the first always does). */
  readonly budgetMs: number;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  readonly signal?: AbortSignal;
}

/**
 * Runs base and head in pairs, the first side swapping every pair, until the answer is settled (see
 * the module comment), then returns the pairs in the order they ran and why it stopped.
 */
export async function collectPairs<T>(
  options: CollectPairsOptions<T>,
): Promise<{ pairs: Array<{ base: T; head: T; order: BenchmarkPairOrder }>; stop: PairsStop }> {
  const { settings } = options;
  const min = settings.pairsWanted;
  const max = Math.max(min, options.maxPairs);
  const started = options.now();
  const pairs: Array<{ base: T; head: T; order: BenchmarkPairOrder }> = [];
  for (;;) {
    if (options.signal?.aborted) return { pairs, stop: 'cancelled' };
    if (pairs.length > 0 && options.now() - started > options.budgetMs) return { pairs, stop: 'budget' };
    const order: BenchmarkPairOrder = pairs.length % 2 === 0 ? 'base-first' : 'head-first';
    const first = await options.run(order === 'base-first' ? 'base' : 'head');
    const second = await options.run(order === 'base-first' ? 'head' : 'base');
    const pair = order === 'base-first' ? { base: first, head: second, order } : { base: second, head: first, order };
    pairs.push(pair);
    if (!options.succeeded(pair.base) || !options.succeeded(pair.head)) return { pairs, stop: 'failed-run' };
    if (pairs.length < min) continue;
    if (pairs.length >= max) return { pairs, stop: 'max-pairs' };
    const verdict = options.verdict(pairs);
    const figures = verdict.samples;
    if (
      verdict.change !== null &&
      figures.length === pairs.length &&
      withinEffectPValue(figures.map((f) => f.base), figures.map((f) => f.head), settings.minEffect) < WITHIN_EFFECT_STOP_P
    ) {
      return { pairs, stop: 'within-effect' };
    }
    // One early look at the minimum, at a tenth of the level, so the early stop adds little to the error rate.
    if (pairs.length === min && verdict.pValue !== null && verdict.pValue < settings.significance / 10 && verdict.change !== null && verdict.change > settings.minEffect) {
      return { pairs, stop: 'significant' };
    }
  }
}

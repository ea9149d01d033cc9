/**
 * Sandbox limits and results: what policy may set for a sandboxed run, and what a run reports.
 *
 * Limits are always finite: an unlimited value (0 where Docker reads it as "no limit", -1, Infinity,
 * RLIM_INFINITY) fails validation here, so it can never reach the Docker Engine.
 */
import { z } from 'zod';

const finitePositiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .positive(`${what} must be above 0 (unlimited is not allowed)`)
    .max(max, `${what} must be at most ${max}`);

/** Container limits a policy may set; every field has a safe default and a finite maximum. */
export const SandboxLimits = z
  .object({
    /** Memory in MiB; memory+swap is set equal, so no swap. */
    // Docker refuses a memory limit below 6 MiB.
    memoryMb: z
      .number({ error: 'memoryMb must be a number' })
      .int('memoryMb must be a whole number')
      .min(6, 'memoryMb must be at least 6 (unlimited is not allowed, and Docker refuses less than 6 MiB)')
      .max(16_384, 'memoryMb must be at most 16384')
      .default(256),
    /** CPUs as a fraction (CPU quota / period). */
    cpus: z.number().min(0.01, 'cpus must be at least 0.01 (above 0: unlimited is not allowed)').max(64).default(1),
    /** Max processes/threads in the container. */
    pidsLimit: finitePositiveInt('pidsLimit', 4096).default(128),
    /** Wall-clock timeout in seconds; then the container is killed. */
    timeoutSeconds: finitePositiveInt('timeoutSeconds', 3600).default(120),
    /** Per-stream output cap in bytes (stdout and stderr each). */
    outputBytes: finitePositiveInt('outputBytes', 64 * 1024 * 1024).default(1024 * 1024),
    /** Size of the /tmp and HOME tmpfs mounts in MiB. */
    tmpfsMb: finitePositiveInt('tmpfsMb', 4096).default(64),
    /** RLIMIT_NOFILE. */
    nofile: finitePositiveInt('nofile', 65_536).default(1024),
    /** RLIMIT_FSIZE in MiB (largest file a process may write). */
    fsizeMb: finitePositiveInt('fsizeMb', 4096).default(64),
  })
  .strict();
export type SandboxLimits = z.infer<typeof SandboxLimits>;

/** Which side of a proposal a run tested. */
export const SandboxSide = z.enum(['base', 'head']);
export type SandboxSide = z.infer<typeof SandboxSide>;

/** What one sandboxed run reports. */
export const SandboxRunResult = z.object({
  runId: z.string(),
  /** `unavailable`: no reachable engine (never a pass). */
  status: z.enum(['completed', 'unavailable', 'cancelled', 'failed-to-start']),
  side: SandboxSide.optional(),
  image: z.string(),
  imageDigest: z.string().nullable(),
  command: z.array(z.string()).readonly(),
  limits: SandboxLimits,
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
  oomKilled: z.boolean(),
  peakMemoryBytes: z.number().nonnegative().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  /** What the limits stopped, in words: "timed out after 120 s", "output capped at 1 MiB", ... */
  violations: z.array(z.string()).readonly(),
  /** Why the run is unavailable or failed to start. */
  reason: z.string().optional(),
});
export type SandboxRunResult = z.infer<typeof SandboxRunResult>;

/** What the benchmark comparison concluded; `inconclusive` is never a regression (the policy says what it means for the gate). */
export const BenchmarkOutcome = z.enum(['regression', 'no-regression', 'inconclusive', 'not-compared']);
export type BenchmarkOutcome = z.infer<typeof BenchmarkOutcome>;

/** Which side of a benchmark pair ran first. */
export const BenchmarkPairOrder = z.enum(['base-first', 'head-first']);
export type BenchmarkPairOrder = z.infer<typeof BenchmarkPairOrder>;

/** One benchmark pair's figures (stdout number or wall time in ms; lower is better). */
export const BenchmarkSample = z.object({ base: z.number(), head: z.number(), order: BenchmarkPairOrder });
export type BenchmarkSample = z.infer<typeof BenchmarkSample>;

/** The benchmark statistics behind a comparison: every sample, the test, and the settings that decided it. */
export const BenchmarkSummary = z.object({
  outcome: BenchmarkOutcome,
  /** `stdout`: the number each run printed last; `duration`: wall time in ms. */
  source: z.enum(['stdout', 'duration']).nullable(),
  /** Median of the per-pair ratios head / base, minus 1. */
  change: z.number().nullable(),
  /** One-sided Wilcoxon signed-rank p-value (H1: head slower). */
  pValue: z.number().nullable(),
  baseFigure: z.number().nullable(),
  headFigure: z.number().nullable(),
  minEffect: z.number(),
  significance: z.number(),
  pairsWanted: z.number().int(),
  samples: z.array(BenchmarkSample).readonly(),
  note: z.string(),
  /** Why no more pairs ran: not-slower, significant, max-pairs, budget, failed-run, cancelled. */
  stop: z.string().optional(),
});
export type BenchmarkSummary = z.infer<typeof BenchmarkSummary>;

/** Base against head: tests fixed/broken and benchmark change. */
export const SandboxComparison = z.object({
  base: SandboxRunResult,
  head: SandboxRunResult,
  testsPassedBase: z.boolean(),
  testsPassedHead: z.boolean(),
  /** Head passes where base failed. */
  fixed: z.boolean(),
  /** Head fails where base passed. */
  broken: z.boolean(),
  /** Benchmark change head vs base as a fraction (0.12 = 12 % slower), when a benchmark ran. */
  benchmarkChange: z.number().nullable(),
  /** A significant slowdown beyond the policy's minimum effect (see `benchmark`). */
  regression: z.boolean(),
  /** Every benchmark sample and the statistics behind `regression`; absent on results stored before it existed. */
  benchmark: BenchmarkSummary.nullable().optional(),
});
export type SandboxComparison = z.infer<typeof SandboxComparison>;

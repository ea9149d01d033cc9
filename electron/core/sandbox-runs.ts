/**
 * Sandbox use cases: run the policy's tests (and benchmark) on the merge base and on the revision,
 * stream the output to the window as events, keep the latest comparison per revision (it survives a
 * restart: the gate reads it), and cancel.
 */
import { randomUUID } from 'node:crypto';
import { SandboxComparison, type BenchmarkSummary } from '../../shared/model/sandbox';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import type { JsonObject } from '../services/audit';
import type { Db, Migration } from '../services/db/sqlite';
import { migrate } from '../services/db/sqlite';
import { getProposal, materialiseTree } from '../services/git';
import type { CoreContext } from './context';
import type { Policy } from '../../shared/model/policy';
import type { SandboxCompareRequest } from '../services/sandbox';
import { governanceOf, requireValidPolicy, type RepositoryHandle, type RepositoryHandles } from './repositories';

/** Schema of the core's own tables. */
export const CORE_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'sandbox results per revision',
    up(db) {
      db.exec(`CREATE TABLE sandbox_results (
        run_id TEXT PRIMARY KEY,
        repository_id TEXT NOT NULL,
        proposal TEXT NOT NULL,
        head_oid TEXT NOT NULL,
        comparison TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX sandbox_results_revision ON sandbox_results (repository_id, proposal, head_oid, created_at)`);
    },
  },
];

/**
 * Schema of the benchmark statistics (own migration domain): one row per comparison with the verdict
 * and the settings that decided it, and one row per pair with both figures, so a regression verdict can
 * be audited and recomputed later.
 */
export const BENCHMARK_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'benchmark comparisons and every sample',
    up(db) {
      db.exec(`CREATE TABLE benchmark_comparisons (
        run_id TEXT PRIMARY KEY,
        repository_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('proposal', 'post-apply')),
        base_oid TEXT NOT NULL,
        head_oid TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('regression', 'no-regression', 'inconclusive', 'not-compared')),
        source TEXT,
        change REAL,
        p_value REAL,
        min_effect REAL NOT NULL,
        significance REAL NOT NULL,
        pairs_wanted INTEGER NOT NULL,
        note TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX benchmark_comparisons_head ON benchmark_comparisons (repository_id, head_oid, created_at);
      CREATE TABLE benchmark_samples (
        run_id TEXT NOT NULL REFERENCES benchmark_comparisons (run_id),
        pair INTEGER NOT NULL,
        first TEXT NOT NULL CHECK (first IN ('base', 'head')),
        base REAL NOT NULL,
        head REAL NOT NULL,
        PRIMARY KEY (run_id, pair)
      ) WITHOUT ROWID`);
    },
  },
];

/** Creates or updates the core's tables. */
export function migrateCore(db: Db): void {
  migrate(db, 'core', CORE_MIGRATIONS);
  migrate(db, 'sandbox-benchmarks', BENCHMARK_MIGRATIONS);
}

/** Where a benchmark comparison came from. */
export interface BenchmarkOrigin {
  readonly runId: string;
  readonly repositoryId: string;
  readonly subject: string;
  readonly kind: 'proposal' | 'post-apply';
  readonly base: string;
  readonly head: string;
}

/** Stores a benchmark comparison and every sample in one transaction. */
export function recordBenchmark(ctx: Pick<CoreContext, 'appDb' | 'clock'>, origin: BenchmarkOrigin, summary: BenchmarkSummary): void {
  const insertComparison = ctx.appDb.prepare(
    `INSERT INTO benchmark_comparisons (run_id, repository_id, subject, kind, base_oid, head_oid, outcome, source, change, p_value, min_effect, significance, pairs_wanted, note, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSample = ctx.appDb.prepare('INSERT INTO benchmark_samples (run_id, pair, first, base, head) VALUES (?, ?, ?, ?, ?)');
  ctx.appDb.transaction(() => {
    insertComparison.run(
      origin.runId,
      origin.repositoryId,
      origin.subject,
      origin.kind,
      origin.base,
      origin.head,
      summary.outcome,
      summary.source,
      summary.change,
      summary.pValue,
      summary.minEffect,
      summary.significance,
      summary.pairsWanted,
      summary.note,
      ctx.clock.now().toISOString(),
    );
    summary.samples.forEach((sample, pair) => insertSample.run(origin.runId, pair, sample.order === 'base-first' ? 'base' : 'head', sample.base, sample.head));
  })();
}

/** The stored samples of one comparison, in the order they ran. */
export function benchmarkSamples(ctx: Pick<CoreContext, 'appDb'>, runId: string): ReadonlyArray<{ pair: number; first: 'base' | 'head'; base: number; head: number }> {
  return ctx.appDb.prepare('SELECT pair, first, base, head FROM benchmark_samples WHERE run_id = ? ORDER BY pair').all(runId) as {
    pair: number;
    first: 'base' | 'head';
    base: number;
    head: number;
  }[];
}

/** A benchmark summary as an audit payload: the verdict, its settings, and every sample as [base, head, first]. */
export function benchmarkAuditPayload(summary: BenchmarkSummary | null | undefined): JsonObject | null {
  if (summary === null || summary === undefined) return null;
  return {
    outcome: summary.outcome,
    source: summary.source,
    change: summary.change,
    pValue: summary.pValue,
    minEffect: summary.minEffect,
    significance: summary.significance,
    pairsWanted: summary.pairsWanted,
    samples: summary.samples.map((s) => [s.base, s.head, s.order === 'base-first' ? 'base' : 'head']),
    note: summary.note,
  };
}

/**
 * Whether a comparison passes for the gate: the head's tests pass, no significant regression, and an
 * inconclusive benchmark only when the policy's `onInconclusive` is `pass`.
 */
export function sandboxPasses(policy: Policy | null, comparison: SandboxComparison): boolean {
  if (!comparison.testsPassedHead || comparison.regression) return false;
  const inconclusive = comparison.benchmark?.outcome === 'inconclusive';
  return !(inconclusive && (policy?.sandbox.onInconclusive ?? 'fail') === 'fail');
}

/** The latest comparison for one revision, or null. */
export function latestSandboxResult(ctx: Pick<CoreContext, 'appDb'>, repositoryId: string, proposal: string, head: string): SandboxComparison | null {
  const row = ctx.appDb
    .prepare(
      'SELECT comparison FROM sandbox_results WHERE repository_id = ? AND proposal = ? AND head_oid = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
    )
    .get(repositoryId, proposal, head) as { comparison: string } | undefined;
  if (!row) return null;
  const parsed = SandboxComparison.safeParse(JSON.parse(row.comparison));
  return parsed.success ? parsed.data : null;
}

/**
 * The policy's tests, benchmark, image and limits as a base-against-head comparison of two commits
 * (a proposal's merge base and head, or the target before and after an apply).
 */
export function policyComparison(policy: Policy, handle: RepositoryHandle, base: string, head: string): SandboxCompareRequest {
  return {
    materialise: async (side, dir) => {
      await materialiseTree({ repo: handle.repo, oid: side === 'base' ? base : head, into: dir });
    },
    testCommand: policy.sandbox.testCommand,
    ...(policy.sandbox.benchmarkCommand ? { benchmarkCommand: policy.sandbox.benchmarkCommand } : {}),
    regressionThreshold: policy.sandbox.regressionThreshold,
    regressionSignificance: policy.sandbox.regressionSignificance,
    benchmarkPairs: policy.sandbox.benchmarkPairs,
    benchmarkMaxPairs: Math.max(policy.sandbox.benchmarkPairs, policy.sandbox.benchmarkMaxPairs),
    benchmarkBudgetMs: policy.sandbox.benchmarkBudgetSeconds * 1000,
    limits: policy.sandbox.limits,
    image: policy.sandbox.image,
    ...(policy.sandbox.imageDigest ? { imageDigest: policy.sandbox.imageDigest } : {}),
  };
}

/** In-flight comparisons, for cancel. */
export type RunningComparisons = Map<string, AbortController>;

/** What starting a run returns at once; the comparison itself follows. */
export interface StartedComparison {
  readonly runId: string;
  readonly done: Promise<SandboxComparison | null>;
}

/**
 * Starts a base-against-head comparison with the policy's commands, image and limits.
 *
 * Output streams as `sandbox:output`; the end arrives as `sandbox:finished` (with the comparison, or
 * a failure: no engine, cancelled). An unreachable engine is recorded as unavailable — never a pass.
 */
export async function startComparison(
  ctx: CoreContext,
  handles: RepositoryHandles,
  running: RunningComparisons,
  repositoryId: string,
  proposalId: string,
): Promise<StartedComparison> {
  const handle = await handles.get(repositoryId);
  const proposal = await getProposal(handle.repo, proposalId);
  if (proposal.baseOid === null) throw new GatehouseError(ErrorCode.Conflict, `proposal ${proposalId} shares no history with the target branch`);
  const policy = requireValidPolicy(await governanceOf(ctx, handle));
  const runId = `cmp-${randomUUID()}`;
  const controller = new AbortController();
  running.set(runId, controller);
  const base = proposal.baseOid;
  const head = proposal.headOid;
  const subject = `proposal:${repositoryId}/${proposal.name}`;

  const done = (async (): Promise<SandboxComparison | null> => {
    try {
      const report = await ctx.sandbox.compare({
        ...policyComparison(policy, handle, base, head),
        signal: controller.signal,
        onOutput: (side, _phase, stream, chunk) => ctx.events.emit('sandbox:output', { runId, side, stream, chunk }),
      });
      const comparison = SandboxComparison.parse(report);
      ctx.appDb
        .prepare('INSERT INTO sandbox_results (run_id, repository_id, proposal, head_oid, comparison, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(runId, repositoryId, proposal.name, head, JSON.stringify(comparison), ctx.clock.now().toISOString());
      if (comparison.benchmark) recordBenchmark(ctx, { runId, repositoryId, subject, kind: 'proposal', base, head }, comparison.benchmark);
      ctx.audit.record({
        action: 'sandbox.run',
        subject,
        payload: {
          runId,
          base,
          head,
          image: comparison.head.image,
          imageDigest: comparison.head.imageDigest,
          baseStatus: comparison.base.status,
          headStatus: comparison.head.status,
          baseExit: comparison.base.exitCode,
          headExit: comparison.head.exitCode,
          testsPassedBase: comparison.testsPassedBase,
          testsPassedHead: comparison.testsPassedHead,
          broken: comparison.broken,
          fixed: comparison.fixed,
          benchmarkChange: comparison.benchmarkChange,
          regression: comparison.regression,
          benchmark: benchmarkAuditPayload(comparison.benchmark),
          violations: [...comparison.base.violations, ...comparison.head.violations],
        },
      });
      const unavailable = comparison.head.status === 'unavailable' ? comparison.head : null;
      ctx.events.emit('sandbox:finished', {
        runId,
        repositoryId,
        proposalId: proposal.name,
        comparison,
        failure: unavailable
          ? { code: ErrorCode.Unavailable, message: unavailable.reason ?? 'no reachable Docker engine', run: unavailable }
          : null,
      });
      ctx.events.emit('repo:changed', { repositoryId, what: 'sandbox result' });
      return comparison;
    } catch (error) {
      const cancelled = controller.signal.aborted;
      const message = error instanceof Error ? error.message : String(error);
      ctx.logger.warn(`sandbox comparison ${runId} ended without a result`, message);
      ctx.audit.record({ action: 'sandbox.run', subject, payload: { runId, base, head, failed: true, cancelled, message } });
      ctx.events.emit('sandbox:finished', {
        runId,
        repositoryId,
        proposalId: proposal.name,
        comparison: null,
        failure: {
          code: cancelled ? ErrorCode.Cancelled : error instanceof GatehouseError ? error.code : ErrorCode.Internal,
          message: cancelled ? 'cancelled' : message,
          run: null,
        },
      });
      return null;
    } finally {
      running.delete(runId);
    }
  })();
  return { runId, done };
}

/** Cancels an in-flight comparison. */
export function cancelComparison(running: RunningComparisons, runId: string): { cancelled: boolean } {
  const controller = running.get(runId);
  if (!controller) return { cancelled: false };
  controller.abort();
  return { cancelled: true };
}

/** What to do after an apply, from the post-apply sandbox check on the new target head. */
import type { Policy } from '../../../shared/model/policy';
import type { BenchmarkOutcome } from '../../../shared/model/sandbox';

/** What the post-apply check observed on the new target head. */
export interface PostApplyObservation {
  /** Tests passed; null when they could not run (no Docker, run failed to start): fail closed. */
  readonly testsPassed: boolean | null;
  /** The benchmark verdict new head vs the pre-apply head; null when no benchmark ran. */
  readonly benchmarkOutcome: BenchmarkOutcome | null;
  /** Median slowdown new head vs the pre-apply head, as a fraction (0.12 = 12 % slower); null when none. */
  readonly benchmarkChange: number | null;
  /** The one-sided rank test's p-value, for the reason; null when none. */
  readonly benchmarkPValue?: number | null;
}

/** The decision, and why (for the audit log). */
export interface PostApplyDecision {
  readonly action: 'keep' | 'rollback' | 'ask';
  readonly reasons: ReadonlyArray<string>;
}

const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;

/**
 * Keep the apply, or roll back to the pre-apply checkpoint (policy `onRegression: rollback`, the
 * default) or ask a lead (`ask`), when tests broke, could not run, or the benchmark regressed
 * significantly beyond the minimum effect (`sandbox.regressionThreshold`, `regressionSignificance`).
 *
 * An inconclusive benchmark never rolls back by itself: with `onInconclusive: fail` it asks a lead,
 * with `pass` it is kept.
 */
export function postApplyDecision(policy: Policy, observation: PostApplyObservation): PostApplyDecision {
  const rollbackReasons: string[] = [];
  const askReasons: string[] = [];
  if (observation.testsPassed === null) rollbackReasons.push('the post-apply tests could not run (fail closed)');
  else if (!observation.testsPassed) rollbackReasons.push('the tests fail on the new head');
  const change = observation.benchmarkChange;
  const p = observation.benchmarkPValue;
  const stats = `${p === null || p === undefined ? '' : `p = ${p.toPrecision(2)}, `}minimum effect ${percent(policy.sandbox.regressionThreshold)}, significance ${policy.sandbox.regressionSignificance}`;
  if (observation.benchmarkOutcome === 'regression') {
    rollbackReasons.push(
      change === null
        ? 'the benchmark fails on the new head where it ran before'
        : `the benchmark is significantly slower: ${percent(change)} (${stats})`,
    );
  } else if (observation.benchmarkOutcome === 'inconclusive' && policy.sandbox.onInconclusive === 'fail') {
    askReasons.push(`the benchmark is inconclusive${change === null ? '' : ` (median ${percent(change)}, ${stats})`} and the policy fails inconclusive results: a lead decides`);
  }
  if (rollbackReasons.length > 0) return { action: policy.onRegression, reasons: [...rollbackReasons, ...askReasons] };
  if (askReasons.length > 0) return { action: 'ask', reasons: askReasons };
  const benchmark =
    observation.benchmarkOutcome === 'inconclusive'
      ? '; the benchmark is inconclusive (too noisy to decide), which the policy lets pass'
      : observation.benchmarkOutcome === 'no-regression'
        ? '; no significant benchmark regression'
        : '';
  return { action: 'keep', reasons: [`tests pass${benchmark}`] };
}

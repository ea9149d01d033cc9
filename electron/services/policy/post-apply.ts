/** What to do after an apply, from the post-apply sandbox check on the new target head. */
import type { Policy } from '../../../shared/model/policy';

/** What the post-apply check observed on the new target head. */
export interface PostApplyObservation {
  /** Tests passed; null when they could not run (no Docker, run failed to start): fail closed. */
  readonly testsPassed: boolean | null;
  /** Benchmark change new head vs the pre-apply head, as a fraction (0.12 = 12 % slower); null when none ran. */
  readonly benchmarkChange: number | null;
}

/** The decision, and why (for the audit log). */
export interface PostApplyDecision {
  readonly action: 'keep' | 'rollback' | 'ask';
  readonly reasons: ReadonlyArray<string>;
}

/**
 * Keep the apply, or roll back to the pre-apply checkpoint (policy `onRegression: rollback`, the
 * default) or ask a lead (`ask`), when tests broke, could not run, or the benchmark regressed beyond
 * `sandbox.regressionThreshold`.
 */
export function postApplyDecision(policy: Policy, observation: PostApplyObservation): PostApplyDecision {
  const reasons: string[] = [];
  if (observation.testsPassed === null) reasons.push('the post-apply tests could not run (fail closed)');
  else if (!observation.testsPassed) reasons.push('the tests fail on the new head');
  const change = observation.benchmarkChange;
  if (change !== null && (!Number.isFinite(change) || change > policy.sandbox.regressionThreshold))
    reasons.push(
      Number.isFinite(change)
        ? `the benchmark is ${(change * 100).toFixed(1)} % slower (threshold ${(policy.sandbox.regressionThreshold * 100).toFixed(1)} %)`
        : 'the benchmark result is not a number (fail closed)',
    );
  if (reasons.length === 0) return { action: 'keep', reasons: ['tests pass and no benchmark regression beyond the threshold'] };
  return { action: policy.onRegression, reasons };
}

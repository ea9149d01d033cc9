import { describe, expect, it } from 'vitest';
import { defaultPolicyYaml, loadPolicy, postApplyDecision, requirePolicy } from '../../../../electron/services/policy';

const policy = requirePolicy(loadPolicy({ text: defaultPolicyYaml() }));
const asking = requirePolicy(loadPolicy({ text: defaultPolicyYaml().replace('onRegression: rollback', 'onRegression: ask') }));

describe('postApplyDecision', () => {
  it('keeps an apply whose tests pass within the regression threshold', () => {
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkChange: 0.1 }).action).toBe('keep');
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkChange: null }).action).toBe('keep');
  });

  it('rolls back by default when tests break, cannot run, or the benchmark regresses', () => {
    expect(postApplyDecision(policy, { testsPassed: false, benchmarkChange: null })).toEqual({ action: 'rollback', reasons: ['the tests fail on the new head'] });
    expect(postApplyDecision(policy, { testsPassed: null, benchmarkChange: null }).reasons[0]).toMatch(/could not run/);
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkChange: 0.11 }).reasons).toEqual(['the benchmark is 11.0 % slower (threshold 10.0 %)']);
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkChange: Number.NaN }).action).toBe('rollback');
  });

  it('asks instead when the policy says ask', () => {
    expect(postApplyDecision(asking, { testsPassed: false, benchmarkChange: 0.5 })).toMatchObject({ action: 'ask' });
    expect(postApplyDecision(asking, { testsPassed: false, benchmarkChange: 0.5 }).reasons).toHaveLength(2);
  });
});

import { describe, expect, it } from 'vitest';
import { defaultPolicyYaml, loadPolicy, postApplyDecision, requirePolicy } from '../../../../electron/services/policy';

const policy = requirePolicy(loadPolicy({ text: defaultPolicyYaml() }));
const asking = requirePolicy(loadPolicy({ text: defaultPolicyYaml().replace('onRegression: rollback', 'onRegression: ask') }));
const strict = requirePolicy(loadPolicy({ text: defaultPolicyYaml().replace('onInconclusive: pass', 'onInconclusive: fail') }));

describe('postApplyDecision', () => {
  it('keeps an apply whose tests pass without a significant regression', () => {
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkOutcome: 'no-regression', benchmarkChange: 0.05 }).action).toBe('keep');
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkOutcome: null, benchmarkChange: null }).action).toBe('keep');
  });

  it('never rolls back by itself on a large but insignificant change (the E2E flake: +64 % from three noisy samples)', () => {
    const decision = postApplyDecision(policy, { testsPassed: true, benchmarkOutcome: 'inconclusive', benchmarkChange: 0.64, benchmarkPValue: 0.2 });
    expect(decision.action).toBe('keep');
    expect(decision.reasons[0]).toMatch(/inconclusive/);
  });

  it('asks a lead, never rolls back, on an inconclusive benchmark when the policy fails inconclusive results', () => {
    const decision = postApplyDecision(strict, { testsPassed: true, benchmarkOutcome: 'inconclusive', benchmarkChange: 0.3, benchmarkPValue: 0.04 });
    expect(decision.action).toBe('ask');
    expect(decision.reasons[0]).toMatch(/inconclusive.*lead decides/);
  });

  it('rolls back by default when tests break, cannot run, or the benchmark regresses significantly', () => {
    expect(postApplyDecision(policy, { testsPassed: false, benchmarkOutcome: null, benchmarkChange: null })).toEqual({ action: 'rollback', reasons: ['the tests fail on the new head'] });
    expect(postApplyDecision(policy, { testsPassed: null, benchmarkOutcome: null, benchmarkChange: null }).reasons[0]).toMatch(/could not run/);
    const regressed = postApplyDecision(policy, { testsPassed: true, benchmarkOutcome: 'regression', benchmarkChange: 0.3, benchmarkPValue: 0.001 });
    expect(regressed.action).toBe('rollback');
    expect(regressed.reasons).toEqual(['the benchmark is significantly slower: 30.0 % (p = 0.0010, minimum effect 10.0 %, significance 0.01)']);
    expect(postApplyDecision(policy, { testsPassed: true, benchmarkOutcome: 'regression', benchmarkChange: null }).action).toBe('rollback');
  });

  it('asks instead when the policy says ask', () => {
    expect(postApplyDecision(asking, { testsPassed: false, benchmarkOutcome: 'regression', benchmarkChange: 0.5 })).toMatchObject({ action: 'ask' });
    expect(postApplyDecision(asking, { testsPassed: false, benchmarkOutcome: 'regression', benchmarkChange: 0.5 }).reasons).toHaveLength(2);
  });
});

/**
 * What an approval claims about the sandbox follows the policy: an inconclusive benchmark counts as a
 * failure when `onInconclusive: fail`, as the gate counts it (issue 12 §1 leftover).
 */
import { describe, expect, it } from 'vitest';
import { sandboxSummary } from '../../../electron/core/decisions';
import { defaultPolicyYaml, loadPolicy } from '../../../electron/services/policy';
import { SandboxLimits, type BenchmarkOutcome, type SandboxComparison, type SandboxRunResult } from '../../../shared/model/sandbox';

function run(side: 'base' | 'head'): SandboxRunResult {
  return {
    runId: `run-${side}`,
    status: 'completed',
    side,
    image: 'gatehouse-sandbox:test',
    imageDigest: `sha256:${'a'.repeat(64)}`,
    command: ['pytest'],
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
  };
}

function comparison(outcome: BenchmarkOutcome, change: number): SandboxComparison {
  return {
    base: run('base'),
    head: run('head'),
    testsPassedBase: true,
    testsPassedHead: true,
    fixed: false,
    broken: false,
    benchmarkChange: change,
    regression: outcome === 'regression',
    benchmark: {
      outcome,
      source: 'stdout',
      change,
      pValue: outcome === 'regression' ? 0.001 : 0.2,
      baseFigure: 1,
      headFigure: 1 + change,
      minEffect: 0.1,
      significance: 0.01,
      pairsWanted: 10,
      samples: [],
      note: '',
    },
  };
}

function governance(onInconclusive: 'pass' | 'fail') {
  return { policy: loadPolicy({ text: defaultPolicyYaml().replace('onInconclusive: pass', `onInconclusive: ${onInconclusive}`) }) };
}

describe('sandboxSummary', () => {
  it('an inconclusive benchmark is a failure under onInconclusive: fail', () => {
    expect(sandboxSummary({ sandbox: comparison('inconclusive', 0.2), governance: governance('fail') })).toMatchObject({ status: 'failed', benchmarkChange: 0.2 });
  });

  it('an inconclusive benchmark passes under onInconclusive: pass', () => {
    expect(sandboxSummary({ sandbox: comparison('inconclusive', 0.2), governance: governance('pass') })).toMatchObject({ status: 'passed' });
  });

  it('a significant regression fails and no regression passes, whatever onInconclusive says', () => {
    for (const mode of ['pass', 'fail'] as const) {
      expect(sandboxSummary({ sandbox: comparison('regression', 0.4), governance: governance(mode) }).status).toBe('failed');
      expect(sandboxSummary({ sandbox: comparison('no-regression', 0.01), governance: governance(mode) }).status).toBe('passed');
    }
  });

  it('says not-run without a comparison', () => {
    expect(sandboxSummary({ sandbox: null, governance: governance('fail') })).toEqual({ status: 'not-run' });
  });
});

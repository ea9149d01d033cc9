import { describe, expect, it } from 'vitest';
import { demoPolicyYaml } from '../../../electron/core/demo/create-demo';
import { loadPolicy, requirePolicy } from '../../../electron/services/policy';

describe('demo policy', () => {
  it('says in its comments what its values are ("10 %" next to 0.10, not next to 0.50)', () => {
    const text = demoPolicyYaml();
    const policy = requirePolicy(loadPolicy({ text }));
    const line = text.split('\n').find((l) => l.trim().startsWith('regressionThreshold:')) ?? '';
    const written = /regressionThreshold:\s*([0-9.]+)\s*#.*?([0-9.]+) %/.exec(line);
    expect(written, line).not.toBeNull();
    expect(Number(written?.[1])).toBe(policy.sandbox.regressionThreshold);
    expect(Number(written?.[2]) / 100).toBeCloseTo(policy.sandbox.regressionThreshold);
  });

  it('runs the benchmark statistics with the defaults: at least 10 pairs, p < 0.01', () => {
    const policy = requirePolicy(loadPolicy({ text: demoPolicyYaml() }));
    expect(policy.sandbox).toMatchObject({ benchmarkPairs: 10, regressionSignificance: 0.01, onInconclusive: 'pass' });
    expect(policy.sandbox.benchmarkCommand).toEqual(['python3', 'bench.py']);
  });
});

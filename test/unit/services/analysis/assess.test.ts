import { describe, expect, it } from 'vitest';
import { Assessment, type Finding, type Severity } from '../../../../shared/model/domain';
import { assess, levelForScore } from '../../../../electron/services/analysis/assess';
import { globMatcher } from '../../../../electron/services/analysis/glob';

function finding(severity: Severity, introduced = true, path = 'src/app.py', line = 3, ruleId = `python.test.${severity}`): Finding {
  return {
    ruleId,
    title: `a ${severity} problem`,
    severity,
    cwe: ['external/cwe/cwe-78'],
    path,
    startLine: line,
    startColumn: 1,
    endLine: line,
    endColumn: 10,
    snippet: 'x',
    message: 'm',
    remediation: 'r',
    introduced,
    tool: 'gatehouse',
    fingerprint: `${ruleId}-${path}-${line}`,
  };
}

const SMALL = [{ path: 'src/app.py', added: 10, removed: 2 }];
const SENSITIVE = ['src/auth/**', '.github/workflows/**'];

describe('assessment', () => {
  it('is MINIMAL with a perfect score for a small clean change', () => {
    expect(assess({ findings: [], changedFiles: SMALL, sensitivePaths: SENSITIVE })).toEqual({ safetyScore: 1, risk: 'MINIMAL', factors: [] });
  });

  it('lowers the score by severity and explains each finding', () => {
    const result = assess({ findings: [finding('medium'), finding('medium', true, 'src/b.py', 9), finding('low', true, 'src/c.py')], changedFiles: SMALL, sensitivePaths: [] });
    expect(result.safetyScore).toBe(0.77);
    expect(result.risk).toBe('MEDIUM');
    expect(result.factors).toEqual([
      { kind: 'finding', label: '2× medium python.test.medium (a medium problem) at src/app.py:3, src/b.py:9', weight: 0.2 },
      { kind: 'finding', label: 'low python.test.low (a low problem) at src/c.py:3', weight: 0.03 },
    ]);
    expect(Assessment.safeParse(result).success).toBe(true);
  });

  it('forces CRITICAL for an introduced critical finding and at least HIGH for a high one', () => {
    expect(assess({ findings: [finding('critical')], changedFiles: SMALL, sensitivePaths: [] }).risk).toBe('CRITICAL');
    const high = assess({ findings: [finding('high')], changedFiles: SMALL, sensitivePaths: [] });
    expect([high.safetyScore, high.risk, high.factors[0]?.floor]).toEqual([0.75, 'HIGH', 'HIGH']);
  });

  it('does not count pre-existing findings', () => {
    expect(assess({ findings: [finding('critical', false)], changedFiles: SMALL, sensitivePaths: [] })).toEqual({ safetyScore: 1, risk: 'MINIMAL', factors: [] });
  });

  it('forces at least HIGH for sensitive paths and CRITICAL for the policy and trust files', () => {
    const auth = assess({ findings: [], changedFiles: [{ path: 'src/auth/session.py', added: 3, removed: 1 }], sensitivePaths: SENSITIVE });
    expect(auth).toEqual({
      safetyScore: 0.85,
      risk: 'HIGH',
      factors: [{ kind: 'sensitive-path', label: 'changes sensitive path src/auth/session.py (src/auth/**)', weight: 0.15, floor: 'HIGH' }],
    });
    const ci = assess({ findings: [], changedFiles: [{ path: '.github/workflows/release.yml', added: 1, removed: 0 }], sensitivePaths: SENSITIVE });
    expect(ci.risk).toBe('HIGH');
    const policy = assess({ findings: [], changedFiles: [{ path: '.gatehouse/policy.yaml', added: 1, removed: 1 }], sensitivePaths: [] });
    expect([policy.risk, policy.factors[0]?.label]).toEqual(['CRITICAL', 'changes policy/trust file .gatehouse/policy.yaml (.gatehouse/**)']);
    const trust = assess({ findings: [], changedFiles: [{ path: 'config/trust.json', added: 1, removed: 0 }], sensitivePaths: [], policyPaths: ['config/trust.json'] });
    expect(trust.risk).toBe('CRITICAL');
  });

  it('adds a little for size', () => {
    const sizes = [50, 51, 200, 201, 500, 1000, 5000].map((added) => assess({ findings: [], changedFiles: [{ path: 'a.py', added, removed: 0 }], sensitivePaths: [] }).safetyScore);
    expect(sizes).toEqual([1, 0.98, 0.98, 0.95, 0.95, 0.92, 0.88]);
    const big = assess({ findings: [], changedFiles: [{ path: 'a.py', added: 800, removed: 300 }, { path: 'b.py', added: 1, removed: 0 }], sensitivePaths: [] });
    expect(big.factors).toEqual([{ kind: 'size', label: '1101 lines changed in 2 files', weight: 0.12 }]);
    expect(big.risk).toBe('LOW');
  });

  it("lets the agent's own score lower ours but never raise it", () => {
    const doubtful = assess({ findings: [], changedFiles: SMALL, sensitivePaths: [], agentSafetyScore: 0.2 });
    expect(doubtful.factors).toEqual([{ kind: 'agent', label: 'the proposing agent rated its own change 0.20', weight: 0.08 }]);
    expect(doubtful.safetyScore).toBe(0.92);
    const boastful = assess({ findings: [finding('high')], changedFiles: SMALL, sensitivePaths: [], agentSafetyScore: 1 });
    expect(boastful.safetyScore).toBe(0.75);
  });

  it('is deterministic and bounded', () => {
    const input = { findings: Array.from({ length: 12 }, (_, i) => finding('critical', true, `f${i}.py`)), changedFiles: SMALL, sensitivePaths: SENSITIVE };
    const a = assess(input);
    expect(assess(input)).toEqual(a);
    expect(a.safetyScore).toBe(0);
    expect(a.risk).toBe('CRITICAL');
  });

  it('maps scores to levels at the documented thresholds', () => {
    expect([1, 0.95, 0.949, 0.8, 0.79, 0.55, 0.54, 0.3, 0.29, 0].map(levelForScore)).toEqual([
      'MINIMAL',
      'MINIMAL',
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'CRITICAL',
      'CRITICAL',
    ]);
  });
});

describe('glob patterns', () => {
  it('matches paths as policies write them', () => {
    const cases: ReadonlyArray<[string, string, boolean]> = [
      ['.github/workflows/**', '.github/workflows/ci.yml', true],
      ['.github/workflows/**', '.github/workflows/nested/x.yml', true],
      ['.github/workflows/**', '.github/CODEOWNERS', false],
      ['**/auth/**', 'src/auth/login.py', true],
      ['**/auth/**', 'auth/x.py', true],
      ['**/auth/**', 'src/oauth/x.py', false],
      ['*.pem', 'deploy/keys/server.pem', true],
      ['src/*.py', 'src/a.py', true],
      ['src/*.py', 'src/sub/a.py', false],
      ['src/{auth,iam}/*.ts', 'src/iam/role.ts', true],
      ['src/{auth,iam}/*.ts', 'src/web/role.ts', false],
      ['config/[ab].json', 'config/b.json', true],
      ['./.gatehouse/**', '.gatehouse/trust/keys.json', true],
    ];
    for (const [pattern, path, expected] of cases) expect(globMatcher(pattern)(path), `${pattern} ~ ${path}`).toBe(expected);
  });
});

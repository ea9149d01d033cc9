import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultPolicyYaml,
  formatPolicyProblem,
  loadPolicy,
  policyDigest,
  requirePolicy,
} from '../../../../electron/services/policy';
import { ErrorCode } from '../../../../shared/model/result';

/** A minimal valid policy, one key per line so a test can drop any one of them. */
const MINIMAL_LINES = [
  'version: 1', // 1
  'approvals:', // 2
  '  MINIMAL: { count: 1, role: reviewer }', // 3
  '  LOW: { count: 1, role: reviewer }', // 4
  '  MEDIUM: { count: 1, role: reviewer }', // 5
  '  HIGH: { count: 1, role: lead }', // 6
  '  CRITICAL: { count: 2, role: reviewer, leads: 1 }', // 7
  'sandboxRequired: [HIGH, CRITICAL]', // 8
  'sensitivePaths: []', // 9
  'sandbox:', // 10
  '  image: node:20-bookworm-slim', // 11
  '  testCommand: [npm, test]', // 12
];

function without(lineNumber: number): string {
  return MINIMAL_LINES.filter((_, i) => i + 1 !== lineNumber).join('\n');
}

describe('loadPolicy', () => {
  it('accepts the default policy, and it says what the issue asks for', () => {
    const result = loadPolicy({ text: defaultPolicyYaml() });
    expect(result.problems).toEqual([]);
    const policy = requirePolicy(result);
    expect(policy.approvals).toEqual({
      MINIMAL: { count: 1, role: 'reviewer', leads: 0 },
      LOW: { count: 1, role: 'reviewer', leads: 0 },
      MEDIUM: { count: 1, role: 'reviewer', leads: 0 },
      HIGH: { count: 1, role: 'lead', leads: 0 },
      CRITICAL: { count: 2, role: 'reviewer', leads: 1 },
    });
    expect(policy.sandboxRequired).toEqual(['HIGH', 'CRITICAL']);
    expect(policy).toMatchObject({ approvalLifetimeHours: 24, appliesPerHour: 1, idleLockMinutes: 15, onRegression: 'rollback' });
    expect(policy.sandbox).toMatchObject({ regressionThreshold: 0.1, concurrency: 2 });
    expect(result.digest).toBe(policyDigest(policy));
  });

  it('fills documented defaults into a minimal policy', () => {
    const policy = requirePolicy(loadPolicy({ text: MINIMAL_LINES.join('\n') }));
    expect(policy).toMatchObject({ approvalLifetimeHours: 24, appliesPerHour: 1, idleLockMinutes: 15, onRegression: 'rollback', deniedImports: [] });
    expect(policy.sandbox.limits).toEqual({ memoryMb: 256, cpus: 1, pidsLimit: 128, timeoutSeconds: 120, outputBytes: 1048576, tmpfsMb: 64, nofile: 1024, fsizeMb: 64 });
  });

  it.each([
    [1, 'version', 1],
    [2, 'approvals', 1],
    [3, 'approvals.MINIMAL', 2],
    [4, 'approvals.LOW', 2],
    [5, 'approvals.MEDIUM', 2],
    [6, 'approvals.HIGH', 2],
    [7, 'approvals.CRITICAL', 2],
    [8, 'sandboxRequired', 1],
    [9, 'sensitivePaths', 1],
    [11, 'sandbox.image', 10],
    [12, 'sandbox.testCommand', 10],
  ])('names a missing mandatory key (line %i removed) and its line', (removed, path, line) => {
    const text = removed === 2 ? MINIMAL_LINES.filter((_, i) => i < 1 || i > 6).join('\n') : without(removed);
    const result = loadPolicy({ text });
    expect(result.ok).toBe(false);
    const problem = result.problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(problem?.message).toMatch(/required key .* is missing/);
    // Lines shift after the removed one.
    expect(problem?.line).toBe(line > removed ? line - (removed === 2 ? 6 : 1) : line);
  });

  it('lists every missing mandatory key at once', () => {
    const result = loadPolicy({ text: 'sandbox: {}\n' });
    expect(result.problems.map((p) => p.path).sort()).toEqual(['approvals', 'sandbox.image', 'sandbox.testCommand', 'sandboxRequired', 'sensitivePaths', 'version']);
    expect(result.problems.every((p) => p.line === 1)).toBe(true);
  });

  it('refuses unlimited sandbox limits, naming each key and line', () => {
    const text = [
      ...MINIMAL_LINES,
      '  limits:', // 13
      '    memoryMb: 0', // 14
      '    pidsLimit: -1', // 15
      '    timeoutSeconds: .inf', // 16
      '    cpus: 0', // 17
      '    nofile: 1e400', // 18
    ].join('\n');
    const result = loadPolicy({ text });
    expect(result.ok).toBe(false);
    const byPath = new Map(result.problems.map((p) => [p.path, p]));
    expect(byPath.get('sandbox.limits.memoryMb')).toMatchObject({ line: 14, message: expect.stringMatching(/unlimited is not allowed/) });
    expect(byPath.get('sandbox.limits.pidsLimit')).toMatchObject({ line: 15 });
    expect(byPath.get('sandbox.limits.timeoutSeconds')).toMatchObject({ line: 16 });
    expect(byPath.get('sandbox.limits.cpus')).toMatchObject({ line: 17 });
    expect(byPath.get('sandbox.limits.nofile')).toMatchObject({ line: 18 });
  });

  it('refuses bad values, unknown keys and zero approvals with the key and line', () => {
    const text = [
      'version: 2',
      'approvals:',
      '  MINIMAL: { count: 0, role: reviewer }',
      '  LOW: { count: 1, role: reviewer }',
      '  MEDIUM: { count: 1, role: boss }',
      '  HIGH: { count: 1, role: lead }',
      '  CRITICAL: { count: 1, role: reviewer, leads: 2 }',
      'sandboxRequired: [HIGH, HIGH]',
      'sensitivePaths: []',
      'apporvalLifetimeHours: 24',
      'appliesPerHour: 0',
      'approvalLifetimeHours: 10000',
      'sandbox:',
      '  image: node:20',
      '  testCommand: [npm, test]',
    ].join('\n');
    const problems = loadPolicy({ text }).problems;
    const lines = Object.fromEntries(problems.map((p) => [p.path, p.line]));
    expect(lines).toEqual({
      version: 1,
      'approvals.MINIMAL.count': 3,
      'approvals.MEDIUM.role': 5,
      'approvals.CRITICAL.leads': 7,
      sandboxRequired: 8,
      apporvalLifetimeHours: 10,
      appliesPerHour: 11,
      approvalLifetimeHours: 12,
    });
    expect(problems.map(formatPolicyProblem)).toContain('line 10, column 1: apporvalLifetimeHours: unknown key "apporvalLifetimeHours" (deny by default: check the spelling)');
  });

  it('reports YAML errors, repeated keys, unknown tags and alias bombs with their line', () => {
    expect(loadPolicy({ text: 'version: 1\nversion: 1\n' }).problems).toEqual([expect.objectContaining({ line: 2, message: expect.stringMatching(/unique/) })]);
    expect(loadPolicy({ text: 'version: 1\napprovals: [1,\n' }).ok).toBe(false);
    expect(loadPolicy({ text: 'version: !!js/function "x"\n' }).problems[0]).toMatchObject({ line: 1 });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(loadPolicy({ text: bomb }).problems[0]?.message).toMatch(/alias/i);
  });

  it('is deny-by-default for a missing file, an empty file and a non-mapping', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-'));
    try {
      const missing = loadPolicy({ file: join(dir, 'policy.yaml') });
      expect(missing).toMatchObject({ ok: false, policy: null });
      expect(missing.problems[0]?.message).toMatch(/deny by default/);
      writeFileSync(join(dir, 'empty.yaml'), '# nothing\n');
      expect(loadPolicy({ file: join(dir, 'empty.yaml') }).problems[0]?.message).toMatch(/empty/);
      expect(loadPolicy({ text: '- 1\n' }).ok).toBe(false);
      expect(() => requirePolicy(missing)).toThrow(expect.objectContaining({ code: ErrorCode.PolicyInvalid }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('policyDigest', () => {
  it('ignores comments, order and layout, and changes with any setting', () => {
    const a = loadPolicy({ text: MINIMAL_LINES.join('\n') });
    const reordered = loadPolicy({
      text: `# reordered\nsandbox: { testCommand: [npm, test], image: node:20-bookworm-slim }\n${MINIMAL_LINES.slice(0, 9).join('\n')}\n`,
    });
    expect(reordered.digest).toBe(a.digest);
    // Writing a default explicitly is the same policy.
    expect(loadPolicy({ text: `${MINIMAL_LINES.join('\n')}\nappliesPerHour: 1\n` }).digest).toBe(a.digest);
    expect(loadPolicy({ text: `${MINIMAL_LINES.join('\n')}\nappliesPerHour: 2\n` }).digest).not.toBe(a.digest);
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

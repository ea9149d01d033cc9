/** `gatehouse policy check` as a process: exit codes and output scripts rely on. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicyYaml } from '../../../electron/services/policy';

const ROOT = resolve(__dirname, '../../..');
const ENTRY = join(__dirname, 'cli-entry.ts');
let dir: string;

function gatehouse(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gatehouse policy check', () => {
  it('exits 0 on the default policy', () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, defaultPolicyYaml());
    const run = gatehouse('policy', 'check', file);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/valid policy \(sha256:[0-9a-f]{64}\)/);
  });

  it('exits 1 listing every problem with key and line, as text and as JSON', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, ['version: 1', 'approvals:', '  LOW: { count: 1, role: reviewer }', 'sandbox:', '  image: node:20', '  testCommand: [npm, test]', '  limits: { memoryMb: 0 }', 'sensitivePaths: []', 'sandboxRequired: []'].join('\n'));
    const text = gatehouse('policy', 'check', file);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('5 problems');
    expect(text.stdout).toContain('line 2, column 1: approvals.HIGH: required key "HIGH" is missing under approvals');
    expect(text.stdout).toContain('line 7, column 13: sandbox.limits.memoryMb: memoryMb must be at least 6 (unlimited is not allowed');

    const json = gatehouse('policy', 'check', file, '--json');
    expect(json.status).toBe(1);
    const body = JSON.parse(json.stdout) as { ok: boolean; problems: Array<{ path: string; line: number }> };
    expect(body.ok).toBe(false);
    expect(body.problems.map((p) => [p.path, p.line])).toEqual([
      ['approvals.CRITICAL', 2],
      ['approvals.HIGH', 2],
      ['approvals.MEDIUM', 2],
      ['approvals.MINIMAL', 2],
      ['sandbox.limits.memoryMb', 7],
    ]);
  });

  it('exits 2 for a file that does not exist or a missing argument', () => {
    const missing = gatehouse('policy', 'check', join(dir, 'nope.yaml'), '--json');
    expect(missing.status).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(gatehouse('policy', 'check').status).toBe(2);
  });
});

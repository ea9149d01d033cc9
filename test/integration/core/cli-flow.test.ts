/**
 * The `gatehouse` CLI against a real data directory: the same core and contract as the app, with
 * exit codes scripts rely on (0 ok, 1 check failed, 2 usage or input error), ending with the CI gate
 * `gatehouse verify`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
let dataDir: string;

function gatehouse(args: ReadonlyArray<string>, passphrase?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/main.ts'), '--data-dir', dataDir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GATEHOUSE_PASSPHRASE: passphrase ?? '' },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T>(args: ReadonlyArray<string>, passphrase?: string): T {
  const result = gatehouse([...args, '--json'], passphrase);
  if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

let repo: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-'));
  repo = json<{ repositoryId: string }>(['demo']).repositoryId;
}, 240_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('gatehouse CLI', () => {
  it('answers usage errors with exit 2 and unknown ids clearly', () => {
    expect(gatehouse(['proposal', 'show', '--repo', repo]).code).toBe(2);
    const missing = gatehouse(['proposal', 'show', '--repo', 'nope', '--proposal', 'x', '--as', 'ava', '--json'], 'ava-demo-passphrase');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('NOT_FOUND');
  });

  it('lists the queue and shows a proposal with its assessment', () => {
    const rows = json<Array<{ proposalId: string }>>(['proposal', 'list', '--as', 'ava'], 'ava-demo-passphrase');
    expect(rows.map((r) => r.proposalId).sort()).toEqual(['nightly-export-credentials', 'quote-formula', 'refactor-rounding', 'test-environment-check']);
    const detail = json<{ assessment: { risk: string }; findings: unknown[] }>(['proposal', 'show', '--repo', repo, '--proposal', 'refactor-rounding', '--as', 'ava'], 'ava-demo-passphrase');
    expect(detail.findings).toEqual([]);
    expect(['MINIMAL', 'LOW']).toContain(detail.assessment.risk);
  });

  it('approve → apply → verify: a CI gate over the signed records, from the root pinned at registration', () => {
    const refused = gatehouse(['apply', '--repo', repo, '--proposal', 'refactor-rounding', '--as', 'rita', '--json'], 'rita-demo-passphrase');
    expect(refused.code).toBe(1);
    const auditorTries = gatehouse(['approve', '--repo', repo, '--proposal', 'refactor-rounding', '--as', 'ava', '--reason', 'auditor', '--json'], 'ava-demo-passphrase');
    expect(auditorTries.code).toBe(2);
    expect(auditorTries.stdout).toContain('FORBIDDEN_ROLE');

    json(['approve', '--repo', repo, '--proposal', 'refactor-rounding', '--as', 'rita', '--reason', 'pure refactor, tests unchanged', '--all-files-reviewed-outside'], 'rita-demo-passphrase');
    const head = json<{ summary: { headOid: string } }>(['proposal', 'show', '--repo', repo, '--proposal', 'refactor-rounding', '--as', 'rita'], 'rita-demo-passphrase').summary.headOid;
    const applied = json<{ ok: boolean; newHead: string }>(['apply', '--repo', repo, '--proposal', 'refactor-rounding', '--as', 'rita'], 'rita-demo-passphrase');
    expect(applied.ok).toBe(true);
    const verified = json<{ ok: boolean; commit: string; landings: Array<{ proposal: string }> }>(['verify', '--repo', repo, 'refs/heads/main']);
    expect(verified).toMatchObject({ ok: true, commit: applied.newHead });
    expect(verified.landings.map((l) => l.proposal)).toEqual(['refactor-rounding']);
    expect(applied.newHead).toBe(head);

    // An unapproved commit (another proposal's head) fails the gate with exit 1.
    const other = json<{ summary: { headOid: string } }>(['proposal', 'show', '--repo', repo, '--proposal', 'quote-formula', '--as', 'rita'], 'rita-demo-passphrase').summary.headOid;
    const notApproved = gatehouse(['verify', '--repo', repo, other, '--json']);
    expect(notApproved.code).toBe(1);
    expect(JSON.parse(notApproved.stdout)).toMatchObject({ ok: false, failure: { condition: 'landed', commit: other } });

    const verifyAudit = gatehouse(['audit', 'verify', '--db', join(dataDir, 'audit.sqlite'), '--json']);
    expect(verifyAudit.code).toBe(0);
  }, 240_000);
});

/**
 * The acknowledgement rule from the `gatehouse` CLI (issue 14): an approval from the command line of a
 * proposal with a committed key is refused unless each open CRITICAL/HIGH finding and each file the
 * operator has not viewed is acknowledged with `--ack` (or `--all-files-reviewed-outside`), and what is
 * acknowledged is signed. Also `gatehouse demo --as LEAD` once operators exist. Real data directory,
 * real git repository, the CLI as a process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const PROPOSAL = 'nightly-export-credentials';

function gatehouse(dataDir: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/main.ts'), '--data-dir', dataDir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GATEHOUSE_PASSPHRASE: '', GATEHOUSE_NEW_PASSPHRASE: '', ...env },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

interface Detail {
  summary: { headOid: string };
  findings: Array<{ fingerprint: string; severity: string; introduced: boolean; ruleId: string }>;
  files: Array<{ path: string }>;
  approvals: unknown[];
}

describe('gatehouse approve: acknowledgements on the command line', () => {
  let dataDir: string;
  let repo: string;
  const rita = { GATEHOUSE_PASSPHRASE: 'rita-demo-passphrase' };
  const show = (): Detail => JSON.parse(gatehouse(dataDir, ['proposal', 'show', '--repo', repo, '--proposal', PROPOSAL, '--as', 'rita', '--json'], rita).stdout) as Detail;
  const approve = (...extra: string[]) =>
    gatehouse(dataDir, ['approve', '--repo', repo, '--proposal', PROPOSAL, '--as', 'rita', '--reason', 'rotated the key already', ...extra], rita);

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-ack-'));
    const demo = gatehouse(dataDir, ['demo', '--json']);
    if (demo.code !== 0) throw new Error(`demo: ${demo.stderr}${demo.stdout}`);
    repo = (JSON.parse(demo.stdout) as { repositoryId: string }).repositoryId;
  }, 240_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses an approval without acknowledgements of a proposal with a CRITICAL finding, and lists what needs one', () => {
    const detail = show();
    const blocking = detail.findings.filter((f) => f.introduced && (f.severity === 'critical' || f.severity === 'high'));
    expect(blocking.some((f) => f.severity === 'critical')).toBe(true);

    const refused = approve();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/approving needs an acknowledgement of \d+ open CRITICAL\/HIGH findings? and \d+ files? you have not viewed/);
    for (const finding of blocking) expect(refused.stderr).toContain(`--ack ${finding.fingerprint.slice(0, 12)}=accepted-risk`);
    for (const file of detail.files) expect(refused.stderr).toContain(`--ack ${file.path}=reviewed-outside`);

    // Acknowledging the findings but not the files is still refused; JSON names what is missing.
    const half = approve(...blocking.map((f) => `--ack=${f.fingerprint.slice(0, 12)}=false-positive`), '--json');
    expect(half.code).toBe(1);
    const body = JSON.parse(half.stdout) as { ok: boolean; code: string; missing: Array<{ target: string; ref: string }> };
    expect(body).toMatchObject({ ok: false, code: 'POLICY_DENIED' });
    expect(body.missing.map((m) => m.ref).sort()).toEqual(detail.files.map((f) => f.path).sort());
    expect(show().approvals).toEqual([]);
  }, 240_000);

  it('refuses an --ack that names nothing outstanding or a kind that does not fit, with exit 2', () => {
    const detail = show();
    const finding = detail.findings.find((f) => f.introduced && f.severity === 'critical');
    expect(approve('--ack', 'no/such/file.py=reviewed-outside').code).toBe(2);
    expect(approve('--ack', `${finding?.fingerprint.slice(0, 12) ?? ''}=reviewed-outside`).stderr).toMatch(/a finding takes accepted-risk, false-positive, fixed-elsewhere/);
    expect(approve('--ack', `${detail.files[0]?.path ?? ''}=maybe`).code).toBe(2);
  }, 240_000);

  it('signs an approval whose acknowledgements cover every open finding and unviewed file', () => {
    const detail = show();
    const blocking = detail.findings.filter((f) => f.introduced && (f.severity === 'critical' || f.severity === 'high'));
    const signed = approve(...blocking.flatMap((f) => ['--ack', `${f.fingerprint}=fixed-elsewhere`]), '--all-files-reviewed-outside', '--json');
    expect(signed.code, signed.stderr + signed.stdout).toBe(0);
    const view = JSON.parse(signed.stdout) as { token: string };
    expect(claimsOf(view.token)['acknowledgements']).toEqual([
      ...blocking.map((f) => ({ target: 'finding', ref: f.fingerprint, kind: 'fixed-elsewhere' })),
      ...detail.files.map((f) => ({ target: 'unviewed-file', ref: f.path, kind: 'reviewed-elsewhere' })),
    ]);
    expect(show().approvals).toHaveLength(1);
  }, 240_000);
});

describe('gatehouse demo --as LEAD', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-demo-as-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('needs an unlocked lead once operators exist, and creates the demo for one', () => {
    const created = gatehouse(dataDir, ['operator', 'create', '--name', 'lena', '--role', 'lead', '--json'], { GATEHOUSE_PASSPHRASE: 'lena-own-passphrase-1' });
    expect(created.code, created.stderr).toBe(0);
    gatehouse(dataDir, ['operator', 'create', '--name', 'rob', '--role', 'reviewer', '--as', 'lena', '--json'], {
      GATEHOUSE_PASSPHRASE: 'lena-own-passphrase-1',
      GATEHOUSE_NEW_PASSPHRASE: 'rob-own-passphrase-12',
    });

    const anonymous = gatehouse(dataDir, ['demo', '--json']);
    expect(anonymous.code).toBe(2);
    expect(anonymous.stdout).toMatch(/LOCKED|FORBIDDEN_ROLE/);
    const reviewer = gatehouse(dataDir, ['demo', '--as', 'rob', '--json'], { GATEHOUSE_PASSPHRASE: 'rob-own-passphrase-12' });
    expect(reviewer.code).toBe(2);
    expect(reviewer.stdout).toContain('FORBIDDEN_ROLE');
    expect(gatehouse(dataDir, ['demo', '--as', 'lena', '--json'], { GATEHOUSE_PASSPHRASE: 'wrong-passphrase-123' }).code).not.toBe(0);

    const demo = gatehouse(dataDir, ['demo', '--as', 'lena', '--json'], { GATEHOUSE_PASSPHRASE: 'lena-own-passphrase-1' });
    expect(demo.code, demo.stderr + demo.stdout).toBe(0);
    const made = JSON.parse(demo.stdout) as { repositoryId: string; operators: Array<{ name: string; role: string }> };
    expect(made.operators.map((o) => o.role).sort()).toEqual(expect.arrayContaining(['reviewer', 'lead']));
    const rows = JSON.parse(gatehouse(dataDir, ['proposal', 'list', '--as', 'lena', '--json'], { GATEHOUSE_PASSPHRASE: 'lena-own-passphrase-1' }).stdout) as Array<{ proposalId: string }>;
    expect(rows.map((r) => r.proposalId)).toContain('quote-formula');
    const operators = JSON.parse(gatehouse(dataDir, ['operator', 'list', '--json']).stdout) as Array<{ name: string }>;
    expect(operators.map((o) => o.name)).toEqual(expect.arrayContaining(['lena', 'rob']));
  }, 480_000);
});

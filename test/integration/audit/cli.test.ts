import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPaths, readWorkstationPublicKey, type AuditEvent, type AuditPage, type ChainHead, type VerifyReport } from '../../../electron/services/audit';
import { dropGuards, rawDb, removeDir, tempDir } from '../../unit/services/audit/helpers';
import { bundleScript, REPO_ROOT, runNode, type RunResult } from './helpers';

let dir: string;
let cli: string;
let db: string;

beforeAll(async () => {
  dir = tempDir();
  cli = await bundleScript('test/integration/audit/cli-entry.ts', dir, 'gatehouse');
  db = auditPaths(join(dir, 'data')).file;
});
afterAll(() => removeDir(dir));

function gatehouse(...args: string[]): Promise<RunResult> {
  return runNode([cli, ...args]);
}

function json<T>(result: RunResult): T {
  return JSON.parse(result.stdout) as T;
}

describe('gatehouse audit (CLI)', () => {
  it('append prints the new seq; --json prints the event', async () => {
    for (let i = 1; i <= 4; i++) {
      const r = await gatehouse('audit', 'append', '--db', db, '--actor', 'ci-bot', '--action', 'ci.scan-finished', '--subject', `repo/run-${i}`, '--payload', JSON.stringify({ run: i, result: i % 2 ? 'green' : 'red' }));
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${i}\n` });
    }
    const r = await gatehouse('audit', 'append', '--db', db, '--actor', 'pricing-agent', '--role', 'agent', '--action', 'proposal.pushed', '--subject', 'repo', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json<AuditEvent>(r)).toMatchObject({ seq: 5, actor: 'pricing-agent', role: 'agent', action: 'proposal.pushed', payload: {} });
    const key = readWorkstationPublicKey(join(dir, 'data', 'keys'));
    expect(key).not.toBeNull();
  });

  it('append refuses bad input with exit 2 and a JSON error under --json', async () => {
    const bad = await gatehouse('audit', 'append', '--db', db, '--actor', 'x', '--action', 'Not An Action', '--subject', 's', '--json');
    expect(bad.code).toBe(2);
    expect(json<{ ok: boolean; code: string }>(bad)).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect((await gatehouse('audit', 'append', '--db', db, '--actor', 'x', '--action', 'a.b', '--subject', 's', '--payload', '{oops')).code).toBe(2);
    expect((await gatehouse('audit', 'append', '--db', db, '--actor', 'x', '--action', 'a.b', '--subject', 's', '--payload', '[1]')).code).toBe(2);
    expect((await gatehouse('audit', 'append', '--db', db, '--actor', 'x', '--action', 'a.b', '--subject', 's', '--role', 'root')).code).toBe(2);
    // An outside tool cannot record an operator's or the system's role: those come only from an unlocked session.
    for (const role of ['lead', 'reviewer', 'auditor', 'system']) {
      const forged = await gatehouse('audit', 'append', '--db', db, '--actor', 'alice', '--role', role, '--action', 'approval.approve', '--subject', 's', '--json');
      expect(forged.code).toBe(2);
      expect(json<{ code: string; message: string }>(forged)).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--role') });
    }
    const missing = await gatehouse('audit', 'append', '--db', db, '--actor', 'x', '--subject', 's');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--action/);
  });

  it('search filters and pages; heads lists the signed heads', async () => {
    const page = json<AuditPage>(await gatehouse('audit', 'search', '--db', db, '--actor', 'ci-bot', '--text', 'green', '--order', 'asc', '--count', '--json'));
    expect(page.events.map((e) => e.seq)).toEqual([1, 3]);
    expect(page.count).toBe(2);
    const text = await gatehouse('audit', 'search', '--db', db, '--action', 'ci.*', '--before-seq', '4', '--limit', '2');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['3', '2']);
    expect((await gatehouse('audit', 'search', '--db', db, '--limit', 'many')).code).toBe(2);
    expect((await gatehouse('audit', 'search', '--db', db, '--from', 'last tuesday')).code).toBe(2);
    expect((await gatehouse('audit', 'search', '--db', join(dir, 'nope.sqlite'))).code).toBe(2);
    const export1 = join(dir, 'first.jsonl');
    expect((await gatehouse('audit', 'export', '--db', db, '--out', export1)).code).toBe(0);
    // Each `audit append` sealed the event it wrote when it closed; the export found 5 already sealed.
    const heads = json<ChainHead[]>(await gatehouse('audit', 'heads', '--db', db, '--json'));
    expect(heads.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('verify --db: exit 0 when intact, 1 with firstBadSeq and reason when not', async () => {
    const ok = await gatehouse('audit', 'verify', '--db', db, '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(json<VerifyReport>(ok)).toMatchObject({ ok: true, checked: 5, lastAttestedSeq: 5 });
    const copy = join(dir, 'copy', 'audit.sqlite');
    const exported = join(dir, 'intact.jsonl');
    expect((await gatehouse('audit', 'export', '--db', db, '--out', exported, '--json')).code).toBe(0);
    // Tamper with a copy, as an attacker with file access would.
    const source = readFileSync(db);
    mkdirSync(join(dir, 'copy'), { recursive: true });
    writeFileSync(copy, source);
    const attacker = rawDb(copy);
    dropGuards(attacker);
    attacker.prepare('DELETE FROM events WHERE seq = 2').run();
    attacker.close();
    const bad = await gatehouse('audit', 'verify', '--db', copy, '--heads', auditPaths(join(dir, 'data')).headsFile, '--json');
    expect(bad.code).toBe(1);
    expect(json<VerifyReport>(bad)).toMatchObject({ ok: false, reason: 'missing', firstBadSeq: 2 });
    const badText = await gatehouse('audit', 'verify', '--db', copy);
    expect(badText.code).toBe(1);
    expect(badText.stdout).toMatch(/^FAILED: missing at seq 2/);
  });

  it('verify --jsonl: exit 0 for an export, 1 for an altered one; usage errors exit 2', async () => {
    const exported = join(dir, 'intact.jsonl');
    const ok = await gatehouse('audit', 'verify', '--jsonl', exported);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok: intact: 5 events, all attested/);
    const altered = join(dir, 'altered.jsonl');
    writeFileSync(altered, readFileSync(exported, 'utf8').replace('"result":"green"', '"result":"gray"'));
    const bad = await gatehouse('audit', 'verify', '--jsonl', altered, '--json');
    expect(bad.code).toBe(1);
    expect(json<VerifyReport>(bad)).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 1 });
    const key = readWorkstationPublicKey(join(dir, 'data', 'keys'));
    expect((await gatehouse('audit', 'verify', '--jsonl', exported, '--trust-key', key?.keyId ?? '')).code).toBe(0);
    expect((await gatehouse('audit', 'verify', '--jsonl', exported, '--trust-key', '0'.repeat(32))).code).toBe(1);
    expect((await gatehouse('audit', 'verify')).code).toBe(2);
    expect((await gatehouse('audit', 'verify', '--db', db, '--jsonl', exported)).code).toBe(2);
    expect((await gatehouse('audit', 'verify', '--jsonl', join(dir, 'absent.jsonl'))).code).toBe(2);
  });

  it('export refuses to overwrite without --force', async () => {
    const out = join(dir, 'intact.jsonl');
    const refused = await gatehouse('audit', 'export', '--db', db, '--out', out, '--json');
    expect(refused.code).toBe(2);
    expect(json<{ code: string }>(refused).code).toBe('CONFLICT');
    expect((await gatehouse('audit', 'export', '--db', db, '--out', out, '--force')).code).toBe(0);
  });

  it('takes the database from the global --data-dir', async () => {
    const r = await gatehouse('--data-dir', join(dir, 'data'), 'audit', 'heads');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)?.split('\t')[0]).toBe('5');
  });

  it('runs from source with node --import tsx too', async () => {
    const r = await runNode(['--import', 'tsx', join(REPO_ROOT, 'test/integration/audit/cli-entry.ts'), 'audit', 'verify', '--db', db, '--json'], process.env);
    expect(r.code, r.stderr).toBe(0);
    expect(json<VerifyReport>(r)).toMatchObject({ ok: true });
  });
});

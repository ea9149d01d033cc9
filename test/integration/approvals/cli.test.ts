/** `gatehouse approval verify` as a process: tokens, token files and DSSE envelopes, verified offline. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApproval, mintRevocation, signDsse, toInTotoStatement, verifyApproval } from '../../../electron/services/approvals';
import { openDatabase } from '../../../electron/services/db/sqlite';
import { createSessionManager, openOperatorStore, type OperatorSession, passphraseProtector, serializeTrustList, type TrustList } from '../../../electron/services/identity';

const ROOT = resolve(__dirname, '../../..');
const ENTRY = join(ROOT, 'test/integration/policy/cli-entry.ts');
const FAST = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
const PASS = 'correct horse battery staple';
const REVISION = { base: '1'.repeat(40), head: 'a'.repeat(40), tree: 'b'.repeat(40) };
const DIGEST = `sha256:${'0'.repeat(64)}`;

let dir: string;
let trustFile: string;
let trustList: TrustList;
let alice: OperatorSession;
let carol: OperatorSession;
let token: string;

function gatehouse(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-'));
  const db = openDatabase({ file: join(dir, 'app.db') });
  const store = openOperatorStore(db);
  await store.create({ name: 'alice', role: 'reviewer', passphrase: PASS, protector: FAST });
  await store.create({ name: 'carol', role: 'lead', passphrase: PASS, protector: FAST });
  alice = await createSessionManager({ store, clock: { now: () => new Date() }, protectors: [FAST] }).unlock('alice', PASS);
  carol = await createSessionManager({ store, clock: { now: () => new Date() }, protectors: [FAST] }).unlock('carol', PASS);
  trustList = store.exportTrustList();
  trustFile = join(dir, 'trust.json');
  writeFileSync(trustFile, serializeTrustList(trustList));
  token = mintApproval(
    alice,
    { repository: 'repo-1', proposal: 'proposals/x', revision: REVISION, decision: 'approve', risk: 'LOW', findingsDigest: DIGEST, policyDigest: DIGEST, reason: 'reviewed' },
    { now: new Date() },
  ).token;
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gatehouse approval verify', () => {
  it('exits 0 for a valid token given inline or in a file, and prints the signer', () => {
    const inline = gatehouse('approval', 'verify', token, '--trust', trustFile, '--repo', 'repo-1', '--head', REVISION.head, '--json');
    expect(inline.status).toBe(0);
    expect(JSON.parse(inline.stdout)).toMatchObject({ ok: true, kind: 'approval', signer: { name: 'alice', role: 'reviewer' }, claims: { aud: 'repo-1' } });
    const file = join(dir, 'approval.jws');
    writeFileSync(file, `${token}\n`);
    const fromFile = gatehouse('approval', 'verify', file, '--trust', trustFile);
    expect(fromFile.status).toBe(0);
    expect(fromFile.stdout).toMatch(/valid approval by alice \(reviewer/);
  });

  it('exits 1 with the reason for another repository, another head, a tampered token or an expired one', () => {
    const wrongRepo = gatehouse('approval', 'verify', token, '--trust', trustFile, '--repo', 'repo-2', '--json');
    expect(wrongRepo.status).toBe(1);
    expect(JSON.parse(wrongRepo.stdout)).toMatchObject({ ok: false, reason: 'audience' });
    expect(gatehouse('approval', 'verify', token, '--trust', trustFile, '--head', 'c'.repeat(40)).status).toBe(1);

    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[0] = (sig[0] ?? 0) ^ 1;
    const tampered = gatehouse('approval', 'verify', `${h}.${p}.${sig.toString('base64url')}`, '--trust', trustFile);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/refused \(signature\)/);

    const later = new Date(Date.now() + 25 * 3600_000).toISOString();
    const expired = gatehouse('approval', 'verify', token, '--trust', trustFile, '--at', later, '--json');
    expect(expired.status).toBe(1);
    expect(JSON.parse(expired.stdout)).toMatchObject({ reason: 'expired' });
  });

  it('exits 1 when the signer is not in the given trust list', () => {
    const other = join(dir, 'other-trust.json');
    writeFileSync(other, serializeTrustList({ ...trustList, operators: trustList.operators.filter((o) => o.name !== 'alice') }));
    const run = gatehouse('approval', 'verify', token, '--trust', other, '--json');
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ reason: 'unknown-key' });
  });

  it('verifies a revocation token', () => {
    const revocation = mintRevocation(carol, { repository: 'repo-1', jti: 'A'.repeat(22), reason: 'wrong proposal' }, { now: new Date() }).token;
    const run = gatehouse('approval', 'verify', revocation, '--trust', trustFile, '--repo', 'repo-1');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/valid revocation of A{22} by carol/);
  });

  it('verifies a two-signature DSSE envelope file, and refuses a tampered one', async () => {
    const now = new Date();
    const decisions = [
      await verifyApproval(token, { trustList, audience: 'repo-1', expected: REVISION, now }),
      await verifyApproval(
        mintApproval(carol, { repository: 'repo-1', proposal: 'proposals/x', revision: REVISION, decision: 'approve', risk: 'LOW', findingsDigest: DIGEST, policyDigest: DIGEST, reason: 'lead ok' }, { now }).token,
        { trustList, audience: 'repo-1', expected: REVISION, now },
      ),
    ];
    const envelope = signDsse(toInTotoStatement(decisions), [alice, carol]);
    const file = join(dir, 'attestation.dsse.json');
    writeFileSync(file, JSON.stringify(envelope, null, 2));
    const run = gatehouse('approval', 'verify', file, '--trust', trustFile, '--repo', 'repo-1', '--json');
    expect(run.status).toBe(0);
    const body = JSON.parse(run.stdout) as { kind: string; signers: Array<{ name: string }> };
    expect(body.kind).toBe('dsse');
    expect(body.signers.map((s) => s.name)).toEqual(['alice', 'carol']);

    const bad = join(dir, 'bad.dsse.json');
    writeFileSync(bad, JSON.stringify({ ...envelope, payload: Buffer.from('{"_type":"x"}').toString('base64') }));
    const refused = gatehouse('approval', 'verify', bad, '--trust', trustFile, '--json');
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, kind: 'dsse' });
  });

  it('exits 2 for a missing or invalid trust file and for input that is neither token nor file', () => {
    expect(gatehouse('approval', 'verify', token, '--trust', join(dir, 'none.json')).status).toBe(2);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"type":"something-else"}');
    expect(gatehouse('approval', 'verify', token, '--trust', junk).status).toBe(2);
    expect(gatehouse('approval', 'verify', 'no such thing', '--trust', trustFile).status).toBe(2);
    expect(gatehouse('approval', 'verify', token).status).toBe(2);
    expect(gatehouse('approval', 'verify', token, '--trust', trustFile, '--head', 'HEAD').status).toBe(2);
  });
});

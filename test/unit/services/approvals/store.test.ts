import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVALS_DOMAIN,
  APPROVALS_MIGRATIONS,
  type ApprovalRequest,
  collectRevisionDecisions,
  mintApproval,
  mintRevocation,
  openApprovalStore,
  verifyApproval,
  verifyRevocation,
} from '../../../../electron/services/approvals';
import { migrate, openDatabase, schemaVersion } from '../../../../electron/services/db/sqlite';
import { ErrorCode } from '../../../../shared/model/result';
import { createTeam, FINDINGS_DIGEST, POLICY_DIGEST, PROPOSAL, REPOSITORY, REVISION_A, REVISION_B, type Team } from './fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
let team: Team;

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    repository: REPOSITORY,
    proposal: PROPOSAL,
    revision: REVISION_A,
    decision: 'approve',
    risk: 'LOW',
    findingsDigest: FINDINGS_DIGEST,
    policyDigest: POLICY_DIGEST,
    reason: 'looks right',
    ...overrides,
  };
}

beforeAll(async () => {
  team = await createTeam();
});
afterAll(() => team.close());

async function registered(session: keyof Team['sessions'], overrides: Partial<ApprovalRequest> = {}, now = NOW) {
  const minted = mintApproval(team.sessions[session], request(overrides), { now });
  const revision = overrides.revision ?? REVISION_A;
  return verifyApproval(minted.token, { trustList: team.trustList, audience: overrides.repository ?? REPOSITORY, expected: revision, now });
}

describe('approvals migrations', () => {
  it('v1 creates the tables on an empty database, keeps rows when run again, and is recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-'));
    try {
      const file = join(dir, 'app.db');
      const db = openDatabase({ file });
      expect(migrate(db, APPROVALS_DOMAIN, APPROVALS_MIGRATIONS)).toEqual([1]);
      db.prepare('INSERT INTO applies (repository, proposal, head, tree, approvals, applied_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        'r',
        'p',
        REVISION_A.head,
        REVISION_A.tree,
        '[]',
        1,
      );
      db.close();
      const reopened = openDatabase({ file });
      expect(migrate(reopened, APPROVALS_DOMAIN, APPROVALS_MIGRATIONS)).toEqual([]);
      expect(schemaVersion(reopened, APPROVALS_DOMAIN)).toBe(1);
      expect(reopened.prepare('SELECT repository, head FROM applies').all()).toEqual([{ repository: 'r', head: REVISION_A.head }]);
      const tables = reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['approvals', 'revocations', 'applies']));
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('approval store', () => {
  it('lists decisions by revision and proposal, and marks them outdated when the head moves', async () => {
    const store = openApprovalStore(team.db);
    const a = store.record(await registered('alice', { proposal: 'p-outdated' }));
    const b = store.record(await registered('carol', { proposal: 'p-outdated', decision: 'reject', reason: 'no tests' }));
    expect(store.listByRevision({ repository: REPOSITORY, head: REVISION_A.head, tree: REVISION_A.tree }).map((s) => s.claims.jti)).toEqual(
      expect.arrayContaining([a.claims.jti, b.claims.jti]),
    );
    expect(store.get(b.claims.jti)?.claims.decision).toBe('reject');
    expect(store.get(b.claims.jti)?.signer).toEqual({ operatorId: team.sessions.carol.operatorId, name: 'carol', role: 'lead', keyId: team.sessions.carol.keyId });

    expect(store.markOutdated({ repository: REPOSITORY, proposal: 'p-outdated', head: REVISION_B.head })).toBe(2);
    expect(store.markOutdated({ repository: REPOSITORY, proposal: 'p-outdated', head: REVISION_B.head })).toBe(0);
    expect(store.listByProposal(REPOSITORY, 'p-outdated').every((s) => s.outdatedAt !== null)).toBe(true);
  });

  it('is append-only', async () => {
    const store = openApprovalStore(team.db);
    const stored = store.record(await registered('bob'));
    expect(() => team.db.prepare('DELETE FROM approvals WHERE jti = ?').run(stored.claims.jti)).toThrow(/append-only/);
    expect(() => team.db.prepare("UPDATE approvals SET decision = 'reject' WHERE jti = ?").run(stored.claims.jti)).toThrow(/append-only/);
    expect(() => team.db.prepare("UPDATE approvals SET reason = 'edited' WHERE jti = ?").run(stored.claims.jti)).toThrow(/append-only/);
    store.recordApply({ repository: REPOSITORY, proposal: PROPOSAL, head: REVISION_A.head, tree: REVISION_A.tree, approvals: [stored.claims.jti], at: NOW });
    expect(() => team.db.prepare('DELETE FROM applies').run()).toThrow(/append-only/);
    expect(store.countAppliesSince(REPOSITORY, new Date(NOW.getTime() - 3600_000))).toBe(1);
    expect(store.get(stored.claims.jti)?.claims.reason).toBe('looks right');
  });

  it('refuses a revocation naming another repository than the approval', async () => {
    const store = openApprovalStore(team.db);
    const stored = store.record(await registered('alice'));
    const revocation = mintRevocation(team.sessions.carol, { repository: 'other-repo', jti: stored.claims.jti, reason: 'wrong repo' }, { now: NOW });
    const verified = await verifyRevocation(revocation.token, { trustList: team.trustList, now: NOW });
    expect(() => store.recordRevocation(verified)).toThrow(expect.objectContaining({ code: ErrorCode.Refused }));
    expect(store.isRevoked(stored.claims.jti)).toBe(false);
  });

  it('collects re-verified decisions for the gate, dropping those the trust list no longer backs', async () => {
    const store = openApprovalStore(team.db);
    const revision = { base: REVISION_A.base, head: 'c'.repeat(40), tree: 'd'.repeat(40) };
    const kept = store.record(await registered('alice', { revision }));
    const rejection = store.record(await registered('bob', { revision, decision: 'reject', reason: 'unsafe' }));
    const dropped = store.record(await registered('dave', { revision }));
    const withoutDave = { ...team.trustList, operators: team.trustList.operators.filter((o) => o.name !== 'dave') };
    // Two days later: the approvals expired, the rejection still stands.
    const later = new Date(NOW.getTime() + 2 * 24 * 3600_000);
    const collected = await collectRevisionDecisions({ store, repository: REPOSITORY, revision, trustList: withoutDave, now: later });
    expect(collected.approvals.map((a) => a.claims.jti)).toEqual([rejection.claims.jti]);
    expect(collected.invalid).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ jti: kept.claims.jti, reason: 'expired' }),
        expect.objectContaining({ jti: dropped.claims.jti, reason: 'unknown-key' }),
      ]),
    );
    const now = await collectRevisionDecisions({ store, repository: REPOSITORY, revision, trustList: team.trustList, now: NOW });
    expect(now.approvals.map((a) => a.signer.name).sort()).toEqual(['alice', 'bob', 'dave']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApprovalRequest,
  collectRevisionDecisions,
  mintApproval,
  mintRevocation,
  openApprovalStore,
  type VerifiedApproval,
  type VerifiedRevocation,
  verifyApproval,
  verifyRevocation,
} from '../../../../electron/services/approvals';
import { openDatabase } from '../../../../electron/services/db/sqlite';
import {
  defaultPolicyYaml,
  evaluateGate,
  type GateInput,
  type GateResult,
  loadPolicy,
  requirePolicy,
} from '../../../../electron/services/policy';
import type { RiskLevel } from '../../../../shared/model/domain';
import { createTeam, FINDINGS_DIGEST, PROPOSAL, REPOSITORY, REVISION_A, REVISION_B, type Team } from '../approvals/fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
const loaded = loadPolicy({ text: defaultPolicyYaml() });
const policy = requirePolicy(loaded);
const POLICY_DIGEST = loaded.digest ?? '';
let team: Team;

beforeAll(async () => {
  team = await createTeam();
});
afterAll(() => team.close());

type Name = keyof Team['sessions'];

async function decide(name: Name, overrides: Partial<ApprovalRequest> = {}, at: Date = NOW): Promise<VerifiedApproval> {
  const request: ApprovalRequest = {
    repository: REPOSITORY,
    proposal: PROPOSAL,
    revision: REVISION_A,
    decision: 'approve',
    risk: 'CRITICAL',
    findingsDigest: FINDINGS_DIGEST,
    policyDigest: POLICY_DIGEST,
    reason: `${name} reviewed it`,
    ...overrides,
  };
  const { token } = mintApproval(team.sessions[name], request, { now: at, lifetimeHours: policy.approvalLifetimeHours });
  return verifyApproval(token, { trustList: team.trustList, audience: request.repository, expected: request.revision, now: at });
}

async function revoke(by: Name, approval: VerifiedApproval): Promise<VerifiedRevocation> {
  const { token } = mintRevocation(team.sessions[by], { repository: REPOSITORY, jti: approval.claims.jti, reason: 'withdrawn' }, { now: NOW });
  return verifyRevocation(token, { trustList: team.trustList, audience: REPOSITORY, now: NOW });
}

function gate(overrides: Partial<GateInput>): GateResult {
  return evaluateGate({
    policy,
    repository: REPOSITORY,
    revision: REVISION_A,
    risk: 'LOW',
    author: { email: 'agent@example.org', name: 'agent' },
    approvals: [],
    revocations: [],
    sandbox: { status: 'completed', passed: true, head: REVISION_A.head },
    appliesInLastHour: 0,
    now: NOW,
    ...overrides,
  });
}

function condition(result: GateResult, id: string) {
  const found = result.conditions.find((c) => c.id === id);
  if (!found) throw new Error(`no condition ${id}`);
  return found;
}

describe('evaluateGate', () => {
  it('allows a LOW revision with one reviewer, listing every condition as met', async () => {
    const result = gate({ risk: 'LOW', approvals: [await decide('alice', { risk: 'LOW' })] });
    expect(result.allowed).toBe(true);
    expect(result.refusal).toBeNull();
    expect(result.conditions.map((c) => [c.id, c.met])).toEqual([
      ['policy', true],
      ['approvals', true],
      ['no-rejection', true],
      ['author-not-approver', true],
      ['sandbox', true],
      ['rate-limit', true],
    ]);
    expect(result.counted.map((c) => c.name)).toEqual(['alice']);
  });

  it('refuses HIGH with only a reviewer: "needs 1 more: a lead"', async () => {
    const result = gate({ risk: 'HIGH', approvals: [await decide('alice', { risk: 'HIGH' })] });
    expect(result.allowed).toBe(false);
    expect(condition(result, 'approvals')).toMatchObject({ met: false, message: expect.stringMatching(/^needs 1 more: a lead/) });
    expect(result.refusal).toMatch(/needs 1 more: a lead/);
    expect(gate({ risk: 'HIGH', approvals: [await decide('carol', { risk: 'HIGH' })] }).allowed).toBe(true);
  });

  it('CRITICAL: two distinct operators, one a lead', async () => {
    const alice = await decide('alice');
    const carol = await decide('carol');
    expect(gate({ risk: 'CRITICAL', approvals: [alice, carol] }).allowed).toBe(true);
    expect(condition(gate({ risk: 'CRITICAL', approvals: [alice] }), 'approvals').message).toMatch(/^needs 1 more: a lead/);
    expect(condition(gate({ risk: 'CRITICAL', approvals: [alice, await decide('bob')] }), 'approvals').message).toMatch(/^needs 1 more: a lead/);
    expect(condition(gate({ risk: 'CRITICAL', approvals: [] }), 'approvals').message).toMatch(/^needs 2 more: a lead and a reviewer or lead/);
  });

  it('refuses one operator approving twice for a two-person rule', async () => {
    const first = await decide('carol');
    const second = await decide('carol', { reason: 'approving again' }, new Date(NOW.getTime() + 60_000));
    const result = gate({ risk: 'CRITICAL', approvals: [first, second], now: new Date(NOW.getTime() + 120_000) });
    expect(result.allowed).toBe(false);
    expect(result.counted).toHaveLength(1);
    expect(condition(result, 'approvals').message).toMatch(/needs 1 more: a reviewer or lead.*carol approved more than once \(counted once\)/);
  });

  it('refuses the author approving their own change', async () => {
    const result = gate({
      risk: 'CRITICAL',
      author: { email: 'Carol@Example.org', name: 'Carol' },
      approvals: [await decide('alice'), await decide('carol'), await decide('dave')],
    });
    expect(result.allowed).toBe(false);
    expect(condition(result, 'author-not-approver')).toMatchObject({ met: false, message: expect.stringMatching(/carol approved their own change/) });
    // Matching by operator id as well.
    const byId = gate({ author: { operatorId: team.sessions.alice.operatorId }, approvals: [await decide('alice', { risk: 'LOW' })] });
    expect(condition(byId, 'author-not-approver').met).toBe(false);
    expect(condition(byId, 'approvals').met).toBe(false);
  });

  it('refuses while a rejection stands, until revoked or superseded by the same operator', async () => {
    const approval = await decide('carol', { risk: 'LOW' });
    const rejection = await decide('bob', { risk: 'LOW', decision: 'reject', reason: 'leaks the token to logs' });
    const refused = gate({ approvals: [approval, rejection] });
    expect(condition(refused, 'no-rejection')).toMatchObject({ met: false, message: expect.stringMatching(/rejected by bob \("leaks the token to logs"\)/) });

    expect(gate({ approvals: [approval, rejection], revocations: [await revoke('dave', rejection)] }).allowed).toBe(true);
    const changedMind = await decide('bob', { risk: 'LOW', reason: 'fixed in review' }, new Date(NOW.getTime() + 1000));
    expect(gate({ approvals: [approval, rejection, changedMind], now: new Date(NOW.getTime() + 2000) }).allowed).toBe(true);
    // An expired rejection still stands.
    const later = new Date(NOW.getTime() + 3 * 24 * 3600_000);
    const fresh = await decide('carol', { risk: 'LOW' }, later);
    expect(condition(gate({ approvals: [fresh, rejection], now: later }), 'no-rejection').met).toBe(false);
  });

  it('does not count revoked, expired, not-yet-valid or other-revision approvals', async () => {
    const carol = await decide('carol', { risk: 'LOW' });
    const revoked = gate({ approvals: [carol], revocations: [await revoke('dave', carol)] });
    expect(revoked.allowed).toBe(false);
    expect(revoked.ignored).toEqual([expect.objectContaining({ jti: carol.claims.jti, why: 'revoked by dave' })]);

    const expired = gate({ approvals: [carol], now: new Date(NOW.getTime() + 24 * 3600_000) });
    expect(expired.ignored[0]?.why).toBe('expired');
    expect(condition(expired, 'approvals').message).toMatch(/needs 1 more/);

    const future = gate({ approvals: [await decide('alice', { risk: 'LOW' }, new Date(NOW.getTime() + 3600_000))] });
    expect(future.ignored[0]?.why).toBe('not valid yet');

    const fork = gate({ approvals: [await decide('carol', { risk: 'LOW', repository: 'fork-of-repo' })] });
    expect(fork.allowed).toBe(false);
    expect(fork.ignored[0]?.why).toBe('for another repository (fork-of-repo)');

    const forB = await decide('alice', { risk: 'LOW', revision: REVISION_B });
    const outdated = gate({ approvals: [forB] });
    expect(outdated.allowed).toBe(false);
    expect(outdated.ignored[0]?.why).toMatch(/another revision/);
  });

  it('does not count approvals signed for a lower risk, under another policy, or for other findings', async () => {
    const asLow = gate({ risk: 'HIGH', approvals: [await decide('carol', { risk: 'LOW' })] });
    expect(asLow.ignored[0]?.why).toBe('approved as LOW risk; the revision is HIGH');
    const otherPolicy = gate({ approvals: [await decide('alice', { risk: 'LOW', policyDigest: `sha256:${'0'.repeat(64)}` })] });
    expect(otherPolicy.ignored[0]?.why).toBe('signed under another policy');
    const otherFindings = gate({ approvals: [await decide('alice', { risk: 'LOW' })], findingsDigest: `sha256:${'1'.repeat(64)}` });
    expect(otherFindings.ignored[0]?.why).toBe('signed for other findings');
  });

  it('raises the risk to CRITICAL when the proposal changes the trust list or policy', async () => {
    const result = gate({ risk: 'LOW', changedPaths: ['src/a.ts', '.gatehouse/trust.json'], approvals: [await decide('alice', { risk: 'LOW' })] });
    expect(result.risk).toBe('CRITICAL');
    expect(result.allowed).toBe(false);
    expect(condition(result, 'approvals').message).toMatch(/raised from LOW: the proposal changes the trust list/);
  });

  it('requires a passing sandbox run of this head where the policy says so', async () => {
    const approvals = [await decide('alice'), await decide('carol')];
    const base = { risk: 'CRITICAL' as RiskLevel, approvals };
    expect(condition(gate({ ...base, sandbox: null }), 'sandbox')).toMatchObject({ met: false, message: expect.stringMatching(/none yet/) });
    expect(condition(gate({ ...base, sandbox: { status: 'unavailable', passed: false } }), 'sandbox').message).toMatch(/unavailable \(fail closed\)/);
    expect(condition(gate({ ...base, sandbox: { status: 'completed', passed: false } }), 'sandbox').message).toMatch(/tests failed/);
    expect(condition(gate({ ...base, sandbox: { status: 'completed', passed: true, head: REVISION_B.head } }), 'sandbox').met).toBe(false);
    expect(gate({ ...base, sandbox: { status: 'completed', passed: true } }).allowed).toBe(true);
    // Not required at LOW.
    expect(condition(gate({ risk: 'LOW', approvals: [await decide('alice', { risk: 'LOW' })], sandbox: null }), 'sandbox').met).toBe(true);
  });

  it('refuses everything without a valid policy', async () => {
    const result = gate({ policy: null, approvals: [await decide('alice', { risk: 'LOW' })] });
    expect(result.allowed).toBe(false);
    expect(result.conditions.every((c) => !c.met)).toBe(true);
    expect(result.refusal).toMatch(/no valid policy/);
  });

  it('enforces the rate limit, failing closed on a bad count', async () => {
    const approvals = [await decide('alice', { risk: 'LOW' })];
    expect(condition(gate({ approvals, appliesInLastHour: 1 }), 'rate-limit')).toMatchObject({ met: false, message: expect.stringMatching(/rate limit: 1 of 1/) });
    expect(condition(gate({ approvals, appliesInLastHour: Number.NaN }), 'rate-limit').met).toBe(false);
    expect(condition(gate({ approvals, appliesInLastHour: -1 }), 'rate-limit').met).toBe(false);
  });

  it('keeps the rate limit across a restart: the count comes from the persisted store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-'));
    try {
      const file = join(dir, 'app.db');
      const approval = await decide('alice', { risk: 'LOW' });
      let db = openDatabase({ file });
      let store = openApprovalStore(db);
      store.record(approval);
      const before = gate({ approvals: [approval], appliesInLastHour: store.countAppliesSince(REPOSITORY, new Date(NOW.getTime() - 3600_000)) });
      expect(before.allowed).toBe(true);
      store.recordApply({ repository: REPOSITORY, proposal: PROPOSAL, ...REVISION_A, approvals: before.counted.map((c) => c.jti), at: NOW });
      db.close();

      // Restart: a new connection to the same file, decisions collected and re-verified from it.
      db = openDatabase({ file });
      store = openApprovalStore(db);
      const later = new Date(NOW.getTime() + 10 * 60_000);
      const collected = await collectRevisionDecisions({ store, repository: REPOSITORY, revision: REVISION_A, trustList: team.trustList, now: later });
      const after = gate({ ...collected, now: later, appliesInLastHour: store.countAppliesSince(REPOSITORY, new Date(later.getTime() - 3600_000)) });
      expect(after.allowed).toBe(false);
      expect(after.conditions.filter((c) => !c.met).map((c) => c.id)).toEqual(['rate-limit']);
      // An hour after the apply, the window is free again.
      const nextHour = new Date(NOW.getTime() + 3600_001);
      expect(store.countAppliesSince(REPOSITORY, new Date(nextHour.getTime() - 3600_000))).toBe(0);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

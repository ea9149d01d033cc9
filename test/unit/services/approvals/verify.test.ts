import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_TYP,
  type ApprovalRequest,
  ApprovalVerificationError,
  inspectApproval,
  mintApproval,
  mintRevocation,
  openApprovalStore,
  REVOCATION_TYP,
  type VerificationReason,
  verifyApproval,
  verifyRevocation,
} from '../../../../electron/services/approvals';
import { importPublicKey, keyIdFor, parseTrustList, publicKeyPem } from '../../../../electron/services/identity';
import { ErrorCode } from '../../../../shared/model/result';
import {
  b64u,
  createTeam,
  FINDINGS_DIGEST,
  POLICY_DIGEST,
  PROPOSAL,
  REPOSITORY,
  REVISION_A,
  REVISION_B,
  signCompact,
  type Team,
} from './fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    repository: REPOSITORY,
    proposal: PROPOSAL,
    revision: REVISION_A,
    decision: 'approve',
    risk: 'LOW',
    findingsDigest: FINDINGS_DIGEST,
    policyDigest: POLICY_DIGEST,
    sandbox: { status: 'passed', runId: 'run-1' },
    reason: 'read the diff; cache keys are bounded',
    ...overrides,
  };
}

let team: Team;

beforeAll(async () => {
  team = await createTeam();
});
afterAll(() => team.close());

function verifyA(token: string, extra: { now?: Date; seenJti?: (jti: string) => boolean; revoked?: (jti: string) => boolean } = {}) {
  return verifyApproval(token, {
    trustList: team.trustList,
    audience: REPOSITORY,
    expected: { head: REVISION_A.head, tree: REVISION_A.tree },
    now: extra.now ?? NOW,
    ...(extra.seenJti ? { seenJti: extra.seenJti } : {}),
    ...(extra.revoked ? { revoked: extra.revoked } : {}),
  });
}

async function refusal(promise: Promise<unknown>): Promise<VerificationReason> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApprovalVerificationError);
    expect((error as ApprovalVerificationError).code).toBe(ErrorCode.VerificationFailed);
    return (error as ApprovalVerificationError).reason;
  }
  throw new Error('the token was accepted');
}

/** The claims of a valid approval by alice, for forging variants. */
function validClaims(): Record<string, unknown> {
  return { ...mintApproval(team.sessions.alice, request(), { now: NOW }).claims };
}

describe('verifyApproval accepts', () => {
  it('an approval minted by a session, and reports the signer from the trust list', async () => {
    const minted = mintApproval(team.sessions.alice, request(), { now: NOW });
    const verified = await verifyA(minted.token);
    expect(verified.signer.name).toBe('alice');
    expect(verified.signer.role).toBe('reviewer');
    expect(verified.claims).toEqual(minted.claims);
    expect(verified.claims.exp - verified.claims.iat).toBe(24 * 3600);
    const [header] = minted.token.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      typ: APPROVAL_TYP,
      kid: team.sessions.alice.keyId,
    });
  });

  it('a clock up to 60 s behind or ahead', async () => {
    const minted = mintApproval(team.sessions.alice, request(), { now: NOW, lifetimeHours: 1 });
    await expect(verifyA(minted.token, { now: new Date(NOW.getTime() - 59_000) })).resolves.toBeDefined();
    await expect(verifyA(minted.token, { now: new Date(NOW.getTime() + 3600_000 + 59_000) })).resolves.toBeDefined();
  });
});

describe('verifyApproval refuses', () => {
  it('alg none', async () => {
    const token = `${b64u(JSON.stringify({ alg: 'none', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId }))}.${b64u(JSON.stringify(validClaims()))}.`;
    expect(await refusal(verifyA(token))).toBe('algorithm');
  });

  it('HS256 signed with our public key as the HMAC secret', async () => {
    const alice = team.trustList.operators.find((o) => o.name === 'alice');
    if (!alice) throw new Error('no alice');
    const raw = Buffer.from(alice.publicKey, 'base64url');
    const viaJose = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'HS256', typ: APPROVAL_TYP, kid: alice.keyId })
      .sign(raw);
    expect(await refusal(verifyA(viaJose))).toBe('algorithm');
    // The same with the key id string itself as the secret, hand-made.
    const input = `${b64u(JSON.stringify({ alg: 'HS256', typ: APPROVAL_TYP, kid: alice.keyId }))}.${b64u(JSON.stringify(validClaims()))}`;
    const mac = createHmac('sha256', alice.publicKey).update(input).digest('base64url');
    expect(await refusal(verifyA(`${input}.${mac}`))).toBe('algorithm');
  });

  it('a key id that is not in the trust list', async () => {
    const outsider = generateKeyPairSync('ed25519');
    const kid = keyIdFor(outsider.publicKey);
    const claims = { ...validClaims(), iss: kid };
    const input = `${b64u(JSON.stringify({ alg: 'EdDSA', typ: APPROVAL_TYP, kid }))}.${b64u(JSON.stringify(claims))}`;
    const token = `${input}.${sign(null, Buffer.from(input), outsider.privateKey).toString('base64url')}`;
    expect(await refusal(verifyA(token))).toBe('unknown-key');
  });

  it.each([
    ['a path', '../../../../etc/passwd'],
    ['a path after a real prefix', `${'ed25519:'}../../operators.db`],
    ['SQL', "ed25519:x' OR '1'='1' --"],
    ['SQL on a key id', "' UNION SELECT public_key FROM operators --"],
    ['a URL', 'https://attacker.invalid/key.json'],
  ])('a kid with %s characters', async (_what, kid) => {
    const token = signCompact(team.sessions.alice, { alg: 'EdDSA', typ: APPROVAL_TYP, kid }, { ...validClaims(), iss: kid });
    expect(await refusal(verifyA(token))).toBe('unknown-key');
  });

  it.each(['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'])('a %s header', async (member) => {
    const header = { alg: 'EdDSA', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId, [member]: member === 'crit' ? ['exp'] : 'https://attacker.invalid/jwks' };
    const token = signCompact(team.sessions.alice, header, validClaims());
    expect(await refusal(verifyA(token))).toBe('header');
  });

  it.each(['JWT', 'application/gatehouse-approval+jwt', 'GATEHOUSE-APPROVAL+JWT', REVOCATION_TYP])('typ %s', async (typ) => {
    const token = signCompact(team.sessions.alice, { alg: 'EdDSA', typ, kid: team.sessions.alice.keyId }, validClaims());
    expect(await refusal(verifyA(token))).toBe('type');
  });

  it('a missing typ', async () => {
    const token = signCompact(team.sessions.alice, { alg: 'EdDSA', kid: team.sessions.alice.keyId }, validClaims());
    expect(await refusal(verifyA(token))).toBe('type');
  });

  it('another audience (repository)', async () => {
    const minted = mintApproval(team.sessions.alice, request({ repository: 'another-repo' }), { now: NOW });
    expect(await refusal(verifyA(minted.token))).toBe('audience');
  });

  it('a token for commit A shown for commit B', async () => {
    const minted = mintApproval(team.sessions.alice, request({ revision: REVISION_A }), { now: NOW });
    const reason = await refusal(
      verifyApproval(minted.token, {
        trustList: team.trustList,
        audience: REPOSITORY,
        expected: { head: REVISION_B.head, tree: REVISION_B.tree },
        now: NOW,
      }),
    );
    expect(reason).toBe('binding');
    // Same head with another tree is refused as well.
    expect(
      await refusal(
        verifyApproval(minted.token, { trustList: team.trustList, audience: REPOSITORY, expected: { head: REVISION_A.head, tree: REVISION_B.tree }, now: NOW }),
      ),
    ).toBe('binding');
  });

  it('one bit flipped in the payload or the signature', async () => {
    const { token } = mintApproval(team.sessions.alice, request(), { now: NOW });
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = Buffer.from(p, 'base64url');
    payload[40] = (payload[40] ?? 0) ^ 0x01;
    expect(await refusal(verifyA(`${h}.${payload.toString('base64url')}.${s}`))).toBe('signature');
    const signature = Buffer.from(s, 'base64url');
    signature[10] = (signature[10] ?? 0) ^ 0x80;
    expect(await refusal(verifyA(`${h}.${p}.${signature.toString('base64url')}`))).toBe('signature');
    // A flipped bit in a digest claim keeps the JSON valid: only the signature catches it.
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, string>;
    const head = claims.head ?? '';
    const flipped = { ...claims, head: `${head.slice(0, -1)}${head.endsWith('a') ? 'b' : 'a'}` };
    expect(await refusal(verifyA(`${h}.${b64u(JSON.stringify(flipped))}.${s}`))).toBe('signature');
  });

  it('a token expired beyond the 60 s skew', async () => {
    const minted = mintApproval(team.sessions.alice, request(), { now: NOW, lifetimeHours: 1 });
    expect(await refusal(verifyA(minted.token, { now: new Date(NOW.getTime() + 3600_000 + 61_000) }))).toBe('expired');
  });

  it('nbf in the future beyond the skew', async () => {
    const minted = mintApproval(team.sessions.alice, request(), { now: new Date(NOW.getTime() + 120_000) });
    expect(await refusal(verifyA(minted.token))).toBe('not-yet-valid');
  });

  it('an iat in the future beyond the skew', async () => {
    const token = signCompact(
      team.sessions.alice,
      { alg: 'EdDSA', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId },
      { ...validClaims(), iat: NOW_S + 3600, nbf: NOW_S - 10, exp: NOW_S + 7200 },
    );
    expect(await refusal(verifyA(token))).toBe('not-yet-valid');
  });

  it('a lifetime longer than the policy allows', async () => {
    const token = signCompact(
      team.sessions.alice,
      { alg: 'EdDSA', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId },
      { ...validClaims(), exp: NOW_S + 400 * 24 * 3600 },
    );
    expect(await refusal(verifyA(token))).toBe('lifetime');
    const minted = mintApproval(team.sessions.alice, request(), { now: NOW, lifetimeHours: 48 });
    const reason = await refusal(
      verifyApproval(minted.token, {
        trustList: team.trustList,
        audience: REPOSITORY,
        expected: REVISION_A,
        now: NOW,
        maxLifetimeHours: 24,
      }),
    );
    expect(reason).toBe('lifetime');
  });

  it('an iss other than the kid', async () => {
    const token = signCompact(
      team.sessions.alice,
      { alg: 'EdDSA', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId },
      { ...validClaims(), iss: team.sessions.carol.keyId },
    );
    expect(await refusal(verifyA(token))).toBe('issuer');
  });

  it('unknown, missing or malformed claims', async () => {
    const header = { alg: 'EdDSA', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId };
    expect(await refusal(verifyA(signCompact(team.sessions.alice, header, { ...validClaims(), admin: true })))).toBe('claims');
    const { reason: _dropped, ...noReason } = validClaims();
    expect(await refusal(verifyA(signCompact(team.sessions.alice, header, noReason)))).toBe('claims');
    expect(await refusal(verifyA(signCompact(team.sessions.alice, header, { ...validClaims(), reason: '   ' })))).toBe('claims');
    expect(await refusal(verifyA(signCompact(team.sessions.alice, header, { ...validClaims(), aud: [REPOSITORY] })))).toBe('claims');
    expect(await refusal(verifyA(signCompact(team.sessions.alice, header, { ...validClaims(), reason: 'ok\u0007\u001b[2J' })))).toBe('claims');
    await expect(verifyA(signCompact(team.sessions.alice, header, { ...validClaims(), reason: 'line one\nline two' }))).resolves.toBeDefined();
    expect(await refusal(verifyA('not.a.token!'))).toBe('malformed');
    expect(await refusal(verifyA('a.b'))).toBe('malformed');
  });

  it('a replayed jti when registering, but not when re-verifying a stored approval', async () => {
    const approvals = openApprovalStore(team.db);
    const minted = mintApproval(team.sessions.alice, request(), { now: NOW });
    const first = await verifyA(minted.token, { seenJti: approvals.hasJti });
    approvals.record(first);
    // The same token registered again: refused by the verifier and by the store.
    expect(await refusal(verifyA(minted.token, { seenJti: approvals.hasJti }))).toBe('replay');
    expect(() => approvals.record(first)).toThrow(ApprovalVerificationError);
    const stored = approvals.get(minted.claims.jti);
    expect(stored?.token).toBe(minted.token);
    // Verifying the stored approval again (for the gate or an export) is not a replay.
    await expect(verifyA(minted.token)).resolves.toBeDefined();
  });

  it('a revoked approval', async () => {
    const approvals = openApprovalStore(team.db);
    const minted = mintApproval(team.sessions.bob, request(), { now: NOW });
    approvals.record(await verifyA(minted.token, { seenJti: approvals.hasJti }));
    const revocation = mintRevocation(team.sessions.carol, { repository: REPOSITORY, jti: minted.claims.jti, reason: 'approved the wrong proposal' }, { now: NOW });
    const verified = await verifyRevocation(revocation.token, { trustList: team.trustList, audience: REPOSITORY, now: NOW, seenJti: approvals.hasJti });
    approvals.recordRevocation(verified);
    expect(await refusal(verifyA(minted.token, { revoked: approvals.isRevoked }))).toBe('revoked');
    expect(approvals.revocationOf(minted.claims.jti)?.signer.name).toBe('carol');
    // Revoking twice is a conflict; registering the same revocation again a replay.
    const again = mintRevocation(team.sessions.dave, { repository: REPOSITORY, jti: minted.claims.jti, reason: 'again' }, { now: NOW });
    expect(() => approvals.recordRevocation({ ...verified, token: again.token, claims: again.claims })).toThrow(/already revoked/);
    expect(await refusal(verifyRevocation(revocation.token, { trustList: team.trustList, now: NOW, seenJti: approvals.hasJti }))).toBe('replay');
  });

  it('a signer whose role is too low', async () => {
    // An auditor cannot mint a decision...
    expect(() => mintApproval(team.sessions.erin, request(), { now: NOW })).toThrow(expect.objectContaining({ code: ErrorCode.ForbiddenRole }));
    // ... and a hand-made one signed with the auditor's real key is refused.
    const kid = team.sessions.erin.keyId;
    const token = signCompact(team.sessions.erin, { alg: 'EdDSA', typ: APPROVAL_TYP, kid }, { ...validClaims(), iss: kid });
    expect(await refusal(verifyA(token))).toBe('role');
    // A reviewer where a lead is required.
    const byReviewer = mintApproval(team.sessions.alice, request({ risk: 'HIGH' }), { now: NOW });
    expect(
      await refusal(
        verifyApproval(byReviewer.token, { trustList: team.trustList, audience: REPOSITORY, expected: REVISION_A, now: NOW, requiredRole: 'lead' }),
      ),
    ).toBe('role');
    // A reviewer cannot revoke: not by minting, and not by hand.
    expect(() => mintRevocation(team.sessions.alice, { repository: REPOSITORY, jti: 'A'.repeat(22), reason: 'x' }, { now: NOW })).toThrow(
      expect.objectContaining({ code: ErrorCode.ForbiddenRole }),
    );
    const revocation = signCompact(
      team.sessions.alice,
      { alg: 'EdDSA', typ: REVOCATION_TYP, kid: team.sessions.alice.keyId },
      { iss: team.sessions.alice.keyId, aud: REPOSITORY, revokes: 'A'.repeat(22), reason: 'mine now', iat: NOW_S, nbf: NOW_S, jti: 'B'.repeat(22) },
    );
    expect(await refusal(verifyRevocation(revocation, { trustList: team.trustList, now: NOW }))).toBe('role');
  });

  it('an operator whose role changed in the trust list since signing', async () => {
    const minted = mintApproval(team.sessions.carol, request(), { now: NOW });
    const demoted = parseTrustList({
      ...team.trustList,
      operators: team.trustList.operators.map((o) => (o.name === 'carol' ? { ...o, role: 'auditor' } : o)),
    });
    const reason = await refusal(verifyApproval(minted.token, { trustList: demoted, audience: REPOSITORY, expected: REVISION_A, now: NOW }));
    expect(reason).toBe('role');
  });
});

describe('mintApproval', () => {
  it('requires a reason and a valid revision', () => {
    expect(() => mintApproval(team.sessions.alice, request({ reason: '' }), { now: NOW })).toThrow(/reason/);
    expect(() => mintApproval(team.sessions.alice, request({ reason: 'x'.repeat(2001) }), { now: NOW })).toThrow(/reason/);
    expect(() => mintApproval(team.sessions.alice, request({ revision: { ...REVISION_A, head: 'HEAD' } }), { now: NOW })).toThrow(/head/);
    expect(() => mintApproval(team.sessions.alice, request(), { now: NOW, lifetimeHours: 1000 })).toThrow(/lifetime/);
  });

  it('gives every token a fresh jti', () => {
    const a = mintApproval(team.sessions.alice, request(), { now: NOW });
    const b = mintApproval(team.sessions.alice, request(), { now: NOW });
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });
});

describe('inspectApproval', () => {
  it('checks signature and signer without audience or revision', async () => {
    const minted = mintApproval(team.sessions.alice, request({ repository: 'elsewhere', revision: REVISION_B }), { now: NOW });
    const inspected = await inspectApproval(minted.token, { trustList: team.trustList, now: NOW });
    expect(inspected.claims.aud).toBe('elsewhere');
  });

  it('accepts a trust list given with SPKI PEM keys', async () => {
    const minted = mintApproval(team.sessions.alice, request(), { now: NOW });
    const withPem = parseTrustList(
      JSON.stringify({
        ...team.trustList,
        operators: team.trustList.operators.map((o) => ({ ...o, publicKey: publicKeyPem(importPublicKey(o.publicKey)) })),
      }),
    );
    expect(withPem.operators.map((o) => o.publicKey)).toEqual(team.trustList.operators.map((o) => o.publicKey));
    await expect(inspectApproval(minted.token, { trustList: withPem, now: NOW })).resolves.toBeDefined();
  });
});

import { createPublicKey, verify as ed25519Verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addDsseSignature,
  APPROVAL_PREDICATE_TYPE,
  type ApprovalRequest,
  DSSE_PAYLOAD_TYPE,
  mintApproval,
  signDsse,
  toInTotoStatement,
  type VerifiedApproval,
  verifyApproval,
  verifyAttestation,
  verifyDsse,
} from '../../../../electron/services/approvals';
import { ErrorCode } from '../../../../shared/model/result';
import { createTeam, FINDINGS_DIGEST, POLICY_DIGEST, PROPOSAL, REPOSITORY, REVISION_A, REVISION_B, type Team } from './fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
let team: Team;
let approvals: ReadonlyArray<VerifiedApproval>;

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    repository: REPOSITORY,
    proposal: PROPOSAL,
    revision: REVISION_A,
    decision: 'approve',
    risk: 'CRITICAL',
    findingsDigest: FINDINGS_DIGEST,
    policyDigest: POLICY_DIGEST,
    sandbox: { status: 'passed', runId: 'run-9', benchmarkChange: 0.02 },
    reason: 'two-person review of the auth change',
    ...overrides,
  };
}

beforeAll(async () => {
  team = await createTeam();
  const verify = (token: string) =>
    verifyApproval(token, { trustList: team.trustList, audience: REPOSITORY, expected: REVISION_A, now: NOW });
  approvals = [
    await verify(mintApproval(team.sessions.alice, request(), { now: NOW }).token),
    await verify(mintApproval(team.sessions.carol, request({ reason: 'lead sign-off' }), { now: NOW }).token),
  ];
});
afterAll(() => team.close());

/** PAE per the DSSE v1 spec, written out here independently of the implementation. */
function standalonePae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

describe('DSSE export', () => {
  it('builds an in-toto Statement v1 about the commit and tree', () => {
    const statement = toInTotoStatement(approvals);
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(APPROVAL_PREDICATE_TYPE);
    expect(statement.subject).toEqual([
      { name: `commit:${REVISION_A.head}`, digest: { gitCommit: REVISION_A.head } },
      { name: `tree:${REVISION_A.tree}`, digest: { gitTree: REVISION_A.tree } },
    ]);
    const [first, second] = statement.predicate.decisions;
    expect(first).toMatchObject({
      decision: 'approve',
      signer: { name: 'alice', role: 'reviewer' },
      reason: 'two-person review of the auth change',
      findingsDigest: FINDINGS_DIGEST,
      sandbox: { status: 'passed', runId: 'run-9', benchmarkChange: 0.02 },
      expiresAt: '2025-03-02T12:00:00.000Z',
    });
    expect(second?.signer).toMatchObject({ name: 'carol', role: 'lead' });
  });

  it('round trip: two signatures verify with a standalone node:crypto Ed25519 check', () => {
    const envelope = signDsse(toInTotoStatement(approvals), [team.sessions.alice, team.sessions.carol]);
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.signatures.map((s) => s.keyid)).toEqual([team.sessions.alice.keyId, team.sessions.carol.keyId]);

    // Independent verifier: only node:crypto, the trust list's raw keys and the DSSE spec.
    const payload = Buffer.from(envelope.payload, 'base64');
    const pae = standalonePae(envelope.payloadType, payload);
    for (const signature of envelope.signatures) {
      const entry = team.trustList.operators.find((o) => o.keyId === signature.keyid);
      if (!entry) throw new Error(`unknown keyid ${signature.keyid}`);
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: entry.publicKey }, format: 'jwk' });
      expect(ed25519Verify(null, pae, key, Buffer.from(signature.sig, 'base64'))).toBe(true);
      // The same signature does not verify over the raw payload (PAE is really used).
      expect(ed25519Verify(null, payload, key, Buffer.from(signature.sig, 'base64'))).toBe(false);
    }
    const statement = JSON.parse(payload.toString('utf8')) as { subject: Array<{ digest: Record<string, string> }> };
    expect(statement.subject[0]?.digest.gitCommit).toBe(REVISION_A.head);

    const verified = verifyDsse(JSON.parse(JSON.stringify(envelope)), team.trustList);
    expect(verified.signers.map((s) => s.name)).toEqual(['alice', 'carol']);
  });

  it('lets the second approver add a signature later', () => {
    const one = signDsse(toInTotoStatement(approvals), [team.sessions.alice]);
    const two = addDsseSignature(one, team.sessions.carol);
    expect(verifyDsse(two, team.trustList).signers).toHaveLength(2);
    expect(() => addDsseSignature(two, team.sessions.carol)).toThrow(expect.objectContaining({ code: ErrorCode.Conflict }));
  });

  it('refuses a signer who made no decision in the statement', () => {
    expect(() => signDsse(toInTotoStatement(approvals), [team.sessions.bob])).toThrow(expect.objectContaining({ code: ErrorCode.Refused }));
  });

  it('refuses a tampered payload, a forged extra signature, an unknown key and a repeated key', () => {
    const envelope = signDsse(toInTotoStatement(approvals), [team.sessions.alice, team.sessions.carol]);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { predicate: { revision: { head: string } } };
    statement.predicate.revision.head = REVISION_B.head;
    const tampered = { ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') };
    expect(() => verifyDsse(tampered, team.trustList)).toThrow(expect.objectContaining({ code: ErrorCode.VerificationFailed }));

    const bobSig = team.sessions.bob.sign(standalonePae(DSSE_PAYLOAD_TYPE, Buffer.from(envelope.payload, 'base64'))).toString('base64');
    const withBob = { ...envelope, signatures: [...envelope.signatures, { keyid: team.sessions.bob.keyId, sig: bobSig }] };
    expect(() => verifyDsse(withBob, team.trustList)).toThrow(/made no decision/);

    const unknown = { ...envelope, signatures: [{ keyid: 'ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', sig: envelope.signatures[0]?.sig ?? '' }] };
    expect(() => verifyDsse(unknown, team.trustList)).toThrow(/not in the trust list/);

    const first = envelope.signatures[0];
    if (!first) throw new Error('no signature');
    expect(() => verifyDsse({ ...envelope, signatures: [first, first] }, team.trustList)).toThrow(/twice/);

    const wrongSig = { ...envelope, signatures: [{ keyid: first.keyid, sig: envelope.signatures[1]?.sig ?? '' }] };
    expect(() => verifyDsse(wrongSig, team.trustList)).toThrow(/does not verify/);

    expect(() => verifyDsse({ ...envelope, payloadType: 'application/json' }, team.trustList)).toThrow(/not in-toto/);
    expect(() => verifyDsse({ payload: 'x' }, team.trustList)).toThrow(/not a DSSE envelope/);
  });

  it('verifies every embedded decision token as well, long after the approvals expired', async () => {
    const envelope = signDsse(toInTotoStatement(approvals), [team.sessions.alice, team.sessions.carol]);
    const attestation = await verifyAttestation(envelope, team.trustList);
    expect(attestation.decisions.map((d) => d.signer.name)).toEqual(['alice', 'carol']);
    // An envelope honestly signed over a statement whose embedded token has a broken signature:
    // the envelope verifies, the attestation does not.
    const statement = toInTotoStatement(approvals);
    const [first, second] = statement.predicate.decisions;
    if (!first || !second) throw new Error('two decisions expected');
    const [h, p, sig] = first.token.split('.') as [string, string, string];
    const broken = Buffer.from(sig, 'base64url');
    broken[5] = (broken[5] ?? 0) ^ 0x10;
    const bad = { ...statement, predicate: { ...statement.predicate, decisions: [{ ...first, token: `${h}.${p}.${broken.toString('base64url')}` }, second] } };
    const signed = signDsse(bad, [team.sessions.alice, team.sessions.carol]);
    expect(verifyDsse(signed, team.trustList).signers).toHaveLength(2);
    await expect(verifyAttestation(signed, team.trustList)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed, reason: 'signature' });
    // An entry carrying another operator's token does not even pass the envelope check.
    const swapped = { ...statement, predicate: { ...statement.predicate, decisions: [{ ...first, token: second.token }, second] } };
    expect(() => verifyDsse(signDsse(swapped, [team.sessions.alice]), team.trustList)).toThrow(/does not match its token/);
  });

  it('refuses decisions on different revisions in one statement', async () => {
    const other = await verifyApproval(mintApproval(team.sessions.bob, request({ revision: REVISION_B }), { now: NOW }).token, {
      trustList: team.trustList,
      audience: REPOSITORY,
      expected: REVISION_B,
      now: NOW,
    });
    expect(() => toInTotoStatement([...approvals, other])).toThrow(/same repository, proposal and revision/);
    expect(() => toInTotoStatement([])).toThrow(/at least one/);
  });
});

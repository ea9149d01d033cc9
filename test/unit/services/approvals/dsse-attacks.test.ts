/**
 * DSSE export attacks (issue): a signer relabelled its decision as another operator's, set expiry 2099,
 * claimed MINIMAL risk or added subjects, and `approval verify` printed the relabelled claims; payloads in
 * base64url were accepted. Only what the signatures cover may be trusted. Interop is checked against an
 * independent DSSE implementation, @sigstore/core's PAE.
 */
import { verify as ed25519Verify } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  mintApproval,
  signDsse,
  toInTotoStatement,
  type InTotoStatement,
  type VerifiedApproval,
  verifyApproval,
  verifyAttestation,
} from '../../../../electron/services/approvals';
import { trustedPublicKey } from '../../../../electron/services/identity/trust-list';
import { createTeam, FINDINGS_DIGEST, POLICY_DIGEST, PROPOSAL, REPOSITORY, REVISION_A, type Team } from './fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
let team: Team;
let approval: VerifiedApproval;

beforeAll(async () => {
  team = await createTeam();
  const token = mintApproval(
    team.sessions.alice,
    { repository: REPOSITORY, proposal: PROPOSAL, revision: REVISION_A, decision: 'approve', risk: 'HIGH', findingsDigest: FINDINGS_DIGEST, policyDigest: POLICY_DIGEST, reason: 'looked at it' },
    { now: NOW },
  ).token;
  approval = await verifyApproval(token, { trustList: team.trustList, audience: REPOSITORY, expected: REVISION_A, now: NOW });
});
afterAll(() => team.close());

function relabelled(change: (statement: InTotoStatement) => void) {
  const statement = JSON.parse(JSON.stringify(toInTotoStatement([approval]))) as InTotoStatement;
  change(statement);
  return signDsse(statement, [team.sessions.alice]);
}

describe('a DSSE statement is trusted only as far as its signed tokens', () => {
  it('the honest envelope verifies', async () => {
    await expect(verifyAttestation(signDsse(toInTotoStatement([approval]), [team.sessions.alice]), team.trustList)).resolves.toMatchObject({ signers: [{ name: 'alice' }] });
  });

  it.each([
    ['relabels the signer as a lead', (s: InTotoStatement) => Object.assign(s.predicate.decisions[0]?.signer ?? {}, { name: 'carol', role: 'lead' })],
    ['sets expiry to 2099', (s: InTotoStatement) => Object.assign(s.predicate.decisions[0] ?? {}, { expiresAt: '2099-01-01T00:00:00.000Z' })],
    ['claims MINIMAL risk', (s: InTotoStatement) => Object.assign(s.predicate.decisions[0] ?? {}, { risk: 'MINIMAL' })],
    ['rewrites the reason', (s: InTotoStatement) => Object.assign(s.predicate.decisions[0] ?? {}, { reason: 'lead approved everything' })],
    ['adds a subject', (s: InTotoStatement) => s.subject.push({ name: 'commit:other', digest: { gitCommit: 'f'.repeat(40) } })],
  ])('refuses a statement that %s', async (_name, change) => {
    await expect(verifyAttestation(relabelled(change), team.trustList)).rejects.toThrow(/does not|not its revision head|signed decision tokens/);
  });

  it('refuses a base64url payload and a non-canonical signature encoding', async () => {
    // Pick a reason whose payload needs padding, so that its base64url spelling differs from base64.
    let envelope = signDsse(toInTotoStatement([approval]), [team.sessions.alice]);
    for (const reason of ['a', 'ab', 'abc']) {
      if (envelope.payload.endsWith('=')) break;
      const token = mintApproval(
        team.sessions.alice,
        { repository: REPOSITORY, proposal: PROPOSAL, revision: REVISION_A, decision: 'approve', risk: 'HIGH', findingsDigest: FINDINGS_DIGEST, policyDigest: POLICY_DIGEST, reason },
        { now: NOW },
      ).token;
      const other = await verifyApproval(token, { trustList: team.trustList, audience: REPOSITORY, expected: REVISION_A, now: NOW });
      envelope = signDsse(toInTotoStatement([other]), [team.sessions.alice]);
    }
    const url = { ...envelope, payload: Buffer.from(envelope.payload, 'base64').toString('base64url') };
    expect(url.payload).not.toBe(envelope.payload);
    await expect(verifyAttestation(url, team.trustList)).rejects.toThrow(/not a DSSE envelope/);
    const sig = envelope.signatures[0]?.sig ?? '';
    // An Ed25519 signature is 64 bytes: "==" padding, and the last data character carries 4 zero bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = sig[sig.length - 3] as string;
    const loose = `${sig.slice(0, -3)}${alphabet[alphabet.indexOf(last) + 1] ?? ''}==`;
    expect(Buffer.from(loose, 'base64').equals(Buffer.from(sig, 'base64'))).toBe(true);
    await expect(verifyAttestation({ ...envelope, signatures: [{ keyid: envelope.signatures[0]?.keyid ?? '', sig: loose }] }, team.trustList)).rejects.toThrow(/not a DSSE envelope/);
  });

  it('emits standard base64, and its signature verifies over @sigstore/core’s independent PAE', () => {
    const envelope = signDsse(toInTotoStatement([approval]), [team.sessions.alice]);
    expect(envelope.payload).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const payload = Buffer.from(envelope.payload, 'base64');
    expect(payload.toString('utf8')).toBe(canonicalJson(JSON.parse(payload.toString('utf8'))));
    const pae = dsse.preAuthEncoding(envelope.payloadType, payload);
    const operator = team.trustList.operators.find((o) => o.name === 'alice');
    expect(operator).toBeDefined();
    const signature = envelope.signatures[0];
    expect(ed25519Verify(null, pae, trustedPublicKey(operator as NonNullable<typeof operator>), Buffer.from(signature?.sig ?? '', 'base64'))).toBe(true);
  });
});

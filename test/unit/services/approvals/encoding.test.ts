/**
 * Encoding games (issue: a payload with a duplicate `head` claim, last one winning, and a signature in
 * non-canonical base64url were accepted). One token has one spelling; anything else is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_TYP, mintApproval, verifyApproval } from '../../../../electron/services/approvals';
import { FINDINGS_DIGEST, POLICY_DIGEST, PROPOSAL, REPOSITORY, REVISION_A, REVISION_B, b64u, createTeam, type Team } from './fixtures';

let team: Team;
const now = new Date('2025-01-01T00:00:00Z');
beforeAll(async () => {
  team = await createTeam();
});
afterAll(() => team.close());

function minted() {
  return mintApproval(
    team.sessions.alice,
    { repository: REPOSITORY, proposal: PROPOSAL, revision: REVISION_A, decision: 'approve', risk: 'LOW', findingsDigest: FINDINGS_DIGEST, policyDigest: POLICY_DIGEST, reason: 'ok' },
    { now },
  );
}

function check(token: string) {
  return verifyApproval(token, { trustList: team.trustList, audience: REPOSITORY, expected: { head: REVISION_A.head, tree: REVISION_A.tree }, now });
}

describe('strict JWS encoding', () => {
  it('accepts the token as minted', async () => {
    await expect(check(minted().token)).resolves.toMatchObject({ claims: { head: REVISION_A.head } });
  });

  it('refuses a payload with a duplicate member, signed by a trusted key', async () => {
    const { claims } = minted();
    const json = JSON.stringify(claims);
    // {"...","head":"B",...,"head":"A"}: JSON.parse keeps A, another parser may keep B.
    const duplicated = json.replace(`"head":"${REVISION_A.head}"`, `"head":"${REVISION_B.head}","head":"${REVISION_A.head}"`);
    const header = b64u(JSON.stringify({ alg: 'EdDSA', typ: APPROVAL_TYP, kid: team.sessions.alice.keyId }));
    const input = `${header}.${b64u(duplicated)}`;
    const token = `${input}.${team.sessions.alice.sign(Buffer.from(input, 'ascii')).toString('base64url')}`;
    await expect(check(token)).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('refuses a signature whose last base64url character carries non-zero padding bits', async () => {
    const token = minted().token;
    const signature = token.split('.')[2] as string;
    // 64 bytes → 86 characters; the last one holds 2 data bits and 4 padding bits.
    const last = signature[signature.length - 1] as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = alphabet[alphabet.indexOf(last) + 1] as string;
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${signature.slice(0, -1)}${tweaked}`;
    expect(Buffer.from(forged.split('.')[2] as string, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    await expect(check(forged)).rejects.toMatchObject({ reason: 'malformed' });
  });
});

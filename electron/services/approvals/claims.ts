/**
 * What an approval and a revocation say: their JWS header and claims, as zod schemas.
 *
 * Claims are checked with these schemas only after the signature has verified; the schemas are strict,
 * so a claim this build does not know is refused rather than ignored.
 */
import { z } from 'zod';
import { Acknowledgements } from '../../../shared/model/acknowledgement';
import { Decision, Oid, RiskLevel } from '../../../shared/model/domain';
import { KeyId } from '../identity/trust-list';

/** `typ` of an approval (RFC 8725 §3.11: explicit typing keeps it from being taken for another JWT). */
export const APPROVAL_TYP = 'gatehouse-approval+jwt';
/** `typ` of a revocation. */
export const REVOCATION_TYP = 'gatehouse-revocation+jwt';
/** The one algorithm signed and accepted. */
export const APPROVAL_ALG = 'EdDSA';

/** Longest reason accepted, in characters. */
export const MAX_REASON_LENGTH = 2000;
/** Longest token accepted, in characters. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** Default approval lifetime. */
export const DEFAULT_APPROVAL_LIFETIME_HOURS = 24;
/** Longest approval lifetime ever accepted (the policy may set less). */
export const MAX_APPROVAL_LIFETIME_HOURS = 168;

/** A SHA-256 digest as Gatehouse writes it: `sha256:` + 64 lowercase hex digits. */
export const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a digest is sha256: followed by 64 lowercase hex digits');
export type Digest = z.infer<typeof Digest>;

/** A token id: 22..64 base64url characters (16+ random bytes). */
export const TokenId = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'a token id is 22-64 base64url characters');

/** True if `text` has a C0 control character or DEL (below U+0020, or U+007F). */
function hasControl(text: string, allowLineBreaks: boolean): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (allowLineBreaks && (code === 0x0a || code === 0x0d || code === 0x09)) continue;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Repository id or proposal id as carried in `aud` / `sub`: one printable line, bounded. */
const Label = z
  .string()
  .min(1)
  .max(256)
  .refine((text) => !hasControl(text, false), 'must be one printable line');

/** Why a decision was made: required for every decision, 1 to 2000 characters, no control characters but line breaks and tabs. */
export const Reason = z
  .string()
  .max(MAX_REASON_LENGTH, `reason must be at most ${MAX_REASON_LENGTH} characters`)
  .refine((text) => !hasControl(text, true), 'reason must not contain control characters')
  .refine((text) => text.trim().length > 0, 'reason is required');

/** The sandbox result an approver saw, carried in the approval. */
export const SandboxSummary = z
  .object({
    status: z.enum(['passed', 'failed', 'unavailable', 'not-run']),
    runId: z.string().min(1).max(128).optional(),
    imageDigest: Digest.nullable().optional(),
    /** Benchmark change head vs base as a fraction (0.12 = 12 % slower). */
    benchmarkChange: z.number().finite().nullable().optional(),
  })
  .strict();
export type SandboxSummary = z.infer<typeof SandboxSummary>;

const NumericDate = z.number().int().nonnegative();

/** The protected header of an approval or revocation: exactly these three members. */
export const ApprovalHeader = z
  .object({
    alg: z.literal(APPROVAL_ALG),
    typ: z.string(),
    kid: KeyId,
  })
  .strict();

/** The claims of an approval (or rejection) token. */
export const ApprovalClaims = z
  .object({
    /** The signer's key id; equals the header `kid`. */
    iss: KeyId,
    /** The proposal. */
    sub: Label,
    /** The repository id. */
    aud: Label,
    base: Oid,
    head: Oid,
    tree: Oid,
    decision: Decision,
    risk: RiskLevel,
    findingsDigest: Digest,
    policyDigest: Digest,
    sandbox: SandboxSummary.optional(),
    reason: Reason,
    /** What the approver explicitly accepted: open CRITICAL/HIGH findings and files not marked viewed (optional, additive). */
    acknowledgements: Acknowledgements.optional(),
    iat: NumericDate,
    nbf: NumericDate,
    exp: NumericDate,
    jti: TokenId,
  })
  .strict();
export type ApprovalClaims = Readonly<z.infer<typeof ApprovalClaims>>;

/** The claims of a revocation token. */
export const RevocationClaims = z
  .object({
    iss: KeyId,
    /** The repository id of the revoked approval. */
    aud: Label,
    /** The `jti` of the revoked approval. */
    revokes: TokenId,
    reason: Reason,
    iat: NumericDate,
    nbf: NumericDate,
    jti: TokenId,
  })
  .strict();
export type RevocationClaims = Readonly<z.infer<typeof RevocationClaims>>;

/** The revision an approval binds to. */
export interface RevisionBinding {
  readonly base: string;
  readonly head: string;
  readonly tree: string;
}

/**
 * One entry of the repository's record log: a signed statement about a decision, a revocation, a
 * request for changes, an apply (a landing) or an audit chain head, as a compact EdDSA JWS of type `gatehouse-record+jwt`.
 *
 * Every record names the log entry before it (`prev`), so its signature pins the whole log up to it:
 * deleting, reordering or inserting an entry before a signed one breaks that entry's `prev`. This is
 * gittuf's reference state log idea (a signed hash chain kept in git refs), with the chain link inside
 * the signed payload instead of a signed commit, so it verifies with the same key and code as approvals.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Oid } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { APPROVAL_ALG, checkCompact, decodeSegment, Digest, MAX_CLOCK_SKEW_SECONDS, TokenId, type ApprovalSigner } from '../approvals';
import { KeyId, type TrustedOperator, type TrustList } from '../identity/trust-list';

/** `typ` of a record. */
export const RECORD_TYP = 'gatehouse-record+jwt';

/** Largest record token accepted (an apply carries the approval tokens it used). */
export const MAX_RECORD_LENGTH = 128 * 1024;

const Label = z.string().min(1).max(256).refine((text) => !/\p{Cc}/u.test(text), 'one printable line');
const Email = z.string().min(1).max(320).regex(/^[^\s@]+@[^\s@]+$/, 'an email address');
const NumericDate = z.number().int().nonnegative();
const Compact = z.string().min(1).max(16 * 1024).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a compact JWS');

/** What an apply record states: who landed which approved revision on the target, when, with which approvals. */
export const ApplyStatement = z
  .object({
    proposal: Label,
    /** The target branch head before the apply (its state's policy and trust decide this landing). */
    from: Oid,
    /** The target branch head after the apply: its tree is the approved tree. */
    to: Oid,
    base: Oid,
    head: Oid,
    tree: Oid,
    /** The approval tokens the gate counted, whole, so the landing verifies from the record alone. */
    approvals: z.array(Compact).min(1).max(16),
    /** Everyone who wrote or brought in the change (commit authors, committers, the importer), lower-cased. */
    authors: z.array(Email).max(64),
    risk: z.enum(['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
  })
  .strict();
export type ApplyStatement = Readonly<z.infer<typeof ApplyStatement>>;

/** A signed audit chain head, published next to the decisions. */
export const AuditHeadStatement = z
  .object({
    seq: z.number().int().nonnegative(),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.string().max(64),
    /** The workstation key that signed the head in the audit store, its raw public key and the head's signature. */
    workstationKey: z.string().max(256).optional(),
    publicKey: z.string().max(256).optional(),
    signature: z.string().max(256).optional(),
  })
  .strict();
export type AuditHeadStatement = Readonly<z.infer<typeof AuditHeadStatement>>;

/**
 * A line comment published with a request for changes, by id and digest: the comment's text stays on the
 * desk that wrote it, and its existence and exact content are pinned by the signed record.
 */
export const CommentReference = z
  .object({
    id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'a comment id'),
    /** SHA-256 (hex) of the comment's canonical JSON (see core/comments.ts `commentDigest`). */
    digest: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
  })
  .strict();
export type CommentReference = Readonly<z.infer<typeof CommentReference>>;

/** Most comments one request for changes may carry. */
export const MAX_RECORD_COMMENTS = 500;

const Base = {
  iss: KeyId,
  /** The repository id. */
  aud: Label,
  /** The log entry this one follows (the entry commit's only parent), or null for the first entry. */
  prev: Oid.nullable(),
  iat: NumericDate,
  jti: TokenId,
};

/** The claims of a record, by kind. */
export const RecordClaims = z.discriminatedUnion('kind', [
  z.object({ ...Base, kind: z.literal('decision'), token: Compact }).strict(),
  z.object({ ...Base, kind: z.literal('revocation'), token: Compact }).strict(),
  /** A signed request for changes (a `request_changes` decision token, revision-bound like an approval) and its comments. */
  z.object({ ...Base, kind: z.literal('change-request'), token: Compact, comments: z.array(CommentReference).max(MAX_RECORD_COMMENTS) }).strict(),
  z.object({ ...Base, kind: z.literal('apply'), apply: ApplyStatement }).strict(),
  z.object({ ...Base, kind: z.literal('audit-head'), auditHead: AuditHeadStatement, digest: Digest.optional() }).strict(),
]);
export type RecordClaims = Readonly<z.infer<typeof RecordClaims>>;
export type RecordKind = RecordClaims['kind'];

/** What a new record says, without the chain fields the log fills in. */
export type RecordBody =
  | { readonly kind: 'decision'; readonly token: string }
  | { readonly kind: 'revocation'; readonly token: string }
  | { readonly kind: 'change-request'; readonly token: string; readonly comments: ReadonlyArray<CommentReference> }
  | { readonly kind: 'apply'; readonly apply: ApplyStatement }
  | { readonly kind: 'audit-head'; readonly auditHead: AuditHeadStatement };

/** A record whose signature has been checked against a trust list. */
export interface VerifiedRecord {
  readonly token: string;
  readonly claims: RecordClaims;
  readonly signer: TrustedOperator;
}

/** Signs a record as the session's operator, chained after `prev`. */
export function mintRecord(signer: ApprovalSigner, input: { readonly repository: string; readonly prev: string | null; readonly now: Date; readonly body: RecordBody }): string {
  const claims = RecordClaims.parse({
    iss: signer.keyId,
    aud: input.repository,
    prev: input.prev,
    iat: Math.floor(input.now.getTime() / 1000),
    jti: randomBytes(16).toString('base64url'),
    ...input.body,
  });
  const header = { alg: APPROVAL_ALG, typ: RECORD_TYP, kid: signer.keyId };
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const token = `${signingInput}.${Buffer.from(signer.sign(Buffer.from(signingInput, 'ascii'))).toString('base64url')}`;
  if (token.length > MAX_RECORD_LENGTH) throw new GatehouseError(ErrorCode.InvalidInput, `a record must be at most ${MAX_RECORD_LENGTH} characters`);
  return token;
}

/**
 * Reads a record's claims without checking its signature: for the log's structure only (`prev` must be
 * the entry's parent), never for a decision. Strict: canonical base64url, plain JSON, schema.
 */
export function readRecordClaims(token: string): RecordClaims {
  const parts = token.split('.');
  if (token.length > MAX_RECORD_LENGTH || parts.length !== 3) throw new GatehouseError(ErrorCode.VerificationFailed, 'a record is not a compact JWS');
  // The same strict reading as approvals: canonical base64url, JSON exactly as JSON.stringify writes it.
  const value = decodeSegment(parts[1] ?? '', 'record payload');
  const parsed = RecordClaims.safeParse(value);
  if (!parsed.success) throw new GatehouseError(ErrorCode.VerificationFailed, `a record's claims are invalid: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  return parsed.data;
}

/** Verifies a record's header, signer (in `trustList`) and signature; throws VerificationFailed. */
export async function verifyRecord(token: string, trustList: TrustList, now: Date): Promise<VerifiedRecord> {
  if (token.length > MAX_RECORD_LENGTH) throw new GatehouseError(ErrorCode.VerificationFailed, 'a record is too long');
  const claims = readRecordClaims(token);
  // Records are statements of fact with their own time; jose checks only that iat is not in the future.
  const { signer } = await checkCompact(token, RECORD_TYP, trustList, now, MAX_CLOCK_SKEW_SECONDS, ['iss', 'iat', 'jti'], MAX_RECORD_LENGTH);
  if (claims.iss !== signer.keyId) throw new GatehouseError(ErrorCode.VerificationFailed, 'a record’s iss is not its signing key');
  return { token, claims, signer };
}

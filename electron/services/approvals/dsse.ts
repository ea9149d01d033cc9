/**
 * Exporting approvals as an in-toto Statement v1 inside a DSSE envelope, which anyone can verify
 * without Gatehouse: several approvers sign the same statement, so one document carries the
 * two-person rule.
 *
 * - in-toto Statement v1: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
 *   (subject: the head commit as `gitCommit` and its tree as `gitTree` digests).
 * - DSSE v1: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md — each signature is
 *   Ed25519 over PAE(payloadType, payload) =
 *   "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload, LEN in ASCII decimal bytes.
 */
import { verify as verifyEd25519 } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { findTrustedOperator, type TrustedOperator, type TrustList, trustedPublicKey } from '../identity/trust-list';
import { ApprovalClaims, SandboxSummary } from './claims';
import { canonicalJson } from './digest';
import { inspectApproval, type VerifiedApproval } from './verify';

/** DSSE payload type of an in-toto statement. */
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** in-toto Statement v1 type. */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The predicate type of a Gatehouse approval attestation. */
export const APPROVAL_PREDICATE_TYPE = 'urn:gatehouse:attestation:approval:v1';

const Oid = z.string().regex(/^[0-9a-f]{40}$/);

/** One decision inside the predicate. */
export const AttestedDecision = z
  .object({
    jti: z.string(),
    decision: z.enum(['approve', 'reject', 'request_changes']),
    signer: z.object({ keyId: z.string(), name: z.string(), role: z.enum(['reviewer', 'auditor', 'lead']) }).strict(),
    reason: z.string(),
    risk: z.enum(['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
    issuedAt: z.string(),
    expiresAt: z.string(),
    findingsDigest: z.string(),
    policyDigest: z.string(),
    sandbox: SandboxSummary.nullable(),
    /** The original compact JWS, verifiable on its own. */
    token: z.string(),
  })
  .strict();

/** The Gatehouse approval predicate. */
export const ApprovalPredicate = z
  .object({
    repository: z.string(),
    proposal: z.string(),
    revision: z.object({ base: Oid, head: Oid, tree: Oid }).strict(),
    decisions: z.array(AttestedDecision).min(1).max(100),
  })
  .strict();
export type ApprovalPredicate = z.infer<typeof ApprovalPredicate>;

/** An in-toto Statement v1 carrying a Gatehouse approval predicate. */
export const InTotoStatement = z
  .object({
    _type: z.literal(IN_TOTO_STATEMENT_TYPE),
    subject: z
      .array(z.object({ name: z.string(), digest: z.record(z.string(), z.string()) }).strict())
      .min(1)
      .max(16),
    predicateType: z.literal(APPROVAL_PREDICATE_TYPE),
    predicate: ApprovalPredicate,
  })
  .strict();
export type InTotoStatement = z.infer<typeof InTotoStatement>;

/** A DSSE envelope. `payload` and `sig` are standard base64. */
export interface DsseEnvelope {
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: ReadonlyArray<{ readonly keyid: string; readonly sig: string }>;
}

const Base64 = z
  .string()
  .max(4 * 1024 * 1024)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9_-]*$/, 'base64');

const DsseEnvelopeSchema = z
  .object({
    payload: Base64,
    payloadType: z.string().max(256),
    signatures: z
      .array(z.object({ keyid: z.string().max(256), sig: Base64 }).strict())
      .min(1)
      .max(100),
  })
  .strict();

/** Who signs an envelope: an unlocked operator session. */
export interface DsseSigner {
  readonly keyId: string;
  sign(data: Uint8Array): Uint8Array;
}

/** DSSE v1 pre-authentication encoding. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    Buffer.from(payload),
  ]);
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/**
 * Builds the in-toto statement for decisions on one revision.
 *
 * All decisions must name the same repository, proposal and revision; pass verified ones.
 */
export function toInTotoStatement(approvals: ReadonlyArray<VerifiedApproval>): InTotoStatement {
  const first = approvals[0];
  if (!first) throw new GatehouseError(ErrorCode.InvalidInput, 'an attestation needs at least one decision');
  const { aud, sub, base, head, tree } = first.claims;
  for (const a of approvals) {
    const c = a.claims;
    if (c.aud !== aud || c.sub !== sub || c.base !== base || c.head !== head || c.tree !== tree)
      throw new GatehouseError(ErrorCode.InvalidInput, 'decisions in one attestation must be for the same repository, proposal and revision');
  }
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [
      { name: `commit:${head}`, digest: { gitCommit: head } },
      { name: `tree:${tree}`, digest: { gitTree: tree } },
    ],
    predicateType: APPROVAL_PREDICATE_TYPE,
    predicate: {
      repository: aud,
      proposal: sub,
      revision: { base, head, tree },
      decisions: approvals.map((a) => ({
        jti: a.claims.jti,
        decision: a.claims.decision,
        signer: { keyId: a.signer.keyId, name: a.signer.name, role: a.signer.role },
        reason: a.claims.reason,
        risk: a.claims.risk,
        issuedAt: iso(a.claims.iat),
        expiresAt: iso(a.claims.exp),
        findingsDigest: a.claims.findingsDigest,
        policyDigest: a.claims.policyDigest,
        sandbox: a.claims.sandbox ?? null,
        token: a.token,
      })),
    },
  };
}

function statementBytes(statement: InTotoStatement): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

function signerKeyIds(statement: InTotoStatement): ReadonlySet<string> {
  return new Set(statement.predicate.decisions.map((d) => d.signer.keyId));
}

/**
 * Signs a statement with one or more sessions: the two-person rule in one document.
 *
 * Each signer must be one of the statement's decision signers, and appear once.
 */
export function signDsse(statement: InTotoStatement, signers: ReadonlyArray<DsseSigner>): DsseEnvelope {
  if (signers.length === 0) throw new GatehouseError(ErrorCode.InvalidInput, 'an envelope needs at least one signer');
  const payload = statementBytes(statement);
  const envelope: DsseEnvelope = { payload: payload.toString('base64'), payloadType: DSSE_PAYLOAD_TYPE, signatures: [] };
  return signers.reduce((current, signer) => addDsseSignature(current, signer), envelope);
}

/** Adds one more operator's signature to an envelope (a second approver signing later). */
export function addDsseSignature(envelope: DsseEnvelope, signer: DsseSigner): DsseEnvelope {
  if (envelope.payloadType !== DSSE_PAYLOAD_TYPE) throw new GatehouseError(ErrorCode.InvalidInput, 'not an in-toto envelope');
  const payload = Buffer.from(envelope.payload, 'base64');
  const statement = parseStatement(payload);
  if (!signerKeyIds(statement).has(signer.keyId))
    throw new GatehouseError(ErrorCode.Refused, 'only an operator whose decision is in the statement may sign it');
  if (envelope.signatures.some((s) => s.keyid === signer.keyId))
    throw new GatehouseError(ErrorCode.Conflict, 'this operator has already signed the envelope');
  const sig = Buffer.from(signer.sign(preAuthEncoding(envelope.payloadType, payload))).toString('base64');
  return { ...envelope, signatures: [...envelope.signatures, { keyid: signer.keyId, sig }] };
}

function parseStatement(payload: Buffer): InTotoStatement {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new GatehouseError(ErrorCode.VerificationFailed, 'the envelope payload is not JSON');
  }
  const parsed = InTotoStatement.safeParse(json);
  if (!parsed.success) throw new GatehouseError(ErrorCode.VerificationFailed, 'the envelope payload is not a Gatehouse in-toto statement');
  return parsed.data;
}

/** A verified envelope: the statement, and the trusted operators whose signatures verified. */
export interface VerifiedEnvelope {
  readonly statement: InTotoStatement;
  readonly signers: ReadonlyArray<TrustedOperator>;
}

/**
 * Verifies every signature of an envelope against the trust list.
 *
 * Strict: an unknown key id, a repeated one, a signature that does not verify, or a signer whose
 * decision is not in the statement refuses the whole envelope (a forged extra signature is not
 * silently skipped). The embedded tokens and the decisions' claims are checked for consistency
 * with the statement (same signer, revision and decision).
 */
export function verifyDsse(envelope: unknown, trustList: TrustList): VerifiedEnvelope {
  const parsed = DsseEnvelopeSchema.safeParse(envelope);
  if (!parsed.success) throw new GatehouseError(ErrorCode.VerificationFailed, 'not a DSSE envelope');
  const { payloadType, signatures } = parsed.data;
  if (payloadType !== DSSE_PAYLOAD_TYPE) throw new GatehouseError(ErrorCode.VerificationFailed, `payload type ${payloadType} is not in-toto`);
  const payload = Buffer.from(parsed.data.payload, 'base64');
  const pae = preAuthEncoding(payloadType, payload);
  const signers: TrustedOperator[] = [];
  for (const signature of signatures) {
    const operator = findTrustedOperator(trustList, signature.keyid);
    if (!operator) throw new GatehouseError(ErrorCode.VerificationFailed, 'a signature is by a key that is not in the trust list');
    if (signers.some((s) => s.keyId === operator.keyId))
      throw new GatehouseError(ErrorCode.VerificationFailed, 'the same key signed the envelope twice');
    if (!verifyEd25519(null, pae, trustedPublicKey(operator), Buffer.from(signature.sig, 'base64')))
      throw new GatehouseError(ErrorCode.VerificationFailed, `the signature of ${operator.name} does not verify`);
    signers.push(operator);
  }
  const statement = parseStatement(payload);
  const { revision, repository, proposal } = statement.predicate;
  if (statement.subject.find((s) => s.digest.gitCommit !== undefined)?.digest.gitCommit !== revision.head)
    throw new GatehouseError(ErrorCode.VerificationFailed, 'the statement subject is not its revision head');
  const keyIds = signerKeyIds(statement);
  for (const signer of signers) {
    if (!keyIds.has(signer.keyId)) throw new GatehouseError(ErrorCode.VerificationFailed, `${signer.name} signed but made no decision in the statement`);
  }
  for (const decision of statement.predicate.decisions) {
    // The decision entry must say what its own token says; the token's signature is the JWS's to check.
    const claims = ApprovalClaims.safeParse(decodeTokenClaims(decision.token));
    if (
      !claims.success ||
      claims.data.iss !== decision.signer.keyId ||
      claims.data.jti !== decision.jti ||
      claims.data.decision !== decision.decision ||
      claims.data.aud !== repository ||
      claims.data.sub !== proposal ||
      claims.data.head !== revision.head ||
      claims.data.tree !== revision.tree ||
      claims.data.base !== revision.base
    )
      throw new GatehouseError(ErrorCode.VerificationFailed, `decision ${decision.jti} does not match its token`);
  }
  return { statement, signers };
}

function decodeTokenClaims(token: string): unknown {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

/** A verified attestation: the envelope's signers and every embedded decision, each checked on its own. */
export interface VerifiedAttestation extends VerifiedEnvelope {
  readonly decisions: ReadonlyArray<VerifiedApproval>;
}

/**
 * Verifies an envelope ({@link verifyDsse}) and, in addition, every embedded approval token as a JWS
 * against the same trust list, as of the time it was issued (an attestation is checked long after
 * its approvals expired; what matters is that each was validly signed by its signer).
 */
export async function verifyAttestation(envelope: unknown, trustList: TrustList): Promise<VerifiedAttestation> {
  const verified = verifyDsse(envelope, trustList);
  const decisions: VerifiedApproval[] = [];
  for (const entry of verified.statement.predicate.decisions) {
    const issuedAt = new Date(entry.issuedAt);
    if (Number.isNaN(issuedAt.getTime())) throw new GatehouseError(ErrorCode.VerificationFailed, `decision ${entry.jti} has no valid issue time`);
    decisions.push(await inspectApproval(entry.token, { trustList, now: issuedAt }));
  }
  return { ...verified, decisions };
}

/**
 * Verifying approvals and revocations, following RFC 8725 (JWT Best Current Practices).
 *
 * - §3.1 the algorithm is pinned to EdDSA; `alg` from the header only has to equal it (no `none`, no
 *   HS256 keyed with our public key).
 * - §3.10 the header may carry exactly `alg`, `typ` and `kid`; `jku`, `x5u`, `jwk`, `x5c`, `crit` and
 *   anything else is refused, and `kid` is only compared for equality with the trust list's key ids.
 * - §3.11 `typ` must be exactly `gatehouse-approval+jwt` (or `gatehouse-revocation+jwt`).
 * - §3.9 `aud` must be this repository; `iss` must be the signing key id; head and tree must be the
 *   revision being applied; `exp`/`nbf`/`iat` are checked with at most 60 s of clock skew.
 *
 * Replay: a token's `jti` may be *registered* once. Pass `seenJti` when verifying a token that is
 * being registered (a new decision arriving over IPC, the CLI or a git note being imported); the
 * approval store refuses a second insert of the same `jti` as well. Verifying an approval that is
 * already stored (for the gate, an export, `gatehouse approval verify`) is not a replay: omit `seenJti`.
 */
import { errors, jwtVerify } from 'jose';
import type { z } from 'zod';
import type { Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { findTrustedOperator, type TrustedOperator, type TrustList, trustedPublicKey } from '../identity/trust-list';
import {
  APPROVAL_ALG,
  APPROVAL_TYP,
  ApprovalClaims,
  MAX_APPROVAL_LIFETIME_HOURS,
  MAX_TOKEN_LENGTH,
  REVOCATION_TYP,
  RevocationClaims,
} from './claims';
import { DECIDING_ROLES, REVOKING_ROLES } from './mint';

/** Why a token was refused. */
export type VerificationReason =
  | 'malformed'
  | 'header'
  | 'algorithm'
  | 'type'
  | 'unknown-key'
  | 'signature'
  | 'claims'
  | 'issuer'
  | 'audience'
  | 'binding'
  | 'expired'
  | 'not-yet-valid'
  | 'lifetime'
  | 'replay'
  | 'revoked'
  | 'role';

/** A refused token: VerificationFailed with the reason. */
export class ApprovalVerificationError extends GatehouseError {
  constructor(
    readonly reason: VerificationReason,
    message: string,
  ) {
    super(ErrorCode.VerificationFailed, message, { reason });
  }
}

/** An approval whose signature, header, claims and binding have been checked. */
export interface VerifiedApproval {
  readonly token: string;
  readonly claims: ApprovalClaims;
  /** The trust list entry of the signer. */
  readonly signer: TrustedOperator;
}

/** A revocation that has been checked, signed by a lead. */
export interface VerifiedRevocation {
  readonly token: string;
  readonly claims: RevocationClaims;
  readonly signer: TrustedOperator;
}

/** Largest clock skew ever allowed, in seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

/** Checks every approval needs, wherever it is verified. */
export interface InspectApprovalOptions {
  /** The workspace's or target branch's trust list, never the proposal's. */
  readonly trustList: TrustList;
  readonly now: Date;
  /** Allowed clock skew, 0..60 s; default 60. */
  readonly clockToleranceSeconds?: number;
  /** Longest `exp - iat` accepted (policy `approvalLifetimeHours`); default and maximum 168. */
  readonly maxLifetimeHours?: number;
  /** Lowest role the signer must hold; default reviewer (an auditor never signs decisions). */
  readonly requiredRole?: 'reviewer' | 'lead';
  /** True when `jti` was already registered: pass it only when registering a new token. */
  readonly seenJti?: (jti: string) => boolean;
  /** True when `jti` has been revoked. */
  readonly revoked?: (jti: string) => boolean;
}

/** Everything {@link verifyApproval} checks. */
export interface VerifyApprovalOptions extends InspectApprovalOptions {
  /** The repository id the approval must be for. */
  readonly audience: string;
  /** The revision being applied; the token must name exactly this head and tree (and base, if given). */
  readonly expected: { readonly head: string; readonly tree: string; readonly base?: string; readonly proposal?: string };
}

/** What {@link verifyRevocation} checks. */
export interface VerifyRevocationOptions {
  readonly trustList: TrustList;
  readonly now: Date;
  /** The repository id; omit only to inspect a revocation offline. */
  readonly audience?: string;
  readonly clockToleranceSeconds?: number;
  readonly seenJti?: (jti: string) => boolean;
}

const ALLOWED_HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid']);

function refuse(reason: VerificationReason, message: string): never {
  throw new ApprovalVerificationError(reason, message);
}

function tolerance(options: { readonly clockToleranceSeconds?: number }): number {
  const skew = options.clockToleranceSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  if (!Number.isFinite(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_SECONDS)
    throw new GatehouseError(ErrorCode.InvalidInput, `clock tolerance must be 0..${MAX_CLOCK_SKEW_SECONDS} s`);
  return skew;
}

/**
 * Decodes one JWS segment strictly: canonical base64url (no padding, no non-zero trailing bits, so one
 * token has one spelling) and JSON written exactly as `JSON.stringify` writes it. The second rule
 * refuses a duplicate member (`{"head":A,"head":B}` parses as B, but re-serialises without A), which
 * RFC 7515 §5.2 lets a verifier refuse and which otherwise makes two parsers see two tokens.
 */
export function decodeSegment(segment: string, what: string): unknown {
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) return refuse('malformed', `the ${what} is not canonical base64url`);
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('malformed', `the ${what} is not base64url JSON`);
  }
  if (JSON.stringify(value) !== text) return refuse('malformed', `the ${what} is not plain JSON (a duplicate member, or bytes a second parser could read differently)`);
  return value;
}

/** A compact JWS whose header, signer and signature have been checked; its payload is not yet schema-checked. */
export interface CheckedToken {
  readonly payload: unknown;
  readonly signer: TrustedOperator;
}

/**
 * Header, key lookup, signature and time: the part approvals, revocations and repository records share.
 *
 * Exported for the repository's record log (services/records), whose entries are JWS of their own type.
 */
export async function checkCompact(
  token: unknown,
  typ: string,
  trustList: TrustList,
  now: Date,
  skew: number,
  requiredClaims: ReadonlyArray<string>,
  maxLength: number = MAX_TOKEN_LENGTH,
): Promise<CheckedToken> {
  if (typeof token !== 'string') return refuse('malformed', 'a token must be a string');
  if (token.length > maxLength) return refuse('malformed', `a token must be at most ${maxLength} characters`);
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p)) || parts[0] === '')
    return refuse('malformed', 'not a compact JWS (three base64url parts)');
  const header = decodeSegment(parts[0] ?? '', 'header');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return refuse('malformed', 'the header is not a JSON object');
  for (const member of Object.keys(header)) {
    // RFC 8725 §3.10: a key named by the token itself (jku, x5u, jwk, x5c) is attacker-chosen.
    if (!ALLOWED_HEADER_MEMBERS.has(member)) refuse('header', `header member "${member}" is refused; only alg, typ and kid are allowed`);
  }
  const { alg, typ: headerTyp, kid } = header as Record<string, unknown>;
  if (alg !== APPROVAL_ALG) refuse('algorithm', `algorithm ${JSON.stringify(alg)} is refused; only EdDSA is accepted`);
  if (headerTyp !== typ) refuse('type', `token type ${JSON.stringify(headerTyp)} is refused; expected ${typ}`);
  const signer = findTrustedOperator(trustList, kid);
  if (signer === null) return refuse('unknown-key', 'the signing key is not in the trust list');
  if (parts[2] === '') refuse('signature', 'the token has no signature');
  decodeSegment(parts[1] ?? '', 'payload');
  const signature = parts[2] ?? '';
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) refuse('malformed', 'the signature is not canonical base64url');

  try {
    const { payload } = await jwtVerify(token, trustedPublicKey(signer), {
      algorithms: [APPROVAL_ALG],
      typ,
      currentDate: now,
      clockTolerance: skew,
      requiredClaims: [...requiredClaims],
    });
    return { payload, signer };
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('signature', 'the signature does not verify');
    if (error instanceof errors.JWTExpired) return refuse('expired', 'the token has expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'nbf' && error.reason === 'check_failed') return refuse('not-yet-valid', 'the token is not valid yet (nbf)');
      return refuse('claims', `claim ${error.claim}: ${error.message}`);
    }
    if (error instanceof errors.JOSEAlgNotAllowed) return refuse('algorithm', 'algorithm refused');
    if (error instanceof errors.JOSEError) return refuse('malformed', `the token is malformed: ${error.message}`);
    throw error;
  }
}

function parseClaims<T extends z.ZodType>(schema: T, payload: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse('claims', `${what} claims are invalid: ${issue ? `${issue.path.join('.') || 'claims'}: ${issue.message}` : 'unknown'}`);
  }
  return parsed.data;
}

function checkTimes(claims: { readonly iat: number; readonly nbf: number }, now: Date, skew: number): void {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (claims.iat > nowSeconds + skew) refuse('not-yet-valid', 'the token was issued in the future (iat)');
}

/**
 * Verifies an approval's signature, header, signer, claims, times and role, but not its audience or revision.
 *
 * For offline inspection (`gatehouse approval verify` without `--repo`); the gate and core use
 * {@link verifyApproval}.
 */
export async function inspectApproval(token: string, options: InspectApprovalOptions): Promise<VerifiedApproval> {
  const skew = tolerance(options);
  const maxLifetimeHours = options.maxLifetimeHours ?? MAX_APPROVAL_LIFETIME_HOURS;
  if (!(maxLifetimeHours >= 1 && maxLifetimeHours <= MAX_APPROVAL_LIFETIME_HOURS))
    throw new GatehouseError(ErrorCode.InvalidInput, `maxLifetimeHours must be 1..${MAX_APPROVAL_LIFETIME_HOURS}`);
  const { payload, signer } = await checkCompact(token, APPROVAL_TYP, options.trustList, options.now, skew, ['iss', 'iat', 'nbf', 'exp', 'jti']);
  const claims = parseClaims(ApprovalClaims, payload, 'approval');
  if (claims.iss !== signer.keyId) refuse('issuer', 'iss is not the signing key id');
  checkTimes(claims, options.now, skew);
  if (claims.exp <= claims.iat || claims.exp - claims.iat > maxLifetimeHours * 3600)
    refuse('lifetime', `the token's lifetime exceeds the ${maxLifetimeHours} h the policy allows`);
  const requiredRole = options.requiredRole ?? 'reviewer';
  const allowed: ReadonlyArray<Role> = requiredRole === 'lead' ? ['lead'] : DECIDING_ROLES;
  if (!allowed.includes(signer.role)) refuse('role', `${signer.name} is a ${signer.role}; this decision needs ${allowed.join(' or ')}`);
  if (options.revoked?.(claims.jti)) refuse('revoked', 'the approval has been revoked');
  if (options.seenJti?.(claims.jti)) refuse('replay', 'this token id has already been registered (replay)');
  return { token, claims, signer };
}

/** Verifies an approval for one repository and one exact revision (RFC 8725); throws {@link ApprovalVerificationError}. */
export async function verifyApproval(token: string, options: VerifyApprovalOptions): Promise<VerifiedApproval> {
  const verified = await inspectApproval(token, options);
  const { claims } = verified;
  if (claims.aud !== options.audience) refuse('audience', 'the approval is for another repository');
  const { expected } = options;
  if (claims.head !== expected.head || claims.tree !== expected.tree)
    refuse('binding', `the approval is for revision ${claims.head.slice(0, 12)} (tree ${claims.tree.slice(0, 12)}), not this one`);
  if (expected.base !== undefined && claims.base !== expected.base) refuse('binding', 'the approval is for another base');
  if (expected.proposal !== undefined && claims.sub !== expected.proposal) refuse('binding', 'the approval is for another proposal');
  return verified;
}

/** Verifies a revocation: like an approval, and the signer must be a lead. */
export async function verifyRevocation(token: string, options: VerifyRevocationOptions): Promise<VerifiedRevocation> {
  const skew = tolerance(options);
  const { payload, signer } = await checkCompact(token, REVOCATION_TYP, options.trustList, options.now, skew, ['iss', 'iat', 'nbf', 'jti']);
  const claims = parseClaims(RevocationClaims, payload, 'revocation');
  if (claims.iss !== signer.keyId) refuse('issuer', 'iss is not the signing key id');
  checkTimes(claims, options.now, skew);
  if (!REVOKING_ROLES.includes(signer.role)) refuse('role', `${signer.name} is a ${signer.role}; only a lead may revoke`);
  if (options.audience !== undefined && claims.aud !== options.audience) refuse('audience', 'the revocation is for another repository');
  if (options.seenJti?.(claims.jti)) refuse('replay', 'this token id has already been registered (replay)');
  return { token, claims, signer };
}

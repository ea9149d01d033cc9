/**
 * Signing decisions: an approval or rejection of one exact revision, and a lead's revocation.
 *
 * Tokens are compact JWS (RFC 7515) signed with the operator's Ed25519 key through the session's
 * `sign`, so the private key never leaves the session manager. The header is always exactly
 * `{ alg: 'EdDSA', typ, kid }`; verification (verify.ts) refuses any other member.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Acknowledgement } from '../../../shared/model/acknowledgement';
import type { Decision, RiskLevel, Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import {
  APPROVAL_ALG,
  APPROVAL_TYP,
  ApprovalClaims,
  DEFAULT_APPROVAL_LIFETIME_HOURS,
  MAX_APPROVAL_LIFETIME_HOURS,
  REVOCATION_TYP,
  RevocationClaims,
  type RevisionBinding,
  type SandboxSummary,
} from './claims';

/** Who signs: an unlocked operator session (identity's `OperatorSession` fits). */
export interface ApprovalSigner {
  readonly operatorId: string;
  readonly name: string;
  readonly role: Role;
  readonly keyId: string;
  sign(data: Uint8Array): Uint8Array;
}

/** What a reviewer decides about one revision. */
export interface ApprovalRequest {
  /** Repository id: the token's audience. */
  readonly repository: string;
  /** Proposal id (the branch): the token's subject. */
  readonly proposal: string;
  readonly revision: RevisionBinding;
  readonly decision: Decision;
  readonly risk: RiskLevel;
  /** `findingsDigest(findings)` of the findings the reviewer saw. */
  readonly findingsDigest: string;
  /** `policyDigest(policy)` of the policy in force. */
  readonly policyDigest: string;
  readonly sandbox?: SandboxSummary;
  readonly reason: string;
  /** What the approver explicitly accepted (see shared/model/acknowledgement). */
  readonly acknowledgements?: ReadonlyArray<Acknowledgement>;
}

/** Time and lifetime of a new token. */
export interface MintOptions {
  readonly now: Date;
  /** Policy `approvalLifetimeHours`; default 24, at most 168. */
  readonly lifetimeHours?: number;
}

/** A signed approval and what it says. */
export interface MintedApproval {
  readonly token: string;
  readonly claims: ApprovalClaims;
}

/** A signed revocation and what it says. */
export interface MintedRevocation {
  readonly token: string;
  readonly claims: RevocationClaims;
}

/** Roles that may sign an approval or a rejection. */
export const DECIDING_ROLES: ReadonlyArray<Role> = ['reviewer', 'lead'];
/** Roles that may sign a revocation. */
export const REVOKING_ROLES: ReadonlyArray<Role> = ['lead'];

function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function compactJws(signer: ApprovalSigner, typ: string, claims: object): string {
  const header = { alg: APPROVAL_ALG, typ, kid: signer.keyId };
  const signingInput = `${Buffer.from(JSON.stringify(header), 'utf8').toString('base64url')}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
  const signature = signer.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

function checked<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatehouseError(ErrorCode.InvalidInput, `${what}: ${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** Signs an approval or rejection of one revision as the session's operator. */
export function mintApproval(signer: ApprovalSigner, request: ApprovalRequest, options: MintOptions): MintedApproval {
  if (!DECIDING_ROLES.includes(signer.role))
    throw new GatehouseError(ErrorCode.ForbiddenRole, `a ${signer.role} cannot sign decisions; needs reviewer or lead`);
  const lifetimeHours = options.lifetimeHours ?? DEFAULT_APPROVAL_LIFETIME_HOURS;
  if (!Number.isInteger(lifetimeHours) || lifetimeHours < 1 || lifetimeHours > MAX_APPROVAL_LIFETIME_HOURS)
    throw new GatehouseError(ErrorCode.InvalidInput, `approval lifetime must be 1..${MAX_APPROVAL_LIFETIME_HOURS} hours`);
  const iat = seconds(options.now);
  const draft = {
    iss: signer.keyId,
    sub: request.proposal,
    aud: request.repository,
    base: request.revision.base,
    head: request.revision.head,
    tree: request.revision.tree,
    decision: request.decision,
    risk: request.risk,
    findingsDigest: request.findingsDigest,
    policyDigest: request.policyDigest,
    ...(request.sandbox === undefined ? {} : { sandbox: request.sandbox }),
    reason: request.reason,
    ...(request.acknowledgements === undefined ? {} : { acknowledgements: [...request.acknowledgements] }),
    iat,
    nbf: iat,
    exp: iat + lifetimeHours * 3600,
    jti: newTokenId(),
  };
  const claims = checked(ApprovalClaims, draft, 'approval');
  return { token: compactJws(signer, APPROVAL_TYP, claims), claims };
}

/** What a lead revokes. */
export interface RevocationRequest {
  /** Repository id of the revoked approval (the revocation's audience). */
  readonly repository: string;
  /** `jti` of the approval (or rejection) revoked. */
  readonly jti: string;
  readonly reason: string;
}

/** Signs a revocation of an approval; only a lead may. */
export function mintRevocation(signer: ApprovalSigner, request: RevocationRequest, options: { readonly now: Date }): MintedRevocation {
  if (!REVOKING_ROLES.includes(signer.role))
    throw new GatehouseError(ErrorCode.ForbiddenRole, `a ${signer.role} cannot revoke approvals; needs a lead`);
  const iat = seconds(options.now);
  const claims = checked(
    RevocationClaims,
    { iss: signer.keyId, aud: request.repository, revokes: request.jti, reason: request.reason, iat, nbf: iat, jti: newTokenId() },
    'revocation',
  );
  return { token: compactJws(signer, REVOCATION_TYP, claims), claims };
}

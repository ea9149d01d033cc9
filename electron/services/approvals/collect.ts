/**
 * Gathering the decisions that count for one revision: every stored decision and revocation,
 * re-verified against the trust list in force now (an operator removed from the trust list no
 * longer counts), ready for the policy gate.
 */
import type { TrustList } from '../identity/trust-list';
import type { RevisionBinding } from './claims';
import type { ApprovalStore } from './store';
import { ApprovalVerificationError, verifyApproval, verifyRevocation, type VerifiedApproval, type VerifiedRevocation } from './verify';

/** A stored decision or revocation that no longer verifies, and why (show it; never count it). */
export interface InvalidDecision {
  readonly jti: string;
  readonly kind: 'decision' | 'revocation';
  readonly reason: string;
  readonly message: string;
}

/** What the gate needs about one revision. */
export interface RevisionDecisions {
  /** Verified approvals and rejections of exactly this revision (including expired rejections: see below). */
  readonly approvals: ReadonlyArray<VerifiedApproval>;
  /** Verified revocations in this repository. */
  readonly revocations: ReadonlyArray<VerifiedRevocation>;
  readonly invalid: ReadonlyArray<InvalidDecision>;
}

/** What {@link collectRevisionDecisions} needs. */
export interface CollectOptions {
  readonly store: ApprovalStore;
  readonly repository: string;
  readonly proposal?: string;
  readonly revision: RevisionBinding;
  /** The workspace's or target branch's trust list (see policy's `trustListFromTarget`). */
  readonly trustList: TrustList;
  readonly now: Date;
  /** Policy `approvalLifetimeHours`. */
  readonly maxLifetimeHours?: number;
}

/** Re-verifies every stored decision and revocation for one revision. */
export async function collectRevisionDecisions(options: CollectOptions): Promise<RevisionDecisions> {
  const { store, repository, revision, trustList, now } = options;
  const approvals: VerifiedApproval[] = [];
  const revocations: VerifiedRevocation[] = [];
  const invalid: InvalidDecision[] = [];
  const expected = { head: revision.head, tree: revision.tree, base: revision.base, ...(options.proposal ? { proposal: options.proposal } : {}) };
  const lifetime = options.maxLifetimeHours === undefined ? {} : { maxLifetimeHours: options.maxLifetimeHours };

  for (const stored of store.listByRevision({ repository, head: revision.head, tree: revision.tree })) {
    try {
      approvals.push(await verifyApproval(stored.token, { trustList, audience: repository, expected, now, ...lifetime }));
    } catch (error) {
      if (!(error instanceof ApprovalVerificationError)) throw error;
      if (error.reason === 'expired' && stored.claims.decision === 'reject') {
        // A rejection keeps standing after its token expires, until a lead revokes it or its author
        // approves later: check it was validly signed when issued. This can only block an apply.
        try {
          approvals.push(
            await verifyApproval(stored.token, { trustList, audience: repository, expected, now: new Date(stored.claims.iat * 1000), ...lifetime }),
          );
          continue;
        } catch (inner) {
          if (!(inner instanceof ApprovalVerificationError)) throw inner;
        }
      }
      invalid.push({ jti: stored.claims.jti, kind: 'decision', reason: error.reason, message: error.message });
    }
  }
  for (const stored of store.listRevocations(repository)) {
    try {
      revocations.push(await verifyRevocation(stored.token, { trustList, audience: repository, now }));
    } catch (error) {
      if (!(error instanceof ApprovalVerificationError)) throw error;
      invalid.push({ jti: stored.claims.jti, kind: 'revocation', reason: error.reason, message: error.message });
    }
  }
  return { approvals, revocations, invalid };
}

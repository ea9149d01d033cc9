/**
 * Decision use cases: sign an approval or a rejection of the exact revision the reviewer saw, revoke
 * one (leads), export the proposal's approvals as one DSSE envelope, and apply through the gate —
 * checkpoint first, then apply, then the post-apply check in the sandbox, which rolls back by itself
 * when the policy says so.
 */
import type { ApprovalView } from '../../shared/ipc/channels/review';
import type { Acknowledgement } from '../../shared/model/acknowledgement';
import type { Decision } from '../../shared/model/domain';
import type { Policy } from '../../shared/model/policy';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import {
  collectRevisionDecisions,
  findingsDigest,
  mintApproval,
  mintRevocation,
  signDsse,
  toInTotoStatement,
  verifyApproval,
  verifyRevocation,
  type SandboxSummary,
} from '../services/approvals';
import { appendNote, applyRevision, GATEHOUSE_NOTES_REF, rollback } from '../services/git';
import { postApplyDecision } from '../services/policy';
import { appendRepositoryRecord, publishAuditHead, recordsRemote, syncRepository, withApplyLock } from './records';
import { revisionAuthors } from './landing';
import type { CoreContext } from './context';
import { requireValidPolicy, type RepositoryHandle } from './repositories';
import { benchmarkAuditPayload, policyComparison, recordBenchmark, sandboxPasses } from './sandbox-runs';
import { assertNoSymlinkEscape } from './symlink-findings';
import { pruneAutomatically } from './checkpoints';
import { approvalView, revisionState, type ReviewDeps, type RevisionState } from './review';

/** The revision a reviewer saw, as the renderer sends it back. */
export interface SeenRevision {
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly headOid: string;
  readonly treeOid: string;
}

/** Refuses a decision on a revision other than the one the reviewer saw. */
export function assertSameRevision(state: RevisionState, seen: SeenRevision): void {
  if (state.proposal.headOid !== seen.headOid || state.proposal.treeOid !== seen.treeOid) {
    throw new GatehouseError(
      ErrorCode.Conflict,
      `the proposal moved since you opened it (you saw ${seen.headOid.slice(0, 10)}, it is now ${state.proposal.headOid.slice(0, 10)}); review the new revision`,
      { seen: seen.headOid, current: state.proposal.headOid },
    );
  }
}

/**
 * The sandbox result a decision carries: passed exactly when the gate counts it as passed, so an
 * inconclusive benchmark is a failure under the policy's `onInconclusive: fail`.
 */
export function sandboxSummary(state: Pick<RevisionState, 'sandbox'> & { readonly governance: Pick<RevisionState['governance'], 'policy'> }): SandboxSummary {
  const s = state.sandbox;
  if (s === null) return { status: 'not-run' };
  if (s.head.status === 'unavailable') return { status: 'unavailable', runId: s.head.runId };
  const policy = state.governance.policy.ok ? state.governance.policy.policy : null;
  return {
    status: sandboxPasses(policy, s) ? 'passed' : 'failed',
    runId: s.head.runId,
    ...(s.head.imageDigest && /^sha256:[0-9a-f]{64}$/.test(s.head.imageDigest) ? { imageDigest: s.head.imageDigest } : {}),
    benchmarkChange: s.benchmarkChange,
  };
}

// Decisions travel with the repository: one note line per token on the head commit.
async function appendDecisionNote(handle: RepositoryHandle, head: string, token: string): Promise<void> {
  await appendNote(handle.repo, { ref: GATEHOUSE_NOTES_REF, oid: head, line: token });
}

/**
 * Pushes new records to the remote when one is configured. A decision already stands locally, so a
 * remote that cannot be reached is audited and reported in the log, not thrown: the next sync shares it.
 */
export async function shareRecords(ctx: CoreContext, handle: RepositoryHandle): Promise<void> {
  let url: string | null = null;
  try {
    url = await recordsRemote(handle);
  } catch (error) {
    ctx.logger.warn('records remote', error instanceof Error ? error.message : String(error));
    return;
  }
  if (url === null) return;
  try {
    await syncRepository(ctx, handle);
  } catch (error) {
    ctx.logger.warn(`could not share records with ${url}`, error instanceof Error ? error.message : String(error));
  }
}

/** What an approval acknowledges, checked against the revision (viewed-marks.ts `acknowledgementCheck`). */
export type AcknowledgementCheck = (state: RevisionState, signerOperatorId: string) => ReadonlyArray<Acknowledgement>;

/**
 * Signs an approval or a rejection of exactly the revision the reviewer saw.
 *
 * An approval always goes through `acknowledge`: there is no channel that skips the acknowledgement rule.
 */
export async function decide(
  deps: ReviewDeps,
  seen: SeenRevision,
  decision: Decision,
  reason: string,
  acknowledge?: AcknowledgementCheck,
): Promise<ApprovalView> {
  const { ctx } = deps;
  const session = ctx.sessions.require(['reviewer', 'lead']);
  const state = await revisionState(deps, seen.repositoryId, seen.proposalId);
  assertSameRevision(state, seen);
  // Enforced here, not in a view: no channel may sign an approval of a tree that leaves the repository.
  if (decision === 'approve') assertNoSymlinkEscape(state.analysis.findings);
  const policy = requireValidPolicy(state.governance);
  if (state.governance.trustList === null) throw new GatehouseError(ErrorCode.NotFound, 'no trust list: create operators first');
  const digest = state.governance.policy.digest as string;
  const revision = { base: state.proposal.baseOid ?? '', head: state.proposal.headOid, tree: state.proposal.treeOid };
  const now = ctx.clock.now();
  if (decision === 'approve' && acknowledge === undefined) throw new GatehouseError(ErrorCode.Internal, 'an approval must go through the acknowledgement check');
  const acknowledgements = decision === 'approve' && acknowledge !== undefined ? acknowledge(state, session.operatorId) : undefined;
  const minted = mintApproval(
    session,
    {
      repository: seen.repositoryId,
      proposal: state.proposal.name,
      revision,
      decision,
      risk: state.assessment.risk,
      findingsDigest: findingsDigest(state.analysis.findings),
      policyDigest: digest,
      sandbox: sandboxSummary(state),
      reason,
      ...(acknowledgements === undefined ? {} : { acknowledgements }),
    },
    { now, lifetimeHours: policy.approvalLifetimeHours },
  );
  // Verify what we just signed exactly as the gate will, registering its jti (a replay is refused).
  const verified = await verifyApproval(minted.token, {
    trustList: state.governance.trustList,
    audience: seen.repositoryId,
    expected: { head: revision.head, tree: revision.tree, base: revision.base, proposal: state.proposal.name },
    now,
    maxLifetimeHours: policy.approvalLifetimeHours,
    seenJti: (jti) => ctx.approvals.hasJti(jti),
    revoked: (jti) => ctx.approvals.isRevoked(jti),
  });
  const stored = ctx.approvals.record(verified);
  await appendDecisionNote(state.handle, revision.head, minted.token);
  await appendRepositoryRecord(ctx, state.handle, session, { kind: 'decision', token: minted.token });
  ctx.audit.record({
    action: decision === 'approve' ? 'approval.minted' : 'decision.rejected',
    subject: `proposal:${seen.repositoryId}/${state.proposal.name}`,
    payload: {
      jti: minted.claims.jti,
      keyId: session.keyId,
      head: revision.head,
      tree: revision.tree,
      base: revision.base,
      risk: state.assessment.risk,
      reason,
      ...(acknowledgements === undefined ? {} : { acknowledgements: [...acknowledgements] }),
      expiresAt: new Date(minted.claims.exp * 1000).toISOString(),
      token: minted.token,
    },
  });
  // The decision's audit event sealed a head: publish it beside the decision, then share both.
  await publishAuditHead(ctx, state.handle, session);
  await shareRecords(ctx, state.handle);
  ctx.events.emit('repo:changed', { repositoryId: seen.repositoryId, what: `${decision} signed` });
  return approvalView(stored, revision.head, now, false, undefined);
}

/** Revokes an approval or rejection; only a lead, and the revocation is signed and audited. */
export async function revoke(
  deps: ReviewDeps,
  input: { readonly repositoryId: string; readonly proposalId: string; readonly jti: string; readonly reason: string },
): Promise<{ revoked: true }> {
  const { ctx } = deps;
  const session = ctx.sessions.require(['lead']);
  const stored = ctx.approvals.get(input.jti);
  if (!stored || stored.claims.aud !== input.repositoryId) throw new GatehouseError(ErrorCode.NotFound, `no approval ${input.jti} in this repository`);
  const state = await revisionState(deps, input.repositoryId, input.proposalId);
  if (state.governance.trustList === null) throw new GatehouseError(ErrorCode.NotFound, 'no trust list');
  const now = ctx.clock.now();
  const minted = mintRevocation(session, { repository: input.repositoryId, jti: input.jti, reason: input.reason }, { now });
  const verified = await verifyRevocation(minted.token, {
    trustList: state.governance.trustList,
    audience: input.repositoryId,
    now,
    seenJti: (jti) => ctx.approvals.hasJti(jti),
  });
  ctx.approvals.recordRevocation(verified);
  await appendRepositoryRecord(ctx, state.handle, session, { kind: 'revocation', token: minted.token });
  ctx.audit.record({
    action: 'approval.revoked',
    subject: `proposal:${input.repositoryId}/${stored.claims.sub}`,
    payload: { revokedJti: input.jti, jti: minted.claims.jti, reason: input.reason, token: minted.token },
  });
  await publishAuditHead(ctx, state.handle, session);
  await shareRecords(ctx, state.handle);
  ctx.events.emit('repo:changed', { repositoryId: input.repositoryId, what: 'approval revoked' });
  return { revoked: true };
}

/** The current revision's decisions as one in-toto statement in a DSSE envelope, signed by the caller. */
export async function exportDsse(deps: ReviewDeps, repositoryId: string, proposalId: string): Promise<{ envelope: string; signatures: number }> {
  const { ctx } = deps;
  const session = ctx.sessions.require();
  const state = await revisionState(deps, repositoryId, proposalId);
  if (state.governance.trustList === null) throw new GatehouseError(ErrorCode.NotFound, 'no trust list');
  const policy = state.governance.policy.ok ? state.governance.policy.policy : null;
  const decisions = await collectRevisionDecisions({
    store: ctx.approvals,
    repository: repositoryId,
    proposal: state.proposal.name,
    revision: { base: state.proposal.baseOid ?? '', head: state.proposal.headOid, tree: state.proposal.treeOid },
    trustList: state.governance.trustList,
    now: ctx.clock.now(),
    ...(policy ? { maxLifetimeHours: policy.approvalLifetimeHours } : {}),
  });
  const approvals = decisions.approvals.filter((a) => a.claims.decision === 'approve' && !ctx.approvals.isRevoked(a.claims.jti));
  if (approvals.length === 0) throw new GatehouseError(ErrorCode.NotFound, 'no valid approval of this revision to export');
  const envelope = signDsse(toInTotoStatement(approvals), [session]);
  return { envelope: JSON.stringify(envelope, null, 2), signatures: envelope.signatures.length };
}

/** Applies a revision through the gate: checkpoint, apply, audit, then the post-apply check. */
export async function applyThroughGate(
  deps: ReviewDeps,
  seen: SeenRevision,
  signal?: AbortSignal,
): Promise<{ newHead: string; checkpointId: string; postApply: string; postApplyDone: Promise<void> }> {
  const { ctx } = deps;
  ctx.sessions.require(['reviewer', 'lead']);
  const handle = await deps.handles.get(seen.repositoryId);
  // Check and apply under one lock that every data directory on this machine honours (rate limit races).
  return withApplyLock(handle, async () => {
    // With a remote, see every desk's revocations and applies first; an unreachable remote refuses the apply.
    if ((await recordsRemote(handle)) !== null) await syncRepository(ctx, handle);
    return applyLocked(deps, seen, signal);
  });
}

async function applyLocked(
  deps: ReviewDeps,
  seen: SeenRevision,
  signal?: AbortSignal,
): Promise<{ newHead: string; checkpointId: string; postApply: string; postApplyDone: Promise<void> }> {
  const { ctx } = deps;
  const session = ctx.sessions.require(['reviewer', 'lead']);
  const state = await revisionState(deps, seen.repositoryId, seen.proposalId);
  assertSameRevision(state, seen);
  const subject = `proposal:${seen.repositoryId}/${state.proposal.name}`;
  if (state.gate.allowed && state.proposal.targetOid !== state.proposal.baseOid) {
    // Only an approved tree may land: a merge onto a target that moved would land a tree nobody approved.
    throw new GatehouseError(
      ErrorCode.Conflict,
      `${state.handle.record.targetBranch} moved since ${state.proposal.name} was based on it (${(state.proposal.baseOid ?? '').slice(0, 10)} → ${state.proposal.targetOid.slice(0, 10)}): only an approved tree may land; rebase the proposal and have the new revision approved`,
    );
  }
  if (!state.gate.allowed) {
    ctx.audit.record({
      action: 'apply.refused',
      subject,
      payload: {
        head: state.proposal.headOid,
        refusal: state.gate.refusal ?? 'refused',
        unmet: state.gate.conditions.filter((c) => !c.met).map((c) => c.id),
      },
    });
    throw new GatehouseError(ErrorCode.PolicyDenied, state.gate.refusal ?? 'apply refused: the gate is not satisfied', {
      conditions: state.gate.conditions,
    });
  }
  const policy = requireValidPolicy(state.governance);
  const revision = {
    proposal: state.proposal.name,
    baseOid: state.proposal.baseOid ?? '',
    headOid: state.proposal.headOid,
    treeOid: state.proposal.treeOid,
  };
  const result = await applyRevision(state.handle.repo, {
    revision,
    checkpoint: { operator: session.name, reason: `before applying ${state.proposal.name} (${revision.headOid.slice(0, 10)})` },
    message: `Apply ${state.proposal.name}: ${state.proposal.subject}\n\nApproved through Gatehouse.\nGatehouse-Approvals: ${state.gate.counted.map((c) => c.jti).join(', ')}\n`,
  });
  const checkpointId = result.checkpoint?.id ?? '';
  if (result.checkpoint) {
    ctx.audit.record({
      action: 'checkpoint.created',
      subject: `repository:${seen.repositoryId}`,
      payload: { id: result.checkpoint.id, reason: result.checkpoint.reason, commit: result.checkpoint.oid, headOid: result.checkpoint.headOid },
    });
  }
  const approvalTokens = state.gate.counted.map((c) => ctx.approvals.get(c.jti)?.token).filter((t): t is string => typeof t === 'string');
  const applyEntry = await appendRepositoryRecord(ctx, state.handle, session, {
    kind: 'apply',
    apply: {
      proposal: state.proposal.name,
      from: result.previousHeadOid,
      to: result.headOid,
      base: revision.baseOid,
      head: revision.headOid,
      tree: revision.treeOid,
      approvals: approvalTokens,
      authors: [...(await revisionAuthors(state.handle.repo, revision.baseOid, revision.headOid))].slice(0, 64),
      risk: state.gate.risk,
    },
  });
  ctx.approvals.recordApply({
    repository: seen.repositoryId,
    proposal: state.proposal.name,
    head: revision.headOid,
    tree: revision.treeOid,
    approvals: state.gate.counted.map((c) => c.jti),
    at: ctx.clock.now(),
  });
  ctx.audit.record({
    action: 'apply.completed',
    subject,
    payload: {
      head: revision.headOid,
      tree: revision.treeOid,
      newTargetHead: result.headOid,
      previousTargetHead: result.previousHeadOid,
      mode: result.mode,
      changedPaths: result.changedPaths,
      checkpointId,
      approvals: state.gate.counted.map((c) => c.jti),
      risk: state.gate.risk,
      record: applyEntry,
    },
  });
  await publishAuditHead(ctx, state.handle, session);
  await shareRecords(ctx, state.handle);
  ctx.events.emit('repo:changed', { repositoryId: seen.repositoryId, what: 'applied' });
  // Checkpoints kept by the policy's retention; the checkpoint this apply just took is never pruned.
  await pruneAutomatically(ctx, deps.handles, seen.repositoryId, 'after-apply');
  const postApplyDone = postApplyCheck(ctx, state.handle, policy, {
    previousHead: result.previousHeadOid,
    newHead: result.headOid,
    checkpointId,
    subject,
  }, signal);
  return { newHead: result.headOid, checkpointId, postApply: 'running', postApplyDone };
}

/**
 * Runs the policy's tests and benchmark on the new target head against the previous one; when they
 * break or regress, rolls back to the pre-apply checkpoint (`onRegression: rollback`) or leaves it to
 * a lead (`ask`). Always audited; never throws.
 */
async function postApplyCheck(
  ctx: CoreContext,
  handle: RepositoryHandle,
  policy: Policy,
  applied: { readonly previousHead: string; readonly newHead: string; readonly checkpointId: string; readonly subject: string },
  signal?: AbortSignal,
): Promise<void> {
  try {
    const report = await ctx.sandbox.compare({
      ...policyComparison(policy, handle, applied.previousHead, applied.newHead),
      ...(signal ? { signal } : {}),
    });
    // Shutting down mid-check: leave the apply as it is; the audit log shows no check happened.
    if (signal?.aborted) return;
    const ran = report.head.status === 'completed';
    const decision = postApplyDecision(policy, {
      testsPassed: ran ? report.testsPassedHead : null,
      benchmarkOutcome: report.benchmark?.outcome ?? null,
      benchmarkChange: report.benchmarkChange,
      benchmarkPValue: report.benchmark?.pValue ?? null,
    });
    if (report.benchmark) {
      const origin = { runId: `post-${report.head.runId}`, repositoryId: handle.record.id, subject: applied.subject, kind: 'post-apply' as const };
      recordBenchmark(ctx, { ...origin, base: applied.previousHead, head: applied.newHead }, report.benchmark);
    }
    const payload = {
      newHead: applied.newHead,
      previousHead: applied.previousHead,
      headStatus: report.head.status,
      testsPassed: ran ? report.testsPassedHead : null,
      benchmarkChange: report.benchmarkChange,
      regression: report.regression,
      benchmark: benchmarkAuditPayload(report.benchmark),
      action: decision.action,
      reasons: [...decision.reasons],
    };
    ctx.audit.record({ action: 'postapply.checked', subject: applied.subject, actor: 'gatehouse', role: 'system', payload });
    if (decision.action === 'rollback' && applied.checkpointId !== '') {
      const result = await rollback(handle.repo, {
        checkpointId: applied.checkpointId,
        operator: 'gatehouse',
        reason: `post-apply check: ${decision.reasons.join('; ')}`,
      });
      ctx.audit.record({
        action: 'rollback.completed',
        subject: `repository:${handle.record.id}`,
        actor: 'gatehouse',
        role: 'system',
        payload: { to: applied.checkpointId, undoCheckpoint: result.undo?.id ?? null, changedPaths: result.changedPaths, automatic: true, reasons: [...decision.reasons] },
      });
      ctx.events.emit('repo:changed', { repositoryId: handle.record.id, what: 'rolled back after the post-apply check' });
    }
  } catch (error) {
    ctx.logger.error('post-apply check failed', error);
    if (signal?.aborted) return;
    try {
      ctx.audit.record({
        action: 'postapply.checked',
        subject: applied.subject,
        actor: 'gatehouse',
        role: 'system',
        payload: { newHead: applied.newHead, error: error instanceof Error ? error.message : String(error), action: 'ask' },
      });
    } catch (auditError) {
      ctx.logger.error('could not audit the failed post-apply check', auditError);
    }
  }
}


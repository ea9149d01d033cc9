/**
 * A proposal's history, read from the audit log: the apply that landed it (so an applied proposal shows
 * the revision that landed, frozen), an automatic rollback by the post-apply check (announced wherever
 * the proposal is shown), and its activity in plain words.
 */
import type { ActivityItem, AutomaticRollbackView, LandedView } from '../../shared/ipc/channels/review';
import type { AuditEvent } from '../services/audit/events';
import type { CoreContext } from './context';

/** The audit subject of a proposal. */
export function proposalSubject(repositoryId: string, proposal: string): string {
  return `proposal:${repositoryId}/${proposal}`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function latest(ctx: Pick<CoreContext, 'auditStore'>, subject: string, action: string): AuditEvent | null {
  return ctx.auditStore.search({ subject, action, order: 'desc', limit: 1 }).events[0] ?? null;
}

/** The latest apply of a proposal, with the audit event's sequence number; null when never applied. */
export function lastApply(ctx: Pick<CoreContext, 'auditStore'>, repositoryId: string, proposal: string): (LandedView & { readonly seq: number }) | null {
  const event = latest(ctx, proposalSubject(repositoryId, proposal), 'apply.completed');
  if (event === null) return null;
  const payload = event.payload as Record<string, unknown>;
  return {
    seq: event.seq,
    at: event.ts,
    by: event.actor,
    head: text(payload['head']),
    newTargetHead: text(payload['newTargetHead']),
    previousTargetHead: text(payload['previousTargetHead']),
    checkpointId: text(payload['checkpointId']),
    approvals: strings(payload['approvals']),
  };
}

/**
 * The automatic rollback of the proposal's latest apply by the post-apply check, or null: the check on
 * the proposal decided to roll back, Gatehouse then rolled the repository back, and no apply came since.
 */
export function automaticRollbackOf(ctx: Pick<CoreContext, 'auditStore'>, repositoryId: string, proposal: string): AutomaticRollbackView | null {
  const checked = latest(ctx, proposalSubject(repositoryId, proposal), 'postapply.checked');
  if (checked === null || (checked.payload as Record<string, unknown>)['action'] !== 'rollback') return null;
  const applied = lastApply(ctx, repositoryId, proposal);
  if (applied !== null && applied.seq > checked.seq) return null;
  const rolled = ctx.auditStore
    .search({ subject: `repository:${repositoryId}`, action: 'rollback.completed', afterSeq: checked.seq, order: 'asc', limit: 20 })
    .events.find((event) => (event.payload as Record<string, unknown>)['automatic'] === true);
  if (rolled === undefined) return null;
  const payload = rolled.payload as Record<string, unknown>;
  return {
    at: rolled.ts,
    reasons: strings(payload['reasons']).length > 0 ? strings(payload['reasons']) : strings((checked.payload as Record<string, unknown>)['reasons']),
    checkpointId: text(payload['to']),
    appliedBy: applied?.by ?? null,
    appliedAt: applied?.at ?? null,
  };
}

function describe(event: AuditEvent): string {
  const payload = event.payload as Record<string, unknown>;
  switch (event.action) {
    case 'proposal.discovered':
      return `proposed by ${event.actor}`;
    case 'analysis.completed':
      return `analysed: ${String(payload['findings'] ?? 0)} findings, risk ${text(payload['risk'])}`;
    case 'approval.minted':
      return `approved by ${event.actor}: ${text(payload['reason'])}`;
    case 'decision.rejected':
      return `rejected by ${event.actor}: ${text(payload['reason'])}`;
    case 'decision.changes-requested':
      return `changes requested by ${event.actor}: ${text(payload['reason'])}`;
    case 'approval.revoked':
      return `a decision revoked by ${event.actor}: ${text(payload['reason'])}`;
    case 'apply.refused':
      return `apply refused (${strings(payload['unmet']).join(', ') || text(payload['refusal'])})`;
    case 'apply.completed':
      return `applied by ${event.actor}, after checkpoint ${text(payload['checkpointId'])}`;
    case 'postapply.checked':
      return payload['action'] === 'rollback'
        ? `post-apply check failed: ${strings(payload['reasons']).join('; ')}; rolling back`
        : payload['action'] === 'ask'
          ? `post-apply check needs a lead: ${strings(payload['reasons']).join('; ') || text(payload['error'])}`
          : 'post-apply check passed';
    case 'rollback.completed':
      return payload['automatic'] === true
        ? `Gatehouse rolled the apply back automatically: ${strings(payload['reasons']).join('; ')}`
        : `rolled back by ${event.actor} to ${text(payload['to'])}`;
    case 'comment.published':
      return `comment published by ${event.actor}`;
    default:
      return `${event.action} by ${event.actor}`;
  }
}

/** The proposal's activity, newest first: its own events and the automatic rollbacks of its applies. */
export function proposalActivity(ctx: Pick<CoreContext, 'auditStore'>, repositoryId: string, proposal: string, limit = 100): ReadonlyArray<ActivityItem> {
  const own = ctx.auditStore.search({ subject: proposalSubject(repositoryId, proposal), order: 'desc', limit }).events;
  const items = [...own];
  for (const checked of own.filter((event) => event.action === 'postapply.checked' && (event.payload as Record<string, unknown>)['action'] === 'rollback')) {
    const rolled = ctx.auditStore
      .search({ subject: `repository:${repositoryId}`, action: 'rollback.completed', afterSeq: checked.seq, order: 'asc', limit: 20 })
      .events.find((event) => (event.payload as Record<string, unknown>)['automatic'] === true);
    if (rolled !== undefined && !items.some((item) => item.seq === rolled.seq)) items.push(rolled);
  }
  return items
    .sort((a, b) => b.seq - a.seq)
    .slice(0, limit)
    .map((event) => ({
      seq: event.seq,
      at: event.ts,
      actor: event.actor,
      action: event.action,
      automatic: event.actor === 'gatehouse' || event.role === 'system',
      summary: describe(event),
    }));
}

/** Audit browser use cases: search with keyset paging, counts, verify with progress and cancel, export. */
import { join } from 'node:path';
import type { AuditEventView, AuditFilterInput, AuditQuery, VerifyReportView } from '../../shared/ipc/channels/audit';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { AuditRole, type AuditEvent } from '../services/audit/events';
import type { AuditFilter } from '../services/audit/query';
import type { CoreContext } from './context';

function eventView(event: AuditEvent): AuditEventView {
  return { ...event };
}

/** The store's filter for the console's filters (everything but paging); an unknown role is refused. */
export function auditFilterOf(query: AuditFilterInput): AuditFilter {
  const role = query.role === undefined || query.role === '' ? undefined : AuditRole.safeParse(query.role);
  if (role !== undefined && !role.success) throw new GatehouseError(ErrorCode.InvalidInput, `unknown role: ${query.role}`);
  return {
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
    ...(query.actor ? { actor: query.actor } : {}),
    ...(role?.success ? { role: role.data } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(query.subject ? { subject: query.subject } : {}),
    ...(query.text ? { text: query.text } : {}),
    ...(query.actorContains ? { actorContains: query.actorContains } : {}),
    ...(query.subjectContains ? { subjectContains: query.subjectContains } : {}),
    ...(query.anywhere ? { anywhere: query.anywhere } : {}),
  };
}

/** A page of events (newest first) with the total of matches for the virtual list. */
export function auditSearch(ctx: CoreContext, query: AuditQuery) {
  const filter = auditFilterOf(query);
  const page = ctx.auditStore.search({
    ...filter,
    ...(query.beforeSeq !== undefined ? { beforeSeq: query.beforeSeq } : {}),
    ...(query.afterSeq !== undefined ? { afterSeq: query.afterSeq } : {}),
    limit: query.limit,
    order: 'desc',
    withCount: true,
  });
  return { events: page.events.map(eventView), total: page.count ?? 0, hasOlder: page.hasOlder, hasNewer: page.hasNewer };
}

/** Verification state: one at a time, cancellable. */
export interface VerifyControl {
  current: AbortController | null;
}

/**
 * Where the auditor's copy of the heads is, when set: `GATEHOUSE_AUDITOR_HEADS`, a heads file kept on
 * storage the workstation user cannot rewrite (see the README). The console then verifies against it.
 */
export function auditorHeadsFile(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env.GATEHOUSE_AUDITOR_HEADS;
  return file === undefined || file.trim() === '' ? null : file;
}

/**
 * Verifies the chain and every signed head (database, the heads file beside it, and the auditor's copy
 * when configured). What this app recorded itself is sealed first; any other event past the last
 * signed head fails the verification as `unattested`, as plain `gatehouse audit verify` does.
 */
export async function auditVerify(ctx: CoreContext, control: VerifyControl): Promise<VerifyReportView> {
  if (control.current) throw new GatehouseError(ErrorCode.Conflict, 'a verification is already running');
  const controller = new AbortController();
  control.current = controller;
  const total = ctx.auditStore.count();
  const started = performance.now();
  let lastEmit = 0;
  const headsFile = auditorHeadsFile();
  try {
    ctx.auditStore.sealOwnTail();
    const report = await ctx.auditStore.verify({
      requireSealed: true,
      ...(headsFile === null ? {} : { headsFile }),
      signal: controller.signal,
      onProgress: (progress) => {
        const now = performance.now();
        // A few events per second are enough for a progress bar.
        if (now - lastEmit > 100 || progress.fraction >= 1) {
          lastEmit = now;
          ctx.events.emit('audit:verifyProgress', { checked: progress.checked, total });
        }
      },
    });
    ctx.events.emit('audit:verifyProgress', { checked: report.checked, total });
    return {
      ok: report.ok,
      checked: report.checked,
      firstBadSeq: report.firstBadSeq,
      reason: report.reason === null ? null : `${report.reason}: ${report.message}`,
      headsChecked: ctx.auditStore.heads().length,
      durationMs: Math.round(performance.now() - started),
      lastAttestedSeq: report.lastAttestedSeq,
      auditorHeadsFile: headsFile,
    };
  } finally {
    control.current = null;
  }
}

/** Exports the log as JSON Lines into the data directory's exports folder. */
export async function auditExport(ctx: CoreContext): Promise<{ file: string; events: number }> {
  const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
  const file = join(ctx.layout.exportsDir, `audit-${stamp}.jsonl`);
  const summary = await ctx.auditStore.exportJsonl(file);
  return { file: summary.file, events: summary.events };
}

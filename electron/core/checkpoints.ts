/** Checkpoint use cases: list, take one, preview a rollback, roll back (leads), and the periodic timer. */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointView } from '../../shared/ipc/channels/checkpoints';
// The git service's own modules, not its index: the CLI's rollback bundle (rollback-core.ts) loads only these.
import { countCheckpoints, createCheckpoint, listCheckpoints, pruneCheckpoints, startCheckpointTimer, type Checkpoint, type CheckpointTimer } from '../services/git/checkpoints';
import type { DiffFile } from '../services/git/diff';
import { JOURNAL_FILE } from '../services/git/journal';
import { recoverInterruptedOperation } from '../services/git/recover';
import { previewRollback, rollback } from '../services/git/rollback';
import type { CoreContext } from './context';

/** What rollback, pruning and recovery use of a core: a whole core, or the CLI's rollback core (rollback-core.ts). */
export type CheckpointContext = Pick<CoreContext, 'layout' | 'clock' | 'logger' | 'events' | 'audit' | 'auditStore' | 'operators' | 'registry'>;
import { policyInForce, requireValidPolicy, type RepositoryHandles } from './repositories';

/** A checkpoint as IPC shows it. */
export function checkpointView(checkpoint: Checkpoint): CheckpointView {
  return {
    id: checkpoint.id,
    commitOid: checkpoint.oid,
    branch: checkpoint.branch ?? '(detached)',
    headOid: checkpoint.headOid,
    reason: checkpoint.reason,
    operator: checkpoint.operator,
    createdAt: checkpoint.createdAt,
    dirty: checkpoint.worktreeTree !== checkpoint.indexTree,
  };
}

/** Checkpoints of a repository, newest first. */
export async function checkpointList(handles: RepositoryHandles, repositoryId: string): Promise<ReadonlyArray<CheckpointView>> {
  const handle = await handles.get(repositoryId);
  const list = await listCheckpoints(handle.repo);
  return [...list].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map(checkpointView);
}

/** Takes a checkpoint now, as the unlocked operator (or `system`). */
export async function checkpointCreate(
  ctx: CoreContext,
  handles: RepositoryHandles,
  repositoryId: string,
  reason: string,
  operator: string,
): Promise<CheckpointView> {
  const handle = await handles.get(repositoryId);
  const created = await createCheckpoint(handle.repo, { reason, operator });
  ctx.audit.record({
    action: 'checkpoint.created',
    subject: `repository:${repositoryId}`,
    payload: { id: created.id, reason, commit: created.oid, headOid: created.headOid, skippedUntracked: created.skipped.length },
  });
  ctx.events.emit('repo:changed', { repositoryId, what: 'checkpoint' });
  return checkpointView(created);
}

function pathChange(file: DiffFile) {
  const status = file.status === 'renamed' ? 'modified' : file.status;
  return { path: file.path, status };
}

/** What rolling back to a checkpoint would change. */
export async function checkpointPreview(handles: RepositoryHandles, repositoryId: string, checkpointId: string) {
  const handle = await handles.get(repositoryId);
  const preview = await previewRollback(handle.repo, checkpointId);
  return {
    checkpoint: checkpointView(preview.checkpoint),
    changes: preview.files.map(pathChange),
    notCaptured: preview.notCaptured.map((f) => ({ path: f.path, reason: f.reason })),
  };
}

/** Rolls back to a checkpoint, taking an undo checkpoint first; audited. */
export async function checkpointRollback(
  ctx: CheckpointContext,
  handles: RepositoryHandles,
  repositoryId: string,
  checkpointId: string,
  operator: string,
) {
  const handle = await handles.get(repositoryId);
  const started = performance.now();
  const result = await rollback(handle.repo, { checkpointId, operator, reason: `before rolling back to ${checkpointId}` });
  const durationMs = Math.round(performance.now() - started);
  if (result.undo !== null) {
    ctx.audit.record({
      action: 'checkpoint.created',
      subject: `repository:${repositoryId}`,
      payload: { id: result.undo.id, reason: result.undo.reason, commit: result.undo.oid, headOid: result.undo.headOid },
    });
  }
  ctx.audit.record({
    action: 'rollback.completed',
    subject: `repository:${repositoryId}`,
    payload: {
      to: checkpointId,
      undoCheckpoint: result.undo?.id ?? null,
      // The repository already was the checkpoint: nothing written, no undo checkpoint taken.
      ...(result.nothingToRollBack ? { nothingToRollBack: true, message: 'nothing to roll back' } : {}),
      changedPaths: result.changedPaths,
      headOid: result.headOid,
      durationMs,
      // Every untracked file the undo checkpoint could not capture: the rollback cannot give it back.
      notCaptured: result.notCaptured.map((f) => ({ path: f.path, reason: f.reason })),
    },
  });
  ctx.events.emit('repo:changed', { repositoryId, what: 'rolled back' });
  await pruneAutomatically(ctx, handles, repositoryId, 'after-rollback');
  return {
    restored: checkpointView(result.checkpoint),
    undoCheckpoint: result.undo === null ? null : checkpointView(result.undo),
    nothingToRollBack: result.nothingToRollBack,
    changedPaths: result.changedPaths,
    durationMs,
    notCaptured: result.notCaptured.map((f) => ({ path: f.path, reason: f.reason })),
  };
}

/** What started a prune. */
export type PruneTrigger = 'manual' | 'after-apply' | 'after-rollback';

/** The checkpoint an apply took before it landed, of the latest apply in a repository (never pruned). */
export function lastApplyCheckpoint(ctx: Pick<CoreContext, 'auditStore'>, repositoryId: string): string | null {
  const event = ctx.auditStore.search({ action: 'apply.completed', subjectContains: `proposal:${repositoryId}/`, order: 'desc', limit: 1 }).events[0];
  const id = (event?.payload as { checkpointId?: unknown } | undefined)?.checkpointId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * Prunes a repository's checkpoints by its policy's retention (`checkpoints.keepLast`, `keepDays`): never
 * the newest, the last apply's checkpoint, or the state the repository is in now. A prune that deletes
 * anything is audited (a manual one always is); a dry run only lists.
 */
export async function checkpointPrune(
  ctx: CheckpointContext,
  handles: RepositoryHandles,
  repositoryId: string,
  options: { readonly dryRun: boolean; readonly trigger: PruneTrigger },
) {
  const handle = await handles.get(repositoryId);
  // Only the policy's retention: the trust list plays no part in pruning.
  const retention = requireValidPolicy(await policyInForce(ctx, handle)).checkpoints;
  const protect = lastApplyCheckpoint(ctx, repositoryId);
  const newerThan = new Date(ctx.clock.now().getTime() - retention.keepDays * 86_400_000);
  const pruned = await pruneCheckpoints(handle.repo, {
    keepLast: retention.keepLast,
    newerThan,
    protect: protect === null ? [] : [protect],
    keepCurrent: true,
    dryRun: options.dryRun,
  });
  const remaining = (await listCheckpoints(handle.repo)).length;
  if (!options.dryRun && (pruned.length > 0 || options.trigger === 'manual')) {
    ctx.audit.record({
      action: 'checkpoint.pruned',
      subject: `repository:${repositoryId}`,
      ...(options.trigger === 'manual' ? {} : { actor: 'gatehouse', role: 'system' as const }),
      payload: {
        trigger: options.trigger,
        pruned: [...pruned],
        remaining,
        keepLast: retention.keepLast,
        keepDays: retention.keepDays,
        newerThan: newerThan.toISOString(),
        protectedLastApply: protect,
      },
    });
    if (pruned.length > 0) ctx.events.emit('repo:changed', { repositoryId, what: 'checkpoints pruned' });
  }
  return {
    retention: { keepLast: retention.keepLast, keepDays: retention.keepDays, pruneAutomatically: retention.pruneAutomatically },
    dryRun: options.dryRun,
    pruned: [...pruned],
    remaining,
    protectedLastApply: protect,
  };
}

/**
 * Prunes after an apply or a rollback when the policy says so. Never throws: the apply or rollback stands,
 * a prune that fails is logged and tried again next time.
 */
export async function pruneAutomatically(ctx: CheckpointContext, handles: RepositoryHandles, repositoryId: string, trigger: 'after-apply' | 'after-rollback'): Promise<void> {
  try {
    const handle = await handles.get(repositoryId);
    // The policy alone (not the trust list): a trust list that does not parse has no say in housekeeping.
    const { policy } = await policyInForce(ctx, handle);
    if (!policy.ok || !policy.policy.checkpoints.pruneAutomatically) return;
    // While every checkpoint is among the newest keepLast nothing can go: no checkpoint commit is read.
    if ((await countCheckpoints(handle.repo)) <= policy.policy.checkpoints.keepLast) return;
    await checkpointPrune(ctx, handles, repositoryId, { dryRun: false, trigger });
  } catch (error) {
    ctx.logger.warn(`could not prune the checkpoints of ${repositoryId}`, error instanceof Error ? error.message : error);
  }
}

/** Whether a repository's `.git` is a directory holding no operation journal (anything else is left to the recovery to judge). */
function withoutJournal(dir: string): boolean {
  try {
    const gitdir = join(dir, '.git');
    return lstatSync(gitdir).isDirectory() && lstatSync(join(gitdir, JOURNAL_FILE), { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

/**
 * Finishes or undoes every rollback or apply a killed process left half done (see services/git/recover.ts),
 * in every registered repository, and records each recovery in the audit log. Run at core creation, so the
 * app, the bridge and the CLI all recover before doing anything else. Never throws: a repository that
 * cannot be recovered is logged and audited as such, and its journal stays for the next start.
 */
export async function recoverInterruptedOperations(ctx: CheckpointContext, handles: RepositoryHandles): Promise<number> {
  let recovered = 0;
  for (const record of ctx.registry.list()) {
    // No journal, nothing to recover: the repository is not opened (a command opens only those it uses).
    if (withoutJournal(record.path)) continue;
    const subject = `repository:${record.id}`;
    try {
      const handle = await handles.get(record.id);
      const report = await recoverInterruptedOperation(handle.repo);
      if (report === null) continue;
      recovered += 1;
      ctx.audit.record({
        action: 'recovery.completed',
        subject,
        actor: 'gatehouse',
        role: 'system',
        payload: {
          operation: report.operation,
          action: report.action,
          phase: report.phase,
          journalId: report.journalId,
          operator: report.operator,
          startedAt: report.startedAt,
          interruptedPid: report.interruptedPid,
          removedLocks: [...report.removedLocks],
          foreignLocks: [...report.foreignLocks],
          changedPaths: report.changedPaths,
          checkpointId: report.checkpointId,
        },
      });
      ctx.events.emit('repo:changed', { repositoryId: record.id, what: `recovered an interrupted ${report.operation}` });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.logger.error(`could not recover an interrupted operation in ${record.id}`, message);
      try {
        ctx.audit.record({ action: 'recovery.failed', subject, actor: 'gatehouse', role: 'system', payload: { message } });
      } catch (auditError) {
        ctx.logger.error('could not audit the failed recovery', auditError);
      }
    }
  }
  return recovered;
}

/** Starts the periodic checkpoint timer for every registered repository (default every 2 hours). */
export function startPeriodicCheckpoints(ctx: CoreContext, handles: RepositoryHandles, intervalMs?: number): () => void {
  const timers = new Map<string, CheckpointTimer>();
  const refresh = async () => {
    for (const record of ctx.registry.list()) {
      if (timers.has(record.id)) continue;
      try {
        const handle = await handles.get(record.id);
        timers.set(
          record.id,
          startCheckpointTimer({
            repo: handle.repo,
            ...(intervalMs ? { intervalMs } : {}),
            operator: 'gatehouse',
            onCheckpoint: (created: Checkpoint) =>
              ctx.audit.record({
                action: 'checkpoint.created',
                subject: `repository:${record.id}`,
                actor: 'gatehouse',
                role: 'system',
                payload: { id: created.id, reason: created.reason, commit: created.oid, periodic: true },
              }),
            onError: (error: unknown) => ctx.logger.warn(`periodic checkpoint of ${record.id} failed`, error instanceof Error ? error.message : error),
          }),
        );
      } catch (error) {
        ctx.logger.warn(`no periodic checkpoints for ${record.id}`, error instanceof Error ? error.message : error);
      }
    }
  };
  void refresh(); // deliberate fire-and-forget: failures are logged per repository
  return () => {
    for (const timer of timers.values()) timer.stop();
    timers.clear();
  };
}

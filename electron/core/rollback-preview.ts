/**
 * What a lead needs to judge a rollback: each checkpoint in plain words, whether it is the state the
 * repository is in now, the line changes per file a rollback would make, which applies it would undo
 * (from the audit log), and a required reason recorded before the rollback runs. Reads only; the
 * rollback itself is checkpoints.ts `checkpointRollback`.
 */
import type { CheckpointLinesView, CheckpointView } from '../../shared/ipc/channels/checkpoints';
import { fileContents, getCheckpoint, listCheckpoints, previewRollback, type FileSide } from '../services/git';
import { checkpointRollback, checkpointView } from './checkpoints';
import type { CoreContext } from './context';
import type { RepositoryHandles } from './repositories';

/** Files shown with their lines; beyond this a preview lists paths only. */
const MAX_FILES_WITH_TEXT = 50;

function sideText(side: FileSide): string | null {
  return side.kind === 'text' ? side.text : null;
}

const SHORT = (oid: string): string => oid.slice(0, 10);

/** A checkpoint's reason in plain words ("Before applying quote-formula", "Undo point of a rollback"). */
export function checkpointLabel(checkpoint: Pick<CheckpointView, 'reason' | 'operator'>, labelOf: (id: string) => string | null): string {
  const reason = checkpoint.reason.trim();
  const applying = /^before applying (\S+)(?: \(([0-9a-f]+)\))?/i.exec(reason);
  if (applying !== null) return `Before applying ${applying[1] ?? ''}${checkpoint.operator ? ` (by ${checkpoint.operator})` : ''}`;
  // The undo point a rollback takes first reads "before rollback to <id>: <why>".
  const rollingBack = /^before (?:rolling back|rollback) to ([A-Za-z0-9._-]+?)(?::\s*(.*))?$/i.exec(reason);
  if (rollingBack !== null) {
    const why = rollingBack[2] ?? '';
    const automatic = /^post-apply check: (.*)$/i.exec(why);
    if (automatic !== null) return `Undo point: the state just before Gatehouse rolled back by itself (${automatic[1] ?? ''})`;
    const target = labelOf(rollingBack[1] ?? '');
    return `Undo point: the state just before a rollback${target === null ? '' : ` to “${target}”`}`;
  }
  const automatic = /^post-apply check: (.*)$/i.exec(reason);
  if (automatic !== null) return `Undo point: the state just before Gatehouse rolled back by itself (${automatic[1] ?? ''})`;
  if (/periodic/i.test(reason)) return 'Periodic checkpoint';
  return reason === '' ? 'Checkpoint' : reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** A rollback preview with labels, the current state marked, line changes per file and the applies it undoes. */
export async function checkpointPreviewLines(ctx: CoreContext, handles: RepositoryHandles, repositoryId: string, checkpointId: string): Promise<CheckpointLinesView> {
  const handle = await handles.get(repositoryId);
  const preview = await previewRollback(handle.repo, checkpointId);
  const all = await listCheckpoints(handle.repo);
  const reasons = new Map(all.map((checkpoint) => [checkpoint.id, checkpoint] as const));
  const labelOf = (id: string): string | null => {
    const found = reasons.get(id);
    return found === undefined ? null : checkpointLabel(found, () => null);
  };
  const now = preview.current.headOid ?? preview.checkpoint.headOid ?? '';
  const files = [];
  for (const [index, file] of preview.files.entries()) {
    // A rename is shown as what it does to the tree: the new path modified.
    const status = file.status === 'renamed' ? 'modified' : file.status;
    if (index >= MAX_FILES_WITH_TEXT || now === '') {
      files.push({ path: file.path, status, now: null, after: null, shown: false });
      continue;
    }
    const contents = await fileContents(handle.repo, { base: now, head: preview.checkpoint.worktreeTree, path: file.path });
    files.push({ path: file.path, status, now: sideText(contents.old), after: sideText(contents.new), shown: true });
  }
  const since = ctx.auditStore.search({ subjectContains: `proposal:${repositoryId}/`, action: 'apply.completed', from: preview.checkpoint.createdAt, order: 'asc', limit: 200 }).events;
  const undoes = since.map((event) => {
    const payload = event.payload as Record<string, unknown>;
    return {
      proposal: event.subject.slice(`proposal:${repositoryId}/`.length),
      by: event.actor,
      at: event.ts,
      newTargetHead: typeof payload['newTargetHead'] === 'string' ? SHORT(payload['newTargetHead']) : '',
    };
  });
  const current = !preview.headChanges && !preview.indexChanges && preview.files.length === 0;
  return {
    checkpoint: checkpointView(preview.checkpoint),
    label: checkpointLabel(preview.checkpoint, labelOf),
    current,
    files,
    undoes,
  };
}

/** Every checkpoint's plain-language label, and which one is the state the repository is in now. */
export async function checkpointLabels(handles: RepositoryHandles, repositoryId: string): Promise<{ labels: Record<string, string>; currentId: string | null }> {
  const handle = await handles.get(repositoryId);
  const all = await listCheckpoints(handle.repo);
  const byId = new Map(all.map((checkpoint) => [checkpoint.id, checkpoint] as const));
  const labels: Record<string, string> = {};
  for (const checkpoint of all) labels[checkpoint.id] = checkpointLabel(checkpoint, (id) => (byId.has(id) ? checkpointLabel(byId.get(id) as (typeof all)[number], () => null) : null));
  let currentId: string | null = null;
  for (const checkpoint of all) {
    const preview = await previewRollback(handle.repo, checkpoint.id);
    if (!preview.headChanges && !preview.indexChanges && preview.files.length === 0) {
      currentId = checkpoint.id;
      break;
    }
  }
  return { labels, currentId };
}

/** A rollback with the lead's reason recorded first (audited as `rollback.requested`). */
export async function rollbackWithReason(
  ctx: CoreContext,
  handles: RepositoryHandles,
  input: { readonly repositoryId: string; readonly checkpointId: string; readonly reason: string },
  operator: string,
) {
  const checkpoint = await getCheckpoint((await handles.get(input.repositoryId)).repo, input.checkpointId);
  ctx.sessions.require(['lead']);
  ctx.audit.record({
    action: 'rollback.requested',
    subject: `repository:${input.repositoryId}`,
    payload: { to: checkpoint.id, reason: input.reason },
  });
  return checkpointRollback(ctx, handles, input.repositoryId, input.checkpointId, operator);
}

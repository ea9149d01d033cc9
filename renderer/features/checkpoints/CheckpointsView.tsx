/**
 * Checkpoints of a repository: list, what rolling back would change, rollback (leads only) with
 * confirmation and progress, then the result and the checkpoint that undoes it.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { CheckpointView } from '../../../shared/ipc/channels/checkpoints';
import type { RepositoryView } from '../../../shared/ipc/channels/review';
import type { ChannelOutput } from '../../../shared/ipc/contract';
import type { Role } from '../../../shared/model/domain';
import { canCall } from '../../api/access';
import { createTwoFilesPatch } from 'diff';
import { useCheckpointLabels, useCheckpointPreview, useCheckpointPreviewLines, useCheckpoints, useCreateCheckpoint, useRollbackWithReason } from '../../api/checkpoints';
import { useRepositories } from '../../api/review';
import { navigate, routeHref } from '../../app/router';
import { Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import { Progress } from '../../components/Progress';
import { TimeAgo, exactTime, formatDuration, shortOid } from '../../components/time';

/** Props of {@link CheckpointsView}. */
export interface CheckpointsViewProps {
  readonly repositoryId: string | null;
  readonly role: Role;
}

/** The checkpoints view. */
export function CheckpointsView({ repositoryId, role }: CheckpointsViewProps) {
  const repositories = useRepositories();
  if (repositories.isPending) return <main className="view"><Loading label="Loading repositories…" /></main>;
  if (repositories.isError) {
    return (
      <main className="view">
        <ErrorNote title="Could not list repositories" error={repositories.error} onRetry={() => void repositories.refetch()} />
      </main>
    );
  }
  const repository = repositories.data.find((item) => item.id === repositoryId) ?? repositories.data[0] ?? null;
  if (repository === null) {
    return (
      <main className="view" data-testid="checkpoints-view">
        <h1 className="view-title">Checkpoints</h1>
        <EmptyState title="No repositories yet." testId="checkpoints-no-repos">
          <p>{canCall(role, 'repo:add') ? <>Register one in <a href={routeHref({ view: 'settings' })} data-testid="checkpoints-settings-link">Settings</a>.</> : 'A lead registers repositories in Settings.'}</p>
        </EmptyState>
      </main>
    );
  }
  return <RepositoryCheckpoints key={repository.id} repository={repository} repositories={repositories.data} role={role} />;
}

function RepositoryCheckpoints({
  repository,
  repositories,
  role,
}: {
  readonly repository: RepositoryView;
  readonly repositories: ReadonlyArray<RepositoryView>;
  readonly role: Role;
}) {
  const checkpoints = useCheckpoints(repository.id);
  const labels = useCheckpointLabels(repository.id);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [rollingBack, setRollingBack] = useState<CheckpointView | null>(null);
  const [lastRollback, setLastRollback] = useState<ChannelOutput<'checkpoint:rollbackWithReason'> | null>(null);
  const selected = checkpoints.data?.find((checkpoint) => checkpoint.id === selectedId) ?? null;
  useEffect(() => {
    if (selectedId === null && checkpoints.data !== undefined && checkpoints.data[0] !== undefined) setSelectedId(checkpoints.data[0].id);
  }, [checkpoints.data, selectedId]);

  return (
    <main className="view checkpoints-view" data-testid="checkpoints-view" data-repository-id={repository.id}>
      <div className="toolbar">
        <h1 className="view-title">Checkpoints</h1>
        <select
          aria-label="Repository"
          value={repository.id}
          onChange={(event) => navigate({ view: 'checkpoints', repositoryId: event.target.value })}
          data-testid="checkpoints-repository"
        >
          {repositories.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name} ({item.targetBranch})
            </option>
          ))}
        </select>
        <span className="spacer" />
        {canCall(role, 'checkpoint:create') && <TakeCheckpoint repository={repository} />}
      </div>
      {lastRollback !== null && (
        <RollbackResult
          result={lastRollback}
          canUndo={canCall(role, 'checkpoint:rollback') && lastRollback.undoCheckpoint !== null}
          onUndo={() => {
            if (lastRollback.undoCheckpoint === null) return;
            setSelectedId(lastRollback.undoCheckpoint.id);
            setRollingBack(lastRollback.undoCheckpoint);
          }}
          onDismiss={() => setLastRollback(null)}
        />
      )}
      {checkpoints.isError && <ErrorNote title="Could not list checkpoints" error={checkpoints.error} onRetry={() => void checkpoints.refetch()} />}
      {checkpoints.isPending ? (
        <Loading label="Loading checkpoints…" />
      ) : checkpoints.isSuccess && checkpoints.data.length === 0 ? (
        <EmptyState title="No checkpoints yet." testId="checkpoints-empty">
          <p>Gatehouse takes one before every apply and every rollback{canCall(role, 'checkpoint:create') ? '; you can also take one now.' : '.'}</p>
        </EmptyState>
      ) : (
        <div className="split">
          <div className="table-wrap">
            <table className="data-table" data-testid="checkpoint-table" data-count={checkpoints.data?.length ?? 0}>
              <thead>
                <tr>
                  <th scope="col">Taken</th>
                  <th scope="col">What</th>
                  <th scope="col">Operator</th>
                  <th scope="col">Branch head</th>
                  <th scope="col">Id</th>
                </tr>
              </thead>
              <tbody>
                {(checkpoints.data ?? []).map((checkpoint) => (
                  <tr
                    key={checkpoint.id}
                    className={checkpoint.id === selectedId ? 'selected' : undefined}
                    aria-selected={checkpoint.id === selectedId}
                    onClick={() => setSelectedId(checkpoint.id)}
                    data-testid="checkpoint-row"
                    data-id={checkpoint.id}
                  >
                    <td>
                      <button type="button" className="link-button" onClick={() => setSelectedId(checkpoint.id)} aria-label={`Preview checkpoint ${checkpoint.id}`} data-testid="checkpoint-select">
                        <TimeAgo iso={checkpoint.createdAt} />
                      </button>
                    </td>
                    <td title={checkpoint.reason}>
                      {labels.data?.labels[checkpoint.id] ?? checkpoint.reason}
                      {labels.data?.currentId === checkpoint.id && (
                        <span className="badge pass" data-testid="checkpoint-current" title="The repository is in exactly this state now">
                          current state
                        </span>
                      )}
                      {checkpoint.dirty && (
                        <span className="badge outdated" title="The working tree had uncommitted changes; they are in the checkpoint">
                          dirty tree
                        </span>
                      )}
                    </td>
                    <td>{checkpoint.operator}</td>
                    <td>
                      {checkpoint.branch} <code>{shortOid(checkpoint.headOid)}</code>
                    </td>
                    <td>
                      <code className="small">{checkpoint.id}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {selected !== null && (
            <Preview repository={repository} checkpoint={selected} canRollBack={canCall(role, 'checkpoint:rollback')} onRollBack={() => setRollingBack(selected)} />
          )}
        </div>
      )}
      <RollbackDialog
        repository={repository}
        checkpoint={rollingBack}
        onClose={() => setRollingBack(null)}
        onDone={(result) => {
          setLastRollback(result);
          setRollingBack(null);
        }}
      />
    </main>
  );
}

function TakeCheckpoint({ repository }: { readonly repository: RepositoryView }) {
  const create = useCreateCheckpoint();
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    create.mutate({ repositoryId: repository.id, reason }, { onSuccess: () => setReason('') });
  };
  return (
    <form className="row gap center" onSubmit={submit} aria-label="Take a checkpoint">
      <input value={reason} onChange={(event) => setReason(event.target.value)} placeholder="Reason for a checkpoint now" aria-label="Checkpoint reason" required maxLength={500} data-testid="checkpoint-reason" />
      <button type="submit" disabled={create.isPending || reason.trim() === ''} data-testid="checkpoint-create">
        {create.isPending ? 'Taking…' : 'Take checkpoint'}
      </button>
      {create.isError && <ErrorNote title="Checkpoint failed" error={create.error} testId="checkpoint-create-error" />}
    </form>
  );
}

function Preview({
  repository,
  checkpoint,
  canRollBack,
  onRollBack,
}: {
  readonly repository: RepositoryView;
  readonly checkpoint: CheckpointView;
  readonly canRollBack: boolean;
  readonly onRollBack: () => void;
}) {
  const preview = useCheckpointPreview(repository.id, checkpoint.id);
  const lines = useCheckpointPreviewLines(repository.id, checkpoint.id);
  const nothingDiffers = lines.data?.current === true || (preview.data !== undefined && preview.data.changes.length === 0);
  return (
    <section
      className="checkpoint-preview"
      aria-label="Rollback preview"
      data-testid="checkpoint-preview"
      data-id={checkpoint.id}
      data-current={lines.data?.current === true ? 'true' : 'false'}
    >
      <h2 data-testid="preview-label">Roll back to “{lines.data?.label ?? checkpoint.reason}”</h2>
      {lines.data?.current === true && (
        <p className="ok-text" data-testid="preview-current">
          This is the state the repository is in now.
        </p>
      )}
      {lines.data !== undefined && lines.data.undoes.length > 0 && (
        <ul className="undoes" data-testid="preview-undoes" data-count={lines.data.undoes.length}>
          {lines.data.undoes.map((apply) => (
            <li key={`${apply.proposal}@${apply.at}`} data-testid="preview-undoes-item" data-proposal={apply.proposal}>
              Undoes the apply of <strong>{apply.proposal}</strong> by {apply.by} at {exactTime(apply.at)}
            </li>
          ))}
        </ul>
      )}
      <p className="small muted">
        {exactTime(checkpoint.createdAt)} by {checkpoint.operator} · {checkpoint.branch} at <code>{shortOid(checkpoint.headOid)}</code> · commit{' '}
        <code>{shortOid(checkpoint.commitOid)}</code>
      </p>
      {preview.isPending ? (
        <Loading label="Comparing with now…" />
      ) : preview.isError ? (
        <ErrorNote title="Could not preview" error={preview.error} onRetry={() => void preview.refetch()} />
      ) : preview.data.changes.length === 0 ? (
        <p data-testid="preview-no-changes">Nothing differs: the repository is as it was at this checkpoint.</p>
      ) : (
        <>
          <p data-testid="preview-count" data-count={preview.data.changes.length}>
            Rolling back changes {preview.data.changes.length} path{preview.data.changes.length === 1 ? '' : 's'} (now → checkpoint):
          </p>
          <ul className="path-changes" data-testid="preview-changes">
            {preview.data.changes.map((change) => {
              const file = lines.data?.files.find((item) => item.path === change.path);
              return (
                <li key={change.path} data-status={change.status}>
                  <span className={`status-letter status-${change.status}`}>{change.status}</span> <code>{change.path}</code>
                  {file?.shown === true && (
                    <details className="preview-diff" data-testid="preview-diff" data-path={change.path}>
                      <summary>Line changes</summary>
                      <pre className="log">{lineDiff(change.path, file.now, file.after)}</pre>
                    </details>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {canRollBack ? (
        <button
          type="button"
          className="danger"
          onClick={onRollBack}
          disabled={preview.isPending || nothingDiffers}
          title={nothingDiffers ? 'Nothing differs: there is nothing to roll back' : undefined}
          data-testid="rollback-button"
        >
          Roll back to this checkpoint…
        </button>
      ) : (
        <p className="muted small" data-testid="rollback-lead-only">
          Only a lead can roll back.
        </p>
      )}
    </section>
  );
}

/** A unified diff of one file (now → after the rollback), as `git diff` shows it. */
function lineDiff(path: string, now: string | null, after: string | null): string {
  const patch = createTwoFilesPatch(`now/${path}`, `after-rollback/${path}`, now ?? '', after ?? '', undefined, undefined, { context: 3 });
  // The header lines repeat the names above; the hunks are what a lead reads.
  return patch.split('\n').slice(4).join('\n') || '(no line changes: the mode or type changed)';
}

function RollbackDialog({
  repository,
  checkpoint,
  onClose,
  onDone,
}: {
  readonly repository: RepositoryView;
  readonly checkpoint: CheckpointView | null;
  readonly onClose: () => void;
  readonly onDone: (result: ChannelOutput<'checkpoint:rollbackWithReason'>) => void;
}) {
  const rollback = useRollbackWithReason();
  const [understood, setUnderstood] = useState(false);
  const [reason, setReason] = useState('');
  const close = (): void => {
    setUnderstood(false);
    setReason('');
    rollback.reset();
    onClose();
  };
  return (
    <Dialog open={checkpoint !== null} title="Roll back" onClose={close} testId="rollback-dialog">
      {checkpoint !== null && (
        <div className="form">
          <p>
            Roll <strong>{checkpoint.branch}</strong> of <strong>{repository.name}</strong> back to the checkpoint “{checkpoint.reason}” taken{' '}
            {exactTime(checkpoint.createdAt)} (<code>{checkpoint.id}</code>).
          </p>
          <p>Gatehouse first takes a checkpoint of the repository as it is now, so this rollback can itself be undone.</p>
          <label className="field-label">
            Why roll back (required, recorded in the audit log)
            <textarea value={reason} onChange={(event) => setReason(event.target.value)} rows={2} required data-autofocus data-testid="rollback-reason" />
          </label>
          <label className="inline-check">
            <input type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} data-testid="rollback-understood" />
            I understand that the branch and working tree will be restored to this checkpoint.
          </label>
          {rollback.isPending && <Progress label="Checkpoint of now, then restore" testId="rollback-progress" />}
          {rollback.isError && <ErrorNote title="Rollback refused" error={rollback.error} testId="rollback-error" />}
          <div className="row gap end">
            <button type="button" onClick={close} disabled={rollback.isPending} data-testid="rollback-cancel">
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              disabled={!understood || reason.trim().length < 3 || rollback.isPending}
              data-testid="rollback-confirm"
              onClick={() =>
                rollback.mutate(
                  { repositoryId: repository.id, checkpointId: checkpoint.id, reason, confirm: true },
                  {
                    onSuccess: (result) => {
                      setUnderstood(false);
                      setReason('');
                      rollback.reset();
                      onDone(result);
                    },
                  },
                )
              }
            >
              {rollback.isPending ? 'Rolling back…' : 'Roll back'}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function RollbackResult({
  result,
  canUndo,
  onUndo,
  onDismiss,
}: {
  readonly result: ChannelOutput<'checkpoint:rollbackWithReason'>;
  readonly canUndo: boolean;
  readonly onUndo: () => void;
  readonly onDismiss: () => void;
}) {
  if (result.undoCheckpoint === null) {
    return (
      <section className="rollback-result" role="status" data-testid="rollback-result" data-nothing-to-roll-back="true" data-changed-paths={0}>
        <p>
          <strong>Nothing to roll back</strong>: the repository already is “{result.restored.reason}” (<code>{result.restored.id}</code>). No undo
          checkpoint was taken.
        </p>
        <div className="row gap">
          <button type="button" onClick={onDismiss} data-testid="rollback-dismiss">
            Dismiss
          </button>
        </div>
      </section>
    );
  }
  return (
    <section className="rollback-result" role="status" data-testid="rollback-result" data-undo-id={result.undoCheckpoint.id} data-changed-paths={result.changedPaths}>
      <p>
        <strong>Rolled back</strong> to “{result.restored.reason}” (<code>{result.restored.id}</code>): {result.changedPaths} path
        {result.changedPaths === 1 ? '' : 's'} restored in {formatDuration(result.durationMs)}.
      </p>
      <p>
        The state before the rollback is kept as checkpoint <code data-testid="undo-checkpoint-id">{result.undoCheckpoint.id}</code> (“{result.undoCheckpoint.reason}”).
      </p>
      <div className="row gap">
        {canUndo && (
          <button type="button" onClick={onUndo} data-testid="undo-rollback">
            Undo this rollback…
          </button>
        )}
        <button type="button" onClick={onDismiss} data-testid="rollback-dismiss">
          Dismiss
        </button>
      </div>
    </section>
  );
}

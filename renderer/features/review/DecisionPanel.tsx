/**
 * The decision: which policy conditions are met and which are not, the signed decisions so far, DSSE
 * export, and Apply — shown only when the gate passes.
 */
import { useState, type FormEvent } from 'react';
import type { ApprovalView, ProposalDetail, RepositoryView } from '../../../shared/ipc/channels/review';
import type { Role } from '../../../shared/model/domain';
import { canCall } from '../../api/access';
import { useApply, useExportDsse, useRevoke } from '../../api/review';
import { RoleBadge } from '../../components/badges';
import { CopyBox } from '../../components/CopyBox';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';
import { Progress } from '../../components/Progress';
import { TimeAgo, exactTime, shortOid } from '../../components/time';
import type { DecisionKind } from './DecisionDialog';

/** Props of {@link DecisionPanel}. */
export interface DecisionPanelProps {
  readonly detail: ProposalDetail;
  readonly role: Role;
  readonly repository: RepositoryView | null;
  readonly onDecide: (kind: DecisionKind) => void;
}

/** The decision panel. */
export function DecisionPanel({ detail, role, repository, onDecide }: DecisionPanelProps) {
  const { gate, summary } = detail;
  const [applying, setApplying] = useState(false);
  const [revoking, setRevoking] = useState<ApprovalView | null>(null);
  const exportDsse = useExportDsse();
  const canDecide = canCall(role, 'proposal:approve');
  const canApply = canCall(role, 'proposal:apply');
  const met = gate.conditions.filter((condition) => condition.met).length;

  return (
    <section className="decision-panel" data-testid="decision-panel" aria-label="Decision">
      <div className={`gate ${gate.allowed ? 'gate-open' : 'gate-closed'}`} data-testid="gate" data-allowed={gate.allowed ? 'true' : 'false'}>
        <strong data-testid="gate-summary">{gate.summary}</strong>
        <span className="muted small">
          {met} of {gate.conditions.length} policy conditions met
        </span>
      </div>
      <ul className="conditions" data-testid="gate-conditions">
        {gate.conditions.map((condition) => (
          <li key={condition.id} className={condition.met ? 'met' : 'unmet'} data-testid="gate-condition" data-id={condition.id} data-met={condition.met ? 'true' : 'false'}>
            <span className="condition-icon" aria-label={condition.met ? 'met' : 'not met'}>
              {condition.met ? '✓' : '✗'}
            </span>
            {condition.message}
          </li>
        ))}
      </ul>

      {summary.applied ? (
        <p className="ok-text" data-testid="applied-note">
          This revision has been applied.
        </p>
      ) : (
        <div className="row gap wrap">
          {canDecide ? (
            <>
              <button type="button" className="primary" onClick={() => onDecide('approve')} data-testid="approve-button">
                Approve… <kbd>a</kbd>
              </button>
              <button type="button" onClick={() => onDecide('request_changes')} data-testid="request-changes-button">
                Request changes… <kbd>c</kbd>
              </button>
              <button type="button" className="danger" onClick={() => onDecide('reject')} data-testid="reject-button">
                Reject… <kbd>r</kbd>
              </button>
            </>
          ) : (
            <span className="muted" data-testid="read-only-note">
              As {role === 'auditor' ? 'an auditor' : `a ${role}`} you read this proposal; you do not decide on it.
            </span>
          )}
          {gate.allowed && canApply && (
            <button type="button" className="primary apply" onClick={() => setApplying(true)} data-testid="apply-button">
              Apply…
            </button>
          )}
        </div>
      )}

      <h3>Decisions ({detail.approvals.length})</h3>
      {detail.approvals.length === 0 ? (
        <p className="muted" data-testid="approvals-empty">
          No one has signed a decision on this proposal yet.
        </p>
      ) : (
        <ul className="approvals" data-testid="approval-list">
          {detail.approvals.map((approval) => (
            <li
              key={approval.jti}
              className={`approval status-${approval.status}`}
              data-testid="approval"
              data-operator={approval.operatorName}
              data-decision={approval.decision}
              data-status={approval.status}
            >
              <div className="row gap center wrap">
                <span className={`badge decision-${approval.decision}`}>{approval.decision}</span>
                <strong>{approval.operatorName}</strong>
                <RoleBadge role={approval.role} />
                <span className={`badge approval-status-${approval.status}`} title={approval.statusDetail}>
                  {approval.status}
                </span>
                {approval.headOid !== summary.headOid && <span className="muted small">for {shortOid(approval.headOid)}</span>}
              </div>
              <p className="approval-reason">{approval.reason}</p>
              <div className="small muted">
                signed <TimeAgo iso={approval.issuedAt} /> · expires{' '}
                <time dateTime={approval.expiresAt} title={exactTime(approval.expiresAt)} data-testid="approval-expires">
                  {exactTime(approval.expiresAt)}
                </time>{' '}
                · {approval.statusDetail}
              </div>
              {approval.status === 'valid' && canCall(role, 'approval:revoke') && (
                <button type="button" className="link-button" onClick={() => setRevoking(approval)} data-testid="revoke-button">
                  Revoke…
                </button>
              )}
            </li>
          ))}
        </ul>
      )}

      <div className="dsse">
        <button
          type="button"
          onClick={() => exportDsse.mutate({ repositoryId: summary.repositoryId, proposalId: summary.proposalId })}
          disabled={exportDsse.isPending || detail.approvals.length === 0}
          data-testid="export-dsse"
        >
          {exportDsse.isPending ? 'Exporting…' : 'Export as DSSE (in-toto)'}
        </button>
        {exportDsse.isError && <ErrorNote title="Export failed" error={exportDsse.error} testId="dsse-error" />}
        {exportDsse.isSuccess && (
          <CopyBox
            label={`DSSE envelope — ${exportDsse.data.signatures} signature${exportDsse.data.signatures === 1 ? '' : 's'}`}
            text={prettyJson(exportDsse.data.envelope)}
            fileName={`${summary.proposalId.replace(/[^A-Za-z0-9._-]+/g, '-')}.dsse.json`}
            testId="dsse-envelope"
          />
        )}
      </div>

      <ApplyDialog open={applying} onClose={() => setApplying(false)} detail={detail} repository={repository} />
      <RevokeDialog approval={revoking} detail={detail} onClose={() => setRevoking(null)} />
    </section>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function ApplyDialog({
  open,
  onClose,
  detail,
  repository,
}: {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly detail: ProposalDetail;
  readonly repository: RepositoryView | null;
}) {
  const apply = useApply();
  const { summary } = detail;
  const branch = repository?.targetBranch ?? 'the target branch';
  const close = (): void => {
    apply.reset();
    onClose();
  };
  return (
    <Dialog open={open} title={`Apply ${summary.proposalId}`} onClose={close} testId="apply-dialog">
      {apply.isSuccess ? (
        <div data-testid="apply-result" data-checkpoint-id={apply.data.checkpointId} data-new-head={apply.data.newHead}>
          <p className="ok-text">
            Applied to <strong>{branch}</strong>: new head <code>{shortOid(apply.data.newHead)}</code>.
          </p>
          <p>
            Checkpoint taken before applying: <code data-testid="apply-checkpoint">{apply.data.checkpointId}</code>. A lead can roll back to
            it from Checkpoints.
          </p>
          {apply.data.postApply !== '' && (
            <p className="muted" data-testid="apply-post-apply">
              {apply.data.postApply === 'running'
                ? 'Post-apply check running: the tests run on the new head, and if they break the policy may roll back to this checkpoint. The outcome lands in the audit log.'
                : `Post-apply check: ${apply.data.postApply}`}
            </p>
          )}
          <div className="row end">
            <button type="button" className="primary" onClick={close} data-testid="apply-done">
              Done
            </button>
          </div>
        </div>
      ) : (
        <div className="form">
          <p>
            Apply head <code>{shortOid(summary.headOid)}</code> of <strong>{summary.proposalId}</strong> to <strong>{branch}</strong>
            {repository !== null && (
              <>
                {' '}
                in <code>{repository.path}</code>
              </>
            )}
            .
          </p>
          <p data-testid="apply-checkpoint-note">
            Gatehouse first takes a <strong>checkpoint of {branch}</strong> as it is now (reason “before apply of {summary.proposalId}”), then
            checks the policy gate again, applies, and writes the audit event. Rolling back to that checkpoint undoes this apply.
          </p>
          {apply.isPending && <Progress label="Checkpoint, gate, apply" testId="apply-progress" />}
          {apply.isError && <ErrorNote title="Apply refused" error={apply.error} testId="apply-error" />}
          <div className="row gap end">
            <button type="button" onClick={close} data-testid="apply-cancel">
              Cancel
            </button>
            <button
              type="button"
              className="primary"
              disabled={apply.isPending}
              data-testid="apply-confirm"
              onClick={() =>
                apply.mutate({
                  repositoryId: summary.repositoryId,
                  proposalId: summary.proposalId,
                  headOid: summary.headOid,
                  treeOid: summary.treeOid,
                })
              }
            >
              Take the checkpoint and apply
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function RevokeDialog({ approval, detail, onClose }: { readonly approval: ApprovalView | null; readonly detail: ProposalDetail; readonly onClose: () => void }) {
  const revoke = useRevoke();
  const [reason, setReason] = useState('');
  const close = (): void => {
    setReason('');
    revoke.reset();
    onClose();
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (approval === null) return;
    revoke.mutate(
      { repositoryId: detail.summary.repositoryId, proposalId: detail.summary.proposalId, jti: approval.jti, reason },
      { onSuccess: close },
    );
  };
  return (
    <Dialog open={approval !== null} title="Revoke a decision" onClose={close} testId="revoke-dialog">
      {approval !== null && (
        <form className="form" onSubmit={submit} aria-label="Revoke a decision">
          <p>
            Revoke the {approval.decision} by <strong>{approval.operatorName}</strong> ({approval.role}). The revocation is signed and audited;
            the decision stops counting at once.
          </p>
          <label className="field-label">
            Reason (required)
            <textarea value={reason} onChange={(event) => setReason(event.target.value)} rows={3} required minLength={3} data-testid="revoke-reason" />
          </label>
          {revoke.isError && <ErrorNote title="Revoke refused" error={revoke.error} testId="revoke-error" />}
          <div className="row gap end">
            <button type="button" onClick={close} data-testid="revoke-cancel">
              Cancel
            </button>
            <button type="submit" className="danger" disabled={revoke.isPending} data-testid="revoke-submit">
              {revoke.isPending ? 'Revoking…' : 'Sign revocation'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

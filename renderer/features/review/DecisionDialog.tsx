/** Approve or reject this exact revision, with a required reason; the signed result is shown with its expiry. */
import { useState, type FormEvent } from 'react';
import { channels } from '../../../shared/ipc/contract';
import type { ApprovalView, ProposalSummary } from '../../../shared/ipc/channels/review';
import { useApprove, useReject } from '../../api/review';
import { RoleBadge } from '../../components/badges';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';
import { TimeAgo, exactTime, shortOid } from '../../components/time';

/** Which decision. */
export type DecisionKind = 'approve' | 'reject';

/** Props of {@link DecisionDialog}. */
export interface DecisionDialogProps {
  readonly kind: DecisionKind | null;
  readonly summary: ProposalSummary;
  readonly operator: string;
  readonly onClose: () => void;
}

/** The decision dialog. */
export function DecisionDialog({ kind, summary, operator, onClose }: DecisionDialogProps) {
  const approve = useApprove();
  const reject = useReject();
  const mutation = kind === 'reject' ? reject : approve;
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [signed, setSigned] = useState<ApprovalView | null>(null);

  const close = (): void => {
    setReason('');
    setProblem(null);
    setSigned(null);
    approve.reset();
    reject.reset();
    onClose();
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (kind === null) return;
    const input = {
      repositoryId: summary.repositoryId,
      proposalId: summary.proposalId,
      headOid: summary.headOid,
      treeOid: summary.treeOid,
      reason,
    };
    // The contract's own schema says what a valid reason is; main checks it again.
    const parsed = channels[kind === 'approve' ? 'proposal:approve' : 'proposal:reject'].input.safeParse(input);
    if (!parsed.success) {
      setProblem(parsed.error.issues.map((issue) => issue.message).join('; '));
      return;
    }
    setProblem(null);
    mutation.mutate(input, { onSuccess: setSigned });
  };

  const verb = kind === 'reject' ? 'Reject' : 'Approve';
  return (
    <Dialog open={kind !== null} title={`${verb} ${summary.proposalId}`} onClose={close} testId="decision-dialog">
      {signed !== null ? (
        <SignedDecision approval={signed} onDone={close} />
      ) : (
        <form className="form" onSubmit={submit} aria-label={`${verb} this revision`}>
          <p>
            You sign a <strong>{kind}</strong> of exactly this revision as <strong>{operator}</strong>:
          </p>
          <dl className="facts small">
            <dt>Head</dt>
            <dd>
              <code data-testid="decision-head">{summary.headOid}</code>
            </dd>
            <dt>Tree</dt>
            <dd>
              <code>{summary.treeOid}</code>
            </dd>
            <dt>Base</dt>
            <dd>
              <code>{shortOid(summary.baseOid)}</code>
            </dd>
          </dl>
          <p className="muted small">If the branch moves before you sign, main refuses; a later revision needs a new decision.</p>
          <label className="field-label">
            Reason (required)
            <textarea
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              rows={4}
              required
              autoFocus
              aria-invalid={problem !== null}
              data-testid="decision-reason"
              placeholder={kind === 'reject' ? 'What must change before this can be approved' : 'What you checked and why it is safe'}
            />
          </label>
          {problem !== null && (
            <p className="warn-text" role="alert" data-testid="decision-problem">
              {problem}
            </p>
          )}
          {mutation.isError && <ErrorNote title={`${verb} refused`} error={mutation.error} testId="decision-error" />}
          <div className="row gap end">
            <button type="button" onClick={close} data-testid="decision-cancel">
              Cancel
            </button>
            <button type="submit" className={kind === 'reject' ? 'danger' : 'primary'} disabled={mutation.isPending} data-testid="decision-submit">
              {mutation.isPending ? 'Signing…' : `Sign ${kind ?? ''}`}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function SignedDecision({ approval, onDone }: { readonly approval: ApprovalView; readonly onDone: () => void }) {
  return (
    <div className="signed" data-testid="signed-decision" data-decision={approval.decision} data-jti={approval.jti}>
      <p>
        <strong>{approval.decision === 'approve' ? 'Approved' : 'Rejected'}</strong> and signed by {approval.operatorName}{' '}
        <RoleBadge role={approval.role} />.
      </p>
      <dl className="facts small">
        <dt>Expires</dt>
        <dd data-testid="signed-expires" data-expires-at={approval.expiresAt}>
          {exactTime(approval.expiresAt)} (<TimeAgo iso={approval.expiresAt} />)
        </dd>
        <dt>Status</dt>
        <dd>
          {approval.status} — {approval.statusDetail}
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{approval.jti}</code>
        </dd>
        <dt>Key</dt>
        <dd>
          <code>{approval.keyId}</code>
        </dd>
        <dt>Head</dt>
        <dd>
          <code>{approval.headOid}</code>
        </dd>
      </dl>
      <div className="row end">
        <button type="button" className="primary" onClick={onDone} data-testid="signed-done" autoFocus>
          Done
        </button>
      </div>
    </div>
  );
}

/**
 * Approve or reject this exact revision, with a required reason. Before signing, the dialog shows what
 * the signer is deciding on: open findings by severity and the files they have viewed. Approving with an
 * open CRITICAL/HIGH finding the revision introduces, or with a file not marked viewed, needs an
 * acknowledgement per item (accepted risk, false positive, fixed elsewhere…), which is signed with the
 * approval. The signed result is shown with its expiry.
 */
import { useMemo, useState, type FormEvent } from 'react';
import type { ApprovalView, ProposalDetail } from '../../../shared/ipc/channels/review';
import { channels } from '../../../shared/ipc/contract';
import {
  ACKNOWLEDGEMENT_LABELS,
  FILE_ACKNOWLEDGEMENTS,
  FINDING_ACKNOWLEDGEMENTS,
  MAX_ACKNOWLEDGEMENTS,
  requiredAcknowledgements,
  type Acknowledgement,
  type AcknowledgementKind,
  type RequiredAcknowledgement,
} from '../../../shared/model/acknowledgement';
import { Severity } from '../../../shared/model/domain';
import { useApprove, useReject, useRequestChanges } from '../../api/review';
import type { ChangeRequestView } from '../../../shared/ipc/channels/comments';
import { RoleBadge, SeverityBadge } from '../../components/badges';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';
import { TimeAgo, exactTime, shortOid } from '../../components/time';

/** Which decision. */
export type DecisionKind = 'approve' | 'reject' | 'request_changes';

/** Props of {@link DecisionDialog}. */
export interface DecisionDialogProps {
  readonly kind: DecisionKind | null;
  readonly detail: ProposalDetail;
  /** Files the signer has marked viewed on this revision. */
  readonly viewed: ReadonlySet<string>;
  /** The signer's draft comments on this proposal: published with the decision. */
  readonly drafts: number;
  readonly operator: string;
  readonly onClose: () => void;
}

/** The noun a decision is signed as ("You sign an approval …"). */
export function decisionNoun(kind: DecisionKind): string {
  return kind === 'approve' ? 'an approval' : kind === 'reject' ? 'a rejection' : 'a request for changes';
}

const VERBS: Readonly<Record<DecisionKind, string>> = { approve: 'Approve', reject: 'Reject', request_changes: 'Request changes on' };
const SUBMIT: Readonly<Record<DecisionKind, string>> = { approve: 'Sign approval', reject: 'Sign rejection', request_changes: 'Sign request for changes' };

const worstFirst = [...Severity.options].reverse();

/** The decision dialog. */
export function DecisionDialog({ kind, detail, viewed, drafts, operator, onClose }: DecisionDialogProps) {
  const { summary } = detail;
  const approve = useApprove();
  const reject = useReject();
  const requestChanges = useRequestChanges();
  const mutation = kind === 'reject' ? reject : kind === 'request_changes' ? requestChanges : approve;
  const [requested, setRequested] = useState<ChangeRequestView | null>(null);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [signed, setSigned] = useState<ApprovalView | null>(null);
  const [chosen, setChosen] = useState<ReadonlyMap<string, AcknowledgementKind>>(new Map());

  const required = useMemo(
    () => (kind === 'approve' ? requiredAcknowledgements(detail.findings, detail.files.map((file) => file.path), viewed) : []),
    [kind, detail.findings, detail.files, viewed],
  );
  const acknowledgements: Acknowledgement[] = required.flatMap((item) => {
    const choice = chosen.get(itemKey(item));
    return choice === undefined ? [] : [{ target: item.target, ref: item.ref, kind: choice }];
  });
  const outstanding = required.length - acknowledgements.length;
  const tooMany = required.length > MAX_ACKNOWLEDGEMENTS;

  const close = (): void => {
    setReason('');
    setProblem(null);
    setSigned(null);
    setRequested(null);
    setChosen(new Map());
    approve.reset();
    reject.reset();
    requestChanges.reset();
    onClose();
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (kind === null) return;
    const revision = { repositoryId: summary.repositoryId, proposalId: summary.proposalId, headOid: summary.headOid, treeOid: summary.treeOid, reason };
    if (kind === 'approve' && outstanding > 0) {
      setProblem(`Acknowledge the ${outstanding} remaining item${outstanding === 1 ? '' : 's'} above, or reject instead.`);
      return;
    }
    // The contract's own schema says what a valid input is; main checks it again.
    const parsed =
      kind === 'approve'
        ? channels['proposal:approve'].input.safeParse({ ...revision, acknowledgements })
        : channels[kind === 'reject' ? 'proposal:reject' : 'proposal:requestChanges'].input.safeParse(revision);
    if (!parsed.success) {
      setProblem(parsed.error.issues.map((issue) => issue.message).join('; '));
      return;
    }
    setProblem(null);
    if (kind === 'approve') approve.mutate({ ...revision, acknowledgements }, { onSuccess: setSigned });
    else if (kind === 'reject') reject.mutate(revision, { onSuccess: setSigned });
    else requestChanges.mutate(revision, { onSuccess: setRequested });
  };

  const verb = VERBS[kind ?? 'approve'];
  return (
    <Dialog open={kind !== null} title={`${verb} ${summary.proposalId}`} onClose={close} testId="decision-dialog" wide>
      {signed !== null ? (
        <SignedDecision approval={signed} onDone={close} />
      ) : requested !== null ? (
        <div className="signed" data-testid="signed-decision" data-decision="request_changes" data-jti={requested.jti}>
          <p>
            <strong>Changes requested</strong> and signed by {requested.operatorName} <RoleBadge role={requested.role} />.{' '}
            {requested.comments} comment{requested.comments === 1 ? '' : 's'} published and sent back to the author. The proposal stays in “changes
            requested” until a new revision arrives.
          </p>
          <div className="row end">
            <button type="button" className="primary" onClick={close} data-testid="signed-done" autoFocus>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={submit} aria-label={`${verb} this revision`}>
          <DecisionFacts detail={detail} viewed={viewed} />
          <p data-testid="decision-statement">
            You sign {kind === null ? 'a decision' : decisionNoun(kind)} of exactly this revision (head <code title={summary.headOid}>{shortOid(summary.headOid)}</code>, tree{' '}
            <code title={summary.treeOid}>{shortOid(summary.treeOid)}</code>) as <strong>{operator}</strong>. If the branch moves before you sign, Gatehouse
            refuses; a later revision needs a new decision.
          </p>
          <p className={kind === 'request_changes' && drafts === 0 ? 'warn-text' : 'muted'} data-testid="decision-drafts" data-drafts={drafts}>
            {drafts === 0
              ? kind === 'request_changes'
                ? 'You have no draft comments: say in the reason what must change, or comment on lines first.'
                : 'You have no draft comments.'
              : `Your ${drafts} draft comment${drafts === 1 ? ' is' : 's are'} published with this decision${kind === 'request_changes' ? ' and sent back to the author' : ''}.`}
          </p>
          {kind === 'approve' && required.length > 0 && (
            <fieldset className="acknowledgements" data-testid="acknowledgements" data-required={required.length} data-outstanding={outstanding}>
              <legend>
                Acknowledge before approving ({required.length - outstanding} of {required.length} done)
              </legend>
              <p className="muted small">Each choice is signed with your approval and shown to the lead and the auditor.</p>
              {tooMany ? (
                <p className="warn-text" role="alert" data-testid="acknowledgements-too-many">
                  {required.length} items need an acknowledgement, more than one approval can carry ({MAX_ACKNOWLEDGEMENTS}). View the files first, or reject.
                </p>
              ) : (
                <ul className="ack-list">
                  {required.map((item) => (
                    <AcknowledgementRow
                      key={itemKey(item)}
                      item={item}
                      value={chosen.get(itemKey(item)) ?? null}
                      onChange={(value) =>
                        setChosen((previous) => {
                          const next = new Map(previous);
                          if (value === null) next.delete(itemKey(item));
                          else next.set(itemKey(item), value);
                          return next;
                        })
                      }
                    />
                  ))}
                </ul>
              )}
            </fieldset>
          )}
          <label className="field-label">
            Reason (required)
            <textarea
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              rows={4}
              required
              data-autofocus
              aria-invalid={problem !== null}
              data-testid="decision-reason"
              placeholder={kind === 'approve' ? 'What you checked and why it is safe' : 'What must change before this can be approved'}
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
            <button
              type="submit"
              className={kind === 'approve' ? 'primary' : kind === 'reject' ? 'danger' : ''}
              disabled={mutation.isPending || (kind === 'approve' && (outstanding > 0 || tooMany))}
              data-testid="decision-submit"
            >
              {mutation.isPending ? 'Signing…' : SUBMIT[kind ?? 'approve']}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function itemKey(item: RequiredAcknowledgement): string {
  return `${item.target}\u0000${item.ref}`;
}

/** Open findings by severity (introduced and pre-existing) and files viewed. */
function DecisionFacts({ detail, viewed }: { readonly detail: ProposalDetail; readonly viewed: ReadonlySet<string> }) {
  const counts = new Map<string, { introduced: number; preExisting: number }>();
  for (const finding of detail.findings) {
    const count = counts.get(finding.severity) ?? { introduced: 0, preExisting: 0 };
    if (finding.introduced) count.introduced += 1;
    else count.preExisting += 1;
    counts.set(finding.severity, count);
  }
  const viewedCount = detail.files.filter((file) => viewed.has(file.path)).length;
  return (
    <div className="decision-facts" data-testid="decision-facts">
      <div>
        <h3>Open findings</h3>
        {detail.findings.length === 0 ? (
          <p className="muted" data-testid="decision-no-findings">
            None. Static analysis found nothing to flag.
          </p>
        ) : (
          <ul className="severity-counts" data-testid="decision-findings">
            {worstFirst
              .filter((severity) => counts.has(severity))
              .map((severity) => {
                const count = counts.get(severity) ?? { introduced: 0, preExisting: 0 };
                return (
                  <li key={severity} data-testid="decision-severity" data-severity={severity} data-count={count.introduced + count.preExisting}>
                    <SeverityBadge severity={severity} /> {count.introduced + count.preExisting}
                    <span className="muted small">
                      {' '}
                      ({count.introduced} introduced{count.preExisting > 0 ? `, ${count.preExisting} pre-existing` : ''})
                    </span>
                  </li>
                );
              })}
          </ul>
        )}
      </div>
      <div>
        <h3>Files viewed</h3>
        <p data-testid="decision-viewed" data-viewed={viewedCount} data-files={detail.files.length} className={viewedCount < detail.files.length ? 'warn-text' : 'ok-text'}>
          {viewedCount} of {detail.files.length} file{detail.files.length === 1 ? '' : 's'} viewed
        </p>
      </div>
    </div>
  );
}

function AcknowledgementRow({
  item,
  value,
  onChange,
}: {
  readonly item: RequiredAcknowledgement;
  readonly value: AcknowledgementKind | null;
  readonly onChange: (value: AcknowledgementKind | null) => void;
}) {
  const options = item.target === 'finding' ? FINDING_ACKNOWLEDGEMENTS : FILE_ACKNOWLEDGEMENTS;
  const label =
    item.finding !== null ? `${item.finding.severity} ${item.finding.title} at ${item.path} line ${item.finding.startLine}` : `${item.path}, not marked viewed`;
  return (
    <li className="ack-item" data-testid="ack-item" data-target={item.target} data-ref={item.ref} data-done={value !== null ? 'true' : 'false'}>
      <span className="ack-what">
        {item.finding !== null ? (
          <>
            <SeverityBadge severity={item.finding.severity} /> {item.finding.title}{' '}
            <span className="muted small">
              {item.path}:{item.finding.startLine}
            </span>
          </>
        ) : (
          <>
            <span className="badge unviewed">not viewed</span> <code>{item.path}</code>
          </>
        )}
      </span>
      <select
        value={value ?? ''}
        onChange={(event) => onChange(event.target.value === '' ? null : (event.target.value as AcknowledgementKind))}
        aria-label={`Acknowledge ${label}`}
        data-testid="ack-kind"
      >
        <option value="">Choose…</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {ACKNOWLEDGEMENT_LABELS[option]}
          </option>
        ))}
      </select>
    </li>
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
        {approval.acknowledgements !== undefined && approval.acknowledgements.length > 0 && (
          <>
            <dt>Acknowledged</dt>
            <dd data-testid="signed-acknowledgements" data-count={approval.acknowledgements.length}>
              {approval.acknowledgements.length} item{approval.acknowledgements.length === 1 ? '' : 's'} (
              {[...new Set(approval.acknowledgements.map((ack) => ACKNOWLEDGEMENT_LABELS[ack.kind].toLowerCase()))].join(', ')})
            </dd>
          </>
        )}
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

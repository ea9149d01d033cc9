/** The queue: proposals across repositories, riskiest first, with what policy still needs. */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ProposalSummary } from '../../../shared/ipc/channels/review';
import { RiskLevel, type Role } from '../../../shared/model/domain';
import { canCall } from '../../api/access';
import { useCreateDemo } from '../../api/app';
import { prefetchProposalForReview, useProposals, useRepositories, useReviewStates } from '../../api/review';
import { navigate, routeHref } from '../../app/router';
import { ReviewView } from '../../app/views';
import { useShortcuts } from '../../app/shortcuts';
import { RiskBadge, ScoreMeter } from '../../components/badges';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import { exactTime, relativeTime, shortOid } from '../../components/time';
import { ImportDialog } from './ImportDialog';
import { defaultFilter, queueRows, sizeLabel, type QueueFilter, type QueueSort } from './queue-model';

const sortLabels: Readonly<Record<QueueSort, string>> = {
  risk: 'Risk (highest first)',
  age: 'Age (oldest first)',
  size: 'Size (largest first)',
  score: 'Safety score (lowest first)',
  findings: 'Findings (most first)',
  title: 'Title (A–Z)',
};

/** The queue view. */
export function QueueView({ role }: { readonly role: Role }) {
  const proposals = useProposals();
  const reviewStates = useReviewStates();
  // "changes requested" counts only while the request names the revision the row shows.
  const changesRequested = useMemo(
    () => new Set((reviewStates.data ?? []).filter((state) => state.reviewState === 'changes-requested').map((state) => `${state.repositoryId}/${state.proposalId}@${state.headOid}`)),
    [reviewStates.data],
  );
  const repositories = useRepositories();
  const [filter, setFilter] = useState<QueueFilter>(defaultFilter);
  const [sort, setSort] = useState<QueueSort>('risk');
  const [reversed, setReversed] = useState(false);
  const [selected, setSelected] = useState(0);
  const [importing, setImporting] = useState(false);
  const search = useRef<HTMLInputElement>(null);
  const queryClient = useQueryClient();
  // The proposal under the pointer or the j/k selection is likely next: load it and the file the review
  // opens first, so opening it shows the diff at once. Fire-and-forget: a failure shows when it opens.
  const prefetch = useCallback(
    (row: ProposalSummary | undefined): void => {
      if (row === undefined) return;
      void prefetchProposalForReview(queryClient, { repositoryId: row.repositoryId, proposalId: row.proposalId }, 10_000).catch(() => undefined);
    },
    [queryClient],
  );
  const rows = useMemo(
    () => queueRows(proposals.data ?? [], filter, sort, reversed),
    [proposals.data, filter, sort, reversed],
  );

  // The review view and its diff editor are the heaviest part of the console: fetch them while the
  // reviewer picks a proposal (fire-and-forget: a failed prefetch shows up when the view opens).
  useEffect(() => {
    const idle = requestIdleCallback(() => {
      void ReviewView.preload()
        .then(() => import('../review/ReviewView'))
        .then((module) => module.preloadDiffEditor())
        .catch(() => undefined);
    });
    return () => cancelIdleCallback(idle);
  }, []);

  const open = (row: ProposalSummary | undefined): void => {
    if (row !== undefined) navigate({ view: 'review', repositoryId: row.repositoryId, proposalId: row.proposalId });
  };
  useShortcuts({
    j: () => setSelected((index) => Math.min(rows.length - 1, index + 1)),
    k: () => setSelected((index) => Math.max(0, index - 1)),
    Enter: () => open(rows[selected]),
    '/': () => search.current?.focus(),
  });
  useEffect(() => {
    document.querySelector(`[data-testid="queue-row"][data-index="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const selectedRow = rows[selected];
  useEffect(() => prefetch(selectedRow), [prefetch, selectedRow]);

  const setSortColumn = (column: QueueSort): void => {
    if (column === sort) setReversed((value) => !value);
    else {
      setSort(column);
      setReversed(false);
    }
  };
  const ariaSort = (column: QueueSort): 'ascending' | 'descending' | undefined =>
    column === sort ? (reversed ? 'ascending' : 'descending') : undefined;
  const header = (column: QueueSort, label: string) => (
    <th aria-sort={ariaSort(column)} scope="col">
      <button type="button" className="th-button" onClick={() => setSortColumn(column)} data-testid={`sort-${column}`}>
        {label}
        {column === sort && <span aria-hidden="true">{reversed ? ' ▴' : ' ▾'}</span>}
      </button>
    </th>
  );

  const repositoryList = repositories.data ?? [];
  return (
    <main className="view queue-view" data-testid="queue-view">
      <div className="toolbar" role="search">
        <h1 className="view-title">Queue</h1>
        <input
          ref={search}
          type="search"
          placeholder="Search title, branch, author, oid  ( / )"
          aria-label="Search proposals"
          value={filter.search}
          onChange={(event) => setFilter({ ...filter, search: event.target.value })}
          data-testid="queue-search"
        />
        <select
          aria-label="Repository"
          value={filter.repositoryId}
          onChange={(event) => setFilter({ ...filter, repositoryId: event.target.value })}
          data-testid="queue-repository"
        >
          <option value="">All repositories</option>
          {repositoryList.map((repository) => (
            <option key={repository.id} value={repository.id}>
              {repository.name}
            </option>
          ))}
        </select>
        <select
          aria-label="Minimum risk"
          value={filter.minRisk}
          onChange={(event) => setFilter({ ...filter, minRisk: event.target.value === '' ? '' : RiskLevel.parse(event.target.value) })}
          data-testid="queue-risk"
        >
          <option value="">Any risk</option>
          {RiskLevel.options.map((level) => (
            <option key={level} value={level}>
              {level} or higher
            </option>
          ))}
        </select>
        <select
          aria-label="Author"
          value={filter.author}
          onChange={(event) => setFilter({ ...filter, author: event.target.value as QueueFilter['author'] })}
          data-testid="queue-author"
        >
          <option value="any">Agents and humans</option>
          <option value="agent">Agents only</option>
          <option value="human">Humans only</option>
        </select>
        <select
          aria-label="State"
          value={filter.state}
          onChange={(event) => setFilter({ ...filter, state: event.target.value as QueueFilter['state'] })}
          data-testid="queue-state"
        >
          <option value="open">Open</option>
          <option value="applied">Applied</option>
          <option value="rejected">Rejected</option>
          <option value="all">All</option>
        </select>
        <select aria-label="Sort by" value={sort} onChange={(event) => setSortColumn(event.target.value as QueueSort)} data-testid="queue-sort">
          {Object.entries(sortLabels).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <span className="spacer" />
        {canCall(role, 'proposal:import') && repositoryList.length > 0 && (
          <button type="button" onClick={() => setImporting(true)} data-testid="import-proposal">
            Import proposal…
          </button>
        )}
      </div>
      {proposals.isError && <ErrorNote title="Could not load the queue" error={proposals.error} onRetry={() => void proposals.refetch()} />}
      {proposals.isPending ? (
        <Loading label="Loading proposals…" />
      ) : proposals.isSuccess && proposals.data.length === 0 ? (
        <EmptyState title={repositoryList.length === 0 ? 'No repositories yet.' : 'No proposals waiting.'} testId="queue-empty">
          {repositoryList.length === 0 ? (
            <p>
              {canCall(role, 'repo:add') ? (
                <>
                  Register a repository in <a href={routeHref({ view: 'settings' })} data-testid="queue-settings-link">Settings</a>, or try Gatehouse on the
                  demo workspace first. <CreateDemoButton />
                </>
              ) : (
                'Ask a lead to register a repository in Settings.'
              )}
            </p>
          ) : (
            <p>
              Agents propose changes by pushing branches under the repository's proposal pattern (by default{' '}
              <code>refs/heads/proposals/*</code>)
              {canCall(role, 'proposal:import') ? ', or import a change set with “Import proposal…”.' : '.'}
            </p>
          )}
        </EmptyState>
      ) : proposals.isSuccess && rows.length === 0 ? (
        <EmptyState title="No proposal matches these filters." testId="queue-empty-filtered">
          <button type="button" onClick={() => setFilter(defaultFilter)} data-testid="queue-clear-filters">
            Clear the filters
          </button>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="data-table queue-table" data-testid="queue-table" data-count={rows.length}>
            <thead>
              <tr>
                {header('risk', 'Risk')}
                {header('title', 'Proposal')}
                <th scope="col">Author</th>
                {header('age', 'Age')}
                {header('size', 'Size')}
                {header('score', 'Safety')}
                {header('findings', 'Findings')}
                <th scope="col">Approvals</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <QueueRow
                  key={`${row.repositoryId}/${row.proposalId}`}
                  row={row}
                  index={index}
                  selected={index === selected}
                  changesRequested={changesRequested.has(`${row.repositoryId}/${row.proposalId}@${row.headOid}`)}
                  onSelect={() => setSelected(index)}
                  onHover={() => prefetch(row)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ImportDialog open={importing} onClose={() => setImporting(false)} repositories={repositoryList} />
    </main>
  );
}

function QueueRow({
  row,
  index,
  selected,
  changesRequested,
  onSelect,
  onHover,
}: {
  readonly row: ProposalSummary;
  readonly index: number;
  readonly selected: boolean;
  readonly changesRequested: boolean;
  readonly onSelect: () => void;
  readonly onHover: () => void;
}) {
  const href = routeHref({ view: 'review', repositoryId: row.repositoryId, proposalId: row.proposalId });
  return (
    <tr
      className={selected ? 'selected' : undefined}
      aria-selected={selected}
      data-testid="queue-row"
      data-index={index}
      data-proposal-id={row.proposalId}
      data-repository-id={row.repositoryId}
      data-risk={row.risk ?? 'none'}
      data-review-state={changesRequested ? 'changes-requested' : 'open'}
      onClick={onSelect}
      onMouseEnter={onHover}
    >
      <td>
        <RiskBadge risk={row.risk} />
      </td>
      <td className="proposal-cell">
        <a href={href} className="proposal-title" data-testid="queue-open" aria-label={`Review ${row.title} (${row.proposalId})`}>
          {row.title}
        </a>
        <div className="muted small">
          <code>{row.proposalId}</code> · {row.repositoryName} · {shortOid(row.headOid)}
          {row.applied && <span className="badge state-applied">applied</span>}
        </div>
        {row.refused != null && (
          <div className="badge fail" data-testid="queue-refused" data-state="refused" title={row.refused.reason}>
            refused: {row.refused.reason}
          </div>
        )}
      </td>
      <td>
        <span className={`badge author-${row.author.kind}`} data-testid="author-kind" data-kind={row.author.kind}>
          {row.author.kind}
        </span>{' '}
        <span title={row.author.email}>{row.author.name}</span>
      </td>
      <td>
        <time dateTime={row.committedAt} title={exactTime(row.committedAt)}>
          {relativeTime(row.committedAt)}
        </time>
      </td>
      <td className="nowrap">{sizeLabel(row)}</td>
      <td>
        <ScoreMeter score={row.safetyScore} />
      </td>
      <td className="numeric" data-testid="finding-count">
        {row.findingCount ?? '—'}
      </td>
      <td className="approvals-cell" data-testid="approvals">
        {row.approvals.rejected ? (
          <span className="badge decision-reject">rejected</span>
        ) : (
          <span>
            <strong>{row.approvals.valid}</strong> valid
          </span>
        )}
        {row.approvals.outdated > 0 && (
          <span className="badge outdated" data-testid="outdated" title="Approvals of an earlier revision: they do not count">
            {row.approvals.outdated} outdated
          </span>
        )}
        {changesRequested && (
          <span className="badge outdated" data-testid="queue-changes-requested" title="A reviewer asked for changes to this revision; it waits for a new one">
            changes requested
          </span>
        )}
        <div className="muted small" data-testid="approvals-needs">
          {row.approvals.needs}
        </div>
        {row.automaticRollback != null && (
          <div className="badge fail" data-testid="queue-auto-rollback" title={row.automaticRollback.reasons.join('; ')}>
            apply rolled back automatically
          </div>
        )}
      </td>
    </tr>
  );
}

/** Builds the demo workspace for a lead who already has their own operator (a newcomer's way in). */
function CreateDemoButton() {
  const createDemo = useCreateDemo(() => undefined);
  return (
    <>
      <button type="button" className="primary" onClick={() => createDemo.mutate({})} disabled={createDemo.isPending} data-testid="queue-create-demo">
        {createDemo.isPending ? 'Building the demo workspace…' : 'Create demo workspace'}
      </button>
      {createDemo.isError && <ErrorNote title="Could not build the demo" error={createDemo.error} testId="queue-demo-error" />}
      {createDemo.isSuccess && (
        <span className="small" data-testid="queue-demo-created">
          Demo operators {createDemo.data.operators.map((operator) => `${operator.name} (${operator.role}, passphrase ${operator.passphrase})`).join(', ')}.
        </span>
      )}
    </>
  );
}

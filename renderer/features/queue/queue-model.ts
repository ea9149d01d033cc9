/** Sorting, filtering and searching the queue: pure functions over the rows `proposal:list` returns. */
import type { ProposalSummary } from '../../../shared/ipc/channels/review';
import { RiskLevel } from '../../../shared/model/domain';

/** What the queue can sort by. */
export type QueueSort = 'risk' | 'age' | 'size' | 'score' | 'findings' | 'title';

/** Which proposals the queue shows. */
export interface QueueFilter {
  readonly search: string;
  readonly repositoryId: string;
  /** Minimum risk, or '' for any. */
  readonly minRisk: RiskLevel | '';
  readonly author: 'any' | 'agent' | 'human';
  readonly state: 'open' | 'applied' | 'rejected' | 'all';
}

/** The default filter: everything still open. */
export const defaultFilter: QueueFilter = { search: '', repositoryId: '', minRisk: '', author: 'any', state: 'open' };

/** 0 (MINIMAL) … 4 (CRITICAL); an unanalysed revision sorts above CRITICAL: nobody has looked yet. */
export function riskRank(risk: RiskLevel | null): number {
  return risk === null ? RiskLevel.options.length : RiskLevel.options.indexOf(risk);
}

function matches(row: ProposalSummary, filter: QueueFilter): boolean {
  if (filter.repositoryId !== '' && row.repositoryId !== filter.repositoryId) return false;
  if (filter.minRisk !== '' && riskRank(row.risk) < riskRank(filter.minRisk)) return false;
  if (filter.author !== 'any' && row.author.kind !== filter.author) return false;
  switch (filter.state) {
    case 'open':
      if (row.applied || row.approvals.rejected) return false;
      break;
    case 'applied':
      if (!row.applied) return false;
      break;
    case 'rejected':
      if (!row.approvals.rejected) return false;
      break;
    case 'all':
      break;
  }
  const needle = filter.search.trim().toLowerCase();
  if (needle === '') return true;
  return [row.title, row.proposalId, row.repositoryName, row.author.name, row.author.email, row.headOid]
    .some((text) => text.toLowerCase().includes(needle));
}

function compare(a: ProposalSummary, b: ProposalSummary, sort: QueueSort): number {
  switch (sort) {
    case 'risk':
      return riskRank(b.risk) - riskRank(a.risk) || (a.safetyScore ?? -1) - (b.safetyScore ?? -1);
    case 'age':
      return Date.parse(a.committedAt) - Date.parse(b.committedAt);
    case 'size':
      return b.additions + b.deletions - (a.additions + a.deletions);
    case 'score':
      return (a.safetyScore ?? -1) - (b.safetyScore ?? -1);
    case 'findings':
      return (b.findingCount ?? Number.MAX_SAFE_INTEGER) - (a.findingCount ?? Number.MAX_SAFE_INTEGER);
    case 'title':
      return a.title.localeCompare(b.title);
  }
}

/**
 * The rows to show, in order; ties keep a stable order by proposal id.
 *
 * Each sort's natural order puts what needs attention first (riskiest, oldest, largest, lowest score,
 * most findings); `reversed` flips it.
 */
export function queueRows(
  rows: ReadonlyArray<ProposalSummary>,
  filter: QueueFilter,
  sort: QueueSort,
  reversed: boolean,
): ReadonlyArray<ProposalSummary> {
  const shown = rows.filter((row) => matches(row, filter));
  return shown.sort((a, b) => {
    const order = compare(a, b, sort);
    const directed = reversed ? -order : order;
    return directed || a.repositoryId.localeCompare(b.repositoryId) || a.proposalId.localeCompare(b.proposalId);
  });
}

/** "3 files, +120 −8". */
export function sizeLabel(row: Pick<ProposalSummary, 'filesChanged' | 'additions' | 'deletions'>): string {
  return `${row.filesChanged} file${row.filesChanged === 1 ? '' : 's'}, +${row.additions} −${row.deletions}`;
}

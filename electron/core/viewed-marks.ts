/**
 * "Viewed" marks per operator and per revision, kept in the app database (migration domain
 * `viewed-marks`), and the acknowledgement check every approval goes through, on every channel.
 *
 * A mark remembers the file's diff as it was viewed (old and new blob ids). It counts on the revision it
 * was made on, and on a later revision only while that file's diff is the same: a file the new revision
 * changes is unviewed again. Marks belong to the operator who made them, so a lead never inherits a
 * reviewer's ticks (two-person rule).
 */
import {
  Acknowledgements,
  missingAcknowledgements,
  requiredAcknowledgements,
  type Acknowledgement,
  type RequiredAcknowledgement,
} from '../../shared/model/acknowledgement';
import type { Clock } from '../../shared/model/clock';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { migrate, type Db, type Migration } from '../services/db/sqlite';
import type { DiffFile } from '../services/git';
import { revisionState, type ReviewDeps, type RevisionState } from './review';

/** The migration domain of the viewed marks. */
export const VIEWED_MARKS_DOMAIN = 'viewed-marks';

/** Schema of the viewed marks. */
export const VIEWED_MARKS_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'viewed marks per operator and revision',
    up(db) {
      db.exec(`CREATE TABLE viewed_marks (
        operator_id TEXT NOT NULL,
        repository_id TEXT NOT NULL,
        proposal TEXT NOT NULL,
        path TEXT NOT NULL,
        head_oid TEXT NOT NULL,
        diff_key TEXT NOT NULL,
        viewed_at TEXT NOT NULL,
        PRIMARY KEY (operator_id, repository_id, proposal, path, head_oid)
      )`);
    },
  },
];

/** One mark as stored. */
export interface ViewedMark {
  readonly path: string;
  readonly headOid: string;
  /** The file's diff when it was viewed: `old blob:new blob`. */
  readonly diffKey: string;
  readonly viewedAt: string;
}

/** The viewed-marks table. */
export interface ViewedMarkStore {
  /** Every mark of one operator on one proposal. */
  list(operatorId: string, repositoryId: string, proposal: string): ReadonlyArray<ViewedMark>;
  /** Marks (or unmarks) one file of one revision. */
  set(operatorId: string, repositoryId: string, proposal: string, mark: { readonly path: string; readonly headOid: string; readonly diffKey: string }, viewed: boolean): void;
}

/** Opens the viewed-marks table on the app database, migrating its domain. */
export function openViewedMarkStore(db: Db, clock: Clock): ViewedMarkStore {
  migrate(db, VIEWED_MARKS_DOMAIN, VIEWED_MARKS_MIGRATIONS);
  const list = db.prepare(
    'SELECT path, head_oid AS headOid, diff_key AS diffKey, viewed_at AS viewedAt FROM viewed_marks WHERE operator_id = ? AND repository_id = ? AND proposal = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO viewed_marks (operator_id, repository_id, proposal, path, head_oid, diff_key, viewed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (operator_id, repository_id, proposal, path, head_oid) DO UPDATE SET diff_key = excluded.diff_key, viewed_at = excluded.viewed_at`,
  );
  // Unmarking a file forgets every mark that would count for it, including one carried from an earlier revision.
  const remove = db.prepare('DELETE FROM viewed_marks WHERE operator_id = ? AND repository_id = ? AND proposal = ? AND path = ? AND (head_oid = ? OR diff_key = ?)');
  return {
    list: (operatorId, repositoryId, proposal) => list.all(operatorId, repositoryId, proposal) as ViewedMark[],
    set(operatorId, repositoryId, proposal, mark, viewed) {
      if (viewed) upsert.run(operatorId, repositoryId, proposal, mark.path, mark.headOid, mark.diffKey, clock.now().toISOString());
      else remove.run(operatorId, repositoryId, proposal, mark.path, mark.headOid, mark.diffKey);
    },
  };
}

/** A file's diff identity: its old and new blob ids (a rebase that changes the old side changes it too). */
export function diffKeyOf(file: Pick<DiffFile, 'oldOid' | 'newOid' | 'path' | 'oldPath'>): string {
  return `${file.oldPath ?? ''}:${file.oldOid ?? '-'}:${file.path}:${file.newOid ?? '-'}`;
}

/** The paths of a revision's files an operator has viewed. */
export function viewedPathsOf(
  marks: ReadonlyArray<ViewedMark>,
  headOid: string,
  files: ReadonlyArray<Pick<DiffFile, 'oldOid' | 'newOid' | 'path' | 'oldPath'>>,
): ReadonlySet<string> {
  const viewed = new Set<string>();
  for (const file of files) {
    const key = diffKeyOf(file);
    if (marks.some((mark) => mark.path === file.path && mark.diffKey === key && (mark.headOid === headOid || file.newOid !== null))) viewed.add(file.path);
  }
  return viewed;
}

/** What the viewed channels answer. */
export interface ViewedView {
  readonly headOid: string;
  readonly paths: ReadonlyArray<string>;
}

function operatorId(deps: ReviewDeps): string {
  return deps.ctx.sessions.require().operatorId;
}

/** The current operator's viewed files on a proposal's current revision. */
export async function viewedFiles(deps: ReviewDeps, store: ViewedMarkStore, repositoryId: string, proposalId: string): Promise<ViewedView> {
  const operator = operatorId(deps);
  const state = await revisionState(deps, repositoryId, proposalId);
  const viewed = viewedPathsOf(store.list(operator, repositoryId, state.proposal.name), state.proposal.headOid, state.analysis.diff.files);
  return { headOid: state.proposal.headOid, paths: [...viewed].sort() };
}

/** Marks or unmarks one file of the revision the operator sees; refused when the branch has moved. */
export async function setViewed(
  deps: ReviewDeps,
  store: ViewedMarkStore,
  input: { readonly repositoryId: string; readonly proposalId: string; readonly headOid: string; readonly path: string; readonly viewed: boolean },
): Promise<ViewedView> {
  const operator = operatorId(deps);
  const state = await revisionState(deps, input.repositoryId, input.proposalId);
  if (state.proposal.headOid !== input.headOid) {
    throw new GatehouseError(ErrorCode.Conflict, `the proposal moved since you opened it (it is now ${state.proposal.headOid.slice(0, 10)}); reload to see the new revision`);
  }
  const file = state.analysis.diff.files.find((candidate) => candidate.path === input.path);
  if (file === undefined) throw new GatehouseError(ErrorCode.NotFound, `${input.path} is not changed by ${input.proposalId}`);
  store.set(operator, input.repositoryId, state.proposal.name, { path: file.path, headOid: input.headOid, diffKey: diffKeyOf(file) }, input.viewed);
  return viewedFiles(deps, store, input.repositoryId, input.proposalId);
}

/** How many outstanding items a refusal names one by one (the rest are counted). */
const NAMED_IN_REFUSAL = 20;

/** One outstanding item as a refusal names it: a finding by fingerprint prefix, severity, rule and place; a file by path. */
export function describeRequired(item: RequiredAcknowledgement): string {
  if (item.finding === null) return `file ${item.path} (not viewed)`;
  const f = item.finding;
  return `finding ${item.ref.slice(0, 12)} (${f.severity.toUpperCase()} ${f.ruleId} at ${f.path}:${f.startLine})`;
}

/**
 * The acknowledgement check every approval goes through, whatever the channel (console, CLI, script):
 * every CRITICAL/HIGH finding the revision introduces and every file the signer has not marked viewed
 * must be acknowledged, and every acknowledgement must name such an item. A caller that sends no list
 * is checked as one that sent an empty list. Returns the list to sign (empty when nothing was needed).
 */
export function acknowledgementCheck(
  store: ViewedMarkStore,
  given: ReadonlyArray<Acknowledgement> | undefined,
): (state: RevisionState, signerOperatorId: string) => ReadonlyArray<Acknowledgement> {
  const parsed = Acknowledgements.safeParse(given ?? []);
  if (!parsed.success) throw new GatehouseError(ErrorCode.InvalidInput, `acknowledgements: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return (state, signer) => {
    const viewed = viewedPathsOf(store.list(signer, state.handle.record.id, state.proposal.name), state.proposal.headOid, state.analysis.diff.files);
    const required = requiredAcknowledgements(
      state.analysis.findings,
      state.analysis.diff.files.map((file) => file.path),
      viewed,
    );
    const wanted = new Set(required.map((item) => `${item.target}\u0000${item.ref}`));
    const stray = parsed.data.find((ack) => !wanted.has(`${ack.target}\u0000${ack.ref}`));
    if (stray !== undefined) {
      throw new GatehouseError(
        ErrorCode.InvalidInput,
        stray.target === 'finding'
          ? `acknowledged finding ${stray.ref.slice(0, 16)} is not an open CRITICAL/HIGH finding of this revision`
          : `acknowledged file ${stray.ref} is not an unviewed file of this revision`,
      );
    }
    const missing = missingAcknowledgements(required, parsed.data);
    if (missing.length > 0) {
      const findings = missing.filter((item) => item.target === 'finding').length;
      const files = missing.length - findings;
      const named = missing.slice(0, NAMED_IN_REFUSAL).map(describeRequired);
      const more = missing.length > NAMED_IN_REFUSAL ? `; and ${missing.length - NAMED_IN_REFUSAL} more` : '';
      throw new GatehouseError(
        ErrorCode.PolicyDenied,
        `approving needs an acknowledgement of ${[findings > 0 ? `${findings} open CRITICAL/HIGH finding${findings === 1 ? '' : 's'}` : '', files > 0 ? `${files} file${files === 1 ? '' : 's'} you have not viewed` : ''].filter(Boolean).join(' and ')}: ${named.join('; ')}${more}`,
      );
    }
    return parsed.data;
  };
}

/**
 * Line comments and the request-changes decision.
 *
 * Comments are drafts of their author until published with a decision (Gerrit's model); a published
 * comment is immutable and audited. Each comment is anchored to path + side + line of the revision it
 * was written on and follows its line into later revisions while that line exists unchanged.
 *
 * A request for changes is signed exactly like an approval (same claims, `decision: request_changes`)
 * and verified the same way before it is stored, but it is kept in its own table: the approvals store
 * and the gate never see it, so it can never count as an approval.
 *
 * It is also a repository record (`change-request`: the token and each published comment's id and
 * digest), shared with `sync`; another desk verifies it against the target's trust list and registers it
 * here, so its gate too stops counting the operator's earlier approval of that revision.
 */
import { createHash, randomBytes } from 'node:crypto';
import { diffLines } from 'diff';
import type { ChangeRequestView, CommentSide, CommentView, ProposalComments, ProposalReviewState } from '../../shared/ipc/channels/comments';
import type { Role } from '../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { findingsDigest, mintApproval, verifyApproval, type VerifiedApproval } from '../services/approvals';
import { migrate, type Db, type Migration } from '../services/db/sqlite';
import { fileContents, getProposal, listProposals, type FileSide } from '../services/git';
import type { CoreContext } from './context';
import { assertSameRevision, sandboxSummary, shareRecords, type SeenRevision } from './decisions';
import { appendRepositoryRecord, publishAuditHead } from './records';
import type { CommentReference } from '../services/records';
import { requireValidPolicy, type RepositoryHandle } from './repositories';
import { revisionState, type ReviewDeps } from './review';

/** The migration domain of the comment tables. */
export const COMMENTS_DOMAIN = 'comments';

/** Schema of the comment tables. */
export const commentMigrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'comments and change requests',
    up(db) {
      db.exec(`
        CREATE TABLE comments (
          id TEXT PRIMARY KEY,
          repository TEXT NOT NULL,
          proposal TEXT NOT NULL,
          author_id TEXT NOT NULL,
          author_name TEXT NOT NULL,
          author_role TEXT NOT NULL,
          base TEXT NOT NULL,
          head TEXT NOT NULL,
          path TEXT NOT NULL,
          side TEXT NOT NULL CHECK (side IN ('base', 'head')),
          line INTEGER NOT NULL CHECK (line > 0),
          line_text TEXT NOT NULL,
          body TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('draft', 'published')),
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          published_at TEXT,
          published_with TEXT CHECK (published_with IS NULL OR published_with IN ('approve', 'reject', 'request_changes')),
          decision_jti TEXT
        );
        CREATE INDEX comments_by_proposal ON comments (repository, proposal, created_at);
        -- A published comment is part of the record: never edited, never deleted.
        CREATE TRIGGER comments_published_immutable BEFORE UPDATE ON comments
          WHEN OLD.state = 'published'
          BEGIN SELECT RAISE(ABORT, 'a published comment cannot change'); END;
        CREATE TRIGGER comments_published_kept BEFORE DELETE ON comments
          WHEN OLD.state = 'published'
          BEGIN SELECT RAISE(ABORT, 'a published comment cannot be deleted'); END;
        CREATE TABLE change_requests (
          jti TEXT PRIMARY KEY,
          token TEXT NOT NULL,
          repository TEXT NOT NULL,
          proposal TEXT NOT NULL,
          head TEXT NOT NULL,
          tree TEXT NOT NULL,
          operator_id TEXT NOT NULL,
          operator_name TEXT NOT NULL,
          role TEXT NOT NULL,
          key_id TEXT NOT NULL,
          reason TEXT NOT NULL,
          issued_at TEXT NOT NULL
        );
        CREATE INDEX change_requests_by_proposal ON change_requests (repository, proposal, issued_at);
        CREATE TRIGGER change_requests_append_only_update BEFORE UPDATE ON change_requests
          BEGIN SELECT RAISE(ABORT, 'change requests are append-only'); END;
        CREATE TRIGGER change_requests_append_only_delete BEFORE DELETE ON change_requests
          BEGIN SELECT RAISE(ABORT, 'change requests are append-only'); END;
      `);
    },
  },
  {
    version: 2,
    name: 'comments a request for changes carries, by id and digest',
    up(db) {
      db.exec(`
        CREATE TABLE change_request_comments (
          jti TEXT NOT NULL,
          comment_id TEXT NOT NULL,
          digest TEXT NOT NULL,
          PRIMARY KEY (jti, comment_id)
        );
        CREATE TRIGGER change_request_comments_append_only_update BEFORE UPDATE ON change_request_comments
          BEGIN SELECT RAISE(ABORT, 'change requests are append-only'); END;
        CREATE TRIGGER change_request_comments_append_only_delete BEFORE DELETE ON change_request_comments
          BEGIN SELECT RAISE(ABORT, 'change requests are append-only'); END;
      `);
    },
  },
];

/** Creates or updates the comment tables. */
export function migrateComments(db: Db): void {
  migrate(db, COMMENTS_DOMAIN, commentMigrations);
}

interface CommentRow {
  id: string;
  repository: string;
  proposal: string;
  author_id: string;
  author_name: string;
  author_role: string;
  base: string;
  head: string;
  path: string;
  side: CommentSide;
  line: number;
  line_text: string;
  body: string;
  state: 'draft' | 'published';
  created_at: string;
  updated_at: string;
  published_at: string | null;
  published_with: 'approve' | 'reject' | 'request_changes' | null;
  decision_jti: string | null;
}

interface ChangeRequestRow {
  jti: string;
  token: string;
  repository: string;
  proposal: string;
  head: string;
  tree: string;
  operator_id: string;
  operator_name: string;
  role: string;
  key_id: string;
  reason: string;
  issued_at: string;
}

/** Who is reading or writing comments: an operator (sees their own drafts) or nobody in particular. */
/**
 * Requests for changes on one revision head, by signing key and time: the gate lets an operator's later
 * request for changes withdraw their earlier approval of the same revision (latest decision counts).
 */
export function changeRequestsOn(db: Db, repository: string, head: string): ReadonlyArray<{ readonly keyId: string; readonly issuedAt: string }> {
  return db
    .prepare<[string, string], { key_id: string; issued_at: string }>('SELECT key_id, issued_at FROM change_requests WHERE repository = ? AND head = ?')
    .all(repository, head)
    .map((r) => ({ keyId: r.key_id, issuedAt: r.issued_at }));
}

export interface CommentReader {
  readonly operatorId: string | null;
}

function newCommentId(): string {
  return `c_${randomBytes(16).toString('base64url')}`;
}

/** The lines of a text, as an editor numbers them (a trailing newline ends the last line). */
function linesOf(text: string): ReadonlyArray<string> {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Where line `line` (1-based) of `before` is in `after`, or null when it was changed or removed.
 *
 * Uses the line diff (Myers, from `diff`): only a line inside an unchanged run follows.
 */
export function followLine(before: string, after: string, line: number): number | null {
  let oldLine = 1;
  let newLine = 1;
  for (const part of diffLines(before, after)) {
    const count = part.count ?? 0;
    if (part.added) {
      newLine += count;
      continue;
    }
    if (part.removed) {
      if (line >= oldLine && line < oldLine + count) return null;
      oldLine += count;
      continue;
    }
    if (line >= oldLine && line < oldLine + count) return newLine + (line - oldLine);
    oldLine += count;
    newLine += count;
  }
  return null;
}

function sideText(side: FileSide): string | null {
  return side.kind === 'text' ? side.text : null;
}

/** The text of a file at a commit, or null when absent, binary or too large. */
async function textAt(handle: RepositoryHandle, commit: string, path: string): Promise<string | null> {
  const contents = await fileContents(handle.repo, { base: commit, head: commit, path });
  return sideText(contents.new);
}

function commentView(row: CommentRow, currentLine: number | null, currentHead: string): CommentView {
  return {
    id: row.id,
    repositoryId: row.repository,
    proposalId: row.proposal,
    authorName: row.author_name,
    authorRole: row.author_role as Role,
    headOid: row.head,
    path: row.path,
    side: row.side,
    line: row.line,
    lineText: row.line_text,
    currentLine,
    fromEarlierRevision: row.head !== currentHead,
    outdated: currentLine === null,
    body: row.body,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
    publishedWith: row.published_with,
  };
}

function changeRequestView(row: ChangeRequestRow, currentHead: string, comments: number, commentsElsewhere = 0): ChangeRequestView {
  return {
    jti: row.jti,
    repositoryId: row.repository,
    proposalId: row.proposal,
    operatorName: row.operator_name,
    role: row.role as Role,
    keyId: row.key_id,
    reason: row.reason,
    headOid: row.head,
    treeOid: row.tree,
    issuedAt: row.issued_at,
    current: row.head === currentHead,
    comments,
    commentsElsewhere,
    token: row.token,
  };
}

/** Where each comment's line is in the current revision (null: gone). Reads each file pair once. */
async function currentLines(
  handle: RepositoryHandle,
  rows: ReadonlyArray<CommentRow>,
  current: { readonly base: string; readonly head: string },
): Promise<Map<string, number | null>> {
  const result = new Map<string, number | null>();
  const texts = new Map<string, Promise<string | null>>();
  const text = (commit: string, path: string): Promise<string | null> => {
    const key = `${commit}\0${path}`;
    let hit = texts.get(key);
    if (!hit) {
      hit = textAt(handle, commit, path).catch(() => null);
      texts.set(key, hit);
    }
    return hit;
  };
  for (const row of rows) {
    const from = row.side === 'head' ? row.head : row.base;
    const to = row.side === 'head' ? current.head : current.base;
    if (from === to) {
      result.set(row.id, row.line);
      continue;
    }
    const [before, after] = [await text(from, row.path), await text(to, row.path)];
    if (before === null || after === null) {
      result.set(row.id, null);
      continue;
    }
    const moved = followLine(before, after, row.line);
    // Belt and braces: the line we follow must still read the same.
    result.set(row.id, moved !== null && linesOf(after)[moved - 1] === row.line_text ? moved : null);
  }
  return result;
}

async function currentRevision(deps: ReviewDeps, repositoryId: string, proposalId: string) {
  const handle = await deps.handles.get(repositoryId);
  const proposal = await getProposal(handle.repo, proposalId);
  if (proposal.error !== null) throw new GatehouseError(ErrorCode.Conflict, proposal.error.message);
  if (proposal.baseOid === null) throw new GatehouseError(ErrorCode.Conflict, `proposal ${proposalId} shares no history with the target branch`);
  return { handle, proposal, base: proposal.baseOid, head: proposal.headOid };
}

// A request from another desk carries its comments by reference only: count whichever is known, and
// how many of the referenced ones have no text here.
function commentCounts(db: Db, jtis: ReadonlyArray<string>): Map<string, { readonly total: number; readonly elsewhere: number }> {
  const counts = new Map<string, { readonly total: number; readonly elsewhere: number }>();
  if (jtis.length === 0) return counts;
  const local = db.prepare('SELECT COUNT(*) AS n FROM comments WHERE decision_jti = ?');
  const referenced = db.prepare('SELECT COUNT(*) AS n FROM change_request_comments WHERE jti = ?');
  const missing = db.prepare('SELECT COUNT(*) AS n FROM change_request_comments r WHERE r.jti = ? AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = r.comment_id)');
  for (const jti of jtis) {
    const total = Math.max((local.get(jti) as { n: number }).n, (referenced.get(jti) as { n: number }).n);
    counts.set(jti, { total, elsewhere: (missing.get(jti) as { n: number }).n });
  }
  return counts;
}

/**
 * A published comment's digest: SHA-256 (hex) of its canonical JSON (id, revision head, path, side,
 * line, the line's text, body), as a `change-request` record carries it.
 */
export function commentDigest(comment: { readonly id: string; readonly head: string; readonly path: string; readonly side: CommentSide; readonly line: number; readonly lineText: string; readonly body: string }): string {
  const canonical = JSON.stringify({ id: comment.id, head: comment.head, path: comment.path, side: comment.side, line: comment.line, lineText: comment.lineText, body: comment.body });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function commentReference(c: CommentRow): CommentReference {
  return { id: c.id, digest: commentDigest({ id: c.id, head: c.head, path: c.path, side: c.side, line: c.line, lineText: c.line_text, body: c.body }) };
}

function insertChangeRequest(db: Db, row: ChangeRequestRow, comments: ReadonlyArray<CommentReference>): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO change_requests (jti, token, repository, proposal, head, tree, operator_id, operator_name, role, key_id, reason, issued_at)
       VALUES (@jti, @token, @repository, @proposal, @head, @tree, @operator_id, @operator_name, @role, @key_id, @reason, @issued_at)`,
    ).run(row);
    const reference = db.prepare('INSERT OR IGNORE INTO change_request_comments (jti, comment_id, digest) VALUES (?, ?, ?)');
    for (const comment of comments) reference.run(row.jti, comment.id, comment.digest);
  }).immediate();
}

/** Whether a request for changes with this token id is registered here. */
export function hasChangeRequest(db: Db, jti: string): boolean {
  return db.prepare('SELECT 1 FROM change_requests WHERE jti = ?').get(jti) !== undefined;
}

/**
 * Registers a request for changes that arrived from another desk as a `change-request` record, already
 * verified (a `request_changes` token signed by an operator in the target's trust list); its comments are
 * kept by id and digest. Returns false when it was registered before.
 */
export function registerChangeRequest(db: Db, verified: VerifiedApproval, token: string, comments: ReadonlyArray<CommentReference>): boolean {
  const { claims, signer } = verified;
  if (claims.decision !== 'request_changes') throw new GatehouseError(ErrorCode.VerificationFailed, `a change-request record must carry a request for changes, not a decision to ${claims.decision}`);
  if (hasChangeRequest(db, claims.jti)) return false;
  insertChangeRequest(
    db,
    {
      jti: claims.jti,
      token,
      repository: claims.aud,
      proposal: claims.sub,
      head: claims.head,
      tree: claims.tree,
      operator_id: signer.id,
      operator_name: signer.name,
      role: signer.role,
      key_id: signer.keyId,
      reason: claims.reason,
      issued_at: new Date(claims.iat * 1000).toISOString(),
    },
    comments,
  );
  return true;
}

/** The comments (published ones and the reader's drafts) and requests for changes on a proposal. */
export async function listComments(deps: ReviewDeps, reader: CommentReader, repositoryId: string, proposalId: string): Promise<ProposalComments> {
  const { ctx } = deps;
  const revision = await currentRevision(deps, repositoryId, proposalId);
  const name = revision.proposal.name;
  const rows = ctx.appDb
    .prepare(
      `SELECT * FROM comments WHERE repository = ? AND proposal = ? AND (state = 'published' OR author_id = ?)
       ORDER BY created_at, id`,
    )
    .all(repositoryId, name, reader.operatorId ?? '') as CommentRow[];
  const lines = await currentLines(revision.handle, rows, revision);
  const requests = ctx.appDb
    .prepare('SELECT * FROM change_requests WHERE repository = ? AND proposal = ? ORDER BY issued_at, jti')
    .all(repositoryId, name) as ChangeRequestRow[];
  const counts = commentCounts(ctx.appDb, requests.map((r) => r.jti));
  const changeRequests = requests.map((r) => changeRequestView(r, revision.head, counts.get(r.jti)?.total ?? 0, counts.get(r.jti)?.elsewhere ?? 0));
  return {
    repositoryId,
    proposalId: name,
    headOid: revision.head,
    reviewState: changeRequests.some((r) => r.current) ? 'changes-requested' : 'open',
    comments: rows.map((row) => commentView(row, lines.get(row.id) ?? null, revision.head)),
    changeRequests,
  };
}

/**
 * The review state and comment counts of every proposal (of one repository or all), for the queue:
 * reads the proposal refs and three small aggregate queries, never the analysis.
 */
export async function reviewStates(deps: ReviewDeps, reader: CommentReader, repositoryId?: string): Promise<ReadonlyArray<ProposalReviewState>> {
  const { ctx } = deps;
  const records = repositoryId ? [ctx.registry.get(repositoryId)] : ctx.registry.list();
  const requested = ctx.appDb.prepare('SELECT 1 FROM change_requests WHERE repository = ? AND proposal = ? AND head = ? LIMIT 1');
  const published = ctx.appDb.prepare("SELECT COUNT(*) AS n FROM comments WHERE repository = ? AND proposal = ? AND state = 'published'");
  const drafts = ctx.appDb.prepare("SELECT COUNT(*) AS n FROM comments WHERE repository = ? AND proposal = ? AND state = 'draft' AND author_id = ?");
  const rows: ProposalReviewState[] = [];
  for (const record of records) {
    const handle = await deps.handles.get(record.id);
    for (const proposal of await listProposals(handle.repo, { stats: false })) {
      if (proposal.error !== null) continue;
      rows.push({
        repositoryId: record.id,
        proposalId: proposal.name,
        headOid: proposal.headOid,
        reviewState: requested.get(record.id, proposal.name, proposal.headOid) ? 'changes-requested' : 'open',
        comments: (published.get(record.id, proposal.name) as { n: number }).n,
        drafts: (drafts.get(record.id, proposal.name, reader.operatorId ?? '') as { n: number }).n,
      });
    }
  }
  return rows;
}

/** What a draft says and where it is anchored. */
export interface DraftInput {
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly headOid: string;
  readonly path: string;
  readonly side: CommentSide;
  readonly line: number;
  readonly body: string;
  readonly commentId?: string | undefined;
}

/** Writes or edits one of the unlocked operator's drafts on the current revision. */
export async function saveDraft(deps: ReviewDeps, input: DraftInput): Promise<CommentView> {
  const { ctx } = deps;
  const session = ctx.sessions.require(['reviewer', 'lead']);
  const revision = await currentRevision(deps, input.repositoryId, input.proposalId);
  if (revision.head !== input.headOid) {
    throw new GatehouseError(
      ErrorCode.Conflict,
      `the proposal moved since you opened it (you saw ${input.headOid.slice(0, 10)}, it is now ${revision.head.slice(0, 10)}); comment on the new revision`,
    );
  }
  const commit = input.side === 'head' ? revision.head : revision.base;
  let text: string | null;
  try {
    text = await textAt(revision.handle, commit, input.path);
  } catch (error) {
    throw new GatehouseError(ErrorCode.InvalidInput, `cannot comment on ${input.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === null) throw new GatehouseError(ErrorCode.NotFound, `${input.path} has no text on the ${input.side} side of this revision`);
  const lines = linesOf(text);
  if (input.line > lines.length) {
    throw new GatehouseError(ErrorCode.InvalidInput, `${input.path} has ${lines.length} lines on the ${input.side} side; there is no line ${input.line}`);
  }
  const now = ctx.clock.now().toISOString();
  const row: CommentRow = {
    id: input.commentId ?? newCommentId(),
    repository: input.repositoryId,
    proposal: revision.proposal.name,
    author_id: session.operatorId,
    author_name: session.name,
    author_role: session.role,
    base: revision.base,
    head: revision.head,
    path: input.path,
    side: input.side,
    line: input.line,
    line_text: lines[input.line - 1] ?? '',
    body: input.body,
    state: 'draft',
    created_at: now,
    updated_at: now,
    published_at: null,
    published_with: null,
    decision_jti: null,
  };
  if (input.commentId !== undefined) {
    const existing = ctx.appDb.prepare('SELECT * FROM comments WHERE id = ?').get(input.commentId) as CommentRow | undefined;
    if (!existing || existing.author_id !== session.operatorId) throw new GatehouseError(ErrorCode.NotFound, `no draft ${input.commentId} of yours`);
    if (existing.state !== 'draft') throw new GatehouseError(ErrorCode.Conflict, 'a published comment cannot be edited');
    if (existing.repository !== row.repository || existing.proposal !== row.proposal) {
      throw new GatehouseError(ErrorCode.InvalidInput, `draft ${input.commentId} belongs to another proposal`);
    }
    ctx.appDb
      .prepare(
        `UPDATE comments SET base = @base, head = @head, path = @path, side = @side, line = @line, line_text = @line_text,
           body = @body, updated_at = @updated_at WHERE id = @id AND state = 'draft'`,
      )
      .run(row);
    return commentView({ ...row, created_at: existing.created_at }, row.line, revision.head);
  }
  ctx.appDb
    .prepare(
      `INSERT INTO comments (id, repository, proposal, author_id, author_name, author_role, base, head, path, side, line,
         line_text, body, state, created_at, updated_at, published_at, published_with, decision_jti)
       VALUES (@id, @repository, @proposal, @author_id, @author_name, @author_role, @base, @head, @path, @side, @line,
         @line_text, @body, @state, @created_at, @updated_at, @published_at, @published_with, @decision_jti)`,
    )
    .run(row);
  return commentView(row, row.line, revision.head);
}

/** Deletes one of the unlocked operator's drafts. */
export function deleteDraft(ctx: CoreContext, commentId: string): { deleted: true } {
  const session = ctx.sessions.require(['reviewer', 'lead']);
  const existing = ctx.appDb.prepare('SELECT author_id, state FROM comments WHERE id = ?').get(commentId) as
    | { author_id: string; state: string }
    | undefined;
  if (!existing || existing.author_id !== session.operatorId) throw new GatehouseError(ErrorCode.NotFound, `no draft ${commentId} of yours`);
  if (existing.state !== 'draft') throw new GatehouseError(ErrorCode.Conflict, 'a published comment cannot be deleted');
  ctx.appDb.prepare("DELETE FROM comments WHERE id = ? AND state = 'draft'").run(commentId);
  return { deleted: true };
}

/**
 * Publishes the unlocked operator's drafts on a proposal, optionally with the decision they go with.
 * Audited as `comment.published` (one event with every comment); returns how many were published.
 */
export function publishDrafts(
  ctx: CoreContext,
  repositoryId: string,
  proposal: string,
  decision: { readonly kind: 'approve' | 'reject' | 'request_changes'; readonly jti: string } | null,
): number {
  return publishDraftRows(ctx, repositoryId, proposal, decision).length;
}

function publishDraftRows(
  ctx: CoreContext,
  repositoryId: string,
  proposal: string,
  decision: { readonly kind: 'approve' | 'reject' | 'request_changes'; readonly jti: string } | null,
): ReadonlyArray<CommentRow> {
  const session = ctx.sessions.require(['reviewer', 'lead']);
  const published = ctx.appDb.transaction(() => markPublished(ctx, session.operatorId, repositoryId, proposal, decision)).immediate();
  auditPublished(ctx, repositoryId, proposal, decision, published);
  return published;
}

// Inside the caller's transaction: the author's drafts on the proposal become published, with the decision.
function markPublished(
  ctx: CoreContext,
  operatorId: string,
  repositoryId: string,
  proposal: string,
  decision: { readonly kind: 'approve' | 'reject' | 'request_changes'; readonly jti: string } | null,
): ReadonlyArray<CommentRow> {
  const drafts = ctx.appDb
    .prepare("SELECT * FROM comments WHERE repository = ? AND proposal = ? AND author_id = ? AND state = 'draft' ORDER BY created_at, id")
    .all(repositoryId, proposal, operatorId) as CommentRow[];
  ctx.appDb
    .prepare(
      `UPDATE comments SET state = 'published', published_at = ?, published_with = ?, decision_jti = ?
       WHERE repository = ? AND proposal = ? AND author_id = ? AND state = 'draft'`,
    )
    .run(ctx.clock.now().toISOString(), decision?.kind ?? null, decision?.jti ?? null, repositoryId, proposal, operatorId);
  return drafts;
}

function auditPublished(
  ctx: CoreContext,
  repositoryId: string,
  proposal: string,
  decision: { readonly kind: 'approve' | 'reject' | 'request_changes'; readonly jti: string } | null,
  published: ReadonlyArray<CommentRow>,
): void {
  if (published.length === 0) return;
  ctx.audit.record({
    action: 'comment.published',
    subject: `proposal:${repositoryId}/${proposal}`,
    payload: {
      decision: decision?.kind ?? null,
      decisionJti: decision?.jti ?? null,
      comments: published.map((c) => ({ id: c.id, head: c.head, path: c.path, side: c.side, line: c.line, body: c.body })),
    },
  });
  ctx.events.emit('repo:changed', { repositoryId, what: `${published.length} comment(s) published` });
}

/** Signs a request for changes of exactly the revision the reviewer saw, publishing their drafts with it. */
export async function requestChanges(deps: ReviewDeps, seen: SeenRevision, reason: string): Promise<ChangeRequestView> {
  const { ctx } = deps;
  const session = ctx.sessions.require(['reviewer', 'lead']);
  const state = await revisionState(deps, seen.repositoryId, seen.proposalId);
  assertSameRevision(state, seen);
  const policy = requireValidPolicy(state.governance);
  if (state.governance.trustList === null) throw new GatehouseError(ErrorCode.NotFound, 'no trust list: create operators first');
  const revision = { base: state.proposal.baseOid ?? '', head: state.proposal.headOid, tree: state.proposal.treeOid };
  const now = ctx.clock.now();
  const minted = mintApproval(
    session,
    {
      repository: seen.repositoryId,
      proposal: state.proposal.name,
      revision,
      decision: 'request_changes',
      risk: state.assessment.risk,
      findingsDigest: findingsDigest(state.analysis.findings),
      policyDigest: state.governance.policy.digest as string,
      sandbox: sandboxSummary(state),
      reason,
    },
    { now, lifetimeHours: policy.approvalLifetimeHours },
  );
  const known = ctx.appDb.prepare('SELECT 1 FROM change_requests WHERE jti = ?');
  const verified = await verifyApproval(minted.token, {
    trustList: state.governance.trustList,
    audience: seen.repositoryId,
    expected: { head: revision.head, tree: revision.tree, base: revision.base, proposal: state.proposal.name },
    now,
    maxLifetimeHours: policy.approvalLifetimeHours,
    seenJti: (jti) => ctx.approvals.hasJti(jti) || known.get(jti) !== undefined,
  });
  const row: ChangeRequestRow = {
    jti: verified.claims.jti,
    token: minted.token,
    repository: seen.repositoryId,
    proposal: state.proposal.name,
    head: revision.head,
    tree: revision.tree,
    operator_id: session.operatorId,
    operator_name: session.name,
    role: session.role,
    key_id: session.keyId,
    reason,
    issued_at: now.toISOString(),
  };
  // One transaction: whoever reads the database (an agent's wait_for_decision in another process) sees the
  // request together with its published comments, never the request alone.
  const decision = { kind: 'request_changes', jti: row.jti } as const;
  const published = ctx.appDb
    .transaction(() => {
      const drafts = markPublished(ctx, session.operatorId, seen.repositoryId, state.proposal.name, decision);
      insertChangeRequest(ctx.appDb, row, drafts.map(commentReference));
      return drafts;
    })
    .immediate();
  ctx.audit.record({
    action: 'decision.changes-requested',
    subject: `proposal:${seen.repositoryId}/${state.proposal.name}`,
    payload: { jti: row.jti, keyId: session.keyId, head: revision.head, tree: revision.tree, base: revision.base, risk: state.assessment.risk, reason, token: minted.token },
  });
  auditPublished(ctx, seen.repositoryId, state.proposal.name, decision, published);
  const references = published.map(commentReference);
  // Like a decision, the request travels with the repository: a signed record, then shared.
  await appendRepositoryRecord(ctx, state.handle, session, { kind: 'change-request', token: minted.token, comments: references });
  await publishAuditHead(ctx, state.handle, session);
  await shareRecords(ctx, state.handle);
  ctx.events.emit('repo:changed', { repositoryId: seen.repositoryId, what: 'changes requested' });
  return changeRequestView(row, revision.head, published.length);
}

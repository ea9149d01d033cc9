/**
 * Approvals, rejections, revocations and applies in the app database.
 *
 * Rows are append-only (triggers refuse DELETE and any UPDATE other than marking an approval outdated):
 * a decision, once registered, stays. The token is stored verbatim beside its decoded claims so it
 * can be re-verified against the current trust list at any time; the decoded columns only index it.
 * A `jti` may be registered once: the second registration of a token is a replay and is refused.
 */
import { type Clock, systemClock } from '../../../shared/model/clock';
import { Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { type Db, migrate, type Migration } from '../db/sqlite';
import { ApprovalClaims, RevocationClaims } from './claims';
import { ApprovalVerificationError, type VerifiedApproval, type VerifiedRevocation } from './verify';

/** Migration domain of the approval tables. */
export const APPROVALS_DOMAIN = 'approvals';

/** The approvals schema, one step per version. */
export const APPROVALS_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'approvals, revocations and applies',
    up(db) {
      db.exec(`
        CREATE TABLE approvals (
          jti TEXT PRIMARY KEY,
          token TEXT NOT NULL,
          repository TEXT NOT NULL,
          proposal TEXT NOT NULL,
          base TEXT NOT NULL,
          head TEXT NOT NULL,
          tree TEXT NOT NULL,
          decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
          risk TEXT NOT NULL,
          key_id TEXT NOT NULL,
          operator_id TEXT NOT NULL,
          operator_name TEXT NOT NULL,
          role TEXT NOT NULL,
          reason TEXT NOT NULL,
          issued_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          claims TEXT NOT NULL,
          recorded_at TEXT NOT NULL,
          outdated_at TEXT
        ) STRICT;
        CREATE INDEX approvals_revision ON approvals (repository, head, tree);
        CREATE INDEX approvals_proposal ON approvals (repository, proposal);
        CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
          BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;
        CREATE TRIGGER approvals_only_outdated BEFORE UPDATE ON approvals
          WHEN NEW.jti IS NOT OLD.jti OR NEW.token IS NOT OLD.token OR NEW.claims IS NOT OLD.claims
            OR NEW.repository IS NOT OLD.repository OR NEW.proposal IS NOT OLD.proposal OR NEW.base IS NOT OLD.base
            OR NEW.head IS NOT OLD.head OR NEW.tree IS NOT OLD.tree OR NEW.decision IS NOT OLD.decision
            OR NEW.risk IS NOT OLD.risk OR NEW.key_id IS NOT OLD.key_id OR NEW.operator_id IS NOT OLD.operator_id
            OR NEW.operator_name IS NOT OLD.operator_name OR NEW.role IS NOT OLD.role OR NEW.reason IS NOT OLD.reason
            OR NEW.issued_at IS NOT OLD.issued_at OR NEW.expires_at IS NOT OLD.expires_at
            OR NEW.recorded_at IS NOT OLD.recorded_at OR (OLD.outdated_at IS NOT NULL AND NEW.outdated_at IS NOT OLD.outdated_at)
          BEGIN SELECT RAISE(ABORT, 'approvals are append-only; only outdated_at may be set, once'); END;

        CREATE TABLE revocations (
          jti TEXT PRIMARY KEY,
          revokes TEXT NOT NULL UNIQUE,
          token TEXT NOT NULL,
          repository TEXT NOT NULL,
          key_id TEXT NOT NULL,
          operator_id TEXT NOT NULL,
          operator_name TEXT NOT NULL,
          reason TEXT NOT NULL,
          issued_at INTEGER NOT NULL,
          claims TEXT NOT NULL,
          recorded_at TEXT NOT NULL
        ) STRICT;
        CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations
          BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
        CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations
          BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;

        CREATE TABLE applies (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          repository TEXT NOT NULL,
          proposal TEXT NOT NULL,
          head TEXT NOT NULL,
          tree TEXT NOT NULL,
          approvals TEXT NOT NULL,
          applied_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX applies_repository_time ON applies (repository, applied_at);
        CREATE TRIGGER applies_no_delete BEFORE DELETE ON applies
          BEGIN SELECT RAISE(ABORT, 'applies are append-only'); END;
        CREATE TRIGGER applies_no_update BEFORE UPDATE ON applies
          BEGIN SELECT RAISE(ABORT, 'applies are append-only'); END;
      `);
    },
  },
];

/** A registered decision. Re-verify `token` against the current trust list before relying on it. */
export interface StoredApproval {
  readonly token: string;
  readonly claims: ApprovalClaims;
  readonly signer: { readonly operatorId: string; readonly name: string; readonly role: Role; readonly keyId: string };
  readonly recordedAt: string;
  /** When a newer head of the proposal made this approval outdated, or null. */
  readonly outdatedAt: string | null;
}

/** A registered revocation. */
export interface StoredRevocation {
  readonly token: string;
  readonly claims: RevocationClaims;
  readonly signer: { readonly operatorId: string; readonly name: string; readonly keyId: string };
  readonly recordedAt: string;
}

/** One apply, as counted by the rate limit. */
export interface ApplyRecord {
  readonly repository: string;
  readonly proposal: string;
  readonly head: string;
  readonly tree: string;
  /** `jti`s of the approvals the gate counted. */
  readonly approvals: ReadonlyArray<string>;
  readonly at: Date;
}

/** The approval tables. */
export interface ApprovalStore {
  /** Registers a verified decision; refuses a `jti` seen before (replay) with VerificationFailed. */
  record(approval: VerifiedApproval): StoredApproval;
  /** Registers a verified revocation; refuses a replay and a second revocation of the same approval. */
  recordRevocation(revocation: VerifiedRevocation): StoredRevocation;
  /** True if an approval or revocation with this `jti` is registered. */
  hasJti(jti: string): boolean;
  get(jti: string): StoredApproval | null;
  /** Decisions for one exact revision of a repository, oldest first. */
  listByRevision(revision: { readonly repository: string; readonly head: string; readonly tree: string }): ReadonlyArray<StoredApproval>;
  /** Every decision on a proposal, oldest first (current and outdated). */
  listByProposal(repository: string, proposal: string): ReadonlyArray<StoredApproval>;
  /** Marks decisions on a proposal for any head other than `head` as outdated; returns how many. */
  markOutdated(target: { readonly repository: string; readonly proposal: string; readonly head: string }): number;
  isRevoked(jti: string): boolean;
  revocationOf(jti: string): StoredRevocation | null;
  listRevocations(repository: string): ReadonlyArray<StoredRevocation>;
  /** Records an apply (for the rate limit, which must hold across restarts). */
  recordApply(apply: ApplyRecord): void;
  /** Applies to a repository at or after `since`. */
  countAppliesSince(repository: string, since: Date): number;
}

interface ApprovalRow {
  token: string;
  claims: string;
  operator_id: string;
  operator_name: string;
  role: string;
  key_id: string;
  recorded_at: string;
  outdated_at: string | null;
}

interface RevocationRow {
  token: string;
  claims: string;
  operator_id: string;
  operator_name: string;
  key_id: string;
  recorded_at: string;
}

function toStoredApproval(row: ApprovalRow): StoredApproval {
  return {
    token: row.token,
    claims: ApprovalClaims.parse(JSON.parse(row.claims)),
    signer: { operatorId: row.operator_id, name: row.operator_name, role: Role.parse(row.role), keyId: row.key_id },
    recordedAt: row.recorded_at,
    outdatedAt: row.outdated_at,
  };
}

function toStoredRevocation(row: RevocationRow): StoredRevocation {
  return {
    token: row.token,
    claims: RevocationClaims.parse(JSON.parse(row.claims)),
    signer: { operatorId: row.operator_id, name: row.operator_name, keyId: row.key_id },
    recordedAt: row.recorded_at,
  };
}

/** Options for {@link openApprovalStore}. */
export interface ApprovalStoreOptions {
  readonly clock?: Clock;
}

/** Opens the approval store on an app database, migrating the `approvals` domain. */
export function openApprovalStore(db: Db, options: ApprovalStoreOptions = {}): ApprovalStore {
  const clock = options.clock ?? systemClock;
  migrate(db, APPROVALS_DOMAIN, APPROVALS_MIGRATIONS);
  const approvalColumns = 'token, claims, operator_id, operator_name, role, key_id, recorded_at, outdated_at';
  const revocationColumns = 'token, claims, operator_id, operator_name, key_id, recorded_at';
  const insertApproval = db.prepare(`INSERT INTO approvals (jti, token, repository, proposal, base, head, tree, decision, risk,
      key_id, operator_id, operator_name, role, reason, issued_at, expires_at, claims, recorded_at)
    VALUES (@jti, @token, @repository, @proposal, @base, @head, @tree, @decision, @risk,
      @key_id, @operator_id, @operator_name, @role, @reason, @issued_at, @expires_at, @claims, @recorded_at)`);
  const insertRevocation = db.prepare(`INSERT INTO revocations (jti, revokes, token, repository, key_id, operator_id,
      operator_name, reason, issued_at, claims, recorded_at)
    VALUES (@jti, @revokes, @token, @repository, @key_id, @operator_id, @operator_name, @reason, @issued_at, @claims, @recorded_at)`);
  const jtiExists = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM approvals WHERE jti = ? UNION ALL SELECT 1 FROM revocations WHERE jti = ? LIMIT 1',
  );
  const approvalByJti = db.prepare<[string], ApprovalRow>(`SELECT ${approvalColumns} FROM approvals WHERE jti = ?`);
  const approvalsByRevision = db.prepare<[string, string, string], ApprovalRow>(
    `SELECT ${approvalColumns} FROM approvals WHERE repository = ? AND head = ? AND tree = ? ORDER BY issued_at, rowid`,
  );
  const approvalsByProposal = db.prepare<[string, string], ApprovalRow>(
    `SELECT ${approvalColumns} FROM approvals WHERE repository = ? AND proposal = ? ORDER BY issued_at, rowid`,
  );
  const outdate = db.prepare(
    'UPDATE approvals SET outdated_at = ? WHERE repository = ? AND proposal = ? AND head <> ? AND outdated_at IS NULL',
  );
  const revocationByTarget = db.prepare<[string], RevocationRow>(`SELECT ${revocationColumns} FROM revocations WHERE revokes = ?`);
  const revocationsByRepository = db.prepare<[string], RevocationRow>(
    `SELECT ${revocationColumns} FROM revocations WHERE repository = ? ORDER BY issued_at, rowid`,
  );
  const insertApply = db.prepare(
    'INSERT INTO applies (repository, proposal, head, tree, approvals, applied_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const appliesSince = db.prepare<[string, number], { n: number }>(
    'SELECT COUNT(*) AS n FROM applies WHERE repository = ? AND applied_at >= ?',
  );

  function hasJti(jti: string): boolean {
    return jtiExists.get(jti, jti) !== undefined;
  }

  const recordApproval = db.transaction((approval: VerifiedApproval): StoredApproval => {
    const { claims, signer, token } = approval;
    if (hasJti(claims.jti)) throw new ApprovalVerificationError('replay', 'this token id has already been registered (replay)');
    const recordedAt = clock.now().toISOString();
    insertApproval.run({
      jti: claims.jti,
      token,
      repository: claims.aud,
      proposal: claims.sub,
      base: claims.base,
      head: claims.head,
      tree: claims.tree,
      decision: claims.decision,
      risk: claims.risk,
      key_id: signer.keyId,
      operator_id: signer.id,
      operator_name: signer.name,
      role: signer.role,
      reason: claims.reason,
      issued_at: claims.iat,
      expires_at: claims.exp,
      claims: JSON.stringify(claims),
      recorded_at: recordedAt,
    });
    return {
      token,
      claims,
      signer: { operatorId: signer.id, name: signer.name, role: signer.role, keyId: signer.keyId },
      recordedAt,
      outdatedAt: null,
    };
  });

  const recordRevocation = db.transaction((revocation: VerifiedRevocation): StoredRevocation => {
    const { claims, signer, token } = revocation;
    if (hasJti(claims.jti)) throw new ApprovalVerificationError('replay', 'this token id has already been registered (replay)');
    if (revocationByTarget.get(claims.revokes)) throw new GatehouseError(ErrorCode.Conflict, 'this approval is already revoked');
    const target = approvalByJti.get(claims.revokes);
    if (target && toStoredApproval(target).claims.aud !== claims.aud)
      throw new GatehouseError(ErrorCode.Refused, 'the revocation names another repository than the approval it revokes');
    const recordedAt = clock.now().toISOString();
    insertRevocation.run({
      jti: claims.jti,
      revokes: claims.revokes,
      token,
      repository: claims.aud,
      key_id: signer.keyId,
      operator_id: signer.id,
      operator_name: signer.name,
      reason: claims.reason,
      issued_at: claims.iat,
      claims: JSON.stringify(claims),
      recorded_at: recordedAt,
    });
    return { token, claims, signer: { operatorId: signer.id, name: signer.name, keyId: signer.keyId }, recordedAt };
  });

  return {
    record: (approval) => recordApproval.immediate(approval),
    recordRevocation: (revocation) => recordRevocation.immediate(revocation),
    hasJti,
    get(jti) {
      const row = approvalByJti.get(jti);
      return row ? toStoredApproval(row) : null;
    },
    listByRevision(revision) {
      return approvalsByRevision.all(revision.repository, revision.head, revision.tree).map(toStoredApproval);
    },
    listByProposal(repository, proposal) {
      return approvalsByProposal.all(repository, proposal).map(toStoredApproval);
    },
    markOutdated(target) {
      return outdate.run(clock.now().toISOString(), target.repository, target.proposal, target.head).changes;
    },
    isRevoked(jti) {
      return revocationByTarget.get(jti) !== undefined;
    },
    revocationOf(jti) {
      const row = revocationByTarget.get(jti);
      return row ? toStoredRevocation(row) : null;
    },
    listRevocations(repository) {
      return revocationsByRepository.all(repository).map(toStoredRevocation);
    },
    recordApply(apply) {
      insertApply.run(apply.repository, apply.proposal, apply.head, apply.tree, JSON.stringify(apply.approvals), apply.at.getTime());
    },
    countAppliesSince(repository, since) {
      return appliesSince.get(repository, since.getTime())?.n ?? 0;
    },
  };
}

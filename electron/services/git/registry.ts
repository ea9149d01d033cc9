/**
 * The repositories Gatehouse knows, kept in the app database (domain `repositories`).
 *
 * A repository is registered by the real path of its working tree, a target branch that must exist,
 * and a proposal ref pattern (default `refs/heads/proposals/*`).
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { systemClock, type Clock } from '../../../shared/model/clock';
import { migrate, type Db, type Migration } from '../db/sqlite';
import { GitConflictError, GitInvalidInputError, GitNotFoundError } from './errors';
import { resolveRefOrNull, validateRefName, validateRefPattern } from './refs';
import { DEFAULT_PROPOSAL_PATTERN, openRepository } from './repository';

/** A registered repository. */
export interface RepositoryRecord {
  readonly id: string;
  /** Real path of the working tree. */
  readonly path: string;
  /** Short branch name (`main`). */
  readonly targetBranch: string;
  readonly proposalRefPattern: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Input of {@link RepositoryRegistry.add}. */
export interface AddRepositoryInput {
  readonly path: string;
  readonly targetBranch: string;
  /** Default `refs/heads/proposals/*`. */
  readonly proposalRefPattern?: string;
  /**
   * The team's id for this repository (the audience of its approvals and records), when another desk
   * registered it first; default a new random id.
   */
  readonly id?: string;
}

/** Fields {@link RepositoryRegistry.update} may change. */
export interface UpdateRepositoryInput {
  readonly path?: string;
  readonly targetBranch?: string;
  readonly proposalRefPattern?: string;
}

/** The registry of repositories. */
export interface RepositoryRegistry {
  /** Validates and registers a repository; a path registered twice is a Conflict. */
  add(input: AddRepositoryInput): Promise<RepositoryRecord>;
  /** Every registered repository, oldest first. */
  list(): RepositoryRecord[];
  /** One repository; NotFound when the id is unknown. */
  get(id: string): RepositoryRecord;
  /** Changes path, branch or pattern (validated again). */
  update(id: string, input: UpdateRepositoryInput): Promise<RepositoryRecord>;
  /** Forgets a repository (nothing on disk changes). */
  remove(id: string): void;
}

/** Options for {@link openRepositoryRegistry}. */
export interface RepositoryRegistryOptions {
  readonly db: Db;
  readonly clock?: Clock;
  /** Id generator; default random UUIDs. */
  readonly newId?: () => string;
}

/** Schema of the `repositories` domain. */
export const REPOSITORY_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'create repositories',
    up(db) {
      db.exec(`CREATE TABLE repositories (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        target_branch TEXT NOT NULL,
        proposal_ref_pattern TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`);
    },
  },
];

interface Row {
  readonly id: string;
  readonly path: string;
  readonly target_branch: string;
  readonly proposal_ref_pattern: string;
  readonly created_at: string;
  readonly updated_at: string;
}

function toRecord(row: Row): RepositoryRecord {
  return {
    id: row.id,
    path: row.path,
    targetBranch: row.target_branch,
    proposalRefPattern: row.proposal_ref_pattern,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function normaliseBranch(branch: string): string {
  if (typeof branch !== 'string' || branch.length === 0) throw new GitInvalidInputError('a target branch is required');
  const short = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
  validateRefName(`refs/heads/${short}`);
  return short;
}

async function validated(path: string, targetBranch: string, pattern: string): Promise<{ path: string; targetBranch: string; pattern: string }> {
  if (typeof path !== 'string' || path.length === 0) throw new GitInvalidInputError('a repository path is required');
  const branch = normaliseBranch(targetBranch);
  const refPattern = validateRefPattern(pattern);
  const repo = await openRepository({ dir: path, targetBranch: branch, proposalRefPattern: refPattern });
  if ((await resolveRefOrNull(repo, `refs/heads/${branch}`)) === null) {
    throw new GitNotFoundError(`branch ${branch} does not exist in ${repo.dir}`, { branch });
  }
  return { path: realpathSync(repo.dir), targetBranch: branch, pattern: refPattern };
}

/** Opens the registry on the app database, creating its table when needed. */
export function openRepositoryRegistry(options: RepositoryRegistryOptions): RepositoryRegistry {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? randomUUID;
  migrate(db, 'repositories', REPOSITORY_MIGRATIONS);
  const byId = db.prepare<[string], Row>('SELECT * FROM repositories WHERE id = ?');
  const byPath = db.prepare<[string], Row>('SELECT * FROM repositories WHERE path = ?');
  const all = db.prepare<[], Row>('SELECT * FROM repositories ORDER BY created_at, id');
  const insert = db.prepare('INSERT INTO repositories (id, path, target_branch, proposal_ref_pattern, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  const change = db.prepare('UPDATE repositories SET path = ?, target_branch = ?, proposal_ref_pattern = ?, updated_at = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM repositories WHERE id = ?');

  const get = (id: string): RepositoryRecord => {
    const row = byId.get(id);
    if (row === undefined) throw new GitNotFoundError(`no repository ${id}`, { id });
    return toRecord(row);
  };

  return {
    async add(input) {
      const v = await validated(input.path, input.targetBranch, input.proposalRefPattern ?? DEFAULT_PROPOSAL_PATTERN);
      const existing = byPath.get(v.path);
      if (existing !== undefined) throw new GitConflictError(`${v.path} is already registered as ${existing.id}`, { id: existing.id });
      if (input.id !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(input.id)) throw new GitInvalidInputError('a repository id is 1-64 letters, digits, "_" or "-"');
      if (input.id !== undefined && byId.get(input.id) !== undefined) throw new GitConflictError(`repository id ${input.id} is already registered`, { id: input.id });
      const id = input.id ?? newId();
      const now = clock.now().toISOString();
      insert.run(id, v.path, v.targetBranch, v.pattern, now, now);
      return get(id);
    },
    list: () => all.all().map(toRecord),
    get,
    async update(id, input) {
      const current = get(id);
      const v = await validated(input.path ?? current.path, input.targetBranch ?? current.targetBranch, input.proposalRefPattern ?? current.proposalRefPattern);
      const clash = byPath.get(v.path);
      if (clash !== undefined && clash.id !== id) throw new GitConflictError(`${v.path} is already registered as ${clash.id}`, { id: clash.id });
      change.run(v.path, v.targetBranch, v.pattern, clock.now().toISOString(), id);
      return get(id);
    },
    remove(id) {
      if (remove.run(id).changes === 0) throw new GitNotFoundError(`no repository ${id}`, { id });
    },
  };
}

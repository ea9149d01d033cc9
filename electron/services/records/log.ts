/**
 * The record log: `refs/gatehouse/records`, an append-only commit graph in the repository itself.
 *
 * Each entry is a commit with the empty tree (as gittuf's RSL entries are) whose message is
 * `Gatehouse record <kind>` and the record's JWS, and whose only parent is the entry before it. The
 * record's signed `prev` must equal that parent, so the signature of any entry pins every entry before
 * it. Two workstations that appended concurrently are joined by a merge entry (two or more parents, no
 * record): records are never rewritten and the ref is never force-pushed.
 *
 * Reading the log checks this structure for every entry reachable from the tip and fails closed
 * ({@link RecordLogBrokenError}) when an entry's `prev` is not its parent, a message is not a record, or
 * an entry's tree is not empty. Signatures are checked by whoever uses a record, against the trust list
 * of the repository state the record is about (see core/landing.ts).
 */
import { GatehouseError, ErrorCode } from '../../../shared/model/result';
import type { ApprovalSigner } from '../approvals';
import { EMPTY_TREE_OID, serialiseCommit, type ParsedCommit } from '../git/object-store';
import { resolveRefOrNull, updateRef } from '../git/refs';
import type { GitRepository } from '../git/repository';
import { mintRecord, readRecordClaims, type RecordBody, type RecordClaims } from './record';

/** Where the log lives. */
export const RECORDS_REF = 'refs/gatehouse/records';

/** Most entries a log may hold before reading refuses (a bound on hostile input). */
export const MAX_LOG_ENTRIES = 200_000;

const RECORD_HEADER = 'Gatehouse record ';
const MERGE_MESSAGE = 'Gatehouse records merge\n';

/** The log's structure is not what Gatehouse writes: an entry was removed, reordered, or forged. */
export class RecordLogBrokenError extends GatehouseError {
  constructor(
    message: string,
    readonly entry: string,
  ) {
    super(ErrorCode.VerificationFailed, message, { entry });
  }
}

/** One record entry of the log (merge entries are not listed). */
export interface LogEntry {
  /** The entry commit's oid. */
  readonly oid: string;
  readonly token: string;
  /** Claims read without checking the signature: use only after `verifyRecord`. */
  readonly claims: RecordClaims;
}

/** The log as read: record entries parents-first, and the tip. */
export interface RecordLog {
  readonly tip: string | null;
  readonly entries: ReadonlyArray<LogEntry>;
}

function identity(repo: GitRepository): { name: string; email: string; timestamp: number; timezoneOffset: number } {
  return { name: repo.identity.name, email: repo.identity.email, timestamp: Math.floor(repo.clock.now().getTime() / 1000), timezoneOffset: 0 };
}

function ensureEmptyTree(repo: GitRepository): void {
  if (!repo.objects.exists(EMPTY_TREE_OID)) repo.objects.write('tree', Buffer.alloc(0));
}

/** Parses one entry commit; null for a merge entry. Throws {@link RecordLogBrokenError}. */
function parseEntry(commit: ParsedCommit, repository: string | null): LogEntry | null {
  if (commit.tree !== EMPTY_TREE_OID) throw new RecordLogBrokenError(`record entry ${commit.oid} has files in it`, commit.oid);
  if (commit.parents.length >= 2) {
    if (commit.message !== MERGE_MESSAGE) throw new RecordLogBrokenError(`merge entry ${commit.oid} carries a message`, commit.oid);
    return null;
  }
  const match = /^Gatehouse record ([a-z-]+)\n\n([A-Za-z0-9_.-]+)\n$/.exec(commit.message);
  if (match === null) throw new RecordLogBrokenError(`entry ${commit.oid} is not a Gatehouse record`, commit.oid);
  let claims: RecordClaims;
  try {
    claims = readRecordClaims(match[2] ?? '');
  } catch (error) {
    throw new RecordLogBrokenError(`entry ${commit.oid}: ${error instanceof Error ? error.message : String(error)}`, commit.oid);
  }
  if (claims.kind !== match[1]) throw new RecordLogBrokenError(`entry ${commit.oid} says ${match[1] ?? ''} but holds a ${claims.kind} record`, commit.oid);
  const parent = commit.parents[0] ?? null;
  if (claims.prev !== parent) {
    throw new RecordLogBrokenError(
      `entry ${commit.oid} was moved: its record follows ${claims.prev ?? 'nothing'}, but the log puts it after ${parent ?? 'nothing'} (an entry was removed, reordered or inserted)`,
      commit.oid,
    );
  }
  if (repository !== null && claims.aud !== repository) throw new RecordLogBrokenError(`entry ${commit.oid} is a record of repository ${claims.aud}, not ${repository}`, commit.oid);
  return { oid: commit.oid, token: match[2] ?? '', claims };
}

/**
 * Reads and structurally checks the log from `tip` (default: the local {@link RECORDS_REF}).
 * `repository` given: every record must be for that repository id.
 */
export async function readRecordLog(repo: GitRepository, options: { readonly tip?: string | null; readonly repository?: string } = {}): Promise<RecordLog> {
  const tip = options.tip === undefined ? await resolveRefOrNull(repo, RECORDS_REF) : options.tip;
  if (tip === null) return { tip: null, entries: [] };
  // Entries are immutable objects: a log read once from a tip is the same log next time (the queue asks per proposal).
  const key = `${tip}\0${options.repository ?? ''}`;
  const cached = lastRead.get(repo);
  if (cached?.key === key) return cached.log;
  const log = await walkLog(repo, tip, options.repository ?? null);
  lastRead.set(repo, { key, log });
  return log;
}

const lastRead = new WeakMap<GitRepository, { readonly key: string; readonly log: RecordLog }>();

async function walkLog(repo: GitRepository, tip: string, repository: string | null): Promise<RecordLog> {
  // Depth-first post-order over parents, iteratively: parents before children, each entry once.
  const order: LogEntry[] = [];
  const done = new Set<string>();
  const stack: Array<{ oid: string; expanded: boolean }> = [{ oid: tip, expanded: false }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { oid: string; expanded: boolean };
    if (done.has(top.oid)) {
      stack.pop();
      continue;
    }
    const commit = await repo.objects.readCommit(top.oid);
    if (!top.expanded) {
      top.expanded = true;
      for (const parent of [...commit.parents].reverse()) if (!done.has(parent)) stack.push({ oid: parent, expanded: false });
      continue;
    }
    stack.pop();
    done.add(top.oid);
    if (done.size > MAX_LOG_ENTRIES) throw new RecordLogBrokenError(`the record log has more than ${MAX_LOG_ENTRIES} entries`, tip);
    const entry = parseEntry(commit, repository);
    if (entry !== null) order.push(entry);
  }
  return { tip, entries: order };
}

/**
 * Appends a record signed by `signer` after the current tip, atomically: the ref moves only from the
 * tip the record names (a concurrent append on this machine retries once on the new tip).
 */
export async function appendRecord(
  repo: GitRepository,
  signer: ApprovalSigner,
  input: { readonly repository: string; readonly body: RecordBody },
): Promise<LogEntry> {
  return repo.exclusive(async () => {
    for (let attempt = 0; ; attempt += 1) {
      const prev = await resolveRefOrNull(repo, RECORDS_REF);
      const now = repo.clock.now();
      const token = mintRecord(signer, { repository: input.repository, prev, now, body: input.body });
      ensureEmptyTree(repo);
      const who = identity(repo);
      const message = `${RECORD_HEADER}${input.body.kind}\n\n${token}\n`;
      const oid = repo.objects.write('commit', serialiseCommit({ tree: EMPTY_TREE_OID, parents: prev === null ? [] : [prev], author: who, committer: who, message }));
      try {
        await updateRef(repo, RECORDS_REF, oid, prev, `gatehouse record ${input.body.kind}`);
      } catch (error) {
        if (attempt < 3 && error instanceof GatehouseError && error.code === ErrorCode.Conflict) continue;
        throw error;
      }
      return { oid, token, claims: readRecordClaims(token) };
    }
  });
}

/** Writes a merge entry joining several log tips (no record of its own); returns its oid. */
export function writeMergeEntry(repo: GitRepository, parents: ReadonlyArray<string>): string {
  if (parents.length < 2) throw new GatehouseError(ErrorCode.InvalidInput, 'a merge entry joins at least two tips');
  ensureEmptyTree(repo);
  const who = identity(repo);
  return repo.objects.write('commit', serialiseCommit({ tree: EMPTY_TREE_OID, parents: [...parents].sort(), author: who, committer: who, message: MERGE_MESSAGE }));
}

/** True when `ancestor` is reachable from `descendant` (or equal), walking every parent. */
export async function isAncestor(repo: GitRepository, ancestor: string, descendant: string, limit = 1_000_000): Promise<boolean> {
  if (ancestor === descendant) return true;
  const seen = new Set<string>([descendant]);
  const queue = [descendant];
  while (queue.length > 0) {
    const oid = queue.shift() as string;
    for (const parent of (await repo.objects.readCommit(oid)).parents) {
      if (parent === ancestor) return true;
      if (!seen.has(parent)) {
        if (seen.size >= limit) throw new GatehouseError(ErrorCode.InvalidInput, 'history too long to search');
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return false;
}

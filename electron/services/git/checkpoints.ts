/**
 * Checkpoints: refs under `refs/gatehouse/checkpoints/<id>`, each naming a commit that captures the
 * branch head, the index and the working tree (untracked files included, ignored files not).
 *
 * Shape, like `git stash`: the checkpoint commit's tree is the working-tree snapshot; its first parent
 * is the head (so `git log` shows where it came from) and its second parent is a commit whose tree is
 * the index (so the index tree stays reachable and survives `git gc`). The message carries trailers
 * with the id, reason, operator, time, branch, head oid and index tree; reason and operator are JSON
 * strings so any text round-trips.
 */
import { randomBytes } from 'node:crypto';
import { GitConflictError, GitInvalidInputError, GitNotFoundError } from './errors';
import { readIndex, readIndexFile } from './index-file';
import { serialiseCommit } from './object-store';
import { deleteRef, isOid, listRefsMatching, readHead, resolveRefOrNull, updateRef, validateRefName, type RefWriteOptions } from './refs';
import type { GitRepository } from './repository';
import { rememberedIndexTree, scanWorktree, scanWorktreeLean, writeSnapshotTrees, type SkippedFile, type WorktreeScan } from './worktree';

/** The ref folder checkpoints live in. */
export const CHECKPOINT_REF_PREFIX = 'refs/gatehouse/checkpoints/';

/** A checkpoint as read back from its commit. */
export interface Checkpoint {
  readonly id: string;
  readonly ref: string;
  /** The checkpoint commit. */
  readonly oid: string;
  readonly reason: string;
  readonly operator: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Full ref HEAD named, or null when it was detached. */
  readonly branch: string | null;
  readonly headOid: string | null;
  readonly indexTree: string;
  readonly worktreeTree: string;
}

/** A checkpoint just created, with the untracked files it did not capture. */
export interface CreatedCheckpoint extends Checkpoint {
  readonly skipped: ReadonlyArray<SkippedFile>;
}

/** What a snapshot of the repository's current state holds (before it becomes a checkpoint). */
export interface RepositoryState {
  readonly branch: string | null;
  readonly headOid: string | null;
  readonly indexTree: string;
  readonly worktreeTree: string;
  readonly scan: WorktreeScan;
}

/** Input of {@link createCheckpoint}. */
export interface CreateCheckpointInput {
  readonly reason: string;
  readonly operator: string;
}

const ID = /^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$/u;

/** Validates a checkpoint id (`20250101T120000123Z-1a2b3c4d`). */
export function validateCheckpointId(id: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw new GitInvalidInputError(`not a checkpoint id: ${JSON.stringify(id)}`);
  return id;
}

function newCheckpointId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/gu, '').replace('.', '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * Captures the current head, index and working tree as objects (blobs for changed and untracked
 * files, trees for both snapshots). Nothing refers to them until a checkpoint commit does.
 *
 * `lean`: when the index's tree is already known (Gatehouse wrote or snapshotted this index before), the
 * working tree is scanned in one streamed pass over the index file ({@link scanWorktreeLean}) and the
 * scan keeps only the files that differ from their entries: what a rollback needs of the state it
 * leaves, for a fraction of a full scan's allocations. Otherwise the full scan runs.
 */
export async function captureState(repo: GitRepository, options: { readonly lean?: boolean } = {}): Promise<RepositoryState> {
  const head = await readHead(repo);
  if (options.lean === true) {
    const file = readIndexFile(repo.gitdir);
    const trailer = file === null || file.bytes.length < 20 ? '' : file.bytes.toString('hex', file.bytes.length - 20);
    // A zero trailer (index.skipHash) names nothing; an unknown tree needs the entries to be built.
    if (file !== null && trailer !== '0'.repeat(40) && rememberedIndexTree(repo, trailer) !== undefined) {
      return repo.objects.batch(async () => {
        const scan = scanWorktreeLean(repo, file, trailer);
        const trees = await writeSnapshotTrees(repo, scan);
        return { branch: head.branch, headOid: head.oid, indexTree: trees.indexTree, worktreeTree: trees.worktreeTree, scan };
      });
    }
  }
  const index = readIndex(repo.gitdir, repo.memo);
  // One batch: the blobs and trees of a large change land in a single pack, not a file each.
  return repo.objects.batch(async () => {
    const scan = scanWorktree(repo, index, { untracked: true, content: 'write' });
    const trees = await writeSnapshotTrees(repo, scan);
    return { branch: head.branch, headOid: head.oid, indexTree: trees.indexTree, worktreeTree: trees.worktreeTree, scan };
  });
}

function trailerValue(message: string, key: string): string | null {
  const match = new RegExp(`^${key}: (.*)$`, 'mu').exec(message);
  return match === null ? null : (match[1] as string);
}

function jsonTrailer(message: string, key: string): string {
  const raw = trailerValue(message, key);
  if (raw === null) return '';
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'string' ? value : raw;
  } catch {
    return raw;
  }
}

/** Reads a checkpoint by id. */
export async function getCheckpoint(repo: GitRepository, id: string): Promise<Checkpoint> {
  const ref = `${CHECKPOINT_REF_PREFIX}${validateCheckpointId(id)}`;
  const oid = await resolveRefOrNull(repo, ref);
  if (oid === null) throw new GitNotFoundError(`no checkpoint ${id}`, { id });
  return readCheckpointCommit(repo, id, ref, oid);
}

async function readCheckpointCommit(repo: GitRepository, id: string, ref: string, oid: string): Promise<Checkpoint> {
  const commit = await repo.objects.readCommit(oid);
  const message = commit.message;
  const branch = trailerValue(message, 'Gatehouse-Branch');
  const headOid = trailerValue(message, 'Gatehouse-Head');
  const indexTree = trailerValue(message, 'Gatehouse-Index-Tree');
  if (trailerValue(message, 'Gatehouse-Checkpoint') !== id || indexTree === null || !isOid(indexTree)) {
    throw new GitNotFoundError(`${ref} is not a Gatehouse checkpoint`, { id });
  }
  return {
    id,
    ref,
    oid,
    reason: jsonTrailer(message, 'Gatehouse-Reason'),
    operator: jsonTrailer(message, 'Gatehouse-Operator'),
    createdAt: trailerValue(message, 'Gatehouse-Time') ?? new Date(commit.committer.timestamp * 1000).toISOString(),
    branch: branch === null || branch === 'HEAD' ? null : branch,
    headOid: headOid !== null && isOid(headOid) ? headOid : null,
    indexTree,
    worktreeTree: commit.tree,
  };
}

/** Writes the checkpoint commits and ref for a captured state. */
export async function commitCheckpoint(
  repo: GitRepository,
  state: Omit<RepositoryState, 'scan'> & { readonly scan: Pick<WorktreeScan, 'skipped'> },
  input: CreateCheckpointInput,
  refOptions: RefWriteOptions = {},
): Promise<CreatedCheckpoint> {
  if (typeof input.reason !== 'string' || typeof input.operator !== 'string' || input.operator.trim().length === 0) {
    throw new GitInvalidInputError('a checkpoint needs a reason and an operator');
  }
  const now = repo.clock.now();
  const id = newCheckpointId(now);
  const ref = validateRefName(`${CHECKPOINT_REF_PREFIX}${id}`);
  const signature = {
    name: repo.identity.name,
    email: repo.identity.email,
    timestamp: Math.floor(now.getTime() / 1000),
    timezoneOffset: 0,
  };
  const headParents = state.headOid === null ? [] : [state.headOid];
  const indexCommit = repo.objects.write(
    'commit',
    serialiseCommit({ tree: state.indexTree, parents: headParents, author: signature, committer: signature, message: `Gatehouse checkpoint ${id}: index\n` }),
  );
  const firstLine = input.reason.split('\n')[0]?.slice(0, 72) ?? '';
  const message = [
    `Gatehouse checkpoint: ${firstLine.length > 0 ? firstLine : id}`,
    '',
    `Gatehouse-Checkpoint: ${id}`,
    `Gatehouse-Reason: ${JSON.stringify(input.reason)}`,
    `Gatehouse-Operator: ${JSON.stringify(input.operator)}`,
    `Gatehouse-Time: ${now.toISOString()}`,
    `Gatehouse-Branch: ${state.branch ?? 'HEAD'}`,
    `Gatehouse-Head: ${state.headOid ?? 'none'}`,
    `Gatehouse-Index-Tree: ${state.indexTree}`,
    '',
  ].join('\n');
  const oid = repo.objects.write(
    'commit',
    serialiseCommit({ tree: state.worktreeTree, parents: [...headParents, indexCommit], author: signature, committer: signature, message }),
  );
  await updateRef(repo, ref, oid, null, `gatehouse checkpoint: ${firstLine}`, refOptions);
  return {
    id,
    ref,
    oid,
    reason: input.reason,
    operator: input.operator,
    createdAt: now.toISOString(),
    branch: state.branch,
    headOid: state.headOid,
    indexTree: state.indexTree,
    worktreeTree: state.worktreeTree,
    skipped: state.scan.skipped,
  };
}

/** Creates a checkpoint of the current head, index and working tree. */
export async function createCheckpoint(repo: GitRepository, input: CreateCheckpointInput): Promise<CreatedCheckpoint> {
  return repo.exclusive(async () => commitCheckpoint(repo, await captureState(repo), input));
}

/** How many checkpoint refs there are (no commit read). */
export async function countCheckpoints(repo: GitRepository): Promise<number> {
  const refs = await listRefsMatching(repo, `${CHECKPOINT_REF_PREFIX}*`);
  return refs.filter((ref) => ID.test(ref.slice(CHECKPOINT_REF_PREFIX.length))).length;
}

/** Lists checkpoints, newest first. */
export async function listCheckpoints(repo: GitRepository): Promise<Checkpoint[]> {
  const refs = await listRefsMatching(repo, `${CHECKPOINT_REF_PREFIX}*`);
  const out: Checkpoint[] = [];
  for (const ref of refs) {
    const id = ref.slice(CHECKPOINT_REF_PREFIX.length);
    if (!ID.test(id)) continue;
    const oid = await resolveRefOrNull(repo, ref);
    if (oid === null) continue;
    try {
      out.push(await readCheckpointCommit(repo, id, ref, oid));
    } catch (error) {
      // A ref someone else put in our folder is not a checkpoint; skip it rather than fail the list.
      if (!(error instanceof GitNotFoundError)) throw error;
    }
  }
  return out.sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
}

/** Which checkpoints to keep when pruning. */
export interface PrunePolicy {
  /** Keep the newest N. */
  readonly keepLast?: number;
  /** Keep every checkpoint created at or after this time. */
  readonly newerThan?: Date;
  /** Checkpoints never pruned, whatever their age (the last apply's checkpoint). */
  readonly protect?: ReadonlyArray<string>;
  /** Never prune a checkpoint the repository is in right now (default true). */
  readonly keepCurrent?: boolean;
  /** List what would be pruned, delete nothing. */
  readonly dryRun?: boolean;
}

/**
 * Deletes checkpoint refs that no policy rule keeps: a checkpoint stays when it is among the newest
 * `keepLast`, or newer than `newerThan`, or protected, or the state the repository is in now. The newest
 * checkpoint is always kept. Returns the ids deleted (with `dryRun`: that would be). The objects stay
 * until `git gc` expires them.
 */
export async function pruneCheckpoints(repo: GitRepository, policy: PrunePolicy): Promise<string[]> {
  if (policy.keepLast === undefined && policy.newerThan === undefined) {
    throw new GitInvalidInputError('a prune policy needs keepLast or newerThan');
  }
  if (policy.keepLast !== undefined && (!Number.isInteger(policy.keepLast) || policy.keepLast < 0)) {
    throw new GitInvalidInputError('keepLast must be a non-negative integer');
  }
  if (policy.newerThan !== undefined && Number.isNaN(policy.newerThan.getTime())) throw new GitInvalidInputError('newerThan is not a valid time');
  const protectedIds = new Set(policy.protect ?? []);
  return repo.exclusive(async () => {
    const all = await listCheckpoints(repo);
    const candidates: Checkpoint[] = [];
    all.forEach((checkpoint, position) => {
      if (position === 0) return;
      if (policy.keepLast !== undefined && position < policy.keepLast) return;
      if (policy.newerThan !== undefined && new Date(checkpoint.createdAt).getTime() >= policy.newerThan.getTime()) return;
      if (protectedIds.has(checkpoint.id)) return;
      candidates.push(checkpoint);
    });
    let deleted = candidates;
    if (candidates.length > 0 && (policy.keepCurrent ?? true)) {
      // Only worth a scan of the working tree when something would go.
      const now = await captureState(repo);
      deleted = candidates.filter((checkpoint) => !sameState(now, checkpoint));
    }
    if (policy.dryRun !== true) for (const checkpoint of deleted) await deleteRef(repo, checkpoint.ref);
    return deleted.map((checkpoint) => checkpoint.id);
  });
}

/** Whether a captured state equals what a checkpoint recorded. */
export function sameState(state: RepositoryState, checkpoint: Checkpoint): boolean {
  return (
    state.branch === checkpoint.branch &&
    state.headOid === checkpoint.headOid &&
    state.indexTree === checkpoint.indexTree &&
    state.worktreeTree === checkpoint.worktreeTree
  );
}

/** Options for {@link startCheckpointTimer}. */
export interface CheckpointTimerOptions {
  readonly repo: GitRepository;
  /** Default two hours. */
  readonly intervalMs?: number;
  /** Default `gatehouse`. */
  readonly operator?: string;
  /** Default `periodic checkpoint`. */
  readonly reason?: string;
  /** Called with each checkpoint taken. */
  readonly onCheckpoint?: (checkpoint: CreatedCheckpoint) => void;
  /** Called when a tick fails (the timer keeps running). */
  readonly onError?: (error: unknown) => void;
}

/** A running periodic checkpoint timer. */
export interface CheckpointTimer {
  /** Stops the timer; a tick already running finishes. */
  stop(): void;
  /** Runs one tick now: takes a checkpoint when the state differs from the newest one; null otherwise. */
  tick(): Promise<CreatedCheckpoint | null>;
}

/** Default period of {@link startCheckpointTimer}: two hours. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 2 * 60 * 60 * 1000;

/**
 * Takes a checkpoint every `intervalMs` while the app runs, only when something changed since the
 * newest checkpoint (head, branch, index or working tree). The interval is unref'd so it never keeps
 * the process alive; overlapping ticks are skipped.
 */
export function startCheckpointTimer(options: CheckpointTimerOptions): CheckpointTimer {
  const { repo } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 1000) throw new GitInvalidInputError('intervalMs must be at least 1000');
  let running: Promise<CreatedCheckpoint | null> | null = null;
  const tick = (): Promise<CreatedCheckpoint | null> => {
    if (running !== null) return running;
    running = repo
      .exclusive(async () => {
        const state = await captureState(repo);
        const newest = (await listCheckpoints(repo))[0];
        if (newest !== undefined && sameState(state, newest)) return null;
        const checkpoint = await commitCheckpoint(repo, state, {
          reason: options.reason ?? 'periodic checkpoint',
          operator: options.operator ?? 'gatehouse',
        });
        options.onCheckpoint?.(checkpoint);
        return checkpoint;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const handle = setInterval(() => {
    // Fire and forget: failures go to onError, the next tick tries again.
    void tick().catch((error: unknown) => options.onError?.(error));
  }, intervalMs);
  handle.unref();
  return {
    stop: () => clearInterval(handle),
    tick,
  };
}

/** Refuses when a checkpoint's head no longer exists (its branch was garbage-collected). */
export async function assertCheckpointRestorable(repo: GitRepository, checkpoint: Checkpoint): Promise<void> {
  if (checkpoint.headOid !== null) {
    try {
      await repo.objects.readCommit(checkpoint.headOid);
    } catch {
      throw new GitConflictError(`checkpoint ${checkpoint.id} names a head commit that no longer exists`);
    }
  }
}

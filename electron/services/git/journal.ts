/**
 * The operation journal: what a rollback or an apply is about to do to a repository, written to
 * `<gitdir>/gatehouse-journal.json` before the first write to the tree, index or refs, and advanced phase
 * by phase, so that a process killed midway can be finished or undone by the next one to open the
 * repository (see recover.ts).
 *
 * The journal names the state the operation restores or produces (a checkpoint, or the captured trees),
 * the state to go back to, and every lock file it created, by path and inode: recovery removes a lock
 * only when the file there is the very one this journal recorded.
 *
 * Writes are atomic (temp file, fsync, rename, fsync of the directory) so a kill leaves the previous
 * journal or the next one, never half of one.
 *
 * A phase that recovery does not depend on (a rollback's phases after its undo state is recorded: its
 * recovery finishes from the undo state whatever the phase) goes to a side file instead, written without
 * fsync: the durable journal is never replaced by a write that a power loss could leave empty, and a
 * side file that is torn, stale or of another operation is ignored (the journal's own phase stands).
 */
import { closeSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { GitInvalidInputError } from './errors';

/** The journal file inside the git directory. */
export const JOURNAL_FILE = 'gatehouse-journal.json';

/** The side file of informational phases (see the module comment). */
export const JOURNAL_PHASE_FILE = 'gatehouse-journal.phase';

const PHASE_ORDER: ReadonlyArray<JournalPhase> = ['started', 'undo-recorded', 'index-locked', 'tree-written', 'index-written', 'ref-updated'];

/** A repository state an operation restores or leaves: what a checkpoint records. */
export interface JournalState {
  readonly branch: string | null;
  readonly headOid: string | null;
  readonly indexTree: string;
  readonly worktreeTree: string;
  /** The checkpoint holding this state, when there is one. */
  readonly checkpointId: string | null;
}

/** How far an operation got. */
export type JournalPhase = 'started' | 'undo-recorded' | 'index-locked' | 'tree-written' | 'index-written' | 'ref-updated';

/** A lock file the operation created: removable by recovery only while it is this same file. */
export interface JournalLock {
  readonly path: string;
  readonly ino: number;
}

/** The journal of one operation. */
export interface OperationJournal {
  readonly version: 1;
  readonly operation: 'rollback' | 'apply';
  readonly id: string;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly phase: JournalPhase;
  /** Rollback: the checkpoint restored. Apply: the state after the apply (branch at the new head). */
  readonly target: JournalState;
  /** The state before the operation (rollback: its undo checkpoint; apply: the pre-apply checkpoint or captured trees). */
  readonly undo: JournalState | null;
  /** Apply: the target branch's head before, for the compare-and-swap on undo. */
  readonly previousHead?: string | null;
  readonly locks: ReadonlyArray<JournalLock>;
  /** Who asked, for the recovery's audit record. */
  readonly operator: string;
}

function journalPath(gitdir: string): string {
  return `${gitdir}/${JOURNAL_FILE}`;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes (or replaces) the journal atomically and durably. */
export function writeJournal(gitdir: string, journal: OperationJournal): void {
  const path = journalPath(gitdir);
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(journal, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDir(gitdir);
}

/** Starts a journal for an operation of this process. */
export function startJournal(
  gitdir: string,
  input: Pick<OperationJournal, 'operation' | 'id' | 'target' | 'undo' | 'operator'> & { readonly previousHead?: string | null; readonly startedAt: Date },
): JournalHandle {
  let journal: OperationJournal = {
    version: 1,
    operation: input.operation,
    id: input.id,
    pid: process.pid,
    host: hostname(),
    startedAt: input.startedAt.toISOString(),
    phase: 'started',
    target: input.target,
    undo: input.undo,
    ...(input.previousHead === undefined ? {} : { previousHead: input.previousHead }),
    locks: [],
    operator: input.operator,
  };
  writeJournal(gitdir, journal);
  return {
    get current() {
      return journal;
    },
    advance(phase, changes = {}, options = {}) {
      journal = { ...journal, ...changes, phase };
      if (options.durable === false && Object.keys(changes).length === 0) {
        // One write of a few bytes, no fsync, no rename: readJournal ignores it unless it is whole and ours.
        writeFileSync(`${gitdir}/${JOURNAL_PHASE_FILE}`, JSON.stringify({ id: journal.id, phase }), { mode: 0o600 });
        return;
      }
      writeJournal(gitdir, journal);
    },
    lockTaken(path) {
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat === undefined) return;
      journal = { ...journal, locks: [...journal.locks, { path, ino: stat.ino }] };
      writeJournal(gitdir, journal);
    },
    finish() {
      clearJournal(gitdir);
    },
  };
}

/** The running operation's journal. */
export interface JournalHandle {
  readonly current: OperationJournal;
  /**
   * Records the next phase (and anything learnt on the way, such as the undo state). `durable: false`, for
   * a phase recovery does not depend on and with no changes, writes only the side file (no fsync).
   */
  advance(phase: JournalPhase, changes?: Partial<Pick<OperationJournal, 'undo' | 'target'>>, options?: { readonly durable?: boolean }): void;
  /** Records a lock file just created by this operation. */
  lockTaken(path: string): void;
  /** The operation completed (or was put back by itself): the journal goes. */
  finish(): void;
}

/** Reads the journal; null when there is none. A journal that cannot be read is an error, never ignored. */
export function readJournal(gitdir: string): OperationJournal | null {
  let text: string;
  try {
    text = readFileSync(journalPath(gitdir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GitInvalidInputError(`the operation journal ${journalPath(gitdir)} is not JSON; inspect it and remove it by hand`);
  }
  const journal = parsed as Partial<OperationJournal>;
  if (journal.version !== 1 || (journal.operation !== 'rollback' && journal.operation !== 'apply') || typeof journal.target !== 'object' || journal.target === null) {
    throw new GitInvalidInputError(`the operation journal ${journalPath(gitdir)} is not one this version wrote`);
  }
  const later = sidePhase(gitdir, journal as OperationJournal);
  return later === null ? (journal as OperationJournal) : { ...(journal as OperationJournal), phase: later };
}

/** The side file's phase when it is whole, names this journal and is further than the journal's own; else null. */
function sidePhase(gitdir: string, journal: OperationJournal): JournalPhase | null {
  let side: unknown;
  try {
    side = JSON.parse(readFileSync(`${gitdir}/${JOURNAL_PHASE_FILE}`, 'utf8'));
  } catch {
    return null; // missing, torn or not JSON: informational only
  }
  if (typeof side !== 'object' || side === null) return null;
  const { id, phase } = side as { id?: unknown; phase?: unknown };
  if (id !== journal.id || typeof phase !== 'string') return null;
  const at = PHASE_ORDER.indexOf(phase as JournalPhase);
  return at > PHASE_ORDER.indexOf(journal.phase) ? (phase as JournalPhase) : null;
}

/** Removes the journal (its side file first: a kill in between leaves the journal, so recovery still runs). */
export function clearJournal(gitdir: string): void {
  try {
    unlinkSync(`${gitdir}/${JOURNAL_PHASE_FILE}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    unlinkSync(journalPath(gitdir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fsyncDir(gitdir);
}

/**
 * A crash point for the kill -9 tests: when `GATEHOUSE_CRASH_AT` names this point, the process kills
 * itself with SIGKILL right here, as a power cut or `kill -9` would.
 */
export function crashPoint(name: string): void {
  if (process.env.GATEHOUSE_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * Crash recovery: finishes or undoes a rollback or apply that a killed process left half done, from the
 * operation journal it wrote (journal.ts).
 *
 * - A rollback is finished: the tree, index, branch and HEAD are brought to the checkpoint it was
 *   restoring (its undo checkpoint already exists, so the user can still go back). Killed before its undo
 *   checkpoint existed, it had not touched the tree: the journal is only cleared.
 * - An apply is undone back to the state before it (its checkpoint, or the captured trees), unless the
 *   branch had already moved to the new head after the index was written: then it was complete.
 * - Lock files are removed only when the journal recorded that very file (same path and inode); any
 *   other lock is left in place and reported.
 *
 * Idempotent: the journal is removed last, so a recovery killed in turn runs again on the next start.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { captureState } from './checkpoints';
import { clearJournal, readJournal, type JournalPhase, type OperationJournal } from './journal';
import { resolveRefOrNull } from './refs';
import type { GitRepository } from './repository';
import { restoreState } from './rollback';

/** What a recovery did. */
export interface RecoveryReport {
  readonly operation: OperationJournal['operation'];
  readonly journalId: string;
  /** The phase the interrupted operation had reached. */
  readonly phase: JournalPhase;
  /** finished: brought to the target; undone: put back to the state before; cleared: nothing to redo. */
  readonly action: 'finished' | 'undone' | 'cleared';
  readonly operator: string;
  readonly startedAt: string;
  readonly interruptedPid: number;
  /** Lock files the journal proved ours, removed. */
  readonly removedLocks: ReadonlyArray<string>;
  /** Lock files present that the journal does not prove ours, left in place. */
  readonly foreignLocks: ReadonlyArray<string>;
  readonly changedPaths: number;
  /** The checkpoint restored (rollback) or the pre-apply checkpoint (apply), when there is one. */
  readonly checkpointId: string | null;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const PHASES: ReadonlyArray<JournalPhase> = ['started', 'undo-recorded', 'index-locked', 'tree-written', 'index-written', 'ref-updated'];

/** Whether the interrupted operation's process is still running (then nothing is touched). */
export function journalOwnerAlive(journal: OperationJournal): boolean {
  return journal.host === hostname() && journal.pid !== process.pid && processAlive(journal.pid);
}

/**
 * Finishes or undoes an interrupted rollback or apply (see the module comment); null when there is no
 * journal, or when its process is still alive on this host.
 */
export async function recoverInterruptedOperation(repo: GitRepository): Promise<RecoveryReport | null> {
  return repo.exclusive(async () => {
    const journal = readJournal(repo.gitdir);
    if (journal === null || journalOwnerAlive(journal)) return null;
    const removedLocks: string[] = [];
    const foreignLocks: string[] = [];
    const proven = new Map<string, number>();
    for (const lock of journal.locks) proven.set(lock.path, lock.ino);
    for (const [path, ino] of proven) {
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isFile() && stat.ino === ino) {
        unlinkSync(path);
        removedLocks.push(path);
      } else {
        foreignLocks.push(path);
      }
    }
    const indexLock = `${repo.gitdir}/index.lock`;
    if (!proven.has(indexLock) && lstatSync(indexLock, { throwIfNoEntry: false }) !== undefined) foreignLocks.push(indexLock);

    const base = {
      operation: journal.operation,
      journalId: journal.id,
      phase: journal.phase,
      operator: journal.operator,
      startedAt: journal.startedAt,
      interruptedPid: journal.pid,
      removedLocks,
      foreignLocks,
    };
    let action: RecoveryReport['action'] = 'cleared';
    let changedPaths = 0;
    let checkpointId: string | null = null;
    if (journal.operation === 'rollback') {
      checkpointId = journal.target.checkpointId;
      if (journal.undo !== null) {
        const now = await captureState(repo);
        ({ changedPaths } = await restoreState(repo, now, journal.target, null, `gatehouse recovery: finish rollback to ${journal.target.checkpointId ?? journal.target.headOid ?? ''}`));
        action = 'finished';
      }
    } else if (journal.undo !== null) {
      checkpointId = journal.undo.checkpointId;
      const branch = journal.target.branch;
      const branchNow = branch === null ? null : await resolveRefOrNull(repo, branch);
      const indexWritten = PHASES.indexOf(journal.phase) >= PHASES.indexOf('index-written');
      if (indexWritten && branchNow === journal.target.headOid) {
        action = 'finished';
      } else {
        const now = await captureState(repo);
        ({ changedPaths } = await restoreState(repo, now, journal.undo, null, `gatehouse recovery: undo interrupted apply of ${journal.target.headOid ?? ''}`));
        action = 'undone';
      }
    }
    clearJournal(repo.gitdir);
    return { ...base, action, changedPaths, checkpointId };
  });
}

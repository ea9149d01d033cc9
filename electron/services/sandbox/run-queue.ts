/**
 * A FIFO queue that lets at most `concurrency` sandboxed runs hold a slot at once.
 *
 * Pure (no engine): a slot is taken with `acquire(id)` and given back with the returned release
 * function; a waiting entry can be withdrawn with `withdraw(id)`, which rejects its acquire.
 */
import { ErrorCode } from '../../../shared/model/result';
import { SandboxError } from './errors';

/** A slot held by one run; call `release` exactly once (extra calls are ignored). */
export interface RunSlot {
  release(): void;
}

interface Waiter {
  readonly id: string;
  readonly grant: (slot: RunSlot) => void;
  readonly refuse: (error: SandboxError) => void;
}

/** The queue's state, for status displays and tests. */
export interface RunQueueState {
  readonly running: ReadonlyArray<string>;
  readonly queued: ReadonlyArray<string>;
}

/** Creates a run queue with the given concurrency bound (1..64). */
export function createRunQueue(concurrency: number): {
  acquire(id: string): Promise<RunSlot>;
  withdraw(id: string, reason: string): boolean;
  withdrawAll(reason: string): number;
  state(): RunQueueState;
} {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new SandboxError(ErrorCode.InvalidInput, 'sandbox concurrency must be a whole number from 1 to 64');
  }
  const running = new Set<string>();
  const waiting: Waiter[] = [];

  function slotFor(id: string): RunSlot {
    let released = false;
    return {
      release(): void {
        if (released) return;
        released = true;
        running.delete(id);
        const next = waiting.shift();
        if (next) {
          running.add(next.id);
          next.grant(slotFor(next.id));
        }
      },
    };
  }

  return {
    acquire(id: string): Promise<RunSlot> {
      if (running.has(id) || waiting.some((w) => w.id === id)) {
        return Promise.reject(new SandboxError(ErrorCode.Conflict, `sandbox run ${id} is already queued or running`));
      }
      if (running.size < concurrency) {
        running.add(id);
        return Promise.resolve(slotFor(id));
      }
      return new Promise<RunSlot>((grant, refuse) => {
        waiting.push({ id, grant, refuse });
      });
    },
    withdraw(id: string, reason: string): boolean {
      const index = waiting.findIndex((w) => w.id === id);
      if (index < 0) return false;
      const [waiter] = waiting.splice(index, 1);
      waiter?.refuse(new SandboxError(ErrorCode.Cancelled, reason));
      return true;
    },
    withdrawAll(reason: string): number {
      const all = waiting.splice(0, waiting.length);
      for (const waiter of all) waiter.refuse(new SandboxError(ErrorCode.Cancelled, reason));
      return all.length;
    },
    state(): RunQueueState {
      return { running: [...running], queued: waiting.map((w) => w.id) };
    },
  };
}

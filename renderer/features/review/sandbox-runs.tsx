/**
 * Sandbox runs outlive the review view that started them: their live output and result are kept
 * here, above the router, so leaving a proposal and coming back shows the run where it is.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { EventPayload } from '../../../shared/ipc/contract';
import { call, describeError, type ShownError } from '../../api/client';
import { useGatehouseEvent } from '../../api/hooks';

/** Output kept per run; older output is dropped first (the full logs come back in the result). */
const maxLogChars = 256 * 1024;

/** One chunk of live output, as the event carries it. */
export interface OutputChunk {
  readonly side: 'base' | 'head';
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** One line of live output; `open` until its newline arrives (chunks split lines anywhere). */
export interface LogLine {
  readonly side: 'base' | 'head';
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  readonly open: boolean;
}

/** A run as the sandbox panel shows it. */
export interface SandboxRunState {
  readonly runId: string | null;
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly startedAt: number;
  readonly output: ReadonlyArray<LogLine>;
  readonly droppedChars: number;
  readonly finished: EventPayload<'sandbox:finished'> | null;
  readonly startError: ShownError | null;
  readonly cancelError: ShownError | null;
  readonly cancelling: boolean;
}

interface SandboxRuns {
  runFor(repositoryId: string, proposalId: string): SandboxRunState | null;
  start(repositoryId: string, proposalId: string): void;
  cancel(repositoryId: string, proposalId: string): void;
  dismiss(repositoryId: string, proposalId: string): void;
}

const Context = createContext<SandboxRuns | null>(null);

function keyOf(repositoryId: string, proposalId: string): string {
  return `${repositoryId}\u0000${proposalId}`;
}

/** Adds a chunk to a run's lines, continuing the open line of the same side and stream. */
function appendBounded(run: SandboxRunState, chunk: OutputChunk): SandboxRunState {
  const output = [...run.output];
  const pieces = chunk.text.split('\n');
  pieces.forEach((piece, index) => {
    const last = index === pieces.length - 1;
    // The piece after the final newline is empty: the line it would start has no text yet.
    if (last && piece === '' && pieces.length > 1) return;
    const open = last;
    if (index === 0) {
      for (let at = output.length - 1; at >= Math.max(0, output.length - 64); at -= 1) {
        const line = output[at];
        if (line !== undefined && line.open && line.side === chunk.side && line.stream === chunk.stream) {
          output[at] = { ...line, text: line.text + piece, open };
          return;
        }
      }
    }
    output.push({ side: chunk.side, stream: chunk.stream, text: piece, open });
  });
  let total = output.reduce((sum, line) => sum + line.text.length, 0);
  let dropped = run.droppedChars;
  while (total > maxLogChars && output.length > 1) {
    const first = output.shift();
    const length = first?.text.length ?? 0;
    total -= length;
    dropped += length;
  }
  return { ...run, output, droppedChars: dropped };
}

/** Keeps every sandbox run of this session. */
export function SandboxRunsProvider({ children }: { readonly children: ReactNode }) {
  // Runs by proposal; the run id → proposal map lets output events find their run.
  const runs = useRef(new Map<string, SandboxRunState>());
  const byRunId = useRef(new Map<string, string>());
  // Output that arrived before sandbox:run answered with its run id.
  const early = useRef(new Map<string, OutputChunk[]>());
  const [version, setVersion] = useState(0);
  const frame = useRef<number | null>(null);

  const changed = useCallback((): void => {
    // Output can arrive in bursts: re-render at most once per frame.
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      setVersion((value) => value + 1);
    });
  }, []);
  useEffect(() => () => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
  }, []);

  const update = useCallback(
    (key: string, change: (run: SandboxRunState) => SandboxRunState): void => {
      const run = runs.current.get(key);
      if (run === undefined) return;
      runs.current.set(key, change(run));
      changed();
    },
    [changed],
  );

  useGatehouseEvent('sandbox:output', (payload) => {
    const chunk: OutputChunk = { side: payload.side, stream: payload.stream, text: payload.chunk };
    const key = byRunId.current.get(payload.runId);
    if (key === undefined) {
      const list = early.current.get(payload.runId) ?? [];
      list.push(chunk);
      early.current.set(payload.runId, list);
      return;
    }
    update(key, (run) => appendBounded(run, chunk));
  });

  useGatehouseEvent('sandbox:finished', (payload) => {
    const key = keyOf(payload.repositoryId, payload.proposalId);
    const run = runs.current.get(key);
    if (run === undefined || (run.runId !== null && run.runId !== payload.runId)) return;
    update(key, (current) => ({ ...current, runId: payload.runId, finished: payload, cancelling: false }));
  });

  const value = useMemo<SandboxRuns>(
    () => ({
      runFor: (repositoryId, proposalId) => runs.current.get(keyOf(repositoryId, proposalId)) ?? null,
      start: (repositoryId, proposalId) => {
        const key = keyOf(repositoryId, proposalId);
        runs.current.set(key, {
          runId: null,
          repositoryId,
          proposalId,
          startedAt: Date.now(),
          output: [],
          droppedChars: 0,
          finished: null,
          startError: null,
          cancelError: null,
          cancelling: false,
        });
        changed();
        call('sandbox:run', { repositoryId, proposalId }).then(
          ({ runId }) => {
            byRunId.current.set(runId, key);
            const waiting = early.current.get(runId) ?? [];
            early.current.delete(runId);
            update(key, (run) => waiting.reduce(appendBounded, { ...run, runId }));
          },
          (error: unknown) => update(key, (run) => ({ ...run, startError: describeError(error) })),
        );
      },
      cancel: (repositoryId, proposalId) => {
        const key = keyOf(repositoryId, proposalId);
        const runId = runs.current.get(key)?.runId;
        if (runId === null || runId === undefined) return;
        update(key, (run) => ({ ...run, cancelling: true, cancelError: null }));
        call('sandbox:cancel', { runId }).then(
          ({ cancelled }) =>
            update(key, (run) =>
              cancelled || run.finished !== null
                ? run
                : { ...run, cancelling: false, cancelError: { code: 'CONFLICT', message: 'the run had already ended' } },
            ),
          (error: unknown) => update(key, (run) => ({ ...run, cancelling: false, cancelError: describeError(error) })),
        );
      },
      dismiss: (repositoryId, proposalId) => {
        runs.current.delete(keyOf(repositoryId, proposalId));
        changed();
      },
    }),
    // `version` makes consumers re-read the refs after every change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [version, changed, update],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** The sandbox runs of this session. */
export function useSandboxRuns(): SandboxRuns {
  const context = useContext(Context);
  if (context === null) throw new Error('useSandboxRuns outside SandboxRunsProvider');
  return context;
}

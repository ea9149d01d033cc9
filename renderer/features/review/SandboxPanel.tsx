/**
 * The sandbox: run the policy's tests on base and head in Docker, watch the output live, compare the
 * two results (fixed, broken, benchmark samples and verdict), cancel a run.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { sandboxEvidence, type FailurePlace } from '../../../shared/model/sandbox-evidence';
import type { SandboxComparison, SandboxRunResult } from '../../../shared/model/sandbox';
import { ErrorNote } from '../../components/ErrorNote';
import { Progress } from '../../components/Progress';
import { formatBytes, formatDuration } from '../../components/time';
import { BenchmarkChart } from './BenchmarkChart';
import { useSandboxRuns, type SandboxRunState } from './sandbox-runs';

/** Props of {@link SandboxPanel}. */
export interface SandboxPanelProps {
  readonly repositoryId: string;
  readonly proposalId: string;
  /** The last stored comparison, from `proposal:show`. */
  readonly stored: SandboxComparison | null;
  readonly canRun: boolean;
  readonly dockerReachable: boolean | null;
  /** The proposal's changed paths: a failure is linked to the lines of these files. */
  readonly changedPaths: ReadonlyArray<string>;
  /** Shows a line in the diff. */
  readonly onReveal: (place: { readonly path: string; readonly line: number; readonly column: number }) => void;
}

type PanelState = 'idle' | 'starting' | 'running' | 'finished' | 'failed';

function panelState(run: SandboxRunState | null): PanelState {
  if (run === null) return 'idle';
  if (run.startError !== null) return 'failed';
  if (run.finished !== null) return run.finished.comparison === null ? 'failed' : 'finished';
  return run.runId === null ? 'starting' : 'running';
}

/** The sandbox panel. */
export function SandboxPanel({ repositoryId, proposalId, stored, canRun, dockerReachable, changedPaths, onReveal }: SandboxPanelProps) {
  const runs = useSandboxRuns();
  const run = runs.runFor(repositoryId, proposalId);
  const state = panelState(run);
  const busy = state === 'starting' || state === 'running';
  const comparison = run?.finished?.comparison ?? stored;
  return (
    <section className="sandbox-panel" data-testid="sandbox-panel" data-state={state} aria-label="Sandbox">
      <p className="muted small">
        Runs the repository policy's test command on the base and on the head in Docker: no network, read-only root,
        non-root user, no capabilities, memory, process, CPU and time limits.
      </p>
      {dockerReachable === false && (
        <p className="warn-text" data-testid="sandbox-no-docker">
          Docker is not reachable: a run fails closed (it never counts as a pass).
        </p>
      )}
      <div className="row gap">
        {canRun ? (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => runs.start(repositoryId, proposalId)}
            data-testid="sandbox-run"
          >
            {busy ? 'Running…' : comparison === null ? 'Run tests in the sandbox' : 'Run again'}
          </button>
        ) : (
          <span className="muted">Your role cannot start sandbox runs.</span>
        )}
        {busy && canRun && (
          <button
            type="button"
            onClick={() => runs.cancel(repositoryId, proposalId)}
            disabled={run?.runId === null || run?.cancelling === true}
            data-testid="sandbox-cancel"
          >
            {run?.cancelling === true ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {busy && <Progress label={state === 'starting' ? 'Starting the sandbox' : 'Running base and head'} testId="sandbox-progress" />}
      {run?.startError !== null && run?.startError !== undefined && (
        <ErrorNote title="The sandbox did not start" error={run.startError} testId="sandbox-error" />
      )}
      {run?.cancelError !== null && run?.cancelError !== undefined && (
        <ErrorNote title="Could not cancel" error={run.cancelError} testId="sandbox-cancel-error" />
      )}
      {run?.finished?.failure !== null && run?.finished?.failure !== undefined && (
        <div data-testid="sandbox-failure">
          <ErrorNote title="The sandbox run did not produce a result" error={run.finished.failure} testId="sandbox-failure-note" />
          {run.finished.failure.run !== null && <RunDetails title="Run" run={run.finished.failure.run} />}
        </div>
      )}
      {run !== null && (run.output.length > 0 || busy) && <LiveLog run={run} />}
      {comparison !== null ? (
        <ComparisonView comparison={comparison} fresh={run?.finished?.comparison != null} changedPaths={changedPaths} onReveal={onReveal} />
      ) : (
        state === 'idle' && <p className="muted" data-testid="sandbox-none">No sandbox result for this revision yet.</p>
      )}
    </section>
  );
}

function LiveLog({ run }: { readonly run: SandboxRunState }) {
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  // One tab per side: base and head run side by side and their lines would interleave.
  const [side, setSide] = useState<'base' | 'head'>('head');
  const lines = run.output.filter((line) => line.side === side);
  const counts = { base: run.output.filter((line) => line.side === 'base').length, head: run.output.filter((line) => line.side === 'head').length };
  useEffect(() => {
    const element = pre.current;
    if (element !== null && stick.current) element.scrollTop = element.scrollHeight;
  }, [run.output, side]);
  return (
    <div className="live-log">
      <div className="pane-header small">
        <span>Live output</span>
        <div className="log-tabs" role="tablist" aria-label="Output of each side">
          {(['base', 'head'] as const).map((each) => (
            <button
              key={each}
              type="button"
              role="tab"
              id={`sandbox-log-tab-${each}`}
              aria-selected={side === each}
              aria-controls="sandbox-log"
              className="tab"
              onClick={() => setSide(each)}
              data-testid={`sandbox-log-tab-${each}`}
            >
              {each} ({counts[each]})
            </button>
          ))}
        </div>
        {run.droppedChars > 0 && <span className="muted">earlier output trimmed ({formatBytes(run.droppedChars)})</span>}
      </div>
      <pre
        ref={pre}
        id="sandbox-log"
        role="tabpanel"
        aria-labelledby={`sandbox-log-tab-${side}`}
        className="log"
        data-testid="sandbox-log"
        data-side={side}
        aria-live="off"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
        }}
      >
        {lines.map((line, index) => (
          <div key={index} className={`log-line log-${line.side} log-${line.stream}`} data-side={line.side}>
            {line.text}
          </div>
        ))}
      </pre>
    </div>
  );
}

/** The lines of the proposal a run's failures point at, each a link into the diff. */
function FailurePlaces({ side, places, onReveal }: { readonly side: 'base' | 'head'; readonly places: ReadonlyArray<FailurePlace>; readonly onReveal: SandboxPanelProps['onReveal'] }) {
  if (places.length === 0) return null;
  return (
    <div className="failure-places" data-testid={`sandbox-places-${side}`}>
      <h4>Where the {side} run failed</h4>
      <ul className="plain-list">
        {places.map((place) => (
          <li key={`${place.path}:${place.line}`}>
            <button
              type="button"
              className="link-button"
              onClick={() => onReveal({ path: place.path, line: place.line, column: 1 })}
              data-testid="sandbox-place"
              data-path={place.path}
              data-line={place.line}
              data-blocked={place.blocked === null ? 'false' : 'true'}
            >
              {place.path}:{place.line}
            </button>{' '}
            <span className="small">{place.blocked ?? place.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ComparisonView({
  comparison,
  fresh,
  changedPaths,
  onReveal,
}: {
  readonly comparison: SandboxComparison;
  readonly fresh: boolean;
  readonly changedPaths: ReadonlyArray<string>;
  readonly onReveal: SandboxPanelProps['onReveal'];
}) {
  const change = comparison.benchmarkChange;
  const evidence = useMemo(
    () => ({
      base: sandboxEvidence(`${comparison.base.stdout}\n${comparison.base.stderr}`, changedPaths),
      head: sandboxEvidence(`${comparison.head.stdout}\n${comparison.head.stderr}`, changedPaths),
    }),
    [comparison, changedPaths],
  );
  // What the limits stopped, and what the sandbox blocked as the output shows it (a refused network call).
  const stopped = (side: 'base' | 'head'): string => [...comparison[side].violations, ...evidence[side].blocked].join('; ') || 'none';
  return (
    <div className="comparison" data-testid="sandbox-result" data-fixed={comparison.fixed} data-broken={comparison.broken} data-regression={comparison.regression}>
      <h3>
        Base against head {fresh ? <span className="muted small">(this run)</span> : <span className="muted small">(stored result)</span>}
      </h3>
      <div className="row gap wrap">
        <span className={`badge ${comparison.testsPassedBase ? 'pass' : 'fail'}`}>base {comparison.testsPassedBase ? 'passes' : 'fails'}</span>
        <span className={`badge ${comparison.testsPassedHead ? 'pass' : 'fail'}`} data-testid="sandbox-head-passes" data-passed={comparison.testsPassedHead}>
          head {comparison.testsPassedHead ? 'passes' : 'fails'}
        </span>
        {comparison.fixed && <span className="badge pass">fixes failing tests</span>}
        {comparison.broken && <span className="badge fail" data-testid="sandbox-broken">breaks passing tests</span>}
        {change !== null && (
          <span className={`badge ${comparison.regression ? 'fail' : 'neutral'}`} data-testid="sandbox-benchmark">
            benchmark {change >= 0 ? `${(change * 100).toFixed(1)}% slower` : `${(-change * 100).toFixed(1)}% faster`}
            {comparison.regression ? ' — significant regression beyond the minimum effect' : ''}
            {comparison.benchmark?.outcome === 'inconclusive' ? ' — inconclusive' : ''}
          </span>
        )}
      </div>
      {comparison.benchmark && <BenchmarkChart summary={comparison.benchmark} />}
      <table className="data-table compact">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Base</th>
            <th scope="col">Head</th>
          </tr>
        </thead>
        <tbody>
          <CompareRow label="Status" base={comparison.base.status} head={comparison.head.status} />
          <CompareRow label="Exit code" base={String(comparison.base.exitCode ?? '—')} head={String(comparison.head.exitCode ?? '—')} />
          <CompareRow label="Duration" base={formatDuration(comparison.base.durationMs)} head={formatDuration(comparison.head.durationMs)} />
          <CompareRow label="Timed out" base={comparison.base.timedOut ? 'yes' : 'no'} head={comparison.head.timedOut ? 'yes' : 'no'} />
          <CompareRow label="Out of memory" base={comparison.base.oomKilled ? 'yes' : 'no'} head={comparison.head.oomKilled ? 'yes' : 'no'} />
          <CompareRow label="Peak memory" base={formatBytes(comparison.base.peakMemoryBytes)} head={formatBytes(comparison.head.peakMemoryBytes)} />
          <CompareRow label="Blocked or over a limit" base={stopped('base')} head={stopped('head')} testId="sandbox-blocked" />
        </tbody>
      </table>
      <FailurePlaces side="head" places={evidence.head.places} onReveal={onReveal} />
      <FailurePlaces side="base" places={evidence.base.places} onReveal={onReveal} />
      <RunDetails title="Base run" run={comparison.base} />
      <RunDetails title="Head run" run={comparison.head} />
    </div>
  );
}

function CompareRow({ label, base, head, testId }: { readonly label: string; readonly base: string; readonly head: string; readonly testId?: string }) {
  return (
    <tr className={base === head ? undefined : 'differs'} data-testid={testId} data-base={base} data-head={head}>
      <th scope="row">{label}</th>
      <td>{base}</td>
      <td>{head}</td>
    </tr>
  );
}

function RunDetails({ title, run }: { readonly title: string; readonly run: SandboxRunResult }) {
  return (
    <details className="run-details" data-testid="sandbox-run-details">
      <summary>
        {title}: {run.status}
        {run.exitCode !== null && `, exit ${run.exitCode}`}
        {run.reason !== undefined && ` — ${run.reason}`}
      </summary>
      <dl className="facts small">
        <dt>Image</dt>
        <dd>
          <code>{run.image}</code>
          {run.imageDigest !== null && (
            <>
              {' '}
              @ <code>{run.imageDigest}</code>
            </>
          )}
        </dd>
        <dt>Command</dt>
        <dd>
          <code>{run.command.join(' ')}</code>
        </dd>
        <dt>Limits</dt>
        <dd>
          {run.limits.memoryMb} MiB, {run.limits.cpus} CPU, {run.limits.pidsLimit} processes, {run.limits.timeoutSeconds} s
        </dd>
      </dl>
      <h4>stdout{run.stdoutTruncated ? ' (truncated at the output cap)' : ''}</h4>
      <pre className="log" tabIndex={0}>{run.stdout === '' ? '(empty)' : run.stdout}</pre>
      <h4>stderr{run.stderrTruncated ? ' (truncated at the output cap)' : ''}</h4>
      <pre className="log" tabIndex={0}>{run.stderr === '' ? '(empty)' : run.stderr}</pre>
    </details>
  );
}

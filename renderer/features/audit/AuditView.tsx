/**
 * The audit browser: a virtual table that stays smooth at a million events, filters and full-text
 * search, event detail with payload and hashes, chain verification with progress, JSON Lines export.
 * Nothing here changes state, so auditors see all of it.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Panel, PanelGroup, PanelResizeHandle } from 'react-resizable-panels';
import type { AuditEventView } from '../../../shared/ipc/channels/audit';
import { Role, type Role as RoleName } from '../../../shared/model/domain';
import { useAuditCounts, useExportAuditView, useVerifyExport } from '../../api/audit';
import { useProposals } from '../../api/review';
import { useSession } from '../../api/session';
import { useShortcuts } from '../../app/shortcuts';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import { Progress } from '../../components/Progress';
import { exactTime, formatDuration } from '../../components/time';
import { pageSize, useAuditPager, type AuditFilters } from './audit-pager';
import { useVerify } from './verify-state';

const rowHeight = 26;
// Chromium lays out at most ~33.5 million pixels; keep the scroll height well inside that.
const maxRows = Math.floor(30_000_000 / rowHeight);

interface FilterForm {
  readonly from: string;
  readonly to: string;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly subject: string;
  readonly text: string;
}

const emptyForm: FilterForm = { from: '', to: '', actor: '', role: '', action: '', subject: '', text: '' };

/** A datetime-local value ("2025-01-31T13:45") as an ISO instant, or undefined when empty or invalid. */
function localToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function toFilters(form: FilterForm): AuditFilters {
  const trimmed = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());
  return {
    from: localToIso(form.from),
    to: localToIso(form.to),
    actorContains: trimmed(form.actor),
    role: trimmed(form.role),
    action: trimmed(form.action),
    subjectContains: trimmed(form.subject),
    anywhere: trimmed(form.text),
  };
}

/** The value after it stopped changing for `ms` (typing in the search box). */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The audit view. */
export function AuditView({ role }: { readonly role: RoleName }) {
  const [form, setForm] = useState<FilterForm>(emptyForm);
  const session = useSession();
  const panesKey = `gatehouse.audit-panes.${session.data?.operator.name ?? 'anyone'}`;
  const settled = useDebounced(form, 250);
  const filters = useMemo(() => toFilters(settled), [settled]);
  const scroller = useRef<HTMLDivElement>(null);
  const atTop = useCallback(() => (scroller.current?.scrollTop ?? 0) < rowHeight, []);
  const pager = useAuditPager(filters, atTop);
  // Counting every action walks the whole log: ask once the first page is on screen, not before it.
  const counts = useAuditCounts(pager.firstPageReady);
  const [selected, setSelected] = useState<AuditEventView | null>(null);
  const [selectedIndex, setSelectedIndex] = useState<number | null>(null);
  // Another snapshot (filters, or newer events shown) puts other events at every row: drop the row
  // selection, keep the event open in the detail.
  useEffect(() => setSelectedIndex(null), [pager.generation]);
  const search = useRef<HTMLInputElement>(null);

  const total = pager.total ?? 0;
  const count = Math.min(total, maxRows);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 30,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items[items.length - 1]?.index ?? 0;
  const { ensure, generation } = pager;
  useEffect(() => {
    if (count > 0) ensure(firstIndex, lastIndex);
  }, [ensure, generation, firstIndex, lastIndex, count]);

  const selectIndex = (index: number): void => {
    const bounded = Math.max(0, Math.min(count - 1, index));
    setSelectedIndex(bounded);
    virtualizer.scrollToIndex(bounded, { align: 'auto' });
    const row = pager.row(bounded);
    setSelected(row.state === 'loaded' ? row.event : null);
  };
  // A selected row that was still loading fills in once its page arrives.
  const selectedRow = selectedIndex === null ? null : pager.row(selectedIndex);
  useEffect(() => {
    if (selectedRow?.state === 'loaded' && selected?.seq !== selectedRow.event.seq) setSelected(selectedRow.event);
  }, [selectedRow, selected]);

  useShortcuts({
    j: () => selectIndex((selectedIndex ?? -1) + 1),
    k: () => selectIndex((selectedIndex ?? 1) - 1),
    '/': () => search.current?.focus(),
  });
  const jump = (where: 'top' | 'middle' | 'bottom'): void => {
    const index = where === 'top' ? 0 : where === 'middle' ? Math.floor(count / 2) : count - 1;
    virtualizer.scrollToIndex(index, { align: where === 'middle' ? 'center' : where === 'top' ? 'start' : 'end' });
  };
  const set = (field: keyof FilterForm) => (event: { target: { value: string } }) => setForm({ ...form, [field]: event.target.value });

  return (
    <main className="view audit-view" data-testid="audit-view">
      <div className="toolbar">
        <h1 className="view-title">Audit log</h1>
        <ChainStatus />
        <span className="spacer" />
        <ExportPanel filters={filters} filtered={Object.values(filters).some((value) => value !== undefined)} />
      </div>
      <form className="audit-filters" role="search" aria-label="Filter the audit log" onSubmit={(event) => event.preventDefault()}>
        <input ref={search} type="search" placeholder="Search subject, actor, action, payload  ( / )" aria-label="Search everywhere" value={form.text} onChange={set('text')} data-testid="audit-text" />
        <ProposalPicker value={form.subject} onChange={(subject) => setForm({ ...form, subject })} />
        <select aria-label="Action" value={form.action} onChange={set('action')} data-testid="audit-action">
          <option value="">All actions</option>
          {(counts.data ?? []).map((item) => (
            <option key={item.action} value={item.action}>
              {item.action} ({item.count.toLocaleString()})
            </option>
          ))}
        </select>
        <input placeholder="Actor (part of a name)" aria-label="Actor" value={form.actor} onChange={set('actor')} data-testid="audit-actor" />
        <select aria-label="Role" value={form.role} onChange={set('role')} data-testid="audit-role">
          <option value="">All roles</option>
          {Role.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
          {/* Besides operators, the log records Gatehouse itself, proposing agents and outside tools. */}
          <option value="system">system</option>
          <option value="agent">agent</option>
          <option value="tool">tool</option>
        </select>
        <input placeholder="Subject (part of it)" aria-label="Subject" value={form.subject} onChange={set('subject')} data-testid="audit-subject" />
        <label className="field-inline">
          From
          <input type="datetime-local" step={1} value={form.from} onChange={set('from')} data-testid="audit-from" />
        </label>
        <label className="field-inline">
          To
          <input type="datetime-local" step={1} value={form.to} onChange={set('to')} data-testid="audit-to" />
        </label>
        <button type="button" onClick={() => setForm(emptyForm)} disabled={form === emptyForm} data-testid="audit-clear">
          Clear
        </button>
      </form>
      {counts.isError && <ErrorNote title="Could not count events" error={counts.error} />}
      {/* The detail pane opens on selection; its width is remembered per operator (react-resizable-panels, localStorage). */}
      <PanelGroup key={panesKey} direction="horizontal" autoSaveId={panesKey} className={`audit-body${selected === null ? '' : ' with-detail'}`} data-testid="audit-panes">
        <Panel id="events" order={1} minSize={40} defaultSize={selected === null ? 100 : 68} className="audit-events-pane">
        <section className="audit-table-wrap" aria-label="Events">
          <div className="audit-table-bar small">
            <span data-testid="audit-total">
              {pager.total === null ? '…' : `${total.toLocaleString()} event${total === 1 ? '' : 's'}`}
              {total > maxRows && ` (showing the newest ${maxRows.toLocaleString()}; narrow the time range for older ones)`}
            </span>
            {pager.approximate && <span className="muted">positions between loaded pages are estimated while filtering</span>}
            {pager.newer > 0 && (
              <button type="button" className="pill" onClick={pager.refresh} data-testid="audit-newer">
                {pager.newer.toLocaleString()} new event{pager.newer === 1 ? '' : 's'} — show
              </button>
            )}
            <span className="spacer" />
            <button type="button" onClick={() => jump('top')} disabled={count === 0} data-testid="audit-jump-top">
              Newest
            </button>
            <button type="button" onClick={() => jump('middle')} disabled={count === 0} data-testid="audit-jump-middle">
              Middle
            </button>
            <button type="button" onClick={() => jump('bottom')} disabled={count === 0} data-testid="audit-jump-bottom">
              Oldest
            </button>
          </div>
          {pager.headError !== null && <ErrorNote title="Could not search the audit log" error={pager.headError} onRetry={pager.retry} />}
          <div className="audit-grid" role="table" aria-label="Audit events" aria-rowcount={count + 1} data-testid="audit-table" data-total={pager.total ?? ''} data-first-page-ready={pager.firstPageReady ? 'true' : 'false'}>
            <div className="audit-row audit-head" role="row" aria-rowindex={1}>{/* the header row */}
              <span role="columnheader">Seq</span>
              <span role="columnheader">Time</span>
              <span role="columnheader">Actor</span>
              <span role="columnheader">Role</span>
              <span role="columnheader">Action</span>
              <span role="columnheader">Subject</span>
            </div>
            <div ref={scroller} className="audit-scroller" role="rowgroup" aria-label="Events, newest first" data-testid="audit-scroller" tabIndex={0}>
              {pager.headLoading && pager.total === null ? (
                <Loading label="Searching the audit log…" />
              ) : pager.total === 0 ? (
                <EmptyState title={Object.values(filters).some((value) => value !== undefined) ? 'No event matches these filters.' : 'The audit log is empty.'} testId="audit-empty">
                  <p>{Object.values(filters).some((value) => value !== undefined) ? 'Loosen or clear the filters.' : 'Every unlock, decision, apply and rollback lands here as it happens.'}</p>
                </EmptyState>
              ) : (
                <div className="audit-canvas" role="presentation" style={{ height: virtualizer.getTotalSize() }}>
                  {items.map((item) => {
                    const row = pager.row(item.index);
                    const event = row.state === 'loaded' ? row.event : null;
                    return (
                      <div
                        key={item.key}
                        role="row"
                        aria-rowindex={item.index + 2}
                        aria-selected={item.index === selectedIndex}
                        className={`audit-row${item.index === selectedIndex ? ' selected' : ''}${row.state === 'loaded' && !row.exact ? ' approximate' : ''}`}
                        style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                        data-testid="audit-row"
                        data-index={item.index}
                        data-seq={event?.seq ?? ''}
                        data-action={event?.action ?? ''}
                        data-actor={event?.actor ?? ''}
                        data-subject={event?.subject ?? ''}
                        data-loading={row.state === 'loading' ? 'true' : undefined}
                        onClick={() => {
                          setSelectedIndex(item.index);
                          setSelected(event);
                        }}
                      >
                        {row.state === 'error' ? (
                          <span className="row-error" role="cell">
                            {row.error.code}: {row.error.message}{' '}
                            <button type="button" className="link-button" onClick={pager.retry} data-testid="audit-row-retry">
                              retry
                            </button>
                          </span>
                        ) : event === null ? (
                          <span className="row-loading muted" role="cell">
                            loading page {Math.floor(item.index / pageSize) + 1}…
                          </span>
                        ) : (
                          <>
                            <span role="cell" className="numeric">
                              {event.seq}
                            </span>
                            <span role="cell" title={event.ts}>
                              {exactTime(event.ts)}
                            </span>
                            <span role="cell">
                              <CellFilter label={`Show only events by ${event.actor}`} onFilter={() => setForm({ ...form, actor: event.actor })} testId="filter-actor">
                                {event.actor}
                              </CellFilter>
                            </span>
                            <span role="cell">{event.role}</span>
                            <span role="cell" className="action">
                              <CellFilter label={`Show only ${event.action} events`} onFilter={() => setForm({ ...form, action: event.action })} testId="filter-action">
                                {event.action}
                              </CellFilter>
                            </span>
                            <span role="cell" className="subject" title={event.subject}>
                              <CellFilter label={`Show only events about ${subjectParts(event.subject).name}`} onFilter={() => setForm({ ...form, subject: subjectParts(event.subject).filter })} testId="filter-subject">
                                <SubjectText subject={event.subject} />
                              </CellFilter>
                            </span>
                          </>
                        )}
                      </div>
                    );
                  })}
                </div>
              )}
            </div>
          </div>
        </section>
        </Panel>
        {selected !== null && (
          <>
            <PanelResizeHandle className="resize-handle" data-testid="resize-audit-detail" aria-label="Resize the event detail (arrow keys)" />
            <Panel id="detail" order={2} minSize={20} defaultSize={32} className="audit-detail-pane">
              <EventDetail
                event={selected}
                onClose={() => {
                  setSelected(null);
                  setSelectedIndex(null);
                }}
              />
            </Panel>
          </>
        )}
      </PanelGroup>
      <p className="muted small">
        {role === 'auditor' ? 'As an auditor you read and verify; nothing here changes state.' : 'Read-only: the log is append-only and hash-chained.'}
      </p>
    </main>
  );
}

/** A proposal subject's parts: the proposal's name first, then where it lives. */
export function subjectParts(subject: string): { readonly name: string; readonly context: string | null; readonly filter: string } {
  const proposal = /^proposal:([^/]+)\/(.+)$/.exec(subject);
  if (proposal !== null) return { name: proposal[2] ?? subject, context: `proposal · ${(proposal[1] ?? '').slice(0, 8)}`, filter: `/${proposal[2] ?? ''}` };
  const other = /^([a-z-]+):(.+)$/.exec(subject);
  if (other !== null) return { name: other[2] ?? subject, context: other[1] ?? null, filter: subject };
  return { name: subject, context: null, filter: subject };
}

function SubjectText({ subject }: { readonly subject: string }) {
  const parts = subjectParts(subject);
  return (
    <>
      <span className="subject-name">{parts.name}</span>
      {parts.context !== null && <span className="muted small"> {parts.context}</span>}
    </>
  );
}

/** A cell's value as a button that filters the table by it. */
function CellFilter({ label, onFilter, testId, children }: { readonly label: string; readonly onFilter: () => void; readonly testId: string; readonly children: React.ReactNode }) {
  return (
    <button
      type="button"
      className="cell-filter"
      title={label}
      data-testid={testId}
      onClick={(event) => {
        event.stopPropagation();
        onFilter();
      }}
    >
      {children}
    </button>
  );
}

/** Proposals by name, from the queue, as a subject filter. */
function ProposalPicker({ value, onChange }: { readonly value: string; readonly onChange: (subject: string) => void }) {
  const proposals = useProposals();
  const names = [...new Set((proposals.data ?? []).map((row) => row.proposalId))].sort();
  const current = names.find((name) => value === `/${name}`) ?? '';
  return (
    <select aria-label="Proposal" value={current} onChange={(event) => onChange(event.target.value === '' ? '' : `/${event.target.value}`)} data-testid="audit-proposal">
      <option value="">All proposals</option>
      {names.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </select>
  );
}

function EventDetail({ event, onClose }: { readonly event: AuditEventView; readonly onClose: () => void }) {
  return (
    <aside className="event-detail" aria-label={`Event ${event.seq}`} data-testid="event-detail" data-seq={event.seq}>
      <div className="pane-header">
        <strong>Event #{event.seq}</strong>
        <button type="button" className="icon-button" aria-label="Close the detail" onClick={onClose} data-testid="event-detail-close">
          ×
        </button>
      </div>
      <dl className="facts">
        <dt>Time</dt>
        <dd>
          {exactTime(event.ts)} <span className="muted small">({event.ts})</span>
        </dd>
        <dt>Actor</dt>
        <dd>
          {event.actor} ({event.role})
        </dd>
        <dt>Action</dt>
        <dd>
          <code>{event.action}</code>
        </dd>
        <dt>Subject</dt>
        <dd className="break">
          <SubjectText subject={event.subject} /> <code className="small">{event.subject}</code>
        </dd>
        <dt>Previous hash</dt>
        <dd className="hash" data-testid="event-prev-hash">
          {event.prevHash}
        </dd>
        <dt>Hash</dt>
        <dd className="hash" data-testid="event-hash">
          {event.hash}
        </dd>
      </dl>
      <h3>Payload</h3>
      <pre className="payload" data-testid="event-payload">
        {JSON.stringify(event.payload, null, 2) ?? 'null'}
      </pre>
    </aside>
  );
}

function ChainStatus() {
  const verify = useVerify();
  const { state } = verify;
  return (
    <div className="chain-status" data-testid="chain-status" data-state={state.status === 'done' ? (state.report.ok ? 'ok' : 'failed') : state.status}>
      {state.status === 'idle' && <span className="badge neutral">chain not verified in this session</span>}
      {state.status === 'running' && (
        <>
          <Progress label="Verifying the chain" value={state.total > 0 ? state.checked : undefined} max={state.total > 0 ? state.total : undefined} testId="verify-progress" />
          <button type="button" onClick={verify.cancel} disabled={state.cancelling} data-testid="verify-cancel">
            {state.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </>
      )}
      {state.status === 'done' &&
        (state.report.ok && state.report.headsChecked === 0 ? (
          <span className="badge outdated" data-testid="chain-unattested" title={`verified ${exactTime(state.at)}`}>
            links intact for {state.report.checked.toLocaleString()} events, but no signed head: nothing attests that the log was not cut short or
            rewritten as a whole
          </span>
        ) : state.report.ok ? (
          <span className="badge pass" data-testid="chain-ok" title={`verified ${exactTime(state.at)}`}>
            ✓ chain intact — {state.report.checked.toLocaleString()} events; {state.report.headsChecked} signed head
            {state.report.headsChecked === 1 ? '' : 's'} attest
            {state.report.headsChecked === 1 ? 's' : ''} events up to #{(state.report.lastAttestedSeq ?? state.report.checked).toLocaleString()}
            {state.report.lastAttestedSeq !== undefined && state.report.lastAttestedSeq < state.report.checked
              ? ` (the ${(state.report.checked - state.report.lastAttestedSeq).toLocaleString()} newer are linked, not yet attested)`
              : ''}
            , {formatDuration(state.report.durationMs)}
          </span>
        ) : (
          <span className="badge fail" data-testid="chain-broken">
            ✗ chain broken{state.report.firstBadSeq !== null && ` at #${state.report.firstBadSeq}`}: {state.report.reason ?? 'unknown reason'}
          </span>
        ))}
      {state.status === 'error' && <ErrorNote title="Verification did not finish" error={state.error} testId="verify-error" />}
      {verify.cancelError !== null && <ErrorNote title="Could not cancel" error={verify.cancelError} />}
      {state.status !== 'running' && (
        <button type="button" onClick={verify.start} data-testid="verify-now">
          Verify now
        </button>
      )}
    </div>
  );
}

/** Export the whole log or the filtered view, JSON Lines or CSV, into a folder; open an exported file and verify it. */
function ExportPanel({ filters, filtered }: { readonly filters: AuditFilters; readonly filtered: boolean }) {
  const exportView = useExportAuditView();
  const verifyExport = useVerifyExport();
  const [scope, setScope] = useState<'whole' | 'filtered'>('whole');
  const [format, setFormat] = useState<'jsonl' | 'csv'>('jsonl');
  const [folder, setFolder] = useState('');
  const [toVerify, setToVerify] = useState('');
  const run = (): void =>
    exportView.mutate(
      { scope, format, filter: scope === 'filtered' ? filters : {}, ...(folder.trim() === '' ? {} : { directory: folder.trim() }) },
      { onSuccess: (done) => setToVerify(done.file) },
    );
  return (
    <details className="export-panel" data-testid="audit-export-panel">
      <summary>Export or verify a file…</summary>
      <div className="form">
        <fieldset className="field-set">
          <legend>What</legend>
          <label className="radio-line">
            <input type="radio" name="export-scope" checked={scope === 'whole'} onChange={() => setScope('whole')} data-testid="export-scope-whole" />
            The whole log (JSON Lines export verifies on its own: the chain and its signed heads)
          </label>
          <label className="radio-line">
            <input type="radio" name="export-scope" checked={scope === 'filtered'} onChange={() => setScope('filtered')} data-testid="export-scope-filtered" />
            Only the events the filters show{filtered ? '' : ' (no filter set: every event)'}
          </label>
        </fieldset>
        <fieldset className="field-set">
          <legend>Format</legend>
          <label className="radio-line">
            <input type="radio" name="export-format" checked={format === 'jsonl'} onChange={() => setFormat('jsonl')} data-testid="export-format-jsonl" />
            JSON Lines
          </label>
          <label className="radio-line">
            <input type="radio" name="export-format" checked={format === 'csv'} onChange={() => setFormat('csv')} data-testid="export-format-csv" />
            CSV (for spreadsheets)
          </label>
        </fieldset>
        <label className="field-label">
          Save in folder (absolute path; empty: the data directory&apos;s exports folder)
          <input value={folder} onChange={(event) => setFolder(event.target.value)} data-testid="export-folder" placeholder="/home/you/audit-exports" />
        </label>
        <div className="row gap">
          <button type="button" onClick={run} disabled={exportView.isPending} data-testid="audit-export">
            {exportView.isPending ? 'Exporting…' : 'Export'}
          </button>
        </div>
        {exportView.isSuccess && (
          <p className="small" data-testid="audit-export-result" data-file={exportView.data.file} data-events={exportView.data.events}>
            Wrote {exportView.data.events.toLocaleString()} event{exportView.data.events === 1 ? '' : 's'} ({exportView.data.scope === 'whole' ? 'whole log' : 'filtered view'},{' '}
            {exportView.data.format.toUpperCase()}) to <code className="break">{exportView.data.file}</code>.{' '}
            {exportView.data.chainVerifiable ? 'It verifies on its own.' : 'Each event can be checked; the chain cannot (not every event is in it, or CSV).'}
          </p>
        )}
        {exportView.isError && <ErrorNote title="Export failed" error={exportView.error} testId="audit-export-error" />}
        <label className="field-label">
          Exported file to verify (absolute path)
          <input value={toVerify} onChange={(event) => setToVerify(event.target.value)} data-testid="verify-file" />
        </label>
        <div className="row gap">
          <button type="button" onClick={() => verifyExport.mutate({ file: toVerify.trim() })} disabled={toVerify.trim() === '' || verifyExport.isPending} data-testid="verify-file-run">
            {verifyExport.isPending ? 'Verifying…' : 'Open and verify'}
          </button>
        </div>
        {verifyExport.isSuccess && (
          <div
            className={verifyExport.data.ok ? 'note ok-text' : 'note warn-text'}
            data-testid="verify-file-result"
            data-ok={verifyExport.data.ok ? 'true' : 'false'}
            data-kind={verifyExport.data.kind}
            data-events={verifyExport.data.events}
          >
            <strong>{verifyExport.data.ok ? '✓ Verified' : '✗ Not verified'}</strong>
            <ul>
              {verifyExport.data.statements.map((statement) => (
                <li key={statement}>{statement}</li>
              ))}
            </ul>
          </div>
        )}
        {verifyExport.isError && <ErrorNote title="Could not verify the file" error={verifyExport.error} testId="verify-file-error" />}
      </div>
    </details>
  );
}

/**
 * Every finding of the revision, grouped by rule or by file, filtered by severity and status (introduced
 * or pre-existing), each with its CWE names, its remediation and, for a dataflow finding, the steps from
 * source to sink — each step a link to its line.
 */
import { memo, useMemo, useState } from 'react';
import { Severity, type Finding } from '../../../shared/model/domain';
import { cweId, cweTitle } from '../../../shared/model/cwe';
import { SeverityBadge } from '../../components/badges';
import { EmptyState } from '../../components/EmptyState';
import { findingKey, groupFindings, orderFindingsForPanel, type FindingGrouping, type FindingStatusFilter } from './review-model';

/** A place to show in the diff (a flow step). */
export interface FindingPlace {
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

/** A file of the revision that does not parse cleanly, with its first syntax error. */
export interface FindingsParseError {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Props of {@link FindingsPanel}. */
export interface FindingsPanelProps {
  readonly findings: ReadonlyArray<Finding>;
  /** Files the analyser could not parse cleanly: shown so that "no findings" is never read as "checked". */
  readonly parseErrors?: ReadonlyArray<FindingsParseError>;
  readonly currentPath: string | null;
  readonly currentKey: string | null;
  readonly onSelect: (finding: Finding) => void;
  readonly onReveal: (place: FindingPlace) => void;
}

const worstFirst = [...Severity.options].reverse();

/** The findings panel (memoised like the file tree: it only changes with the findings or the selection). */
export const FindingsPanel = memo(function FindingsPanel({ findings, parseErrors = [], currentPath, currentKey, onSelect, onReveal }: FindingsPanelProps) {
  const [onlyThisFile, setOnlyThisFile] = useState(false);
  const [grouping, setGrouping] = useState<FindingGrouping>('rule');
  const [status, setStatus] = useState<FindingStatusFilter>('all');
  const [hidden, setHidden] = useState<ReadonlySet<Severity>>(new Set());
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());

  const shown = useMemo(
    () =>
      orderFindingsForPanel(
        findings.filter(
          (finding) =>
            (!onlyThisFile || finding.path === currentPath) &&
            !hidden.has(finding.severity) &&
            (status === 'all' || (status === 'introduced') === finding.introduced),
        ),
      ),
    [findings, onlyThisFile, currentPath, hidden, status],
  );
  const groups = useMemo(() => groupFindings(shown, grouping), [shown, grouping]);
  const countBySeverity = useMemo(() => {
    const counts = new Map<Severity, number>();
    for (const finding of findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
    return counts;
  }, [findings]);
  const toggleSeverity = (severity: Severity): void =>
    setHidden((previous) => {
      const next = new Set(previous);
      if (next.has(severity)) next.delete(severity);
      else next.add(severity);
      return next;
    });

  return (
    <section className="findings-panel" data-testid="findings-panel" data-count={findings.length} data-shown={shown.length} aria-label="Findings">
      <div className="pane-header">
        <span>
          {shown.length === findings.length ? findings.length : `${shown.length} of ${findings.length}`} finding{findings.length === 1 ? '' : 's'} · n / p to walk
          them
        </span>
      </div>
      {parseErrors.length > 0 && (
        <div className="parse-errors" role="status" data-testid="parse-errors" data-count={parseErrors.length}>
          <p>
            {parseErrors.length} file{parseErrors.length === 1 ? '' : 's'} did not parse; findings cover only the parts that did:
          </p>
          <ul>
            {parseErrors.map((error) => (
              <li key={error.path}>
                <button type="button" className="link-button" onClick={() => onReveal({ path: error.path, line: error.line, column: error.column })}>
                  {error.path}:{error.line}
                </button>{' '}
                <span className="parse-error-message">{error.message}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="finding-filters" role="group" aria-label="Filter findings">
        <fieldset className="severity-filter">
          <legend className="visually-hidden">Severities shown</legend>
          {worstFirst.map((severity) => (
            <label key={severity} className="inline-check">
              <input
                type="checkbox"
                checked={!hidden.has(severity)}
                onChange={() => toggleSeverity(severity)}
                data-testid={`findings-severity-${severity}`}
              />
              {severity} ({countBySeverity.get(severity) ?? 0})
            </label>
          ))}
        </fieldset>
        <label className="inline-field">
          Status
          <select value={status} onChange={(event) => setStatus(event.target.value as FindingStatusFilter)} data-testid="findings-status">
            <option value="all">all</option>
            <option value="introduced">introduced by this revision</option>
            <option value="pre-existing">pre-existing</option>
          </select>
        </label>
        <label className="inline-field">
          Group by
          <select value={grouping} onChange={(event) => setGrouping(event.target.value as FindingGrouping)} data-testid="findings-group-by">
            <option value="rule">rule</option>
            <option value="file">file</option>
          </select>
        </label>
        <label className="inline-check">
          <input type="checkbox" checked={onlyThisFile} onChange={(event) => setOnlyThisFile(event.target.checked)} data-testid="findings-this-file" />
          this file only
        </label>
      </div>
      {shown.length === 0 ? (
        <EmptyState
          title={findings.length === 0 ? 'No findings in this revision.' : onlyThisFile ? 'No findings in this file.' : 'No finding matches these filters.'}
          testId="findings-empty"
        >
          <p>
            {findings.length === 0
              ? 'Static analysis found nothing to flag. Still read the diff: analysis misses things, and the sandbox result matters too.'
              : 'Change the filters above to see the others.'}
          </p>
        </EmptyState>
      ) : (
        groups.map((group) => {
          const holdsCurrent = group.findings.some((finding) => findingKey(finding) === currentKey);
          const open = holdsCurrent || !collapsed.has(group.key);
          return (
            <details
              key={group.key}
              className="finding-group"
              open={open}
              data-testid="finding-group"
              data-group={group.key}
              data-count={group.findings.length}
              onToggle={(event) => {
                const nowOpen = event.currentTarget.open;
                if (nowOpen === open) return;
                setCollapsed((previous) => {
                  const next = new Set(previous);
                  if (nowOpen) next.delete(group.key);
                  else next.add(group.key);
                  return next;
                });
              }}
            >
              <summary>
                <SeverityBadge severity={group.worst} /> <span className="group-title">{group.title}</span>{' '}
                <span className="muted small">
                  {group.findings.length} finding{group.findings.length === 1 ? '' : 's'}
                  {group.subtitle !== '' && ` · ${group.subtitle}`}
                </span>
              </summary>
              <ol className="finding-list">
                {group.findings.map((finding) => (
                  <FindingItem key={findingKey(finding)} finding={finding} current={findingKey(finding) === currentKey} grouping={grouping} onSelect={onSelect} onReveal={onReveal} />
                ))}
              </ol>
            </details>
          );
        })
      )}
    </section>
  );
});

function FindingItem({
  finding,
  current,
  grouping,
  onSelect,
  onReveal,
}: {
  readonly finding: Finding;
  readonly current: boolean;
  readonly grouping: FindingGrouping;
  readonly onSelect: (finding: Finding) => void;
  readonly onReveal: (place: FindingPlace) => void;
}) {
  return (
    <li
      className={`finding${current ? ' current' : ''}`}
      data-testid="finding"
      data-rule={finding.ruleId}
      data-path={finding.path}
      data-line={finding.startLine}
      data-severity={finding.severity}
      data-introduced={finding.introduced ? 'true' : 'false'}
    >
      <button type="button" className="finding-head" onClick={() => onSelect(finding)} data-testid="finding-open">
        <SeverityBadge severity={finding.severity} />
        <span className="finding-title">{grouping === 'rule' ? `${finding.path}:${finding.startLine}` : finding.title}</span>
      </button>
      <div className="finding-meta small">
        <code>{finding.ruleId}</code>
        {finding.cwe.map((tag) => {
          const title = cweTitle(tag);
          return (
            <span key={tag} className="badge cwe" data-testid="finding-cwe" title={title ?? undefined}>
              {cweId(tag)}
              {title !== null && <span className="cwe-title">: {title}</span>}
            </span>
          );
        })}
        {grouping === 'file' && (
          <span className="muted">
            {finding.path}:{finding.startLine}
          </span>
        )}
        {!finding.introduced && <span className="badge pre-existing">pre-existing</span>}
        <span className="muted">{finding.tool}</span>
      </div>
      <p className="finding-message">{finding.message}</p>
      {finding.snippet !== '' && <pre className="finding-snippet">{finding.snippet}</pre>}
      {finding.flow !== undefined && finding.flow.length > 0 && (
        <div className="finding-flow" data-testid="finding-flow" data-steps={finding.flow.length}>
          <span className="small">Data flow, source to sink:</span>
          <ol>
            {finding.flow.map((step, index) => (
              <li key={`${step.path}:${step.line}:${step.column}:${index}`}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => onReveal({ path: step.path, line: step.line, column: step.column })}
                  data-testid="flow-step"
                  data-path={step.path}
                  data-line={step.line}
                >
                  {index === 0 ? 'source' : index === (finding.flow?.length ?? 0) - 1 ? 'sink' : `step ${index}`} · {step.path}:{step.line}
                </button>{' '}
                <span className="muted">{step.message}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
      {finding.remediation !== '' && (
        <details className="finding-remediation">
          <summary>Remediation</summary>
          <p>{finding.remediation}</p>
        </details>
      )}
    </li>
  );
}

/** Every finding of the revision: introduced ones first, worst first, each with its remediation. */
import { memo, useState } from 'react';
import type { Finding } from '../../../shared/model/domain';
import { SeverityBadge } from '../../components/badges';
import { EmptyState } from '../../components/EmptyState';
import { cweLabel, findingKey, orderFindingsForPanel } from './review-model';

/** Props of {@link FindingsPanel}. */
export interface FindingsPanelProps {
  readonly findings: ReadonlyArray<Finding>;
  readonly currentPath: string | null;
  readonly currentKey: string | null;
  readonly onSelect: (finding: Finding) => void;
}

/** The findings panel (memoised like the file tree: it only changes with the findings or the selection). */
export const FindingsPanel = memo(function FindingsPanel({ findings, currentPath, currentKey, onSelect }: FindingsPanelProps) {
  const [onlyThisFile, setOnlyThisFile] = useState(false);
  const shown = orderFindingsForPanel(onlyThisFile ? findings.filter((finding) => finding.path === currentPath) : findings);
  const introduced = shown.filter((finding) => finding.introduced);
  const preExisting = shown.filter((finding) => !finding.introduced);
  return (
    <section className="findings-panel" data-testid="findings-panel" data-count={findings.length} aria-label="Findings">
      <div className="pane-header">
        <span>
          {findings.length} finding{findings.length === 1 ? '' : 's'} · n / p to walk them
        </span>
        <label className="inline-check">
          <input type="checkbox" checked={onlyThisFile} onChange={(event) => setOnlyThisFile(event.target.checked)} data-testid="findings-this-file" />
          this file only
        </label>
      </div>
      {shown.length === 0 ? (
        <EmptyState title={findings.length === 0 ? 'No findings in this revision.' : 'No findings in this file.'} testId="findings-empty">
          <p>Static analysis found nothing to flag. Still read the diff: analysis misses things, and the sandbox result matters too.</p>
        </EmptyState>
      ) : (
        <>
          <FindingGroup title={`Introduced by this revision (${introduced.length})`} findings={introduced} currentKey={currentKey} onSelect={onSelect} />
          <FindingGroup title={`Pre-existing (${preExisting.length})`} findings={preExisting} currentKey={currentKey} onSelect={onSelect} />
        </>
      )}
    </section>
  );
});

function FindingGroup({
  title,
  findings,
  currentKey,
  onSelect,
}: {
  readonly title: string;
  readonly findings: ReadonlyArray<Finding>;
  readonly currentKey: string | null;
  readonly onSelect: (finding: Finding) => void;
}) {
  if (findings.length === 0) return null;
  return (
    <div className="finding-group">
      <h3>{title}</h3>
      <ol className="finding-list">
        {findings.map((finding) => {
          const key = findingKey(finding);
          return (
            <li
              key={key}
              className={`finding${key === currentKey ? ' current' : ''}`}
              data-testid="finding"
              data-rule={finding.ruleId}
              data-path={finding.path}
              data-line={finding.startLine}
              data-severity={finding.severity}
              data-introduced={finding.introduced ? 'true' : 'false'}
            >
              <button type="button" className="finding-head" onClick={() => onSelect(finding)} data-testid="finding-open" aria-label={`${finding.severity} ${finding.ruleId} at ${finding.path} line ${finding.startLine}`}>
                <SeverityBadge severity={finding.severity} />
                <span className="finding-title">{finding.title}</span>
              </button>
              <div className="finding-meta small">
                <code>{finding.ruleId}</code>
                {finding.cwe.map((tag) => (
                  <span key={tag} className="badge cwe">
                    {cweLabel(tag)}
                  </span>
                ))}
                <span className="muted">
                  {finding.path}:{finding.startLine}
                </span>
                {!finding.introduced && <span className="badge pre-existing">pre-existing</span>}
                <span className="muted">{finding.tool}</span>
              </div>
              <p className="finding-message">{finding.message}</p>
              {finding.snippet !== '' && <pre className="finding-snippet">{finding.snippet}</pre>}
              {finding.remediation !== '' && (
                <details className="finding-remediation">
                  <summary>Remediation</summary>
                  <p>{finding.remediation}</p>
                </details>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** Small labelled badges: risk, severity, role, status. */
import type { RiskLevel, Role, Severity } from '../../shared/model/domain';

/** The risk level of a revision; "not analysed" when the analysis has not run. */
export function RiskBadge({ risk }: { readonly risk: RiskLevel | null }) {
  return (
    <span
      className={`badge risk risk-${risk === null ? 'none' : risk.toLowerCase()}`}
      data-testid="risk-badge"
      data-risk={risk ?? 'none'}
      title={risk === null ? 'Not analysed yet' : `Risk ${risk}`}
    >
      {risk ?? 'NOT ANALYSED'}
    </span>
  );
}

/** A finding's severity. */
export function SeverityBadge({ severity }: { readonly severity: Severity }) {
  return (
    <span className={`badge severity severity-${severity}`} data-testid="severity-badge" data-severity={severity}>
      {severity}
    </span>
  );
}

/** An operator's role. */
export function RoleBadge({ role }: { readonly role: Role | string }) {
  return (
    <span className={`badge role role-${role}`} data-testid="role-badge" data-role={role}>
      {role}
    </span>
  );
}

/** The safety score as a percentage with a bar. */
export function ScoreMeter({ score }: { readonly score: number | null }) {
  if (score === null) return <span className="muted" data-testid="safety-score">—</span>;
  const percent = Math.round(score * 100);
  const band = score >= 0.8 ? 'good' : score >= 0.5 ? 'fair' : 'poor';
  return (
    <span className={`score score-${band}`} data-testid="safety-score" data-score={score.toFixed(2)} title={`Safety score ${score.toFixed(2)}`}>
      <span className="score-bar" aria-hidden="true">
        <span style={{ width: `${percent}%` }} />
      </span>
      {score.toFixed(2)}
    </span>
  );
}

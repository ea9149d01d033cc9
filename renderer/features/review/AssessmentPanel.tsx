/** Why the revision scored what it did: every factor that lowered the safety score or set a risk floor. */
import type { ProposalDetail } from '../../../shared/ipc/channels/review';
import { RiskBadge, ScoreMeter } from '../../components/badges';
import { TimeAgo, shortOid } from '../../components/time';

/** The assessment explained. */
export function AssessmentPanel({ detail }: { readonly detail: ProposalDetail }) {
  const { assessment, agentClaims } = detail;
  const factors = [...assessment.factors].sort((a, b) => b.weight - a.weight);
  return (
    <section className="assessment-panel" data-testid="assessment-panel" aria-label="Assessment">
      <div className="assessment-head">
        <RiskBadge risk={assessment.risk} />
        <ScoreMeter score={assessment.safetyScore} />
        <span className="muted small">safety score from 1.00 (nothing found) down; each factor below lowered it</span>
      </div>
      {factors.length === 0 ? (
        <p className="muted">Nothing lowered the score: no findings, no sensitive paths, a small change.</p>
      ) : (
        <table className="data-table compact" data-testid="assessment-factors">
          <thead>
            <tr>
              <th scope="col">Factor</th>
              <th scope="col">Kind</th>
              <th scope="col" className="numeric">
                Score
              </th>
              <th scope="col">Forces at least</th>
            </tr>
          </thead>
          <tbody>
            {factors.map((factor, index) => (
              <tr key={`${factor.kind}-${index}`} data-testid="assessment-factor" data-kind={factor.kind}>
                <td>{factor.label}</td>
                <td className="muted">{factor.kind}</td>
                <td className="numeric">{factor.weight === 0 ? '0' : `−${factor.weight.toFixed(2)}`}</td>
                <td>{factor.floor === undefined ? '—' : <RiskBadge risk={factor.floor} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {agentClaims !== null && (
        <div className="agent-claims" data-testid="agent-claims">
          <h3>What the agent claimed</h3>
          <p>
            Safety score <strong>{agentClaims.safetyScore === null ? 'not given' : agentClaims.safetyScore.toFixed(2)}</strong>, risk{' '}
            <strong>{agentClaims.riskLevel ?? 'not given'}</strong> — Gatehouse computed <strong>{assessment.safetyScore.toFixed(2)}</strong> and{' '}
            <strong>{assessment.risk}</strong>. The agent's own view is shown for context; it never counts.
          </p>
          <blockquote className="rationale">{agentClaims.rationale}</blockquote>
        </div>
      )}
      <h3>Revisions</h3>
      <ol className="plain-list revisions" data-testid="revisions">
        {detail.revisions.map((revision) => (
          <li key={revision.oid}>
            <code>{shortOid(revision.oid)}</code> <span className={`badge author-${revision.author.kind}`}>{revision.author.kind}</span>{' '}
            {revision.author.name} · <TimeAgo iso={revision.committedAt} />
            <div className="small muted commit-message">{revision.message}</div>
          </li>
        ))}
      </ol>
    </section>
  );
}

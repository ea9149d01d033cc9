/** Settings: the policy's checkpoint retention per repository, what it would prune, and "Prune now" (leads). */
import { useState } from 'react';
import type { Role } from '../../../shared/model/domain';
import { canCall } from '../../api/access';
import { usePruneCheckpoints, usePrunePlan } from '../../api/checkpoints';
import { useRepositories } from '../../api/review';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';

/** The checkpoint retention section; shown to leads only (pruning is theirs). */
export function CheckpointRetention({ role }: { readonly role: Role }) {
  const repositories = useRepositories();
  const [chosen, setChosen] = useState<string | null>(null);
  const allowed = canCall(role, 'checkpoint:prune');
  const repositoryId = chosen ?? repositories.data?.[0]?.id ?? null;
  const plan = usePrunePlan(repositoryId, allowed);
  const prune = usePruneCheckpoints();
  if (!allowed) return null;
  return (
    <section className="card settings-section" aria-labelledby="retention-title" data-testid="settings-checkpoint-retention">
      <h2 id="retention-title">Checkpoint retention</h2>
      {repositories.data !== undefined && repositories.data.length > 1 && (
        <label className="field-label">
          Repository
          <select value={repositoryId ?? ''} onChange={(event) => setChosen(event.target.value)} data-testid="retention-repository">
            {repositories.data.map((repository) => (
              <option key={repository.id} value={repository.id}>
                {repository.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {repositoryId === null ? (
        <p className="muted">No repository registered.</p>
      ) : plan.isPending ? (
        <Loading label="Reading the retention policy…" />
      ) : plan.isError ? (
        <ErrorNote title="Could not read the checkpoint retention" error={plan.error} onRetry={() => void plan.refetch()} />
      ) : (
        <>
          <p data-testid="retention-policy">
            The policy keeps the newest <strong>{plan.data.retention.keepLast}</strong> checkpoints and every checkpoint newer than{' '}
            <strong>{plan.data.retention.keepDays}</strong> day{plan.data.retention.keepDays === 1 ? '' : 's'}; pruning runs{' '}
            {plan.data.retention.pruneAutomatically ? 'after every apply and rollback' : 'only when a lead asks'}. The last apply&apos;s checkpoint and the
            current state are never pruned.
          </p>
          <p data-testid="retention-plan" data-count={plan.data.pruned.length}>
            {plan.data.pruned.length === 0
              ? `Nothing to prune: all ${plan.data.remaining} checkpoints are kept.`
              : `${plan.data.pruned.length} of ${plan.data.remaining} checkpoints would be pruned now.`}
          </p>
          <div className="row gap">
            <button
              type="button"
              onClick={() => prune.mutate({ repositoryId, dryRun: false })}
              disabled={prune.isPending || plan.data.pruned.length === 0}
              data-testid="retention-prune"
            >
              {prune.isPending ? 'Pruning…' : 'Prune now'}
            </button>
          </div>
          {prune.isSuccess && (
            <p className="small" role="status" data-testid="retention-pruned">
              Pruned {prune.data.pruned.length} checkpoint{prune.data.pruned.length === 1 ? '' : 's'}; {prune.data.remaining} kept. Recorded in the audit log.
            </p>
          )}
          {prune.isError && <ErrorNote title="Could not prune" error={prune.error} testId="retention-error" />}
        </>
      )}
    </section>
  );
}

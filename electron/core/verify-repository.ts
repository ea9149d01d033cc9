/**
 * `repo:verify`: the CI gate's use case. A registered repository verifies from its pinned root; a clone
 * that is not registered here (a CI checkout) is opened read-only by path under the repository id the
 * approvals must name, and needs `root`.
 */
import { realpathSync } from 'node:fs';
import type { LandingVerdictView } from '../../shared/ipc/channels/records';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { openRepository } from '../services/git';
import { verifyLanding } from './landing';
import type { RepositoryHandle } from './repositories';
import type { AnalysisDeps } from './review';
import type { TrustRoots } from './trust-roots';

/** Input of {@link verifyRepository}. */
export interface VerifyRepositoryInput {
  readonly repositoryId: string;
  readonly ref: string;
  readonly root?: string | undefined;
  readonly dir?: string | undefined;
}

async function cloneHandle(deps: AnalysisDeps, input: VerifyRepositoryInput): Promise<RepositoryHandle> {
  const dir = realpathSync(input.dir as string);
  const repo = await openRepository({ dir, clock: deps.ctx.clock });
  const now = deps.ctx.clock.now().toISOString();
  return {
    record: { id: input.repositoryId, path: dir, targetBranch: repo.targetBranch, proposalRefPattern: repo.proposalRefPattern, createdAt: now, updatedAt: now },
    repo,
  };
}

/** Verifies that `ref` landed through Gatehouse (see core/landing.ts). */
export async function verifyRepository(deps: AnalysisDeps, roots: TrustRoots, input: VerifyRepositoryInput): Promise<LandingVerdictView> {
  const handle = input.dir !== undefined ? await cloneHandle(deps, input) : await deps.handles.get(input.repositoryId);
  const root = input.root ?? (input.dir === undefined ? roots.get(input.repositoryId) : null);
  if (root === null) {
    throw new GatehouseError(ErrorCode.InvalidInput, 'no trust root: pass --root COMMIT (the commit whose .gatehouse/ policy and trust list you trust)');
  }
  const verdict = await verifyLanding(deps, handle, { root, ref: input.ref });
  deps.ctx.audit.record({
    action: verdict.ok ? 'verify.passed' : 'verify.refused',
    subject: `repository:${input.repositoryId}`,
    payload: { ref: input.ref, commit: verdict.commit, root, failure: verdict.failure },
  });
  return { ...verdict, root };
}

/**
 * Repositories as core sees them: one open git handle per registered repository (sharing
 * isomorphic-git's cache across calls), and the governance in force for each — the policy and the
 * trust list come from the target branch or the workspace, never from a proposal under review.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { RepositoryView } from '../../shared/ipc/channels/review';
import type { Policy } from '../../shared/model/policy';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
// Modules, not the services' indexes: the CLI's rollback bundle (rollback-core.ts) loads only these.
import { readBlobAtRef } from '../services/git/diff';
import type { RepositoryRecord } from '../services/git/registry';
import { openRepository, type GitRepository } from '../services/git/repository';
import { parseTrustList, type TrustList } from '../services/identity/trust-list';
import { POLICY_PATH, TRUST_PATH } from '../services/policy/governance';
import { loadPolicy, type PolicyLoadResult } from '../services/policy/load';
import type { CoreContext } from './context';

/** A registered repository with its open handle. */
export interface RepositoryHandle {
  readonly record: RepositoryRecord;
  readonly repo: GitRepository;
}

/** Where the policy in force came from. */
export type PolicyOrigin = 'target-branch' | 'workspace' | 'none';

/** The policy and trust list in force for a repository. */
export interface Governance {
  readonly policy: PolicyLoadResult;
  readonly policyOrigin: PolicyOrigin;
  readonly policyText: string | null;
  readonly trustList: TrustList | null;
  readonly trustOrigin: 'workspace' | 'target-branch' | 'none';
}

/** Caches open repository handles by id; reopened when the record changes. */
export function createRepositoryHandles(ctx: Pick<CoreContext, 'registry' | 'clock'>) {
  const open = new Map<string, { key: string; handle: Promise<RepositoryHandle> }>();
  return {
    /** The open handle of a registered repository; NotFound for an unknown id. */
    get(repositoryId: string): Promise<RepositoryHandle> {
      const record = ctx.registry.get(repositoryId);
      const key = `${record.path}\0${record.targetBranch}\0${record.proposalRefPattern}`;
      const cached = open.get(repositoryId);
      if (cached && cached.key === key) return cached.handle;
      const handle = openRepository({
        dir: record.path,
        targetBranch: record.targetBranch,
        proposalRefPattern: record.proposalRefPattern,
        clock: ctx.clock,
      }).then((repo) => ({ record, repo }));
      open.set(repositoryId, { key, handle });
      handle.catch(() => open.delete(repositoryId));
      return handle;
    },
    forget(repositoryId: string): void {
      open.delete(repositoryId);
    },
  };
}

/** The repository handle cache type. */
export type RepositoryHandles = ReturnType<typeof createRepositoryHandles>;

/** A repository as IPC shows it. */
export function repositoryView(record: RepositoryRecord): RepositoryView {
  return {
    id: record.id,
    name: basename(record.path),
    path: record.path,
    targetBranch: record.targetBranch,
    proposalPattern: record.proposalRefPattern,
    addedAt: record.createdAt,
  };
}

async function readTargetText(handle: RepositoryHandle, path: string): Promise<string | null> {
  // Always the target branch: a proposal never gets to choose its own policy or trust list.
  const blob = await readBlobAtRef(handle.repo, `refs/heads/${handle.record.targetBranch}`, path);
  return blob === null ? null : blob.content.toString('utf8');
}

/** The policy in force for a repository, without the trust list (see {@link governanceOf}). */
export type PolicyInForce = Pick<Governance, 'policy' | 'policyOrigin' | 'policyText'>;

/**
 * The policy in force: `.gatehouse/policy.yaml` on the target branch, else the workspace policy file in
 * the data directory, else none (deny by default). What housekeeping that needs only the policy (the
 * checkpoint retention after an apply or a rollback) reads, without the trust list.
 */
export async function policyInForce(ctx: Pick<CoreContext, 'layout'>, handle: RepositoryHandle): Promise<PolicyInForce> {
  let policyText = await readTargetText(handle, POLICY_PATH);
  let policyOrigin: PolicyOrigin = 'target-branch';
  if (policyText === null && existsSync(ctx.layout.workspacePolicy)) {
    policyText = readFileSync(ctx.layout.workspacePolicy, 'utf8');
    policyOrigin = 'workspace';
  }
  const policy: PolicyLoadResult =
    policyText === null
      ? {
          ok: false,
          policy: null,
          digest: null,
          problems: [
            {
              path: '',
              line: null,
              column: null,
              message: `no ${POLICY_PATH} on ${handle.record.targetBranch} and no workspace policy: nothing can be applied (deny by default)`,
            },
          ],
        }
      : loadPolicy({ text: policyText });
  if (policyText === null) policyOrigin = 'none';
  return { policy, policyOrigin, policyText };
}

/**
 * The governance in force: the policy ({@link policyInForce}) and the trust list, which is the
 * workspace's operators, else `.gatehouse/trust.json` on the target branch.
 */
export async function governanceOf(ctx: Pick<CoreContext, 'layout' | 'operators'>, handle: RepositoryHandle): Promise<Governance> {
  const { policy, policyOrigin, policyText } = await policyInForce(ctx, handle);

  // The target branch's trust list is the single authority once it exists: an operator counts only after
  // an approved change adds their key. The workspace's list is used only to bootstrap a repository without one.
  let trustList: TrustList | null = null;
  let trustOrigin: Governance['trustOrigin'] = 'none';
  const text = await readTargetText(handle, TRUST_PATH);
  if (text !== null) {
    trustList = parseTrustList(text);
    trustOrigin = 'target-branch';
  } else {
    const workspaceTrust = ctx.operators.exportTrustList();
    if (workspaceTrust.operators.length > 0) {
      trustList = workspaceTrust;
      trustOrigin = 'workspace';
    }
  }
  return { policy, policyOrigin, policyText, trustList, trustOrigin };
}

/** The valid policy in force, or throws PolicyInvalid naming every problem (deny by default). */
export function requireValidPolicy(governance: Pick<Governance, 'policy'>): Policy {
  if (governance.policy.ok) return governance.policy.policy;
  throw new GatehouseError(
    ErrorCode.PolicyInvalid,
    `the policy is missing or invalid: ${governance.policy.problems.map((p) => p.message).join('; ')}`,
    { problems: governance.policy.problems },
  );
}

/**
 * Where policy and trust come from: the workspace or the target branch, never the proposal under review.
 *
 * A proposal may contain its own `.gatehouse/policy.yaml` or `.gatehouse/trust.json` (adding its
 * author's key as a lead, lowering the approvals needed). Those copies are never read for a decision;
 * a proposal that changes anything under `.gatehouse/` is CRITICAL.
 */
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { parseTrustList, type TrustList } from '../identity/trust-list';
import { loadPolicy, type PolicyLoadResult } from './load';

/** The policy file, relative to the repository root. */
export const POLICY_PATH = '.gatehouse/policy.yaml';
/** The trust list file, relative to the repository root. */
export const TRUST_PATH = '.gatehouse/trust.json';
/** The governance folder: any change below it is CRITICAL. */
export const GOVERNANCE_DIR = '.gatehouse';

/** What a proposal's changed paths do to governance. */
export interface GovernanceChange {
  /** Changed paths inside `.gatehouse/` (as given). */
  readonly touched: ReadonlyArray<string>;
  /** `CRITICAL` when anything was touched, else null. */
  readonly risk: 'CRITICAL' | null;
  /** Why, for the assessment and the gate ("changes .gatehouse/trust.json"). */
  readonly reasons: ReadonlyArray<string>;
}

/**
 * Normalises a repository path the way a case-insensitive or Windows file system would see it, so
 * `.Gatehouse/Trust.json`, `./.gatehouse/x` and `.gatehouse./policy.yaml` are all caught.
 */
function normalise(path: string): string {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .map((segment) => segment.replace(/[. ]+$/, '').toLowerCase())
    .join('/');
}

/** Reports which changed paths touch `.gatehouse/` (policy, trust list or anything beside them). */
export function governanceChanges(changedPaths: ReadonlyArray<string>): GovernanceChange {
  const touched = changedPaths.filter((path) => {
    const normal = normalise(path);
    return normal === GOVERNANCE_DIR || normal.startsWith(`${GOVERNANCE_DIR}/`);
  });
  const reasons = touched.map((path) => {
    const normal = normalise(path);
    if (normal === POLICY_PATH) return `changes the policy (${path})`;
    if (normal === TRUST_PATH) return `changes the trust list (${path})`;
    return `changes governance files (${path})`;
  });
  return { touched, risk: touched.length > 0 ? 'CRITICAL' : null, reasons };
}

/** Where to read governance files from. */
export interface GovernanceSource {
  /**
   * Reads a file at the head of the repository's *target* branch (never a proposal ref); null when
   * the file does not exist there.
   */
  readTargetFile(path: string): Promise<string | null>;
}

/** A trust list and where it came from. */
export interface SourcedTrustList {
  readonly trustList: TrustList;
  readonly origin: 'workspace' | 'target-branch';
}

/**
 * The trust list verification must use: the workspace's (its operator store) when given, otherwise
 * `.gatehouse/trust.json` on the target branch. Throws NotFound when there is none (verify nothing).
 */
export async function trustListFromTarget(source: GovernanceSource & { readonly workspace?: TrustList | null }): Promise<SourcedTrustList> {
  if (source.workspace && source.workspace.operators.length > 0) return { trustList: source.workspace, origin: 'workspace' };
  const text = await source.readTargetFile(TRUST_PATH);
  if (text === null)
    throw new GatehouseError(ErrorCode.NotFound, `no trust list: the workspace has no operators and the target branch has no ${TRUST_PATH}`);
  return { trustList: parseTrustList(text), origin: 'target-branch' };
}

/** A policy load result and where it came from. */
export type SourcedPolicy = PolicyLoadResult & { readonly origin: 'workspace' | 'target-branch' | 'none' };

/**
 * The policy in force: the workspace's policy text when given, otherwise `.gatehouse/policy.yaml` on
 * the target branch. A missing policy is a failed result (deny by default), never a default policy.
 */
export async function policyFromTarget(source: GovernanceSource & { readonly workspace?: string | null }): Promise<SourcedPolicy> {
  if (typeof source.workspace === 'string') return { ...loadPolicy({ text: source.workspace }), origin: 'workspace' };
  const text = await source.readTargetFile(POLICY_PATH);
  if (text === null)
    return {
      ok: false,
      policy: null,
      digest: null,
      problems: [{ path: '', line: null, column: null, message: `no ${POLICY_PATH} on the target branch: nothing can be applied (deny by default)` }],
      origin: 'none',
    };
  return { ...loadPolicy({ text }), origin: 'target-branch' };
}

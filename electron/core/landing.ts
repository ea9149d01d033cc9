/**
 * Verifying what landed on a target branch from the repository alone: the CI gate (`gatehouse verify`)
 * and the console reach the same verdict from the same records.
 *
 * Trust starts at a root commit the user pins (`--root`, or the pin taken when the repository was
 * registered) and moves forward one landing at a time, as gittuf verifies a branch from its policy's
 * root: a commit C on the target is accepted only if
 *
 *  - an apply record in `refs/gatehouse/records` names C as the result (`to`) of landing an approved
 *    revision on the previous target head (`from`), and `from` is itself the root or an accepted landing;
 *  - C's tree is exactly the approved tree (a merge or any other commit with a tree of its own fails);
 *  - the apply record and every approval it used are signed by operators in the trust list of `from`'s
 *    tree, under the policy in `from`'s tree (a change to `.gatehouse/` is judged by the policy before it);
 *  - each approval is for this repository (`aud`), this exact revision, was issued before the landing and
 *    had not expired or been revoked (by a revocation record) when it landed; the landing time is the apply
 *    record's own signed time, never the approvals';
 *  - no unrevoked rejection of the revision was recorded before the landing, and an approval its signer
 *    withdrew with a request for changes (a `change-request` record) before the landing does not count;
 *  - the risk level is computed here with the same analysis and path rules as the console (the tokens'
 *    own risk claims never lower it), and the policy's rate limit is counted from the apply records.
 */
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import type { Policy } from '../../shared/model/policy';
import type { RiskLevel } from '../../shared/model/domain';
import {
  findingsDigest,
  verifyApproval,
  verifyRevocation,
  type VerifiedApproval,
  type VerifiedRevocation,
} from '../services/approvals';
import { GATEHOUSE_IDENTITY, readBlobAtRef, type GitRepository } from '../services/git';
import { isOid, resolveRefOrNull } from '../services/git/refs';
import type { ProposalSummary as GitProposal } from '../services/git/proposals';
import { parseTrustList, type TrustList } from '../services/identity';
import { evaluateGate, loadPolicy, POLICY_PATH, TRUST_PATH, type GateCondition } from '../services/policy';
import { isAncestor, readRecordLog, verifyRecord, type LogEntry, type RecordLog, type VerifiedRecord } from '../services/records';
import type { ApplyStatement } from '../services/records';
import type { Governance, RepositoryHandle } from './repositories';
import { analyseRevision, type AnalysisDeps } from './review';

/** The verdict on one commit. */
export interface LandingVerdict {
  readonly ok: boolean;
  /** The commit asked about (peeled). */
  readonly commit: string;
  /** How REF was resolved. */
  readonly resolvedFrom: string;
  /** Accepted landings from the root to the commit, oldest first. */
  readonly landings: ReadonlyArray<{ readonly commit: string; readonly proposal: string; readonly risk: RiskLevel; readonly appliedBy: string; readonly appliedAt: string; readonly approvals: ReadonlyArray<string> }>;
  /** On refusal: the first failing condition and the commit it concerns. */
  readonly failure: { readonly condition: string; readonly commit: string; readonly message: string } | null;
}

/** A refusal that names its condition and commit. */
class LandingRefused extends Error {
  constructor(
    readonly condition: string,
    readonly commit: string,
    message: string,
  ) {
    super(message);
  }
}

/** Policy and trust list as committed in a commit's tree. */
export interface StateGovernance {
  readonly policy: Policy;
  readonly policyDigest: string;
  readonly policyText: string;
  readonly trustList: TrustList;
}

/** Reads `.gatehouse/policy.yaml` and `.gatehouse/trust.json` from a commit; throws LandingRefused-style errors. */
export async function governanceAt(repo: GitRepository, commit: string): Promise<StateGovernance> {
  const policyBlob = await readBlobAtRef(repo, commit, POLICY_PATH);
  if (policyBlob === null) throw new LandingRefused('policy', commit, `no ${POLICY_PATH} in ${commit}: nothing may land after it (deny by default)`);
  const trustBlob = await readBlobAtRef(repo, commit, TRUST_PATH);
  if (trustBlob === null) throw new LandingRefused('trust', commit, `no ${TRUST_PATH} in ${commit}: nobody's signature can be trusted after it`);
  const policyText = policyBlob.content.toString('utf8');
  const loaded = loadPolicy({ text: policyText });
  if (!loaded.ok) throw new LandingRefused('policy', commit, `the policy in ${commit} is invalid: ${loaded.problems.map((p) => p.message).join('; ')}`);
  let trustList: TrustList;
  try {
    trustList = parseTrustList(trustBlob.content.toString('utf8'));
  } catch (error) {
    throw new LandingRefused('trust', commit, `the trust list in ${commit} is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { policy: loaded.policy, policyDigest: loaded.digest as string, policyText, trustList };
}

const IMPORTED_BY = /^Gatehouse-Imported-By: .* <([^<>\s]+)>$/;

/**
 * Everyone who wrote or brought in the commits from `base` (excluded) to `head`: authors, committers
 * other than Gatehouse itself, and the `Gatehouse-Imported-By` trailer of an import (lower-cased emails).
 */
export async function revisionAuthors(repo: GitRepository, base: string, head: string, limit = 5000): Promise<ReadonlyArray<string>> {
  const emails = new Set<string>();
  const seen = new Set<string>([head]);
  const queue = [head];
  while (queue.length > 0 && seen.size <= limit) {
    const oid = queue.shift() as string;
    if (oid === base) continue;
    const commit = await repo.objects.readCommit(oid);
    emails.add(commit.author.email.trim().toLowerCase());
    if (commit.committer.email !== GATEHOUSE_IDENTITY.email) emails.add(commit.committer.email.trim().toLowerCase());
    // Only the last paragraph holds trailers: a rationale cannot plant one above it.
    const paragraphs = commit.message.trimEnd().split(/\n\s*\n/);
    for (const line of (paragraphs[paragraphs.length - 1] ?? '').split('\n')) {
      const match = IMPORTED_BY.exec(line.trim());
      if (match?.[1]) emails.add(match[1].toLowerCase());
    }
    for (const parent of commit.parents) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return [...emails].sort();
}

function asGovernance(state: StateGovernance): Governance {
  return {
    policy: { ok: true, policy: state.policy, digest: state.policyDigest, problems: [] } as unknown as Governance['policy'],
    policyOrigin: 'target-branch',
    policyText: state.policyText,
    trustList: state.trustList,
    trustOrigin: 'target-branch',
  };
}

/** Options of {@link verifyLanding}. */
export interface VerifyLandingOptions {
  /** The commit whose tree, policy and trust are trusted without records. */
  readonly root: string;
  /** The ref or commit to verify. */
  readonly ref: string;
}

/** Resolves a ref strictly: a full ref, an oid, or a short name that matches exactly one of branch, tag or remote branch; tags are peeled. */
export async function resolveStrict(repo: GitRepository, ref: string): Promise<{ readonly commit: string; readonly resolvedFrom: string }> {
  const candidates = isOid(ref) ? [ref] : ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/remotes/${ref}`];
  const found: Array<{ name: string; oid: string }> = [];
  for (const name of candidates) {
    if (isOid(name)) {
      found.push({ name, oid: name });
      continue;
    }
    const oid = await resolveRefOrNull(repo, name);
    if (oid !== null) found.push({ name, oid });
  }
  if (found.length === 0) throw new GatehouseError(ErrorCode.NotFound, `no such ref or commit: ${ref}`);
  if (found.length > 1) {
    throw new GatehouseError(ErrorCode.InvalidInput, `${ref} is ambiguous: ${found.map((f) => f.name).join(' and ')} exist; name one in full (e.g. ${found[0]?.name ?? ''})`, {
      matches: found.map((f) => f.name),
    });
  }
  const only = found[0] as { name: string; oid: string };
  let oid = only.oid;
  // Peel annotated tags (a tag of a tag too), bounded.
  for (let depth = 0; depth < 10; depth += 1) {
    const object = await repo.objects.read(oid);
    if (object.type === 'commit') return { commit: oid, resolvedFrom: only.name };
    if (object.type !== 'tag') throw new GatehouseError(ErrorCode.InvalidInput, `${ref} names a ${object.type}, not a commit`);
    const target = /^object ([0-9a-f]{40})\n/.exec(object.content.toString('utf8'))?.[1];
    if (target === undefined) throw new GatehouseError(ErrorCode.InvalidInput, `${ref} is a malformed tag`);
    oid = target;
  }
  throw new GatehouseError(ErrorCode.InvalidInput, `${ref}: tags nested too deep`);
}

interface LandingContext {
  readonly deps: AnalysisDeps;
  readonly handle: RepositoryHandle;
  readonly log: RecordLog;
  readonly applies: ReadonlyArray<LogEntry & { readonly claims: { readonly kind: 'apply'; readonly apply: ApplyStatement } }>;
}

async function checkLanding(lc: LandingContext, entry: LandingContext['applies'][number], state: StateGovernance): Promise<LandingVerdict['landings'][number]> {
  const { handle } = lc;
  const repo = handle.repo;
  const apply = entry.claims.apply;
  const to = apply.to;
  const fail = (condition: string, message: string): never => {
    throw new LandingRefused(condition, to, message);
  };
  const now = new Date();
  let record: VerifiedRecord;
  try {
    record = await verifyRecord(entry.token, state.trustList, now);
  } catch (error) {
    return fail('apply-record', `the apply record ${entry.oid} is not signed by an operator trusted at ${apply.from}: ${(error as Error).message}`);
  }
  if (!['reviewer', 'lead'].includes(record.signer.role)) fail('apply-record', `${record.signer.name} (${record.signer.role}) may not apply`);
  const landedAt = new Date(record.claims.iat * 1000);
  const toCommit = await repo.objects.readCommit(to);
  if (toCommit.tree !== apply.tree) fail('tree', `${to} has tree ${toCommit.tree}, not the approved tree ${apply.tree}: only an approved tree may land`);
  if (!(await isAncestor(repo, apply.from, to))) fail('history', `${to} does not descend from the target head ${apply.from} it was applied on`);
  const headCommit = await repo.objects.readCommit(apply.head);
  if (headCommit.tree !== apply.tree) fail('tree', `the approved head ${apply.head} does not have the approved tree`);

  // Risk and findings computed here, under the policy of the state the change landed on.
  const proposal = {
    ref: `refs/gatehouse/verify/${apply.proposal}`,
    name: apply.proposal,
    targetBranch: handle.record.targetBranch,
    targetOid: apply.from,
    baseOid: apply.base,
    headOid: apply.head,
    treeOid: apply.tree,
    author: { name: headCommit.author.name, email: headCommit.author.email, time: '' },
    committer: { name: headCommit.committer.name, email: headCommit.committer.email, time: '' },
    message: headCommit.message,
    subject: headCommit.message.split('\n')[0] ?? '',
    ageSeconds: 0,
    filesChanged: null,
    linesAdded: null,
    linesRemoved: null,
    revisions: [],
    error: null,
  } satisfies GitProposal;
  const analysis = await analyseRevision(lc.deps, handle, proposal, asGovernance(state));
  const authors = await revisionAuthors(repo, apply.base, apply.head);

  const approvals: VerifiedApproval[] = [];
  const refused: string[] = [];
  const verifyAt = async (token: string): Promise<VerifiedApproval | null> => {
    try {
      return await verifyApproval(token, {
        trustList: state.trustList,
        audience: handle.record.id,
        expected: { head: apply.head, tree: apply.tree, base: apply.base },
        now: landedAt,
        maxLifetimeHours: state.policy.approvalLifetimeHours,
      });
    } catch (error) {
      refused.push((error as Error).message);
      return null;
    }
  };
  for (const token of apply.approvals) {
    const verified = await verifyAt(token);
    if (verified === null) {
      return fail('approvals', `an approval used to land ${apply.proposal} was not valid when it landed (${landedAt.toISOString()}): ${refused[refused.length - 1] ?? ''}`);
    }
    approvals.push(verified);
  }
  // Rejections and other decisions on this revision recorded before the landing count too.
  const used = new Set(approvals.map((a) => a.claims.jti));
  const revocations: VerifiedRevocation[] = [];
  const changeRequests: VerifiedApproval[] = [];
  for (const other of lc.log.entries) {
    if (other.claims.iat > record.claims.iat) continue;
    if (other.claims.kind === 'change-request') {
      const verified = await verifyAt(other.claims.token);
      if (verified !== null && verified.claims.decision === 'request_changes' && verified.signer.keyId === other.claims.iss) changeRequests.push(verified);
    } else if (other.claims.kind === 'decision' && !used.has(other.claims.jti)) {
      const verified = await verifyAt(other.claims.token);
      if (verified !== null && !used.has(verified.claims.jti)) approvals.push(verified);
    } else if (other.claims.kind === 'revocation') {
      try {
        revocations.push(await verifyRevocation(other.claims.token, { trustList: state.trustList, audience: handle.record.id, now: landedAt }));
      } catch {
        // A revocation by someone not trusted at this state does not count.
      }
    }
  }
  // An operator's latest decision counts: a request for changes withdraws their earlier approval of this revision.
  const counted = approvals.filter((a) => a.claims.decision !== 'approve' || !changeRequests.some((r) => r.signer.keyId === a.signer.keyId && r.claims.iat >= a.claims.iat));
  const hourAgo = record.claims.iat - 3600;
  const appliesInLastHour = lc.applies.filter((a) => a.oid !== entry.oid && a.claims.iat > hourAgo && a.claims.iat <= record.claims.iat).length;
  const sandboxClaims = approvals.filter((a) => a.claims.decision === 'approve').map((a) => a.claims.sandbox?.status);
  const gate = evaluateGate({
    policy: state.policy,
    repository: handle.record.id,
    revision: { base: apply.base, head: apply.head, tree: apply.tree },
    risk: sandboxClaims.includes('failed') && analysis.baseAssessment.risk !== 'CRITICAL' ? 'HIGH' : analysis.baseAssessment.risk,
    changedPaths: analysis.diff.files.flatMap((f) => (f.oldPath && f.oldPath !== f.path ? [f.path, f.oldPath] : [f.path])),
    author: { email: headCommit.author.email, name: headCommit.author.name, emails: authors },
    approvals: counted,
    revocations,
    findingsDigest: findingsDigest(analysis.findings),
    sandbox: sandboxClaims.includes('passed') ? { status: 'completed', passed: true, head: apply.head } : null,
    appliesInLastHour,
    now: landedAt,
  });
  const unmet: GateCondition | undefined = gate.conditions.find((c) => !c.met);
  if (unmet) fail(unmet.id, `${apply.proposal} landed without meeting the policy of ${apply.from.slice(0, 12)}: ${unmet.message}`);
  return {
    commit: to,
    proposal: apply.proposal,
    risk: gate.risk,
    appliedBy: record.signer.name,
    appliedAt: landedAt.toISOString(),
    approvals: gate.counted.map((c) => `${c.name} (${c.role})`),
  };
}

/** Verifies that REF's commit is the root or was landed through Gatehouse from it (see the module comment). */
export async function verifyLanding(deps: AnalysisDeps, handle: RepositoryHandle, options: VerifyLandingOptions): Promise<LandingVerdict> {
  const repo = handle.repo;
  const { commit, resolvedFrom } = await resolveStrict(repo, options.ref);
  const landings: Array<LandingVerdict['landings'][number]> = [];
  try {
    const root = await resolveStrict(repo, options.root);
    let log: RecordLog;
    try {
      log = await readRecordLog(repo, { repository: handle.record.id });
    } catch (error) {
      throw new LandingRefused('records', commit, `the record log cannot be trusted: ${(error as Error).message}`);
    }
    const applies = log.entries.filter((e): e is LandingContext['applies'][number] => e.claims.kind === 'apply');
    const lc: LandingContext = { deps, handle, log, applies };
    // Walk back from the commit to the root through apply records.
    const chain: Array<LandingContext['applies'][number]> = [];
    let current = commit;
    const visited = new Set<string>();
    while (current !== root.commit) {
      if (visited.has(current)) throw new LandingRefused('history', current, 'the apply records form a loop');
      visited.add(current);
      const landing = applies.filter((a) => a.claims.apply.to === current);
      if (landing.length === 0) {
        throw new LandingRefused(
          'landed',
          current,
          chain.length === 0
            ? `${current} was not landed through Gatehouse: no apply record names it, and it is not the pinned root ${root.commit.slice(0, 12)}`
            : `${current}, on the way back to the pinned root, was not landed through Gatehouse`,
        );
      }
      // Several records for one commit (two desks applying the same thing) would each have to pass; take the first.
      const first = landing[0] as LandingContext['applies'][number];
      chain.push(first);
      current = first.claims.apply.from;
    }
    for (const entry of chain.reverse()) {
      const state = await governanceAt(repo, entry.claims.apply.from);
      landings.push(await checkLanding(lc, entry, state));
    }
    if (chain.length === 0) await governanceAt(repo, root.commit);
    return { ok: true, commit, resolvedFrom, landings, failure: null };
  } catch (error) {
    if (error instanceof LandingRefused) {
      return { ok: false, commit, resolvedFrom, landings, failure: { condition: error.condition, commit: error.commit, message: error.message } };
    }
    throw error;
  }
}

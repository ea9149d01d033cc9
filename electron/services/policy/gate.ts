/**
 * The policy gate: may this exact revision be applied now?
 *
 * A pure function of what the caller gathered (policy, verified decisions, sandbox result, applies
 * counted from the audit log). It lists every condition with met / not met and a message, so the UI
 * shows what is missing, and a refusal names exactly the conditions that failed.
 *
 * Rules:
 * - `policy`: a valid policy is in force (none → everything refused).
 * - `approvals`: enough approvals of this exact revision (base, head, tree) of this repository, unexpired and unrevoked,
 *   from distinct operators in the roles the risk level needs. Each operator's latest decision
 *   counts once; an approval signed for a lower risk, under another policy or for other findings
 *   does not count.
 * - `no-rejection`: no operator's latest decision on this revision is an unrevoked rejection (a
 *   rejection stands after its token expires, until a lead revokes it or its author approves later).
 * - `author-not-approver`: the proposal's author is not among the approvers.
 * - `sandbox`: a passing sandbox run of this head when the risk level requires one.
 * - `rate-limit`: fewer applies to this repository in the last hour than the policy allows.
 *
 * Pass only decisions that came out of `verifyApproval` / `collectRevisionDecisions`: the gate
 * re-checks binding, time and role, but not signatures.
 */
import type { RiskLevel, Role } from '../../../shared/model/domain';
import type { ApprovalRequirement, Policy } from '../../../shared/model/policy';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { RevisionBinding } from '../approvals/claims';
import type { VerifiedApproval, VerifiedRevocation } from '../approvals/verify';
import { policyDigest } from './digest';
import { governanceChanges } from './governance';

/** Identifiers of the gate's conditions, in the order they are listed. */
export type GateConditionId = 'policy' | 'approvals' | 'no-rejection' | 'author-not-approver' | 'sandbox' | 'rate-limit';

/** One condition of the gate. */
export interface GateCondition {
  readonly id: GateConditionId;
  readonly met: boolean;
  readonly message: string;
}

/** Who wrote the proposal: matched against approvers by operator id or git email (case-insensitive). */
export interface ProposalAuthor {
  readonly operatorId?: string | null;
  readonly email?: string | null;
  /** Everyone else who wrote or brought in the change (other commit authors, committers, the importer). */
  readonly emails?: ReadonlyArray<string>;
  /** For messages only. */
  readonly name?: string | null;
}

/** A sandbox run of the head, as the gate needs it. */
export interface GateSandbox {
  /** `SandboxRunResult.status`: only `completed` can pass. */
  readonly status: string;
  /** Tests passed (and no regression beyond the threshold, if the caller counts that). */
  readonly passed: boolean;
  /** The head the run tested; when given it must be the revision's head. */
  readonly head?: string;
}

/** Everything the gate decides on. */
export interface GateInput {
  /** The policy in force, or null when it is missing or invalid (everything refused). */
  readonly policy: Policy | null;
  /** The repository id: decisions and revocations for another repository (a fork sharing commits) never count. */
  readonly repository: string;
  readonly revision: RevisionBinding;
  /** The assessed risk level. */
  readonly risk: RiskLevel;
  /** The proposal's changed paths: a change under `.gatehouse/` raises the risk to CRITICAL. */
  readonly changedPaths?: ReadonlyArray<string>;
  readonly author: ProposalAuthor;
  /** Verified approvals and rejections. */
  readonly approvals: ReadonlyArray<VerifiedApproval>;
  /** Verified revocations (signed by leads). */
  readonly revocations: ReadonlyArray<VerifiedRevocation>;
  /** The digest of the current findings; approvals for other findings then do not count. */
  readonly findingsDigest?: string;
  readonly sandbox: GateSandbox | null;
  /** Applies to this repository in the last hour, counted from the persisted audit log. */
  readonly appliesInLastHour: number;
  readonly now: Date;
}

/** An approval the gate counted. */
export interface CountedApproval {
  readonly jti: string;
  readonly operatorId: string;
  readonly name: string;
  readonly role: Role;
}

/** A decision the gate did not count, and why. */
export interface IgnoredDecision {
  readonly jti: string;
  readonly name: string;
  readonly why: string;
}

/** The gate's verdict. */
export interface GateResult {
  readonly allowed: boolean;
  /** The risk level the requirement came from (raised to CRITICAL by governance changes). */
  readonly risk: RiskLevel;
  readonly conditions: ReadonlyArray<GateCondition>;
  /** Null when allowed; otherwise every unmet condition's message. */
  readonly refusal: string | null;
  readonly counted: ReadonlyArray<CountedApproval>;
  readonly ignored: ReadonlyArray<IgnoredDecision>;
}

const RISK_ORDER: ReadonlyArray<RiskLevel> = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const CONDITION_IDS: ReadonlyArray<GateConditionId> = ['policy', 'approvals', 'no-rejection', 'author-not-approver', 'sandbox', 'rate-limit'];

function riskRank(risk: RiskLevel): number {
  return RISK_ORDER.indexOf(risk);
}

/** "2 approvals from distinct operators, at least 1 a lead". */
export function describeRequirement(rule: ApprovalRequirement): string {
  const who = rule.role === 'lead' ? (rule.count === 1 ? 'a lead' : `${rule.count} distinct leads`) : rule.count === 1 ? 'a reviewer or lead' : `${rule.count} distinct reviewers or leads`;
  const leads = rule.role !== 'lead' && rule.leads > 0 ? `, at least ${rule.leads === 1 ? 'one' : rule.leads} of them a lead` : '';
  return `approval by ${who}${leads}`;
}

function isAuthor(author: ProposalAuthor, signer: VerifiedApproval['signer']): boolean {
  if (author.operatorId && author.operatorId === signer.id) return true;
  const mine = signer.email?.trim().toLowerCase();
  if (!mine) return false;
  return [author.email, ...(author.emails ?? [])].some((email) => email?.trim().toLowerCase() === mine);
}

/** Evaluates the gate for one revision. */
export function evaluateGate(input: GateInput): GateResult {
  if (!(input.now instanceof Date) || Number.isNaN(input.now.getTime())) throw new GatehouseError(ErrorCode.InvalidInput, 'gate: now is not a time');
  const governance = governanceChanges(input.changedPaths ?? []);
  const risk: RiskLevel = governance.risk !== null && riskRank(governance.risk) > riskRank(input.risk) ? governance.risk : input.risk;
  const riskNote = governance.risk !== null && risk !== input.risk ? ` (raised from ${input.risk}: the proposal ${governance.reasons.join(', ')})` : '';

  const { policy } = input;
  if (policy === null) {
    const conditions = CONDITION_IDS.map((id) =>
      id === 'policy'
        ? { id, met: false, message: 'no valid policy is in force: nothing can be applied (deny by default)' }
        : { id, met: false, message: 'not checked: no valid policy' },
    );
    return { allowed: false, risk, conditions, refusal: conditions[0]?.message ?? 'no policy', counted: [], ignored: [] };
  }

  const digest = policyDigest(policy);
  const nowSeconds = Math.floor(input.now.getTime() / 1000);
  const { revision } = input;
  const rule = policy.approvals[risk];
  const ignored: IgnoredDecision[] = [];
  const revokedBy = new Map<string, string>();
  for (const r of input.revocations) if (r.signer.role === 'lead' && r.claims.aud === input.repository) revokedBy.set(r.claims.revokes, r.signer.name);

  // Decisions that are in force, then each operator's latest one.
  const inForce: VerifiedApproval[] = [];
  for (const a of input.approvals) {
    const c = a.claims;
    const ignore = (why: string): void => void ignored.push({ jti: c.jti, name: a.signer.name, why });
    if (c.aud !== input.repository) ignore(`for another repository (${c.aud})`);
    else if (c.head !== revision.head || c.tree !== revision.tree || c.base !== revision.base) ignore('for another revision (outdated)');
    else if (revokedBy.has(c.jti)) ignore(`revoked by ${revokedBy.get(c.jti) ?? 'a lead'}`);
    else if (a.signer.role !== 'reviewer' && a.signer.role !== 'lead') ignore(`signed by a ${a.signer.role}, who cannot decide`);
    else if (c.decision === 'reject') inForce.push(a);
    else if (c.exp <= nowSeconds) ignore('expired');
    else if (c.nbf > nowSeconds) ignore('not valid yet');
    else if (riskRank(c.risk) < riskRank(risk)) ignore(`approved as ${c.risk} risk; the revision is ${risk}`);
    else if (c.policyDigest !== digest) ignore('signed under another policy');
    else if (input.findingsDigest !== undefined && c.findingsDigest !== input.findingsDigest) ignore('signed for other findings');
    else inForce.push(a);
  }
  const latest = new Map<string, VerifiedApproval>();
  const approveCount = new Map<string, number>();
  for (const a of inForce) {
    if (a.claims.decision === 'approve') approveCount.set(a.signer.id, (approveCount.get(a.signer.id) ?? 0) + 1);
    const previous = latest.get(a.signer.id);
    if (!previous || a.claims.iat >= previous.claims.iat) {
      if (previous) ignored.push({ jti: previous.claims.jti, name: previous.signer.name, why: 'superseded by a later decision of the same operator' });
      latest.set(a.signer.id, a);
    } else ignored.push({ jti: a.claims.jti, name: a.signer.name, why: 'superseded by a later decision of the same operator' });
  }
  const approvers = [...latest.values()].filter((a) => a.claims.decision === 'approve');
  const rejections = [...latest.values()].filter((a) => a.claims.decision === 'reject');
  const selfApprovals = approvers.filter((a) => isAuthor(input.author, a.signer));
  const qualifying = approvers.filter((a) => !isAuthor(input.author, a.signer) && (rule.role === 'reviewer' || a.signer.role === 'lead'));
  for (const a of approvers)
    if (!qualifying.includes(a) && !selfApprovals.includes(a)) ignored.push({ jti: a.claims.jti, name: a.signer.name, why: `a ${a.signer.role} does not count at ${risk}` });
  const counted: CountedApproval[] = qualifying.map((a) => ({ jti: a.claims.jti, operatorId: a.signer.id, name: a.signer.name, role: a.signer.role }));

  const conditions: GateCondition[] = [];
  conditions.push({ id: 'policy', met: true, message: `policy ${digest.slice(0, 19)}… is in force` });

  // Approvals: distinct operators, roles, leads.
  const leadsNeeded = rule.role === 'lead' ? rule.count : rule.leads;
  const leadsHave = counted.filter((c) => c.role === 'lead').length;
  const leadsMissing = Math.max(0, leadsNeeded - leadsHave);
  const missing = Math.max(rule.count - counted.length, leadsMissing);
  const names = counted.map((c) => `${c.name} (${c.role})`).join(', ');
  const duplicates = [...approveCount.entries()].filter(([, n]) => n > 1).map(([id]) => latest.get(id)?.signer.name ?? id);
  const duplicateNote = duplicates.length > 0 ? `, ${duplicates.join(', ')} approved more than once (counted once)` : '';
  const selfNote = selfApprovals.length > 0 ? ", the author's own approval does not count" : '';
  if (missing === 0) {
    conditions.push({ id: 'approvals', met: true, message: `${risk}${riskNote} needs ${describeRequirement(rule)}: approved by ${names}${duplicateNote}` });
  } else {
    const parts: string[] = [];
    if (leadsMissing > 0) parts.push(leadsMissing === 1 ? 'a lead' : `${leadsMissing} leads`);
    const others = missing - leadsMissing;
    if (others > 0) parts.push(others === 1 ? 'a reviewer or lead' : `${others} reviewers or leads`);
    conditions.push({
      id: 'approvals',
      met: false,
      message: `needs ${missing} more: ${parts.join(' and ')} — ${risk}${riskNote} needs ${describeRequirement(rule)} — ${
        counted.length === 0 ? 'none counted yet' : `counted ${names}`
      }${duplicateNote}${selfNote}`,
    });
  }

  conditions.push(
    rejections.length === 0
      ? { id: 'no-rejection', met: true, message: 'no rejection stands' }
      : {
          id: 'no-rejection',
          met: false,
          message: `rejected by ${rejections.map((r) => `${r.signer.name} ("${r.claims.reason.slice(0, 120)}")`).join(', ')}: a lead must revoke the rejection`,
        },
  );

  const authorName = input.author.name ?? input.author.email ?? input.author.operatorId ?? 'the author';
  conditions.push(
    selfApprovals.length === 0
      ? { id: 'author-not-approver', met: true, message: 'the author is not among the approvers' }
      : {
          id: 'author-not-approver',
          met: false,
          message: `${selfApprovals.map((a) => a.signer.name).join(', ')} approved their own change (author ${authorName}): the author may not approve`,
        },
  );

  const sandboxRequired = policy.sandboxRequired.includes(risk);
  const { sandbox } = input;
  let sandboxCondition: GateCondition;
  if (sandbox !== null && sandbox.head !== undefined && sandbox.head !== revision.head)
    sandboxCondition = { id: 'sandbox', met: !sandboxRequired, message: `the sandbox run is for another head${sandboxRequired ? `: ${risk} needs a passing run of this one` : ' (not required)'}` };
  else if (!sandboxRequired)
    sandboxCondition = {
      id: 'sandbox',
      met: true,
      message: `not required at ${risk}${sandbox === null ? '' : sandbox.status !== 'completed' ? ` (run ${sandbox.status})` : sandbox.passed ? ' (tests passed)' : ' (tests failed)'}`,
    };
  else if (sandbox === null) sandboxCondition = { id: 'sandbox', met: false, message: `${risk} needs a passing sandbox run of this revision, none yet` };
  else if (sandbox.status !== 'completed')
    sandboxCondition = { id: 'sandbox', met: false, message: `${risk} needs a passing sandbox run, but the run is ${sandbox.status} (fail closed)` };
  else if (!sandbox.passed) sandboxCondition = { id: 'sandbox', met: false, message: `${risk} needs a passing sandbox run, but the tests failed` };
  else sandboxCondition = { id: 'sandbox', met: true, message: 'sandbox tests passed on this revision' };
  conditions.push(sandboxCondition);

  const applies = input.appliesInLastHour;
  if (!Number.isInteger(applies) || applies < 0)
    conditions.push({ id: 'rate-limit', met: false, message: 'the count of recent applies is unknown (fail closed)' });
  else if (applies >= policy.appliesPerHour)
    conditions.push({
      id: 'rate-limit',
      met: false,
      message: `rate limit: ${applies} of ${policy.appliesPerHour} allowed applies in the last hour already used for this repository`,
    });
  else conditions.push({ id: 'rate-limit', met: true, message: `${applies} of ${policy.appliesPerHour} applies in the last hour` });

  const unmet = conditions.filter((c) => !c.met);
  return {
    allowed: unmet.length === 0,
    risk,
    conditions,
    refusal: unmet.length === 0 ? null : `apply refused: ${unmet.map((c) => c.message).join('; ')}`,
    counted,
    ignored,
  };
}

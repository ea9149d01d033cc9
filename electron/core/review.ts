/**
 * Review use cases: the queue, one proposal with its files, findings, assessment, approvals and gate,
 * one file's two sides for the diff editor, and importing a proposal.
 *
 * Analysis runs in a worker thread and is cached per revision and policy, so opening a proposal a
 * second time costs a diff, not a scan.
 */
import { diffLines } from 'diff';
import type {
  ApprovalView,
  FileChangeView,
  LandedView,
  FileContentsView,
  GateView,
  ProposalDetail,
  ProposalSummary as ProposalRow,
} from '../../shared/ipc/channels/review';
import type { Assessment, AssessmentFactor, Finding, RiskLevel } from '../../shared/model/domain';
import type { Policy } from '../../shared/model/policy';
import { firstFileToOpen } from '../../shared/model/review-order';
import type { SandboxComparison } from '../../shared/model/sandbox';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { assess, maxRisk } from '../services/analysis/assess';
import { collectRevisionDecisions, findingsDigest, type StoredApproval } from '../services/approvals';
import {
  diffRevision,
  fileContents,
  getProposal,
  importChangeSet,
  importUnifiedDiff,
  listProposals,
  revisionSymlinkEscapes,
  type DiffFile,
  type FileSide,
  type RevisionDiff,
} from '../services/git';
import type { ProposalSummary as GitProposal } from '../services/git/proposals';
import { evaluateGate, type GateResult } from '../services/policy';
import type { CoreContext } from './context';
import { governanceOf, type Governance, type RepositoryHandle, type RepositoryHandles } from './repositories';
import { automaticRollbackOf, lastApply, proposalActivity } from './proposal-history';
import { latestSandboxResult, sandboxPasses } from './sandbox-runs';
import { changeRequestsOn } from './comments';
import { appliesInLastHourFromRecords } from './records';
import { revisionAuthors } from './landing';
import { symlinkEscapeFinding } from './symlink-findings';

/**
 * What analysing a revision and verifying a landing need: the CI gate's core (verify-core.ts) builds only
 * this, without the approval store or the sandbox.
 */
export interface AnalysisDeps {
  readonly ctx: Pick<CoreContext, 'clock' | 'audit' | 'analysis'>;
  readonly handles: RepositoryHandles;
  readonly cache: AnalysisCache;
}

/** What the review use cases need besides the context. */
export interface ReviewDeps extends AnalysisDeps {
  readonly ctx: CoreContext;
}

/** Analysis results of one revision under one policy. */
export interface RevisionAnalysis {
  readonly diff: RevisionDiff;
  readonly findings: ReadonlyArray<Finding>;
  readonly baseAssessment: Assessment;
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly note: string }>;
  /** Files that do not parse cleanly (their findings on the parts that parse are in `findings`). */
  readonly parseErrors: ReadonlyArray<{ readonly path: string; readonly line: number; readonly column: number; readonly message: string }>;
}

/** A small in-memory cache of analyses, newest kept. */
export interface AnalysisCache {
  get(key: string): Promise<RevisionAnalysis> | undefined;
  set(key: string, value: Promise<RevisionAnalysis>): void;
}

/** Creates an analysis cache holding the last `size` revisions. */
export function createAnalysisCache(size = 64): AnalysisCache {
  const entries = new Map<string, Promise<RevisionAnalysis>>();
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      }
      return hit;
    },
    set(key, value) {
      entries.set(key, value);
      value.catch(() => entries.delete(key));
      while (entries.size > size) entries.delete(entries.keys().next().value as string);
    },
  };
}

/** 1-based line numbers of `after` that are not in `before` (what a revision adds to a file). */
export function addedLineNumbers(before: string | null, after: string): ReadonlyArray<number> {
  if (before === null || before.length === 0) {
    const count = after.length === 0 ? 0 : after.split('\n').length - (after.endsWith('\n') ? 1 : 0);
    return Array.from({ length: count }, (_, i) => i + 1);
  }
  const added: number[] = [];
  let line = 1;
  for (const part of diffLines(before, after)) {
    const count = part.count ?? 0;
    if (part.added) for (let i = 0; i < count; i += 1) added.push(line + i);
    if (!part.removed) line += count;
  }
  return added;
}

const AGENT_TRAILER = /^Gatehouse-Import: /m;

/** The agent's own claims, read from the commit Gatehouse wrote on import. */
export function agentClaims(message: string): ProposalDetail['agentClaims'] {
  if (!AGENT_TRAILER.test(message)) return null;
  const lines = message.split('\n');
  const trailerStart = lines.findIndex((l) => /^Gatehouse-[A-Za-z-]+: /.test(l));
  const body = lines.slice(1, trailerStart < 0 ? undefined : trailerStart).join('\n').trim();
  const score = /^Gatehouse-Agent-Safety-Score: ([0-9.]+)$/m.exec(message)?.[1];
  const risk = /^Gatehouse-Agent-Risk-Level: ([A-Z]+)$/m.exec(message)?.[1];
  const parsedScore = score === undefined ? null : Number(score);
  return {
    rationale: body,
    safetyScore: parsedScore !== null && Number.isFinite(parsedScore) ? parsedScore : null,
    riskLevel: risk ?? null,
  };
}

function analysisKey(repositoryId: string, proposal: GitProposal, governance: Governance): string {
  return `${repositoryId}\0${proposal.baseOid ?? ''}\0${proposal.headOid}\0${governance.policy.digest ?? 'none'}`;
}

function sideText(side: FileSide): string | null {
  return side.kind === 'text' ? side.text : null;
}

/** Diffs and scans a revision (in the worker pool), cached. */
export function analyseRevision(
  deps: AnalysisDeps,
  handle: RepositoryHandle,
  proposal: GitProposal,
  governance: Governance,
): Promise<RevisionAnalysis> {
  const key = analysisKey(handle.record.id, proposal, governance);
  const cached = deps.cache.get(key);
  if (cached) return cached;
  const work = (async (): Promise<RevisionAnalysis> => {
    if (proposal.baseOid === null) {
      throw new GatehouseError(ErrorCode.Conflict, `proposal ${proposal.name} shares no history with ${handle.record.targetBranch}`);
    }
    const diff = await diffRevision(handle.repo, proposal.baseOid, proposal.headOid);
    const files = [];
    for (const file of diff.files) {
      if (file.status === 'deleted' || file.flags.binary || file.flags.tooLarge || file.flags.gitlink || file.flags.symlink) continue;
      const contents = await fileContents(handle.repo, {
        base: proposal.baseOid,
        head: proposal.headOid,
        path: file.path,
        ...(file.oldPath && file.oldPath !== file.path ? { oldPath: file.oldPath } : {}),
      });
      const after = sideText(contents.new);
      if (after === null) continue;
      files.push({ path: file.path, text: after, addedLines: addedLineNumbers(sideText(contents.old), after) });
    }
    const policy = governance.policy.ok ? governance.policy.policy : null;
    const scanned = await deps.ctx.analysis(policy?.deniedImports ?? []).analyze(files);
    // Symlinks leaving the repository are CRITICAL findings on their own paths (symlink-findings.ts).
    const escapes = await revisionSymlinkEscapes(handle.repo, proposal.baseOid, proposal.headOid, diff.files);
    const report = escapes.length === 0 ? scanned : { ...scanned, findings: [...escapes.map(symlinkEscapeFinding), ...scanned.findings] };
    const claims = agentClaims(proposal.message);
    const baseAssessment = assess({
      findings: report.findings,
      changedFiles: diff.files.map((f) => ({ path: f.path, added: f.added ?? 0, removed: f.removed ?? 0 })),
      sensitivePaths: policy?.sensitivePaths ?? [],
      ...(claims?.safetyScore !== null && claims?.safetyScore !== undefined ? { agentSafetyScore: claims.safetyScore } : {}),
    });
    deps.ctx.audit.record({
      action: 'analysis.completed',
      subject: `proposal:${handle.record.id}/${proposal.name}`,
      actor: 'gatehouse',
      role: 'system',
      payload: {
        head: proposal.headOid,
        findings: report.findings.length,
        introduced: report.findings.filter((f) => f.introduced).length,
        risk: baseAssessment.risk,
        safetyScore: baseAssessment.safetyScore,
        findingsDigest: findingsDigest(report.findings),
        durationMs: Math.round(report.stats.durationMs),
      },
    });
    return { diff, findings: report.findings, baseAssessment, skipped: report.skipped, parseErrors: report.parseErrors };
  })();
  deps.cache.set(key, work);
  return work;
}

/** The assessment with the latest sandbox comparison folded in: a broken test or a regression raises the risk. */
export function assessmentWithSandbox(base: Assessment, sandbox: SandboxComparison | null): Assessment {
  if (sandbox === null || (!sandbox.broken && !sandbox.regression)) return base;
  const factors: AssessmentFactor[] = [...base.factors];
  let risk: RiskLevel = base.risk;
  let score = base.safetyScore;
  if (sandbox.broken) {
    factors.push({ kind: 'sandbox', label: 'tests pass on base but fail on head', weight: 0.2, floor: 'HIGH' });
    risk = maxRisk(risk, 'HIGH');
    score -= 0.2;
  }
  if (sandbox.regression) {
    const change = sandbox.benchmarkChange === null ? 'the benchmark failed on head' : `benchmark ${Math.round(sandbox.benchmarkChange * 100)} % slower than base`;
    factors.push({ kind: 'sandbox', label: change, weight: 0.1, floor: 'HIGH' });
    risk = maxRisk(risk, 'HIGH');
    score -= 0.1;
  }
  return { safetyScore: Math.max(0, Math.round(score * 1000) / 1000), risk, factors };
}

function authorKind(message: string): 'agent' | 'human' {
  return AGENT_TRAILER.test(message) ? 'agent' : 'human';
}

/** A stored decision as IPC shows it, with its status for the current head. */
export function approvalView(
  stored: StoredApproval,
  head: string,
  now: Date,
  revoked: boolean,
  invalidReason: string | undefined,
): ApprovalView {
  const expiresAt = new Date(stored.claims.exp * 1000);
  let status: ApprovalView['status'] = 'valid';
  let detail = `valid until ${expiresAt.toISOString()}`;
  if (invalidReason !== undefined) {
    status = 'invalid';
    detail = invalidReason;
  } else if (revoked) {
    status = 'revoked';
    detail = 'revoked by a lead';
  } else if (stored.outdatedAt !== null || stored.claims.head !== head) {
    status = 'outdated';
    detail = `for an earlier head ${stored.claims.head.slice(0, 10)}; the proposal has moved`;
  } else if (expiresAt.getTime() <= now.getTime()) {
    status = 'expired';
    detail = `expired ${expiresAt.toISOString()}`;
  }
  return {
    jti: stored.claims.jti,
    operatorName: stored.signer.name,
    keyId: stored.signer.keyId,
    role: stored.signer.role,
    decision: stored.claims.decision,
    reason: stored.claims.reason,
    headOid: stored.claims.head,
    issuedAt: new Date(stored.claims.iat * 1000).toISOString(),
    expiresAt: expiresAt.toISOString(),
    status,
    statusDetail: detail,
    token: stored.token,
    ...(stored.claims.acknowledgements === undefined ? {} : { acknowledgements: stored.claims.acknowledgements }),
  };
}

function gateSummary(gate: GateResult): string {
  if (gate.allowed) return 'ready to apply';
  const unmet = gate.conditions.filter((c) => !c.met);
  return unmet.map((c) => c.message).join('; ');
}

function gateView(gate: GateResult): GateView {
  return {
    allowed: gate.allowed,
    conditions: gate.conditions.map((c) => ({ id: c.id, met: c.met, message: c.message })),
    summary: gateSummary(gate),
  };
}

/** Everything about one revision that the gate and the views need. */
export interface RevisionState {
  readonly handle: RepositoryHandle;
  readonly proposal: GitProposal;
  readonly governance: Governance;
  readonly analysis: RevisionAnalysis;
  readonly assessment: Assessment;
  readonly sandbox: SandboxComparison | null;
  readonly gate: GateResult;
  readonly approvals: ReadonlyArray<ApprovalView>;
  /** For an applied proposal: the apply that landed it (the analysis is of that revision). */
  readonly landed: LandedView | null;
}

/** Applies in the last hour for a repository, counted from the persisted apply records. */
/** Applies in the last hour: the signed apply records every desk shares, or this desk's own count if higher. */
async function appliesInLastHour(ctx: CoreContext, handle: RepositoryHandle): Promise<number> {
  const local = ctx.approvals.countAppliesSince(handle.record.id, new Date(ctx.clock.now().getTime() - 3_600_000));
  return Math.max(local, await appliesInLastHourFromRecords(handle, ctx.clock.now()));
}

/** Loads a proposal's current revision with analysis, sandbox result, approvals and gate. */
export async function revisionState(deps: ReviewDeps, repositoryId: string, proposalId: string): Promise<RevisionState> {
  const { ctx } = deps;
  const handle = await deps.handles.get(repositoryId);
  // No change statistics here: the analysis diffs (and checks) the same two trees, once per revision
  // and cached, so an unsafe tree is still refused (REFUSED, its own code) by analyseRevision below.
  const proposal = await getProposal(handle.repo, proposalId, { stats: false });
  if (proposal.error !== null) throw new GatehouseError(proposal.error.code as ErrorCode, proposal.error.message);
  const governance = await governanceOf(ctx, handle);
  const landed = landedApply(ctx, repositoryId, proposal);
  const analysis = await analyseRevision(deps, handle, landed === null ? proposal : landedRevision(proposal, landed), governance);
  const sandbox = latestSandboxResult(ctx, repositoryId, proposal.name, proposal.headOid);
  const assessment = assessmentWithSandbox(analysis.baseAssessment, sandbox);
  const now = ctx.clock.now();
  const policy: Policy | null = governance.policy.ok ? governance.policy.policy : null;
  // A new head makes decisions on earlier heads outdated, never silently carried over.
  ctx.approvals.markOutdated({ repository: repositoryId, proposal: proposal.name, head: proposal.headOid });
  const revision = { base: proposal.baseOid ?? '', head: proposal.headOid, tree: proposal.treeOid };
  const decisions =
    governance.trustList === null
      ? { approvals: [], revocations: [], invalid: [] }
      : await collectRevisionDecisions({
          store: ctx.approvals,
          repository: repositoryId,
          proposal: proposal.name,
          revision,
          trustList: governance.trustList,
          now,
          ...(policy ? { maxLifetimeHours: policy.approvalLifetimeHours } : {}),
        });
  const invalidByJti = new Map(decisions.invalid.map((d) => [d.jti, d.message] as const));
  // An operator's latest decision counts: a request for changes withdraws their earlier approval of this head.
  const requests = changeRequestsOn(ctx.appDb, repositoryId, proposal.headOid);
  const counted = decisions.approvals.filter(
    (a) => a.claims.decision !== 'approve' || !requests.some((r) => r.keyId === a.signer.keyId && Date.parse(r.issuedAt) >= a.claims.iat * 1000),
  );
  const gate = evaluateGate({
    policy,
    repository: repositoryId,
    revision,
    risk: assessment.risk,
    changedPaths: analysis.diff.files.flatMap((f) => (f.oldPath && f.oldPath !== f.path ? [f.path, f.oldPath] : [f.path])),
    author: { email: proposal.author.email, name: proposal.author.name, emails: proposal.baseOid === null ? [] : await revisionAuthors(handle.repo, proposal.baseOid, proposal.headOid) },
    approvals: counted,
    revocations: decisions.revocations,
    findingsDigest: findingsDigest(analysis.findings),
    sandbox:
      sandbox === null
        ? null
        : { status: sandbox.head.status, passed: sandboxPasses(policy, sandbox), head: proposal.headOid },
    appliesInLastHour: await appliesInLastHour(ctx, handle),
    now,
  });
  const approvals = ctx.approvals
    .listByProposal(repositoryId, proposal.name)
    .map((stored) => approvalView(stored, proposal.headOid, now, ctx.approvals.isRevoked(stored.claims.jti), invalidByJti.get(stored.claims.jti)))
    .reverse();
  const shownApprovals =
    landed === null
      ? approvals
      : approvals.map((approval): ApprovalView =>
          landed.approvals.includes(approval.jti)
            ? { ...approval, status: 'used', statusDetail: `used by the apply of ${landed.at} by ${landed.by}` }
            : approval,
        );
  return { handle, proposal, governance, analysis, assessment, sandbox, gate, approvals: shownApprovals, landed };
}

/**
 * The apply that landed an applied proposal (its head is now part of the target branch), or null. Only
 * an apply of exactly this head counts: a proposal pushed again after its apply is a new revision.
 */
function landedApply(ctx: CoreContext, repositoryId: string, proposal: GitProposal): LandedView | null {
  if (proposal.baseOid !== proposal.headOid) return null;
  const landed = lastApply(ctx, repositoryId, proposal.name);
  if (landed === null || landed.head !== proposal.headOid || !/^[0-9a-f]{40}$/.test(landed.previousTargetHead) || !/^[0-9a-f]{40}$/.test(landed.newTargetHead)) return null;
  return landed;
}

/** The revision that landed, as the diff from the target before the apply to the target after it. */
function landedRevision(proposal: GitProposal, landed: LandedView): GitProposal {
  return { ...proposal, baseOid: landed.previousTargetHead, headOid: landed.newTargetHead };
}

function fileView(file: DiffFile, findings: ReadonlyArray<Finding>): FileChangeView {
  return {
    path: file.path,
    oldPath: file.oldPath !== null && file.oldPath !== file.path ? file.oldPath : null,
    status: file.status,
    binary: file.flags.binary,
    gitlink: file.flags.gitlink,
    oldSize: file.oldSize,
    newSize: file.newSize,
    additions: file.added ?? 0,
    deletions: file.removed ?? 0,
    tooLarge: file.flags.tooLarge,
    invalidUtf8: file.flags.invalidUtf8,
    crlf: file.flags.crlf,
    whitespaceOnly: file.flags.whitespaceOnly,
    hiddenCharLines: [...new Set(file.flags.hiddenCharacters.map((h) => h.line))],
    findingCount: findings.filter((f) => f.path === file.path).length,
  };
}

function needsText(gate: GateResult): string {
  const condition = gate.conditions.find((c) => c.id === 'approvals');
  if (gate.allowed) return 'ready to apply';
  return condition && !condition.met ? condition.message : gateSummary(gate);
}

/** The part of a queue row that git alone says: where the proposal is, who wrote it, which revision. */
function rowIdentity(handle: RepositoryHandle, proposal: GitProposal): Pick<ProposalRow, 'repositoryId' | 'repositoryName' | 'proposalId' | 'title' | 'author' | 'committedAt' | 'baseOid' | 'headOid' | 'treeOid'> {
  return {
    repositoryId: handle.record.id,
    repositoryName: handle.record.path.split('/').pop() ?? handle.record.path,
    proposalId: proposal.name,
    title: proposal.subject,
    author: { name: proposal.author.name, email: proposal.author.email, kind: authorKind(proposal.message) },
    committedAt: proposal.committer.time,
    baseOid: proposal.baseOid ?? proposal.targetOid,
    headOid: proposal.headOid,
    treeOid: proposal.treeOid,
  };
}

function summaryRow(ctx: CoreContext, state: RevisionState, applied: boolean): ProposalRow {
  const { handle, proposal, analysis, assessment, gate, approvals } = state;
  return {
    ...rowIdentity(handle, proposal),
    filesChanged: analysis.diff.totals.files,
    additions: analysis.diff.totals.added,
    deletions: analysis.diff.totals.removed,
    risk: assessment.risk,
    safetyScore: assessment.safetyScore,
    findingCount: analysis.findings.length,
    approvals: {
      valid: approvals.filter((a) => a.status === 'valid' && a.decision === 'approve').length,
      outdated: approvals.filter((a) => a.status === 'outdated').length,
      rejected: approvals.some((a) => a.status === 'valid' && a.decision === 'reject'),
      needs: applied ? 'applied' : needsText(gate),
    },
    applied,
    automaticRollback: automaticRollbackOf(ctx, handle.record.id, proposal.name),
    refused: null,
  };
}

/** A queue row for a proposal that could not be reviewed: what git says about it, and why it was refused. */
function refusedRow(handle: RepositoryHandle, proposal: GitProposal, error: unknown): ProposalRow {
  const refused =
    error instanceof GatehouseError
      ? { code: error.code, reason: error.message }
      : { code: ErrorCode.Internal, reason: error instanceof Error ? error.message : String(error) };
  return {
    ...rowIdentity(handle, proposal),
    filesChanged: 0,
    additions: 0,
    deletions: 0,
    risk: null,
    safetyScore: null,
    findingCount: null,
    approvals: { valid: 0, outdated: 0, rejected: false, needs: `refused: ${refused.reason}` },
    applied: false,
    automaticRollback: null,
    refused,
  };
}

/** The queue: every proposal of every (or one) repository, analysed. */
export async function listProposalRows(deps: ReviewDeps, repositoryId?: string): Promise<ReadonlyArray<ProposalRow>> {
  const records = repositoryId ? [deps.ctx.registry.get(repositoryId)] : deps.ctx.registry.list();
  const rows: ProposalRow[] = [];
  for (const record of records) {
    const handle = await deps.handles.get(record.id);
    for (const proposal of await listProposals(handle.repo, { stats: false })) {
      // A proposal already merged into the target branch is applied (its head is the merge base).
      const applied = proposal.baseOid === proposal.headOid;
      if (applied) continue;
      try {
        if (proposal.baseOid === null) throw new GatehouseError(ErrorCode.Conflict, `shares no history with ${handle.record.targetBranch}`);
        if (proposal.error !== null) throw new GatehouseError(proposal.error.code as ErrorCode, proposal.error.message);
        rows.push(summaryRow(deps.ctx, await revisionState(deps, record.id, proposal.name), applied));
      } catch (error) {
        // Refused (an unsafe tree, a corrupt object): listed as refused with the reason, never silently left out.
        deps.ctx.logger.warn(`could not summarise ${record.id}/${proposal.name}`, error instanceof Error ? error.message : error);
        rows.push(refusedRow(handle, proposal, error));
      }
    }
  }
  return rows;
}

/**
 * One proposal in full; with `withFirstFile`, also the file the review opens first, so a console opening
 * the proposal shows its first diff after one answer instead of two.
 */
export async function showProposal(
  deps: ReviewDeps,
  repositoryId: string,
  proposalId: string,
  withFirstFile = false,
): Promise<ProposalDetail & { readonly firstFile?: FileContentsView }> {
  const state = await revisionState(deps, repositoryId, proposalId);
  const revisions = state.proposal.revisions.map((r) => ({
    oid: r.oid,
    message: r.message,
    author: { name: r.author.name, email: r.author.email, kind: authorKind(r.message) },
    committedAt: r.committer.time,
  }));
  const files = state.analysis.diff.files.map((f) => fileView(f, state.analysis.findings));
  const firstPath = withFirstFile ? firstFileToOpen(files, state.analysis.findings) : null;
  // The same answer proposal:file gives for that path (a refusal there is left for proposal:file to report).
  const firstFile = firstPath === null ? undefined : await proposalFile(deps, repositoryId, proposalId, firstPath).catch(() => undefined);
  // After a fast-forward apply the proposal's head is part of the target branch: it is applied.
  return {
    summary: summaryRow(deps.ctx, state, state.proposal.baseOid === state.proposal.headOid),
    revisions,
    files,
    findings: state.analysis.findings,
    parseErrors: state.analysis.parseErrors,
    assessment: state.assessment,
    agentClaims: agentClaims(state.proposal.message),
    gate: gateView(state.gate),
    approvals: state.approvals,
    sandbox: state.sandbox,
    landed: state.landed,
    activity: proposalActivity(deps.ctx, repositoryId, state.proposal.name),
    ...(firstFile === undefined ? {} : { firstFile }),
  };
}

const LANGUAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\.py$/i, 'python'],
  [/\.(ts|mts|cts)$/i, 'typescript'],
  [/\.tsx$/i, 'typescript'],
  [/\.(js|mjs|cjs|jsx)$/i, 'javascript'],
  [/\.json$/i, 'json'],
  [/\.ya?ml$/i, 'yaml'],
  [/\.md$/i, 'markdown'],
  [/\.(sh|bash)$/i, 'shell'],
  [/\.(html?)$/i, 'html'],
  [/\.css$/i, 'css'],
  [/(^|\/)Dockerfile$/i, 'dockerfile'],
];

/** Monaco's language id for a path. */
export function languageOf(path: string): string {
  return LANGUAGES.find(([pattern]) => pattern.test(path))?.[1] ?? 'plaintext';
}

function sideWarnings(label: string, side: FileSide, warnings: string[]): string | null {
  switch (side.kind) {
    case 'absent':
      return null;
    case 'text':
      if (side.invalidUtf8) warnings.push(`${label}: not valid UTF-8; shown with replacement characters`);
      return side.text;
    case 'binary':
      warnings.push(`${label}: binary file (${side.size} bytes), not shown`);
      return null;
    case 'too-large':
      warnings.push(`${label}: ${side.size} bytes, over the size shown in the editor`);
      return null;
    case 'symlink':
      warnings.push(`${label}: symbolic link to ${side.target}`);
      return `→ ${side.target}`;
    case 'gitlink':
      warnings.push(`${label}: submodule pointer ${side.oid} (never followed)`);
      return `Subproject commit ${side.oid}`;
  }
}

/** One file's old and new text for the diff editor. */
export async function proposalFile(deps: ReviewDeps, repositoryId: string, proposalId: string, path: string): Promise<FileContentsView> {
  const handle = await deps.handles.get(repositoryId);
  // No change statistics: the analysis below diffs (and checks) the same two trees, cached; counting
  // every file's lines again would only delay the diff the reviewer waits for.
  const proposal = await getProposal(handle.repo, proposalId, { stats: false });
  if (proposal.baseOid === null) throw new GatehouseError(ErrorCode.Conflict, `proposal ${proposalId} shares no history with the target branch`);
  const governance = await governanceOf(deps.ctx, handle);
  const landed = landedApply(deps.ctx, repositoryId, proposal);
  const shown = landed === null ? proposal : landedRevision(proposal, landed);
  const analysis = await analyseRevision(deps, handle, shown, governance);
  const file = analysis.diff.files.find((f) => f.path === path);
  if (!file) throw new GatehouseError(ErrorCode.NotFound, `${path} is not changed by ${proposalId}`);
  const contents = await fileContents(handle.repo, {
    base: shown.baseOid ?? proposal.baseOid,
    head: shown.headOid,
    path: file.status === 'deleted' ? (file.oldPath ?? file.path) : file.path,
    ...(file.oldPath && file.oldPath !== file.path ? { oldPath: file.oldPath } : {}),
  });
  const warnings: string[] = [];
  const original = sideWarnings('base', contents.old, warnings);
  const modified = sideWarnings('head', contents.new, warnings);
  if (file.flags.hiddenCharacterCount > 0) {
    const lines = [...new Set(file.flags.hiddenCharacters.map((h) => h.line))].slice(0, 20);
    warnings.push(
      `${file.flags.hiddenCharacterCount} bidirectional-control or zero-width character(s) on line(s) ${lines.join(', ')} (Trojan Source, CVE-2021-42574)`,
    );
  }
  if (file.flags.crlf) warnings.push('CRLF line endings');
  if (file.flags.whitespaceOnly) warnings.push('whitespace-only change');
  if (file.flags.modeChanged) warnings.push(`mode ${file.oldMode ?? '?'} → ${file.newMode ?? '?'}`);
  return {
    path: file.path,
    language: languageOf(file.path),
    original,
    modified,
    binary: file.flags.binary,
    tooLarge: file.flags.tooLarge,
    warnings,
  };
}

/** Largest imported file, in bytes (the contract bounds the text that carries it). */
const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

/** The bytes an import carries: UTF-8 text as given, or strict base64 of the file's exact bytes. */
export function importedBytes(content: string, encoding: 'utf8' | 'base64'): Buffer {
  let bytes: Buffer;
  if (encoding === 'base64') {
    // Buffer.from skips characters that are not base64: check first, so a damaged upload is refused, not truncated.
    if (!BASE64.test(content)) throw new GatehouseError(ErrorCode.InvalidInput, 'the import content is not valid base64');
    bytes = Buffer.from(content, 'base64');
  } else {
    bytes = Buffer.from(content, 'utf8');
  }
  if (bytes.length === 0) throw new GatehouseError(ErrorCode.InvalidInput, 'the import is empty');
  if (bytes.length > MAX_IMPORT_BYTES) throw new GatehouseError(ErrorCode.InvalidInput, `the import is ${bytes.length} bytes; the limit is ${MAX_IMPORT_BYTES}`);
  return bytes;
}

/** Imports a proposal from a JSON change set or a unified diff; audited. */
export async function importProposal(
  deps: ReviewDeps,
  input: {
    readonly repositoryId: string;
    readonly format: 'changeset' | 'diff';
    readonly content: string;
    readonly encoding?: 'utf8' | 'base64' | undefined;
    readonly name?: string | undefined;
  },
): Promise<{ proposalId: string; headOid: string }> {
  const handle = await deps.handles.get(input.repositoryId);
  const bytes = importedBytes(input.content, input.encoding ?? 'utf8');
  // Whoever brings a change in is one of its authors (issue: an importer approving their own import).
  const importerSession = deps.ctx.sessions.current();
  const importer = importerSession ? { name: importerSession.name, email: importerSession.email ?? `${importerSession.operatorId}@operators.gatehouse.invalid` } : undefined;
  let result;
  if (input.format === 'changeset') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      throw new GatehouseError(ErrorCode.InvalidInput, `the change set is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    result = await importChangeSet(handle.repo, { changeSet: parsed, ...(input.name ? { name: input.name } : {}), ...(importer ? { importer } : {}) });
  } else {
    const session = deps.ctx.sessions.current();
    result = await importUnifiedDiff(handle.repo, {
      // Bytes, not text: a patch to a Latin-1 file must reach the parser as git apply reads it.
      patch: bytes,
      meta: {
        title: `Imported patch${input.name ? `: ${input.name}` : ''}`,
        agent: { name: session?.name ?? 'gatehouse-import', email: session?.email ?? 'import@gatehouse.invalid' },
      },
      ...(input.name ? { name: input.name } : {}),
      ...(importer ? { importer } : {}),
    });
  }
  deps.ctx.audit.record({
    action: 'proposal.discovered',
    subject: `proposal:${input.repositoryId}/${result.name}`,
    payload: { source: input.format, head: result.commitOid, files: result.files },
  });
  deps.ctx.events.emit('repo:changed', { repositoryId: input.repositoryId, what: 'proposal imported' });
  return { proposalId: result.name, headOid: result.commitOid };
}

/**
 * Agents as identities, and what an agent may do: propose, revise, read and withdraw its own
 * proposals in the repositories a lead registered it for.
 *
 * A lead registers an agent and receives its credential once; only a SHA-256 of it is stored, and it
 * is compared in constant time. Every agent call runs as role `agent` through the same dispatcher as
 * the console (deny by default: only channels that name `agent`); each use case here checks again
 * that the repository is the agent's and the proposal its own. Proposals go through the importer, so
 * path, size and symlink rules are exactly the importer's, with the policy's per-agent limits on top.
 * Every call is audited as the agent (`agent.proposed`, `agent.revised`, `agent.withdrew`,
 * `agent.refused`, ...).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type {
  AgentChange,
  AgentPolicyView,
  AgentProposalState,
  AgentProposalView,
  AgentSubmission,
  AgentView,
} from '../../shared/ipc/channels/agents';
import type { ProposalDetail } from '../../shared/ipc/channels/review';
import type { Finding, RiskLevel } from '../../shared/model/domain';
import { AgentLimits, type Policy } from '../../shared/model/policy';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import type { CallerSession } from '../ipc/dispatch';
import { migrate, type Db, type Migration } from '../services/db/sqlite';
import { getProposal, importChangeSet, importUnifiedDiff, type ImportResult } from '../services/git';
import { deleteRef } from '../services/git/refs';
import { requireOwnKey } from '../services/identity';
import { proposalRef } from '../services/git/proposals';
import { listComments } from './comments';
import type { CoreContext } from './context';
import type { EventBus } from './events';
import { governanceOf } from './repositories';
import { showProposal, type ReviewDeps } from './review';

/** The migration domain of the agent tables. */
export const AGENTS_DOMAIN = 'agents';

/** Schema of the agent tables. */
export const agentMigrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'agents, their proposals and submissions',
    up(db) {
      db.exec(`
        CREATE TABLE agents (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          repositories TEXT NOT NULL,
          credential_sha256 TEXT NOT NULL,
          created_by TEXT NOT NULL,
          created_at TEXT NOT NULL,
          revoked_at TEXT
        );
        CREATE TABLE agent_proposals (
          repository TEXT NOT NULL,
          proposal TEXT NOT NULL,
          agent_id TEXT NOT NULL REFERENCES agents (id),
          title TEXT NOT NULL,
          revision INTEGER NOT NULL,
          head TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          withdrawn_at TEXT,
          PRIMARY KEY (repository, proposal)
        );
        CREATE TABLE agent_submissions (
          agent_id TEXT NOT NULL REFERENCES agents (id),
          at_ms INTEGER NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('propose', 'revise'))
        );
        CREATE INDEX agent_submissions_by_agent ON agent_submissions (agent_id, at_ms);
      `);
    },
  },
];

/** Creates or updates the agent tables. */
export function migrateAgents(db: Db): void {
  migrate(db, AGENTS_DOMAIN, agentMigrations);
}

interface AgentRow {
  id: string;
  name: string;
  repositories: string;
  credential_sha256: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

interface AgentProposalRow {
  repository: string;
  proposal: string;
  agent_id: string;
  title: string;
  revision: number;
  head: string;
  created_at: string;
  updated_at: string;
  withdrawn_at: string | null;
}

/** A registered agent. */
export interface AgentRecord {
  readonly id: string;
  readonly name: string;
  readonly repositories: ReadonlyArray<string>;
}

function toRecord(row: AgentRow): AgentRecord {
  return { id: row.id, name: row.name, repositories: JSON.parse(row.repositories) as string[] };
}

function toView(row: AgentRow, lastActivity: AgentView['lastActivity'] = null): AgentView {
  return { ...toRecord(row), createdBy: row.created_by, createdAt: row.created_at, revokedAt: row.revoked_at, lastActivity };
}

// POSIX shell quoting for a word of the command line shown to the lead (a data directory may hold spaces).
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `claude mcp add …` line that connects Claude Code to an agent identity on this data directory. */
export function claudeCommand(dataDir: string, agentName: string, credential: string): string {
  return ['claude', 'mcp', 'add', 'gatehouse', '--env', `GATEHOUSE_AGENT_TOKEN=${credential}`, '--', 'gatehouse', '--data-dir', shellWord(dataDir), 'mcp', '--agent', agentName].join(' ');
}

function digest(credential: string): string {
  return createHash('sha256').update(credential, 'utf8').digest('hex');
}

/** The actor name agent events are recorded under. */
export function agentActor(name: string): string {
  return `agent:${name}`;
}

/** Registers an agent for some repositories; returns its credential (shown once, stored as a hash). */
export function addAgent(ctx: CoreContext, input: { readonly name: string; readonly repositories: ReadonlyArray<string> }): { agent: AgentView; credential: string; claudeCommand: string } {
  const session = ctx.sessions.require(['lead']);
  requireOwnKey(session, 'registering an agent');
  for (const id of input.repositories) ctx.registry.get(id); // NotFound for an unknown repository
  if (ctx.appDb.prepare('SELECT 1 FROM agents WHERE name = ?').get(input.name)) {
    throw new GatehouseError(ErrorCode.Conflict, `an agent named ${input.name} already exists`);
  }
  const credential = `gha_${randomBytes(32).toString('base64url')}`;
  const row: AgentRow = {
    id: randomUUID(),
    name: input.name,
    repositories: JSON.stringify([...new Set(input.repositories)]),
    credential_sha256: digest(credential),
    created_by: session.name,
    created_at: ctx.clock.now().toISOString(),
    revoked_at: null,
  };
  ctx.appDb
    .prepare('INSERT INTO agents (id, name, repositories, credential_sha256, created_by, created_at, revoked_at) VALUES (@id, @name, @repositories, @credential_sha256, @created_by, @created_at, @revoked_at)')
    .run(row);
  ctx.audit.record({ action: 'agent.registered', subject: `agent:${row.name}`, payload: { id: row.id, repositories: JSON.parse(row.repositories) as string[] } });
  return { agent: toView(row), credential, claudeCommand: claudeCommand(ctx.layout.root, row.name, credential) };
}

/** Every registered agent, with its latest audited call. */
export function listAgents(ctx: CoreContext): ReadonlyArray<AgentView> {
  return (ctx.appDb.prepare('SELECT * FROM agents ORDER BY name').all() as AgentRow[]).map((row) => {
    const latest = ctx.auditStore.search({ actor: agentActor(row.name), limit: 1, order: 'desc' }).events[0];
    return toView(row, latest === undefined ? null : { at: latest.ts, action: latest.action });
  });
}

/** Revokes an agent's credential; its next call is refused. */
export function revokeAgent(ctx: CoreContext, name: string): { revoked: true } {
  requireOwnKey(ctx.sessions.require(['lead']), 'revoking an agent');
  const result = ctx.appDb.prepare('UPDATE agents SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(ctx.clock.now().toISOString(), name);
  if (result.changes === 0) throw new GatehouseError(ErrorCode.NotFound, `no active agent named ${name}`);
  ctx.audit.record({ action: 'agent.revoked', subject: `agent:${name}`, payload: {} });
  return { revoked: true };
}

/** Checks an agent's credential (constant time); audits a refusal. Returns the agent's call session. */
export function authenticateAgent(ctx: CoreContext, name: string, credential: string | undefined): CallerSession {
  const row = ctx.appDb.prepare('SELECT * FROM agents WHERE name = ?').get(name) as AgentRow | undefined;
  const refuse = (reason: string): never => {
    ctx.audit.record({ action: 'agent.refused', subject: `agent:${name.slice(0, 40)}`, actor: agentActor(name.slice(0, 40)), role: 'agent', payload: { tool: 'connect', code: ErrorCode.VerificationFailed, reason } });
    throw new GatehouseError(ErrorCode.VerificationFailed, `agent ${name} is not allowed: ${reason}`);
  };
  if (credential === undefined || credential.length === 0) return refuse('no credential (set GATEHOUSE_AGENT_TOKEN)');
  if (!row) return refuse('no such agent; a lead registers it with `gatehouse agent add`');
  const given = Buffer.from(digest(credential), 'hex');
  const stored = Buffer.from(row.credential_sha256, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return refuse('wrong credential');
  if (row.revoked_at !== null) return refuse(`the credential was revoked at ${row.revoked_at}`);
  ctx.audit.record({ action: 'agent.connected', subject: `agent:${name}`, actor: agentActor(name), role: 'agent', payload: { repositories: JSON.parse(row.repositories) as string[] } });
  return { operatorId: row.id, name: row.name, role: 'agent' };
}

/** The calling agent, still registered and not revoked, optionally for one repository. */
export function requireAgent(ctx: CoreContext, session: CallerSession | null, repositoryId?: string): AgentRecord {
  if (session === null || session.role !== 'agent') throw new GatehouseError(ErrorCode.ForbiddenRole, 'only an agent calls this');
  const row = ctx.appDb.prepare('SELECT * FROM agents WHERE id = ?').get(session.operatorId) as AgentRow | undefined;
  if (!row || row.revoked_at !== null) throw new GatehouseError(ErrorCode.Locked, `agent ${session.name} is no longer registered`);
  const agent = toRecord(row);
  if (repositoryId !== undefined && !agent.repositories.includes(repositoryId)) {
    throw new GatehouseError(ErrorCode.ForbiddenRole, `agent ${agent.name} is not registered for repository ${repositoryId}`);
  }
  return agent;
}

function ownProposal(ctx: CoreContext, agent: AgentRecord, repositoryId: string, proposalId: string): AgentProposalRow {
  const row = ctx.appDb.prepare('SELECT * FROM agent_proposals WHERE repository = ? AND proposal = ?').get(repositoryId, proposalId) as AgentProposalRow | undefined;
  // Someone else's proposal and no proposal look the same to an agent.
  if (!row || row.agent_id !== agent.id) throw new GatehouseError(ErrorCode.NotFound, `no proposal ${proposalId} of yours in ${repositoryId}`);
  return row;
}

/** The limits that apply to one agent under a policy (defaults when the policy is invalid). */
export function limitsFor(policy: Policy | null, agentName: string): { proposalsPerHour: number; maxFiles: number; maxBytes: number } {
  const limits = policy?.agents ?? AgentLimits.parse({});
  const override = limits.byAgent[agentName] ?? {};
  return {
    proposalsPerHour: override.proposalsPerHour ?? limits.proposalsPerHour,
    maxFiles: override.maxFiles ?? limits.maxFiles,
    maxBytes: override.maxBytes ?? limits.maxBytes,
  };
}

function submissionsThisHour(ctx: CoreContext, agent: AgentRecord): number {
  const since = ctx.clock.now().getTime() - 3_600_000;
  return (ctx.appDb.prepare('SELECT COUNT(*) AS n FROM agent_submissions WHERE agent_id = ? AND at_ms > ?').get(agent.id, since) as { n: number }).n;
}

function changeBytes(change: AgentChange): number {
  if (change.format === 'diff') return Buffer.byteLength(change.diff, 'utf8');
  return change.changes.reduce((n, c) => n + Buffer.byteLength(c.original ?? '', 'utf8') + Buffer.byteLength(c.modified ?? '', 'utf8'), 0);
}

// A diff's file count is enforced by the importer's parser (limits.maxFiles), which reads it properly.
function changeFiles(change: AgentChange): number {
  return change.format === 'changeset' ? change.changes.length : 0;
}

/** Refuses a submission over the agent's rate or size limits (RateLimited / Refused). */
async function checkLimits(deps: ReviewDeps, agent: AgentRecord, repositoryId: string, change: AgentChange) {
  const handle = await deps.handles.get(repositoryId);
  const governance = await governanceOf(deps.ctx, handle);
  const limits = limitsFor(governance.policy.ok ? governance.policy.policy : null, agent.name);
  const used = submissionsThisHour(deps.ctx, agent);
  if (used >= limits.proposalsPerHour) {
    throw new GatehouseError(ErrorCode.RateLimited, `rate limit: ${used} proposals and revisions in the last hour; the policy allows ${agent.name} ${limits.proposalsPerHour} per hour`, {
      limit: limits.proposalsPerHour,
    });
  }
  const bytes = changeBytes(change);
  if (bytes > limits.maxBytes) throw new GatehouseError(ErrorCode.Refused, `the change is ${bytes} bytes; the policy allows ${agent.name} ${limits.maxBytes} bytes per proposal`);
  const files = changeFiles(change);
  if (files > limits.maxFiles) throw new GatehouseError(ErrorCode.Refused, `the change touches ${files} files; the policy allows ${agent.name} ${limits.maxFiles} per proposal`);
  return { handle, limits };
}

interface SubmissionText {
  readonly title: string;
  readonly description: string;
  readonly change: AgentChange;
  readonly claims?: { readonly riskLevel?: RiskLevel | undefined; readonly safetyScore?: number | undefined; readonly testsRun?: ReadonlyArray<string> | undefined } | undefined;
}

function rationaleOf(input: SubmissionText): string {
  const tests = input.claims?.testsRun ?? [];
  return tests.length === 0 ? input.description : `${input.description}\n\nTests the agent ran:\n${tests.map((t) => `- ${t.replace(/[\r\n]+/g, ' ')}`).join('\n')}`;
}

async function writeRevision(
  deps: ReviewDeps,
  agent: AgentRecord,
  repositoryId: string,
  input: SubmissionText,
  target: { readonly name?: string | undefined; readonly replaces?: string },
  maxFiles: number,
  maxBytes: number,
): Promise<ImportResult> {
  const handle = await deps.handles.get(repositoryId);
  const identity = { name: agent.name, email: `${agent.name}@agents.gatehouse.invalid` };
  const limits = { maxFiles, maxFileBytes: maxBytes, maxTotalBytes: maxBytes, maxInputBytes: maxBytes };
  const common = { ...(target.name ? { name: target.name } : {}), ...(target.replaces ? { replaces: target.replaces } : {}), limits };
  if (input.change.format === 'changeset') {
    if (input.claims?.riskLevel === undefined || input.claims.safetyScore === undefined) {
      throw new GatehouseError(ErrorCode.InvalidInput, 'a change set carries the agent\'s own estimate: give claims.riskLevel and claims.safetyScore (or send a unified diff)');
    }
    return importChangeSet(handle.repo, {
      changeSet: {
        title: input.title,
        rationale: rationaleOf(input),
        agent: identity,
        safetyScore: input.claims.safetyScore,
        riskLevel: input.claims.riskLevel,
        changes: input.change.changes,
      },
      ...common,
    });
  }
  return importUnifiedDiff(handle.repo, {
    patch: input.change.diff,
    meta: {
      title: input.title,
      rationale: rationaleOf(input),
      agent: identity,
      ...(input.claims?.safetyScore !== undefined ? { safetyScore: input.claims.safetyScore } : {}),
      ...(input.claims?.riskLevel !== undefined ? { riskLevel: input.claims.riskLevel } : {}),
    },
    ...common,
  });
}

function findingCounts(findings: ReadonlyArray<Finding>) {
  const counts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

function submissionView(detail: ProposalDetail, repositoryId: string, revision: number): AgentSubmission {
  return {
    repositoryId,
    proposalId: detail.summary.proposalId,
    revision,
    headOid: detail.summary.headOid,
    treeOid: detail.summary.treeOid,
    risk: detail.assessment.risk,
    safetyScore: detail.assessment.safetyScore,
    findings: findingCounts(detail.findings),
    needs: detail.gate.conditions.filter((c) => !c.met).map((c) => c.message),
  };
}

/** Runs an agent use case, auditing a refusal as `agent.refused` before rethrowing it. */
export async function audited<T>(ctx: CoreContext, agentName: string, tool: string, subject: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = error instanceof GatehouseError ? error.code : ErrorCode.Internal;
    const message = error instanceof Error ? error.message.split('\n')[0]?.slice(0, 500) ?? '' : String(error);
    ctx.audit.record({ action: 'agent.refused', subject, actor: agentActor(agentName), role: 'agent', payload: { tool, code, message } });
    throw error;
  }
}

// Event buses whose core watches the audit log for agent events: there the watcher announces them all,
// and a write by this process wakes it at once.
const watchers = new WeakMap<EventBus, () => void>();

function announce(ctx: CoreContext, repositoryId: string, proposalId: string, agent: string, kind: 'proposed' | 'revised' | 'withdrawn', revision: number): void {
  const wake = watchers.get(ctx.events);
  if (wake !== undefined) {
    wake();
    return;
  }
  ctx.events.emit('repo:changed', { repositoryId, what: `proposal ${kind} by agent ${agent}` });
  ctx.events.emit('proposal:arrived', { repositoryId, proposalId, agent, kind, revision });
}

const AGENT_EVENT_KINDS: Readonly<Record<string, 'proposed' | 'revised' | 'withdrawn'>> = {
  'agent.proposed': 'proposed',
  'agent.revised': 'revised',
  'agent.withdrew': 'withdrawn',
};

/** How soon to look again when a file event found no new audit event (the writer had not published its commit yet). */
const RECHECK_MS = 5;

/**
 * Watches the audit log for proposals agents made — in this process or in a `gatehouse mcp` process
 * sharing the data directory — and emits `proposal:arrived` (and `repo:changed`) for each, so an open
 * console updates its queue without polling in the renderer.
 *
 * Event-driven: a write by this process wakes the watch at once, and a write by another process is
 * heard through a file-system watch of the audit database's directory (SQLite appends each commit to
 * the `-wal` file). A commit becomes visible to readers only when the writer updates the WAL index in
 * shared memory, which makes no file event, so a wake-up that finds nothing looks once more after
 * {@link RECHECK_MS}. The read of the log's tail every `intervalMs` stays as the fallback (a file
 * system without change events, a missed event). Returns the stop function.
 */
export function startAgentWatch(ctx: CoreContext, intervalMs = 200): () => void {
  let seen = ctx.auditStore.count();
  const tick = (): boolean => {
    try {
      const last = ctx.auditStore.count();
      for (let seq = seen + 1; seq <= last; seq += 1) {
        const event = ctx.auditStore.get(seq);
        const kind = event ? AGENT_EVENT_KINDS[event.action] : undefined;
        if (!event || !kind) continue;
        const match = /^proposal:([^/]+)\/(.+)$/.exec(event.subject);
        if (!match) continue;
        const [, repositoryId = '', proposalId = ''] = match;
        const payload = event.payload as { revision?: unknown };
        const agent = event.actor.startsWith('agent:') ? event.actor.slice('agent:'.length) : event.actor;
        ctx.events.emit('repo:changed', { repositoryId, what: `proposal ${kind} by agent ${agent}` });
        ctx.events.emit('proposal:arrived', { repositoryId, proposalId, agent, kind, revision: typeof payload.revision === 'number' ? payload.revision : 0 });
      }
      const grew = last > seen;
      seen = Math.max(seen, last);
      return grew;
    } catch (error) {
      ctx.logger.warn('agent watch', error instanceof Error ? error.message : error);
      return false;
    }
  };
  let recheck: NodeJS.Timeout | null = null;
  let pending = false;
  const wakeFromFile = (): void => {
    // Several file events per commit: one look per turn of the event loop.
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (tick() || recheck !== null) return;
      recheck = setTimeout(() => {
        recheck = null;
        tick();
      }, RECHECK_MS);
      recheck.unref();
    });
  };
  let watcher: FSWatcher | null = null;
  const auditFile = basename(ctx.layout.auditDb);
  try {
    watcher = watch(dirname(ctx.layout.auditDb), { persistent: false }, (_type, file) => {
      if (file === null || file.startsWith(auditFile)) wakeFromFile();
    });
    watcher.on('error', (error) => {
      ctx.logger.warn('agent watch: the file watch failed; polling only', error.message);
      watcher?.close();
      watcher = null;
    });
  } catch (error) {
    ctx.logger.warn('agent watch: no file watch here; polling only', error instanceof Error ? error.message : error);
  }
  watchers.set(ctx.events, () => void tick());
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (recheck !== null) clearTimeout(recheck);
    watcher?.close();
    watchers.delete(ctx.events);
  };
}

/** Proposes a change as the calling agent: a new proposal branch, analysed; audited. */
export async function agentPropose(
  deps: ReviewDeps,
  session: CallerSession | null,
  input: SubmissionText & { readonly repositoryId: string; readonly name?: string | undefined },
): Promise<AgentSubmission> {
  const { ctx } = deps;
  const agentName = session?.name ?? 'unknown';
  return audited(ctx, agentName, 'propose_change', `repository:${input.repositoryId}`, async () => {
    const agent = requireAgent(ctx, session, input.repositoryId);
    const { limits } = await checkLimits(deps, agent, input.repositoryId, input.change);
    if (input.name !== undefined && ctx.appDb.prepare('SELECT 1 FROM agent_proposals WHERE repository = ? AND proposal = ?').get(input.repositoryId, input.name)) {
      throw new GatehouseError(ErrorCode.Conflict, `a proposal named ${input.name} already existed; choose another name`);
    }
    const result = await writeRevision(deps, agent, input.repositoryId, input, { name: input.name }, limits.maxFiles, limits.maxBytes);
    const now = ctx.clock.now();
    ctx.appDb.transaction(() => {
      ctx.appDb
        .prepare('INSERT INTO agent_proposals (repository, proposal, agent_id, title, revision, head, created_at, updated_at, withdrawn_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL)')
        .run(input.repositoryId, result.name, agent.id, input.title, result.commitOid, now.toISOString(), now.toISOString());
      ctx.appDb.prepare("INSERT INTO agent_submissions (agent_id, at_ms, kind) VALUES (?, ?, 'propose')").run(agent.id, now.getTime());
    }).immediate();
    ctx.audit.record({
      action: 'agent.proposed',
      subject: `proposal:${input.repositoryId}/${result.name}`,
      actor: agentActor(agent.name),
      role: 'agent',
      payload: { head: result.commitOid, files: result.files, format: input.change.format, bytes: changeBytes(input.change), revision: 1, claims: { ...input.claims, testsRun: [...(input.claims?.testsRun ?? [])] } },
    });
    announce(ctx, input.repositoryId, result.name, agent.name, 'proposed', 1);
    return submissionView(await showProposal(deps, input.repositoryId, result.name), input.repositoryId, 1);
  });
}

/** A new revision of one of the calling agent's proposals; audited. */
export async function agentRevise(
  deps: ReviewDeps,
  session: CallerSession | null,
  input: Omit<SubmissionText, 'title' | 'description'> & {
    readonly repositoryId: string;
    readonly proposalId: string;
    readonly headOid: string;
    readonly title?: string | undefined;
    readonly description?: string | undefined;
  },
): Promise<AgentSubmission> {
  const { ctx } = deps;
  const subject = `proposal:${input.repositoryId}/${input.proposalId}`;
  return audited(ctx, session?.name ?? 'unknown', 'revise_proposal', subject, async () => {
    const agent = requireAgent(ctx, session, input.repositoryId);
    const row = ownProposal(ctx, agent, input.repositoryId, input.proposalId);
    if (row.withdrawn_at !== null) throw new GatehouseError(ErrorCode.Conflict, `${input.proposalId} was withdrawn`);
    const { handle, limits } = await checkLimits(deps, agent, input.repositoryId, input.change);
    const current = await getProposal(handle.repo, input.proposalId);
    if (current.headOid !== input.headOid) {
      throw new GatehouseError(ErrorCode.Conflict, `the proposal is at ${current.headOid.slice(0, 10)}, not ${input.headOid.slice(0, 10)}: read it again before revising`);
    }
    if (current.baseOid === current.headOid) throw new GatehouseError(ErrorCode.Conflict, `${input.proposalId} was already applied`);
    const result = await writeRevision(
      deps,
      agent,
      input.repositoryId,
      { title: input.title ?? row.title, description: input.description ?? '', change: input.change, claims: input.claims },
      { name: input.proposalId, replaces: input.headOid },
      limits.maxFiles,
      limits.maxBytes,
    );
    const now = ctx.clock.now();
    const revision = row.revision + 1;
    ctx.appDb.transaction(() => {
      ctx.appDb
        .prepare('UPDATE agent_proposals SET revision = ?, head = ?, title = ?, updated_at = ? WHERE repository = ? AND proposal = ?')
        .run(revision, result.commitOid, input.title ?? row.title, now.toISOString(), input.repositoryId, input.proposalId);
      ctx.appDb.prepare("INSERT INTO agent_submissions (agent_id, at_ms, kind) VALUES (?, ?, 'revise')").run(agent.id, now.getTime());
    }).immediate();
    ctx.audit.record({
      action: 'agent.revised',
      subject,
      actor: agentActor(agent.name),
      role: 'agent',
      payload: { head: result.commitOid, previousHead: input.headOid, files: result.files, format: input.change.format, bytes: changeBytes(input.change), revision },
    });
    announce(ctx, input.repositoryId, input.proposalId, agent.name, 'revised', revision);
    return submissionView(await showProposal(deps, input.repositoryId, input.proposalId), input.repositoryId, revision);
  });
}

/** The target-branch commit an applied head landed as, from the audit log. */
function landedCommit(ctx: CoreContext, repositoryId: string, proposal: string, head: string): string | null {
  const page = ctx.auditStore.search({ action: 'apply.completed', subject: `proposal:${repositoryId}/${proposal}`, limit: 100 });
  for (const event of page.events) {
    const payload = event.payload as { head?: unknown; newTargetHead?: unknown };
    if (payload.head === head && typeof payload.newTargetHead === 'string') return payload.newTargetHead;
  }
  return null;
}

const EMPTY_COUNTS = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };

/** One of the calling agent's proposals, as the agent may see it. */
export function agentGet(deps: ReviewDeps, session: CallerSession | null, repositoryId: string, proposalId: string): Promise<AgentProposalView> {
  return audited(deps.ctx, session?.name ?? 'unknown', 'get_proposal', `proposal:${repositoryId}/${proposalId}`, () => readProposal(deps, session, repositoryId, proposalId));
}

async function readProposal(deps: ReviewDeps, session: CallerSession | null, repositoryId: string, proposalId: string): Promise<AgentProposalView> {
  const { ctx } = deps;
  const agent = requireAgent(ctx, session, repositoryId);
  const row = ownProposal(ctx, agent, repositoryId, proposalId);
  const thread = row.withdrawn_at === null ? await listComments(deps, { operatorId: null }, repositoryId, proposalId) : null;
  const changeRequests = (thread?.changeRequests ?? []).map(({ token: _token, ...rest }) => rest);
  if (row.withdrawn_at !== null || thread === null) {
    return {
      repositoryId,
      proposalId,
      title: row.title,
      state: 'withdrawn',
      revision: row.revision,
      headOid: row.head,
      risk: null,
      safetyScore: null,
      findingCounts: EMPTY_COUNTS,
      findings: [],
      gate: null,
      sandbox: null,
      decisions: [],
      comments: [],
      changeRequests,
      appliedCommit: null,
    };
  }
  const detail = await showProposal(deps, repositoryId, proposalId);
  const applied = detail.summary.applied;
  const appliedCommit = applied ? landedCommit(ctx, repositoryId, proposalId, detail.summary.headOid) : null;
  let state: AgentProposalState = 'awaiting-review';
  if (applied) state = 'applied';
  else if (detail.summary.approvals.rejected) state = 'rejected';
  else if (thread.reviewState === 'changes-requested') state = 'changes-requested';
  else if (detail.gate.allowed) state = 'approved';
  const decisions = [
    ...detail.approvals.map((a) => ({ operatorName: a.operatorName, role: a.role, decision: a.decision, reason: a.reason, headOid: a.headOid, issuedAt: a.issuedAt, status: a.status })),
    ...changeRequests.map((r) => ({ operatorName: r.operatorName, role: r.role, decision: 'request_changes' as const, reason: r.reason, headOid: r.headOid, issuedAt: r.issuedAt, status: r.current ? 'valid' : 'outdated' })),
  ].sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  const sandbox = detail.sandbox;
  return {
    repositoryId,
    proposalId,
    title: detail.summary.title,
    state,
    revision: row.revision,
    headOid: detail.summary.headOid,
    risk: detail.assessment.risk,
    safetyScore: detail.assessment.safetyScore,
    findingCounts: findingCounts(detail.findings),
    findings: detail.findings.slice(0, 500),
    gate: { allowed: detail.gate.allowed, summary: detail.gate.summary, conditions: detail.gate.conditions },
    sandbox: sandbox === null ? null : { ran: sandbox.head.status === 'completed', testsPassed: sandbox.testsPassedHead, regression: sandbox.regression },
    decisions,
    comments: thread.comments.filter((c) => c.state === 'published'),
    changeRequests,
    appliedCommit,
  };
}

/** The calling agent's proposals. */
export function agentMine(ctx: CoreContext, session: CallerSession | null, repositoryId?: string) {
  return audited(ctx, session?.name ?? 'unknown', 'list_my_proposals', `repository:${repositoryId ?? '*'}`, async () => listMine(ctx, session, repositoryId));
}

function listMine(ctx: CoreContext, session: CallerSession | null, repositoryId?: string) {
  const agent = requireAgent(ctx, session, repositoryId);
  const rows = ctx.appDb.prepare('SELECT * FROM agent_proposals WHERE agent_id = ? ORDER BY created_at').all(agent.id) as AgentProposalRow[];
  return rows
    .filter((r) => repositoryId === undefined || r.repository === repositoryId)
    .map((r) => ({ repositoryId: r.repository, proposalId: r.proposal, title: r.title, revision: r.revision, withdrawn: r.withdrawn_at !== null }));
}

/** Withdraws one of the calling agent's proposals: its branch is deleted, its record stays; audited. */
export async function agentWithdraw(deps: ReviewDeps, session: CallerSession | null, repositoryId: string, proposalId: string, reason: string): Promise<{ withdrawn: true }> {
  const { ctx } = deps;
  const subject = `proposal:${repositoryId}/${proposalId}`;
  return audited(ctx, session?.name ?? 'unknown', 'withdraw_proposal', subject, async () => {
    const agent = requireAgent(ctx, session, repositoryId);
    const row = ownProposal(ctx, agent, repositoryId, proposalId);
    if (row.withdrawn_at !== null) throw new GatehouseError(ErrorCode.Conflict, `${proposalId} is already withdrawn`);
    const handle = await deps.handles.get(repositoryId);
    const current = await getProposal(handle.repo, proposalId);
    if (current.baseOid === current.headOid) throw new GatehouseError(ErrorCode.Conflict, `${proposalId} was already applied`);
    await deleteRef(handle.repo, proposalRef(handle.repo, proposalId));
    ctx.appDb.prepare('UPDATE agent_proposals SET withdrawn_at = ? WHERE repository = ? AND proposal = ?').run(ctx.clock.now().toISOString(), repositoryId, proposalId);
    ctx.audit.record({ action: 'agent.withdrew', subject, actor: agentActor(agent.name), role: 'agent', payload: { head: current.headOid, revision: row.revision, reason } });
    announce(ctx, repositoryId, proposalId, agent.name, 'withdrawn', row.revision);
    return { withdrawn: true as const };
  });
}

function requirementText(rule: { readonly count: number; readonly role: string; readonly leads: number }): string {
  const who = rule.role === 'lead' ? 'lead' : 'reviewer or lead';
  return `${rule.count} approval${rule.count === 1 ? '' : 's'} (${who}${rule.leads > 0 ? `, at least ${rule.leads} lead${rule.leads === 1 ? '' : 's'}` : ''})`;
}

/** The target branch's policy and the calling agent's limits. */
export function agentPolicy(deps: ReviewDeps, session: CallerSession | null, repositoryId: string): Promise<AgentPolicyView> {
  return audited(deps.ctx, session?.name ?? 'unknown', 'get_policy', `repository:${repositoryId}`, () => readPolicy(deps, session, repositoryId));
}

async function readPolicy(deps: ReviewDeps, session: CallerSession | null, repositoryId: string): Promise<AgentPolicyView> {
  const { ctx } = deps;
  const agent = requireAgent(ctx, session, repositoryId);
  const handle = await deps.handles.get(repositoryId);
  const governance = await governanceOf(ctx, handle);
  const policy = governance.policy.ok ? governance.policy.policy : null;
  const limits = limitsFor(policy, agent.name);
  return {
    repositoryId,
    targetBranch: handle.record.targetBranch,
    source: governance.policyOrigin === 'target-branch' ? `${handle.record.targetBranch}:.gatehouse/policy.yaml` : governance.policyOrigin,
    valid: governance.policy.ok,
    digest: governance.policy.digest,
    text: governance.policyText ?? '',
    requirements: policy ? Object.fromEntries(Object.entries(policy.approvals).map(([risk, rule]) => [risk, requirementText(rule)])) : {},
    sandboxRequired: policy ? [...policy.sandboxRequired] : [],
    sensitivePaths: policy ? [...policy.sensitivePaths] : [],
    limits: { ...limits, usedThisHour: submissionsThisHour(ctx, agent) },
  };
}

/**
 * The Gatehouse MCP server: how a coding agent proposes changes, hears the verdict and revises.
 *
 * Built on the official SDK's low-level `Server` so that every tool is a contract channel: the tool's
 * JSON Schema is generated from the channel's zod input schema, and every call goes through the same
 * dispatcher as the console, as role `agent` (deny by default: only channels that name `agent`). The
 * agent's identity comes from its credential, checked once when the server starts, and re-checked on
 * every call (a revoked agent is refused at once).
 *
 * Every call is audited (successes by the use cases — `agent.proposed`, `agent.revised`,
 * `agent.withdrew`, `agent.waited`, `agent.read` — and every refusal as `agent.refused`), and a flood
 * of calls meets a per-connection token bucket before it reaches the core.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode as McpErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import packageJson from '../../package.json';
import type { AgentProposalView } from '../../shared/ipc/channels/agents';
import { channels, type Channel } from '../../shared/ipc/contract';
import { ErrorCode, type ResultError } from '../../shared/model/result';
import { agentActor } from '../core/agents';
import type { Core } from '../core/create-core';
import { createDispatcher, type CallerSession, type Dispatch } from '../ipc/dispatch';

const MCP_ORIGIN = 'gatehouse-mcp:';
/** Longest `wait_for_decision` an agent may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 600;

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  readonly core: Core;
  /** The authenticated agent (see authenticateAgent). */
  readonly agent: CallerSession;
  /** Calls per second one connection may make on average; default 20. */
  readonly callsPerSecond?: number;
  /** Calls one connection may make in a burst; default 40. */
  readonly burst?: number;
  /** How often wait_for_decision looks at the audit log's tail, in ms; default 200. */
  readonly pollMs?: number;
  /** How often wait_for_decision sends a progress notification while nothing happens, in ms; default 5000. */
  readonly progressEveryMs?: number;
}

interface ToolBinding {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly channel: Channel;
  /** A successful read is audited as `agent.read` (writes audit themselves in core). */
  readonly auditRead: boolean;
}

const TOOLS: ReadonlyArray<ToolBinding> = [
  {
    name: 'propose_change',
    title: 'Propose a change',
    channel: 'agent:propose',
    auditRead: false,
    description:
      'Propose a code change for human review in Gatehouse. Give the repository id, a one-line title, a description, and the change as ' +
      '{"format":"diff","diff":"<unified diff against the target branch>"} or {"format":"changeset","changes":[{"path","original","modified"}]} ' +
      '(a change set also needs claims.riskLevel and claims.safetyScore). Returns the proposal id, its revision, findings by severity and what the policy still needs. ' +
      'Paths with .., absolute paths, .git, symlinks leaving the repository are refused; changes under .gatehouse/ are always CRITICAL.',
  },
  {
    name: 'revise_proposal',
    title: 'Revise a proposal',
    channel: 'agent:revise',
    auditRead: false,
    description:
      'Send a new revision of one of your proposals (the whole change again, against the target branch), usually after a reviewer requested changes. ' +
      'Give the headOid you are replacing. Decisions on the old revision become outdated.',
  },
  {
    name: 'get_proposal',
    title: 'Read a proposal',
    channel: 'agent:get',
    auditRead: true,
    description: "One of your proposals: state (awaiting-review, changes-requested, rejected, approved, applied, withdrawn), gate conditions, findings, sandbox result, decisions, and the reviewers' published line comments.",
  },
  {
    name: 'withdraw_proposal',
    title: 'Withdraw a proposal',
    channel: 'agent:withdraw',
    auditRead: false,
    description: 'Withdraw one of your proposals: its branch is deleted; the record stays in the audit log.',
  },
  {
    name: 'list_my_proposals',
    title: 'List your proposals',
    channel: 'agent:mine',
    auditRead: true,
    description: 'The proposals you made, optionally in one repository.',
  },
  {
    name: 'get_policy',
    title: 'Read the policy',
    channel: 'agent:policy',
    auditRead: true,
    description: "The target branch's policy (what each risk level needs, sensitive paths, sandbox) and your rate and size limits.",
  },
];

const WaitInput = z
  .object({
    repositoryId: z.string().min(1).max(200),
    proposalId: z.string().min(1).max(100),
    /** How long to wait at most, in seconds (1..600). */
    timeoutSeconds: z.number().int().min(1).max(MAX_WAIT_SECONDS).default(120),
    /**
     * `any-decision` (default): return on any new decision, request for changes, apply or withdrawal.
     * `applied`: keep waiting through approvals; return on apply, rejection, request for changes or withdrawal.
     */
    until: z.enum(['any-decision', 'applied']).default('any-decision'),
  })
  .strict();

const WaitOutput = z.object({
  outcome: z.enum(['changes-requested', 'rejected', 'approved', 'applied', 'withdrawn', 'decision', 'timeout']),
  waitedSeconds: z.number(),
  proposal: z.unknown(),
});

const WAIT_TOOL = {
  name: 'wait_for_decision',
  title: 'Wait for the verdict',
  description:
    'Block until a reviewer decides on one of your proposals (or the timeout, at most 600 s, passes), with progress notifications while waiting. ' +
    'Returns the outcome (changes-requested, rejected, approved, applied, withdrawn, decision or timeout) and the proposal, including the reviewers\' comments. ' +
    'Ask your client to reset its request timeout on progress, or keep timeoutSeconds under its request timeout.',
};

function objectSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _ignored, ...rest } = generated;
  if (rest.type !== 'object') return { type: 'object', properties: { items: rest }, required: ['items'] };
  return rest as Tool['inputSchema'];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function success(value: unknown): CallToolResult {
  const structured = isPlainObject(value) ? value : { items: value };
  return { content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }], structuredContent: structured };
}

function failure(error: ResultError): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
}

function zodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`)
    .join('; ');
}

/** A token bucket: `take()` is false when the caller must be refused. */
function tokenBucket(perSecond: number, burst: number, now: () => number) {
  let tokens = burst;
  let last = now();
  return {
    take(): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** How long wait_for_decision waits for an apply that moved the target branch to be recorded (its landed commit). */
const LANDING_GRACE_MS = 30_000;

const POLICY_URI = /^gatehouse:\/\/repositories\/([^/]+)\/policy$/;
const FINDINGS_URI = /^gatehouse:\/\/proposals\/([^/]+)\/([^/]+)\/findings$/;

/** Creates the MCP server for one authenticated agent over a core. Connect it to a transport. */
export function createMcpServer(options: McpServerOptions): Server {
  const { core, agent } = options;
  const pollMs = options.pollMs ?? 200;
  const progressEveryMs = options.progressEveryMs ?? 5000;
  const dispatch: Dispatch = createDispatcher({
    handlers: core.handlers,
    allowedOrigins: [MCP_ORIGIN],
    session: () => agent,
    logger: core.logger,
  });
  const sender = { fromOurWindow: true, fromTopFrame: true, origin: MCP_ORIGIN };
  const bucket = tokenBucket(options.callsPerSecond ?? 20, options.burst ?? 40, () => Date.now());
  let flooding = false;

  const audit = (action: string, subject: string, payload: Record<string, unknown>): void => {
    core.context.audit.record({ action, subject, actor: agentActor(agent.name), role: 'agent', payload: JSON.parse(JSON.stringify(payload)) as never });
  };
  const refuse = (tool: string, subject: string, error: ResultError): CallToolResult => {
    audit('agent.refused', subject, { tool, code: error.code, message: error.message.slice(0, 500) });
    return failure(error);
  };
  const subjectOf = (args: Record<string, unknown>): string => {
    const repo = typeof args.repositoryId === 'string' ? args.repositoryId.slice(0, 200) : '?';
    return typeof args.proposalId === 'string' ? `proposal:${repo}/${args.proposalId.slice(0, 100)}` : `repository:${repo}`;
  };

  const server = new Server(
    { name: 'gatehouse', title: 'Gatehouse', version: packageJson.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'Gatehouse puts your code changes in front of human reviewers. Propose with propose_change, then call wait_for_decision. ' +
        'If the outcome is changes-requested, read the comments (path, line, body) in the result, fix them, and call revise_proposal with the headOid you saw. ' +
        'You can never approve or apply your own change. Read gatehouse://repositories/{id}/policy first to see what each risk level needs.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      ...TOOLS.map((tool) => ({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: objectSchema(channels[tool.channel].input, 'input'),
        outputSchema: objectSchema(channels[tool.channel].output, 'output'),
      })),
      { ...WAIT_TOOL, inputSchema: objectSchema(WaitInput, 'input'), outputSchema: objectSchema(WaitOutput, 'output') },
    ],
  }));

  const call = async (channel: Channel, input: unknown) => dispatch(sender, channel, input);

  async function waitForDecision(
    args: z.output<typeof WaitInput>,
    extra: { signal: AbortSignal; progressToken: string | number | undefined; notify: (progress: number, message: string) => Promise<void> },
  ): Promise<CallToolResult> {
    const started = Date.now();
    const ref = { repositoryId: args.repositoryId, proposalId: args.proposalId };
    const subject = `proposal:${args.repositoryId}/${args.proposalId}`;
    const first = await call('agent:get', ref);
    if (!first.ok) return refuse('wait_for_decision', subject, first.error);
    let view = first.value as AgentProposalView;
    const decisionsAtStart = view.decisions.length + view.comments.length;
    let landingSince: number | null = null;
    const settled = (v: AgentProposalView): z.infer<typeof WaitOutput>['outcome'] | null => {
      // The target branch moves before the apply is recorded: wait (briefly) for the landed commit to be known.
      if (v.state === 'applied' && v.appliedCommit === null) {
        landingSince ??= Date.now();
        if (Date.now() - landingSince < LANDING_GRACE_MS) return null;
      }
      if (v.state === 'applied' || v.state === 'rejected' || v.state === 'withdrawn' || v.state === 'changes-requested') return v.state;
      if (args.until === 'applied') return null;
      if (v.state === 'approved') return 'approved';
      return v.decisions.length + v.comments.length !== decisionsAtStart ? 'decision' : null;
    };
    let outcome: z.infer<typeof WaitOutput>['outcome'] | null = settled(view);
    await extra.notify(0, `waiting for a decision on ${args.proposalId} revision ${view.revision} (${view.state})`);
    let seen = core.context.auditStore.count();
    let lastProgress = Date.now();
    const deadline = started + args.timeoutSeconds * 1000;
    while (outcome === null && Date.now() < deadline && !extra.signal.aborted) {
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), extra.signal);
      const tail = core.context.auditStore.count();
      if (tail !== seen) {
        seen = tail;
        const next = await call('agent:get', ref);
        if (!next.ok) return refuse('wait_for_decision', subject, next.error);
        const changed = (next.value as AgentProposalView).state !== view.state;
        view = next.value as AgentProposalView;
        outcome = settled(view);
        if (changed && outcome === null) await extra.notify((Date.now() - started) / 1000, `now ${view.state}`);
      } else if (landingSince !== null) outcome = settled(view);
      if (outcome === null && Date.now() - lastProgress >= progressEveryMs) {
        lastProgress = Date.now();
        await extra.notify((Date.now() - started) / 1000, `still ${view.state}`);
      }
    }
    const result = { outcome: outcome ?? 'timeout', waitedSeconds: Math.round((Date.now() - started) / 100) / 10, proposal: view };
    audit('agent.waited', subject, { outcome: result.outcome, waitedSeconds: result.waitedSeconds, head: view.headOid, revision: view.revision, until: args.until });
    return success(result);
  }

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const args = isPlainObject(request.params.arguments) ? request.params.arguments : {};
    const subject = subjectOf(args);
    if (!bucket.take()) {
      const error = { code: ErrorCode.RateLimited, message: `too many calls: at most ${options.callsPerSecond ?? 20} per second; slow down` };
      // One audit event per flood (its first refused call), not one per call: the log must not become the flood.
      if (!flooding) {
        flooding = true;
        return refuse(name.slice(0, 60), subject, error);
      }
      return failure(error);
    }
    flooding = false;
    if (name === WAIT_TOOL.name) {
      const parsed = WaitInput.safeParse(args);
      if (!parsed.success) return refuse(name, subject, { code: ErrorCode.InvalidInput, message: `${name}: ${zodIssues(parsed.error)}` });
      const progressToken = request.params._meta?.progressToken;
      return waitForDecision(parsed.data, {
        signal: extra.signal,
        progressToken,
        notify: async (progress, message) => {
          if (progressToken === undefined) return;
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: parsed.data.timeoutSeconds, message } });
        },
      });
    }
    const tool = TOOLS.find((t) => t.name === name);
    if (!tool) return refuse(name.slice(0, 60), subject, { code: ErrorCode.UnknownChannel, message: `no tool named ${name.slice(0, 60)}` });
    // Check the schema here too, so a malformed call is audited before it is refused.
    const parsed = channels[tool.channel].input.safeParse(args);
    if (!parsed.success) return refuse(tool.name, subject, { code: ErrorCode.InvalidInput, message: `${tool.name}: ${zodIssues(parsed.error)}` });
    const result = await call(tool.channel, args);
    // The agent use cases audit their own refusals (agent.refused); every tool here is open to agents.
    if (!result.ok) return failure(result.error);
    if (tool.auditRead) audit('agent.read', subject, { tool: tool.name });
    return success(result.value);
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      { name: 'policy', uriTemplate: 'gatehouse://repositories/{repositoryId}/policy', title: 'Target branch policy', mimeType: 'application/json', description: 'What each risk level needs, sensitive paths, sandbox, your limits.' },
      { name: 'findings', uriTemplate: 'gatehouse://proposals/{repositoryId}/{proposalId}/findings', title: 'Findings of a proposal', mimeType: 'application/json', description: 'Static-analysis findings of one of your proposals.' },
    ],
  }));

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const mine = await call('agent:mine', {});
    const proposals = mine.ok ? (mine.value as ReadonlyArray<{ repositoryId: string; proposalId: string; title: string; withdrawn: boolean }>) : [];
    const record = core.context.appDb.prepare('SELECT repositories FROM agents WHERE id = ?').get(agent.operatorId) as { repositories: string } | undefined;
    const repositories = record ? (JSON.parse(record.repositories) as string[]) : [];
    return {
      resources: [
        ...repositories.map((id) => ({ uri: `gatehouse://repositories/${id}/policy`, name: `policy-${id}`, title: `Policy of ${id}`, mimeType: 'application/json' })),
        ...proposals
          .filter((p) => !p.withdrawn)
          .map((p) => ({ uri: `gatehouse://proposals/${p.repositoryId}/${p.proposalId}/findings`, name: `findings-${p.proposalId}`, title: `Findings of ${p.title}`, mimeType: 'application/json' })),
      ],
    };
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const policy = POLICY_URI.exec(uri);
    const findings = FINDINGS_URI.exec(uri);
    const read = policy
      ? await call('agent:policy', { repositoryId: decodeURIComponent(policy[1] ?? '') })
      : findings
        ? await call('agent:get', { repositoryId: decodeURIComponent(findings[1] ?? ''), proposalId: decodeURIComponent(findings[2] ?? '') })
        : null;
    if (read === null) throw new McpError(McpErrorCode.InvalidParams, `unknown resource ${uri.slice(0, 200)}`);
    if (!read.ok) {
      audit('agent.refused', `resource:${uri.slice(0, 200)}`, { tool: 'resources/read', code: read.error.code, message: read.error.message.slice(0, 500) });
      throw new McpError(McpErrorCode.InvalidParams, `${read.error.code}: ${read.error.message}`);
    }
    audit('agent.read', `resource:${uri.slice(0, 200)}`, { tool: 'resources/read' });
    const value = findings
      ? (({ repositoryId, proposalId, revision, headOid, risk, findingCounts, findings: list }: AgentProposalView) => ({ repositoryId, proposalId, revision, headOid, risk, findingCounts, findings: list }))(read.value as AgentProposalView)
      : read.value;
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
  });

  return server;
}

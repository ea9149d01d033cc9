/**
 * Channels for coding agents: leads register agents (`agent:add`, `agent:list`, `agent:revoke`), and
 * an agent — through the MCP server, as role `agent` — proposes, revises, reads and withdraws its own
 * proposals. The MCP tools are these channels: the same schemas, the same dispatcher, the same roles.
 *
 * An agent reaches only the channels whose access names `agent` (see electron/ipc/dispatch.ts): it
 * can never approve, reject, revoke, apply, roll back or read keys, and each handler also checks that
 * the repository is one the agent was registered for and the proposal is its own.
 */
import { z } from 'zod';
import { Finding, Oid, RiskLevel } from '../../model/domain';
import { channel } from '../define';
import { ChangeRequestView, CommentView } from './comments';
import { GateCondition } from './review';

const Id = z.string().min(1).max(200);
const ProposalId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a branch name of letters, digits, . _ - (no slashes)');

/** An agent's name: 2..40 lower-case letters, digits and dashes, starting with a letter. */
export const AgentName = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'an agent name is 2-40 lower-case letters, digits or dashes, starting with a letter');

/** A registered agent (never its credential). */
export const AgentView = z.object({
  id: z.string(),
  name: z.string(),
  repositories: z.array(z.string()).readonly(),
  createdBy: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  /** The agent's latest audited call (what and when), or null when it never connected. */
  lastActivity: z.object({ at: z.string(), action: z.string() }).nullable(),
});
export type AgentView = z.infer<typeof AgentView>;

/** One file of a JSON change set, exactly as `proposal:import` takes it. */
const ChangeSetFile = z
  .object({
    path: z.string().min(1).max(4096),
    /** The file's exact content on the target branch; null to add a new file. */
    original: z.string().nullable(),
    /** The new content; null to delete the file. */
    modified: z.string().nullable(),
    executable: z.boolean().optional(),
  })
  .strict();

/** The change itself: a unified diff against the target branch, or a JSON change set. */
export const AgentChange = z.discriminatedUnion('format', [
  z.object({ format: z.literal('diff'), diff: z.string().min(1).max(64 * 1024 * 1024) }).strict(),
  z.object({ format: z.literal('changeset'), changes: z.array(ChangeSetFile).min(1).max(1000) }).strict(),
]);
export type AgentChange = z.infer<typeof AgentChange>;

/** What the agent says about its own change (shown to the reviewer; never trusted for the gate). */
export const AgentClaims = z
  .object({
    riskLevel: RiskLevel.optional(),
    safetyScore: z.number().min(0).max(1).optional(),
    /** Tests the agent says it ran, as commands or names. */
    testsRun: z.array(z.string().min(1).max(500)).max(50).optional(),
  })
  .strict();

const Title = z.string().trim().min(1).max(200).regex(/^[^\n\r\0]*$/, 'one line');
const Description = z.string().max(20_000);

/** Findings per severity. */
export const FindingCounts = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  info: z.number().int(),
});

/** Where an agent's proposal stands. */
export const AgentProposalState = z.enum(['awaiting-review', 'changes-requested', 'rejected', 'approved', 'applied', 'withdrawn']);
export type AgentProposalState = z.infer<typeof AgentProposalState>;

/** What propose and revise answer. */
export const AgentSubmission = z.object({
  repositoryId: z.string(),
  proposalId: z.string(),
  /** 1 for the first revision, then 2, 3... */
  revision: z.number().int().positive(),
  headOid: Oid,
  treeOid: Oid,
  risk: RiskLevel,
  safetyScore: z.number(),
  findings: FindingCounts,
  /** What the policy still needs before this revision may be applied. */
  needs: z.array(z.string()).readonly(),
});
export type AgentSubmission = z.infer<typeof AgentSubmission>;

/** A decision on the proposal, as the agent sees it. */
export const AgentDecisionView = z.object({
  operatorName: z.string(),
  role: z.string(),
  decision: z.enum(['approve', 'reject', 'request_changes']),
  reason: z.string(),
  headOid: Oid,
  issuedAt: z.string(),
  status: z.string(),
});

/** Everything an agent may know about one of its proposals. */
export const AgentProposalView = z.object({
  repositoryId: z.string(),
  proposalId: z.string(),
  title: z.string(),
  state: AgentProposalState,
  revision: z.number().int().nonnegative(),
  headOid: Oid.nullable(),
  risk: RiskLevel.nullable(),
  safetyScore: z.number().nullable(),
  findingCounts: FindingCounts,
  findings: z.array(Finding).readonly(),
  gate: z.object({ allowed: z.boolean(), summary: z.string(), conditions: z.array(GateCondition).readonly() }).nullable(),
  sandbox: z.object({ ran: z.boolean(), testsPassed: z.boolean().nullable(), regression: z.boolean().nullable() }).nullable(),
  decisions: z.array(AgentDecisionView).readonly(),
  /** Published comments only (drafts stay with their author). */
  comments: z.array(CommentView).readonly(),
  changeRequests: z.array(ChangeRequestView.omit({ token: true })).readonly(),
  /** The target-branch commit the proposal landed as, once applied. */
  appliedCommit: Oid.nullable(),
});
export type AgentProposalView = z.infer<typeof AgentProposalView>;

/** The target branch's policy as an agent needs it to check a change before proposing. */
export const AgentPolicyView = z.object({
  repositoryId: z.string(),
  targetBranch: z.string(),
  source: z.string(),
  valid: z.boolean(),
  digest: z.string().nullable(),
  text: z.string(),
  /** Approvals each risk level needs, in words. */
  requirements: z.record(z.string(), z.string()),
  sandboxRequired: z.array(z.string()).readonly(),
  sensitivePaths: z.array(z.string()).readonly(),
  /** This agent's limits. */
  limits: z.object({ proposalsPerHour: z.number().int(), maxFiles: z.number().int(), maxBytes: z.number().int(), usedThisHour: z.number().int() }),
});
export type AgentPolicyView = z.infer<typeof AgentPolicyView>;

const ProposalRef = { repositoryId: Id, proposalId: ProposalId };

/** The agent channels. */
export const agentChannels = {
  /** Registered agents. */
  'agent:list': channel({
    summary: 'List registered agents',
    input: z.object({}).strict(),
    output: z.array(AgentView).readonly(),
    access: ['lead'],
  }),
  /** Registers an agent for some repositories; the credential is shown once. */
  'agent:add': channel({
    summary: 'Register an agent and get its credential (shown once)',
    input: z.object({ name: AgentName, repositories: z.array(Id).min(1).max(100) }).strict(),
    output: z.object({
      agent: AgentView,
      credential: z.string(),
      /** The exact `claude mcp add …` line that connects Claude Code to this agent identity on this data directory. */
      claudeCommand: z.string(),
    }),
    access: ['lead'],
  }),
  /** Revokes an agent's credential at once. */
  'agent:revoke': channel({
    summary: "Revoke an agent's credential",
    input: z.object({ name: AgentName }).strict(),
    output: z.object({ revoked: z.literal(true) }),
    access: ['lead'],
  }),
  /** Proposes a change: a new proposal branch, analysed. */
  'agent:propose': channel({
    summary: 'Propose a change (unified diff or JSON change set)',
    input: z
      .object({
        repositoryId: Id,
        title: Title,
        description: Description.default(''),
        change: AgentChange,
        claims: AgentClaims.optional(),
        /** The proposal's branch name under the pattern; default from the title. */
        name: ProposalId.optional(),
      })
      .strict(),
    output: AgentSubmission,
    access: ['agent'],
  }),
  /** A new revision of one of the agent's proposals; decisions on the old revision become outdated. */
  'agent:revise': channel({
    summary: 'Revise one of your proposals (a new revision)',
    input: z
      .object({
        ...ProposalRef,
        /** The revision you are replacing; refused if the proposal moved since. */
        headOid: Oid,
        title: Title.optional(),
        description: Description.optional(),
        change: AgentChange,
        claims: AgentClaims.optional(),
      })
      .strict(),
    output: AgentSubmission,
    access: ['agent'],
  }),
  /** One of the agent's proposals: state, gate, findings, sandbox, decisions, comments. */
  'agent:get': channel({
    summary: 'One of your proposals with its state, gate, findings, decisions and comments',
    input: z.object(ProposalRef).strict(),
    output: AgentProposalView,
    access: ['agent'],
  }),
  /** The agent's proposals. */
  'agent:mine': channel({
    summary: 'Your proposals',
    input: z.object({ repositoryId: Id.optional() }).strict(),
    output: z.array(z.object({ repositoryId: z.string(), proposalId: z.string(), title: z.string(), revision: z.number().int(), withdrawn: z.boolean() })).readonly(),
    access: ['agent'],
  }),
  /** Withdraws one of the agent's proposals (its branch is deleted; the record stays). */
  'agent:withdraw': channel({
    summary: 'Withdraw one of your proposals',
    input: z.object({ ...ProposalRef, reason: z.string().max(2000).default('') }).strict(),
    output: z.object({ withdrawn: z.literal(true) }),
    access: ['agent'],
  }),
  /** The target branch's policy and this agent's limits. */
  'agent:policy': channel({
    summary: "The target branch's policy and your limits",
    input: z.object({ repositoryId: Id }).strict(),
    output: AgentPolicyView,
    access: ['agent'],
  }),
} as const;

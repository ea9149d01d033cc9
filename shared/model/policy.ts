/**
 * The Gatehouse policy: what a revision needs before it may be applied, as one zod schema.
 *
 * The policy file (`.gatehouse/policy.yaml`) is parsed in main by electron/services/policy, but the
 * schema lives here so the renderer can show the same validation, and so the published JSON Schema
 * (shared/model/policy.schema.json) comes from the same definition. Pure: no Node, DOM or Electron.
 *
 * Deny by default: there is no "empty policy" that allows anything. The keys that decide who may
 * approve what (`version`, `approvals` for every risk level, `sandboxRequired`, `sensitivePaths`,
 * `sandbox.image`, `sandbox.testCommand`) are mandatory; the rest have documented, conservative defaults.
 *
 * Regenerate the JSON Schema after changing this file:
 * `node --import tsx -e "process.stdout.write(require('./shared/model/policy.ts').policyJsonSchemaText())" > shared/model/policy.schema.json`
 */
import { z } from 'zod';
import { RiskLevel } from './domain';
import { SandboxLimits } from './sandbox';

/** The policy file format version this build reads. */
export const POLICY_VERSION = 1;

/** Roles whose signature can count towards an approval; an auditor only reads. */
export const ApproverRole = z.enum(['reviewer', 'lead']);
export type ApproverRole = z.infer<typeof ApproverRole>;

/** How many approvals one risk level needs, and from whom. */
export const ApprovalRequirement = z
  .object({
    /** Distinct operators who must approve (the two-person rule is `count: 2`). */
    count: z
      .number({ error: 'count must be a number' })
      .int('count must be a whole number')
      .min(1, 'count must be at least 1 (deny by default: no level applies without an approval)')
      .max(10, 'count must be at most 10')
      .describe('Distinct operators who must approve.'),
    /** The lowest role an approver may hold: `reviewer` (reviewers and leads count) or `lead` (only leads). */
    role: ApproverRole.describe('Lowest role an approver may hold: reviewer (reviewers and leads count) or lead.'),
    /** How many of the approvers must be leads; at most `count`. */
    leads: z
      .number({ error: 'leads must be a number' })
      .int('leads must be a whole number')
      .min(0, 'leads must be 0 or more')
      .max(10, 'leads must be at most 10')
      .default(0)
      .describe('How many of the approvers must be leads (at most count).'),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.leads > rule.count)
      ctx.addIssue({ code: 'custom', path: ['leads'], message: `leads (${rule.leads}) cannot exceed count (${rule.count})` });
  });
export type ApprovalRequirement = z.infer<typeof ApprovalRequirement>;

/** The approvals required at each risk level; every level must be present. */
export const ApprovalsByRisk = z
  .object({
    MINIMAL: ApprovalRequirement,
    LOW: ApprovalRequirement,
    MEDIUM: ApprovalRequirement,
    HIGH: ApprovalRequirement,
    CRITICAL: ApprovalRequirement,
  })
  .strict();
export type ApprovalsByRisk = z.infer<typeof ApprovalsByRisk>;

/** The sandbox section: which image runs the tests, how, and within which limits. */
export const PolicySandbox = z
  .object({
    /** Image reference the sandbox runs (`node:20-bookworm-slim`). */
    image: z
      .string({ error: 'image must be a string' })
      .min(1, 'image must not be empty')
      .max(255, 'image must be at most 255 characters')
      .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, 'image must be a plain image reference (lowercase name[:tag][@digest])')
      .describe('Image reference the sandbox runs.'),
    /** Pin the image to this content digest; a pulled image with another digest is refused. */
    imageDigest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'imageDigest must be sha256: followed by 64 lowercase hex digits')
      .describe('Pin the image to this content digest.')
      .optional(),
    /** The test command as an argument vector (no shell), run in the repository root. */
    testCommand: z
      .array(z.string().min(1, 'an argument must not be empty').max(4096), { error: 'testCommand must be a list of arguments' })
      .min(1, 'testCommand must name a program')
      .max(64, 'testCommand may have at most 64 arguments')
      .describe('Test command as an argument vector (no shell).'),
    /** Optional benchmark command; its duration is compared base against head. */
    benchmarkCommand: z
      .array(z.string().min(1, 'an argument must not be empty').max(4096))
      .min(1, 'benchmarkCommand must name a program')
      .max(64, 'benchmarkCommand may have at most 64 arguments')
      .describe('Benchmark command as an argument vector; its duration is compared base against head.')
      .optional(),
    /**
     * Minimum effect size: the median slowdown head vs base (as a fraction) below which nothing counts as
     * a regression. A slowdown above it is a regression only when it is also significant (see below).
     */
    regressionThreshold: z
      .number({ error: 'regressionThreshold must be a number' })
      .gt(0, 'regressionThreshold must be above 0')
      .max(10, 'regressionThreshold must be at most 10 (1000 %)')
      .default(0.1)
      .describe('Minimum effect size: median slowdown head vs base, as a fraction, below which nothing is a regression.'),
    /** Benchmark pairs (base and head run alternately) per comparison. */
    benchmarkPairs: z
      .number({ error: 'benchmarkPairs must be a number' })
      .int('benchmarkPairs must be a whole number')
      .min(10, 'benchmarkPairs must be at least 10 (fewer cannot separate a regression from noise)')
      .max(100, 'benchmarkPairs must be at most 100')
      .default(10)
      .describe('Benchmark pairs (base and head alternately) per comparison.'),
    /** Most benchmark pairs while the verdict is open (a noisy machine needs more to see a real slowdown). */
    benchmarkMaxPairs: z
      .number({ error: 'benchmarkMaxPairs must be a number' })
      .int('benchmarkMaxPairs must be a whole number')
      .min(10, 'benchmarkMaxPairs must be at least 10')
      .max(200, 'benchmarkMaxPairs must be at most 200')
      .default(60)
      .describe('Most benchmark pairs while the verdict is open; never fewer than benchmarkPairs.'),
    /** Time budget in seconds for the benchmark pairs; fewer pairs than asked make the verdict say so. */
    benchmarkBudgetSeconds: z
      .number({ error: 'benchmarkBudgetSeconds must be a number' })
      .int('benchmarkBudgetSeconds must be a whole number')
      .min(10, 'benchmarkBudgetSeconds must be at least 10')
      .max(7200, 'benchmarkBudgetSeconds must be at most 7200')
      .default(600)
      .describe('Time budget in seconds for the benchmark pairs.'),
    /** A slowdown is a regression only when the one-sided rank test's p-value is below this. */
    regressionSignificance: z
      .number({ error: 'regressionSignificance must be a number' })
      .gt(0, 'regressionSignificance must be above 0')
      .max(0.1, 'regressionSignificance must be at most 0.1')
      .default(0.01)
      .describe('p-value below which the one-sided Wilcoxon signed-rank test counts a slowdown as significant.'),
    /** What an inconclusive benchmark (too noisy to decide) means: `pass` the gate, or `fail` it (and ask a lead after an apply). */
    onInconclusive: z
      .enum(['pass', 'fail'])
      .default('pass')
      .describe('What an inconclusive benchmark means for the gate: pass, or fail (after an apply: ask a lead, never roll back by itself).'),
    /** Sandboxed runs at once. */
    concurrency: z
      .number({ error: 'concurrency must be a number' })
      .int('concurrency must be a whole number')
      .min(1, 'concurrency must be at least 1')
      .max(16, 'concurrency must be at most 16')
      .default(2)
      .describe('Sandboxed runs at once.'),
    /** Container limits; shared/model/sandbox.ts refuses unlimited values, here and for every run. */
    limits: SandboxLimits.default(() => SandboxLimits.parse({})).describe('Container limits; unlimited values are refused.'),
  })
  .strict();
export type PolicySandbox = z.infer<typeof PolicySandbox>;

/** What happens when the post-apply check finds broken tests or a regression. */
export const OnRegression = z.enum(['rollback', 'ask']);
export type OnRegression = z.infer<typeof OnRegression>;

/** Limits on what one agent may propose through the MCP server. */
const AgentLimitFields = {
  /** Proposals and revisions one agent may submit per rolling hour. */
  proposalsPerHour: z
    .number({ error: 'proposalsPerHour must be a number' })
    .int('proposalsPerHour must be a whole number')
    .min(1, 'proposalsPerHour must be at least 1')
    .max(10_000, 'proposalsPerHour must be at most 10000')
    .describe('Proposals and revisions one agent may submit per rolling hour.'),
  /** Files one proposal or revision may change. */
  maxFiles: z
    .number({ error: 'maxFiles must be a number' })
    .int('maxFiles must be a whole number')
    .min(1, 'maxFiles must be at least 1')
    .max(1000, 'maxFiles must be at most 1000')
    .describe('Files one proposal or revision may change.'),
  /** Bytes of change (diff or change-set text) one proposal or revision may carry. */
  maxBytes: z
    .number({ error: 'maxBytes must be a number' })
    .int('maxBytes must be a whole number')
    .min(1, 'maxBytes must be at least 1')
    .max(50 * 1024 * 1024, 'maxBytes must be at most 52428800 (50 MiB)')
    .describe('Bytes of change one proposal or revision may carry.'),
};

/** Per-agent rate and size limits: defaults for every agent, and overrides by agent name. */
export const AgentLimits = z
  .object({
    proposalsPerHour: AgentLimitFields.proposalsPerHour.default(30),
    maxFiles: AgentLimitFields.maxFiles.default(50),
    maxBytes: AgentLimitFields.maxBytes.default(1024 * 1024),
    /** Overrides for named agents (`ci-bot: { proposalsPerHour: 100 }`). */
    byAgent: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'an agent name'),
        z.object({ proposalsPerHour: AgentLimitFields.proposalsPerHour.optional(), maxFiles: AgentLimitFields.maxFiles.optional(), maxBytes: AgentLimitFields.maxBytes.optional() }).strict(),
      )
      .default({})
      .describe('Overrides for named agents.'),
  })
  .strict();
export type AgentLimits = z.infer<typeof AgentLimits>;

/** How many checkpoints a repository keeps: the newest `keepLast`, and every one newer than `keepDays`. */
export const CheckpointRetention = z
  .object({
    /** Keep the newest N checkpoints. */
    keepLast: z
      .number({ error: 'keepLast must be a number' })
      .int('keepLast must be a whole number')
      .min(1, 'keepLast must be at least 1')
      .max(10_000, 'keepLast must be at most 10000')
      .default(20)
      .describe('Keep the newest N checkpoints.'),
    /** Keep every checkpoint newer than this many days (0: age keeps none). */
    keepDays: z
      .number({ error: 'keepDays must be a number' })
      .int('keepDays must be a whole number')
      .min(0, 'keepDays must be at least 0')
      .max(3650, 'keepDays must be at most 3650')
      .default(14)
      .describe('Keep every checkpoint newer than this many days (0: age keeps none).'),
    /** Prune after every apply and rollback (the last apply's checkpoint and the current state are never pruned). */
    pruneAutomatically: z.boolean().default(true).describe('Prune after every apply and rollback.'),
  })
  .strict();
export type CheckpointRetention = z.infer<typeof CheckpointRetention>;

/** A glob or import name: one line, bounded. */
const PatternString = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .regex(/^[^\n\r\0]*$/, 'must be one line');

/** The whole policy file. */
export const Policy = z
  .object({
    /** Format version; must be 1. */
    version: z.literal(POLICY_VERSION, { error: `version must be ${POLICY_VERSION}` }).describe('Policy format version.'),
    /** Approvals required per risk level. */
    approvals: ApprovalsByRisk.describe('Approvals required per risk level; every level must be present.'),
    /** Risk levels at which a passing sandbox run on the head is required before apply. */
    sandboxRequired: z
      .array(RiskLevel, { error: 'sandboxRequired must be a list of risk levels' })
      .max(5)
      .refine((levels) => new Set(levels).size === levels.length, 'sandboxRequired lists a level twice')
      .describe('Risk levels at which a passing sandbox run on the head is required.'),
    /** Path globs whose change raises the risk (`.github/**`, `**\/auth/**`). May be empty, never absent. */
    sensitivePaths: z
      .array(PatternString, { error: 'sensitivePaths must be a list of globs' })
      .max(1000)
      .describe('Path globs whose change raises the risk; may be empty, never absent.'),
    /** Imports the analyser flags wherever a revision adds them (`child_process`, `pickle`). */
    deniedImports: z.array(PatternString).max(1000).default([]).describe('Imports the analyser flags wherever a revision adds them.'),
    /** The sandbox that runs tests and benchmarks. */
    sandbox: PolicySandbox.describe('The sandbox that runs tests and benchmarks.'),
    /** Approval token lifetime in hours (`exp - iat`); at most a week. */
    approvalLifetimeHours: z
      .number({ error: 'approvalLifetimeHours must be a number' })
      .int('approvalLifetimeHours must be a whole number')
      .min(1, 'approvalLifetimeHours must be at least 1')
      .max(168, 'approvalLifetimeHours must be at most 168 (one week)')
      .default(24)
      .describe('Approval token lifetime in hours.'),
    /** Applies allowed per repository per rolling hour. */
    appliesPerHour: z
      .number({ error: 'appliesPerHour must be a number' })
      .int('appliesPerHour must be a whole number')
      .min(1, 'appliesPerHour must be at least 1')
      .max(60, 'appliesPerHour must be at most 60')
      .default(1)
      .describe('Applies allowed per repository per rolling hour.'),
    /** Minutes without activity after which an unlocked operator session locks. */
    idleLockMinutes: z
      .number({ error: 'idleLockMinutes must be a number' })
      .int('idleLockMinutes must be a whole number')
      .min(1, 'idleLockMinutes must be at least 1')
      .max(240, 'idleLockMinutes must be at most 240')
      .default(15)
      .describe('Minutes without activity after which an operator session locks.'),
    /** After an apply breaks tests or regresses the benchmark: roll back by itself, or ask a lead. */
    onRegression: OnRegression.default('rollback').describe('After an apply breaks tests or regresses: rollback or ask.'),
    /** What agents may propose through the MCP server: rate and size, per agent. */
    agents: AgentLimits.default(() => AgentLimits.parse({})).describe('Per-agent rate and size limits for proposals through the MCP server.'),
    /** Which checkpoints are kept; the rest are pruned (never the last apply's, never the current state). */
    checkpoints: CheckpointRetention.default(() => CheckpointRetention.parse({})).describe('Which checkpoints are kept; the rest are pruned.'),
  })
  .strict();

/** Makes every nested field and array of a type read-only. */
export type DeepReadonly<T> = T extends ReadonlyArray<infer E>
  ? ReadonlyArray<DeepReadonly<E>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A validated policy, with every default filled in. */
export type Policy = DeepReadonly<z.infer<typeof Policy>>;
/** A policy as written in the file (defaults may be left out). */
export type PolicyInput = z.input<typeof Policy>;

/** One policy problem: which key, where, and what is wrong. */
export interface PolicyProblem {
  /** Dotted key path (`approvals.HIGH.count`, `sandbox.limits.memoryMb`); empty for the whole document. */
  readonly path: string;
  /** 1-based line in the file, or null when there is no file (missing policy). */
  readonly line: number | null;
  /** 1-based column, or null. */
  readonly column: number | null;
  readonly message: string;
}

/** The policy's JSON Schema (draft 2020-12), for editors and the published shared/model/policy.schema.json. */
export function policyJsonSchema(): Record<string, unknown> {
  // io: 'input' — the schema describes what an author may write, so keys with defaults are optional.
  const { $schema, ...generated } = z.toJSONSchema(Policy, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema,
    $id: 'urn:gatehouse:schema:policy:v1',
    title: 'Gatehouse policy',
    description: 'The .gatehouse/policy.yaml file: approvals per risk level, sandbox requirements and limits, rate limits.',
    ...generated,
  };
}

/** {@link policyJsonSchema} as the exact text committed in shared/model/policy.schema.json. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

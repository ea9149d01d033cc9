/** Channels for the audit browser and policy. */
import { z } from 'zod';
import { channel } from '../define';

/** One audit event. */
export const AuditEventView = z.object({
  seq: z.number().int(),
  ts: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  subject: z.string(),
  payload: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;

/** Filters of the audit browser. All optional; `text` is a full-text query over payloads. */
export const AuditQuery = z
  .object({
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    actor: z.string().max(200).optional(),
    role: z.string().max(50).optional(),
    action: z.string().max(100).optional(),
    subject: z.string().max(500).optional(),
    text: z.string().max(500).optional(),
    /** Keyset paging: events with seq below (older than) this. */
    beforeSeq: z.number().int().positive().optional(),
    /** Keyset paging: events with seq above (newer than) this. */
    afterSeq: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;

/** What a chain verification found. */
export const VerifyReportView = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBadSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
  headsChecked: z.number().int(),
  durationMs: z.number(),
  /** The highest seq a verified signed head covers. */
  lastAttestedSeq: z.number().int().optional(),
  /** The auditor's heads copy checked too (GATEHOUSE_AUDITOR_HEADS), or null when none is configured. */
  auditorHeadsFile: z.string().nullable().optional(),
});
export type VerifyReportView = z.infer<typeof VerifyReportView>;

/** One problem in a policy file. */
export const PolicyProblem = z.object({ path: z.string(), line: z.number().int().nullable(), message: z.string() });

/** The audit and policy channels. */
export const auditChannels = {
  /** A page of events, newest first, matching the filters. */
  'audit:search': channel({
    summary: 'Search the audit log',
    input: AuditQuery,
    output: z.object({
      events: z.array(AuditEventView).readonly(),
      /** Matches in total (for the virtual list's height). */
      total: z.number().int(),
      hasOlder: z.boolean(),
      hasNewer: z.boolean(),
    }),
    access: 'session',
  }),
  /** Event counts per action. */
  'audit:counts': channel({
    summary: 'Event counts per action',
    input: z.object({}).strict(),
    output: z.array(z.object({ action: z.string(), count: z.number().int() })).readonly(),
    access: 'session',
  }),
  /** Verifies the whole chain and the signed heads; progress arrives as `audit:verifyProgress`. */
  'audit:verify': channel({
    summary: 'Verify the audit chain and signed heads',
    input: z.object({}).strict(),
    output: VerifyReportView,
    access: 'session',
  }),
  /** Cancels a running verification. */
  'audit:verifyCancel': channel({
    summary: 'Cancel a running verification',
    input: z.object({}).strict(),
    output: z.object({ cancelled: z.boolean() }),
    access: 'session',
  }),
  /** Exports the log as JSON Lines into the data directory's exports folder. */
  'audit:export': channel({
    summary: 'Export the audit log as JSON Lines',
    input: z.object({}).strict(),
    output: z.object({ file: z.string(), events: z.number().int() }),
    access: 'session',
  }),
  /** The policy in force for a repository (from its target branch, else the workspace) and its problems. */
  'policy:get': channel({
    summary: 'The policy in force and its validation',
    input: z.object({ repositoryId: z.string().min(1).max(200) }).strict(),
    output: z.object({
      source: z.string(),
      text: z.string().nullable(),
      valid: z.boolean(),
      problems: z.array(PolicyProblem).readonly(),
      digest: z.string().nullable(),
    }),
    access: 'session',
  }),
  /** Validates a policy text without saving it. */
  'policy:validate': channel({
    summary: 'Validate a policy text',
    input: z.object({ text: z.string().max(1024 * 1024) }).strict(),
    output: z.object({ valid: z.boolean(), problems: z.array(PolicyProblem).readonly() }),
    access: 'session',
  }),
} as const;

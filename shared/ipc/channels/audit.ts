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
    /** Part of the actor's name, any case (`ri` finds `Rita`). */
    actorContains: z.string().max(200).optional(),
    /** Part of the subject, any case (`quote-formula` finds `proposal:<repository id>/quote-formula`). */
    subjectContains: z.string().max(500).optional(),
    /** Part of the subject, actor or action (any case), or words of the payload: the console's one search box. */
    anywhere: z.string().max(500).optional(),
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

/** The filters of an export of the filtered view (the search's filters, without paging). */
export const AuditFilterInput = AuditQuery.omit({ beforeSeq: true, afterSeq: true, limit: true });
export type AuditFilterInput = z.infer<typeof AuditFilterInput>;

/** What an export wrote. */
export const AuditExportView = z.object({
  file: z.string(),
  events: z.number().int(),
  scope: z.enum(['whole', 'filtered']),
  format: z.enum(['jsonl', 'csv']),
  /** A whole-log JSON Lines export carries the chain and its signed heads: it verifies on its own. */
  chainVerifiable: z.boolean(),
});
export type AuditExportView = z.infer<typeof AuditExportView>;

/** What verifying an exported file found, in plain words. */
export const ExportVerifyView = z.object({
  file: z.string(),
  /** `chain`: a whole-log export, verified link by link and against its signed heads; `events`: a filtered view, each event checked. */
  kind: z.enum(['chain', 'events']),
  ok: z.boolean(),
  events: z.number().int(),
  /** Events whose hash recomputes from their own fields. */
  hashesIntact: z.number().int(),
  /** Events found with the same hash in this workstation's log (a filtered view). */
  matchedLocal: z.number().int().nullable(),
  headsChecked: z.number().int(),
  lastAttestedSeq: z.number().int(),
  firstBadSeq: z.number().int().nullable(),
  /** What was and was not attested, one sentence each. */
  statements: z.array(z.string()).readonly(),
});
export type ExportVerifyView = z.infer<typeof ExportVerifyView>;

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
  /** Exports the whole log or the filtered view, as JSON Lines or CSV, into a folder (default: the data directory's exports). */
  'audit:exportView': channel({
    summary: 'Export the whole audit log or the filtered view as JSON Lines or CSV',
    input: z
      .object({
        scope: z.enum(['whole', 'filtered']),
        format: z.enum(['jsonl', 'csv']),
        filter: AuditFilterInput.default({}),
        /** An existing folder (absolute path); a new file is created there, never overwriting one. */
        directory: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    output: AuditExportView,
    access: 'session',
  }),
  /** Opens an exported log (JSON Lines or CSV) and verifies it. */
  'audit:verifyExport': channel({
    summary: 'Open an exported audit log and verify it',
    input: z.object({ file: z.string().min(1).max(4096) }).strict(),
    output: ExportVerifyView,
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

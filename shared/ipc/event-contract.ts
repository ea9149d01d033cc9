/**
 * Main → renderer events of the IPC contract (re-exported by contract.ts): in a module of their own so
 * the event bus (electron/core/events.ts) does not build every channel's schemas to check a payload.
 */
import { z } from 'zod';
import { Role } from '../model/domain';
import { SandboxComparison, SandboxRunResult } from '../model/sandbox';
import { event } from './define';

/** Main → renderer events. */
export const events = {
  /** A chunk of live sandbox output. */
  'sandbox:output': event({
    summary: 'Live sandbox output',
    payload: z.object({
      runId: z.string(),
      side: z.enum(['base', 'head']),
      stream: z.enum(['stdout', 'stderr']),
      chunk: z.string(),
    }),
  }),
  /** A sandbox run (base against head) finished, failed or was cancelled. */
  'sandbox:finished': event({
    summary: 'A sandbox comparison finished',
    payload: z.object({
      runId: z.string(),
      repositoryId: z.string(),
      proposalId: z.string(),
      comparison: SandboxComparison.nullable(),
      /** Set when the run could not produce a comparison (no engine, cancelled, error). */
      failure: z.object({ code: z.string(), message: z.string(), run: SandboxRunResult.nullable() }).nullable(),
    }),
  }),
  /** Progress of a running audit verification. */
  'audit:verifyProgress': event({
    summary: 'Audit verification progress',
    payload: z.object({ checked: z.number().int(), total: z.number().int() }),
  }),
  /** The session changed (unlocked, locked, idle-locked). */
  'session:changed': event({
    summary: 'Session unlocked or locked',
    payload: z.object({ operator: z.string().nullable(), role: Role.nullable() }),
  }),
  /** Something about a repository changed (new proposal, apply, rollback, checkpoint). */
  'repo:changed': event({
    summary: 'A repository changed',
    payload: z.object({ repositoryId: z.string(), what: z.string() }),
  }),
  /**
   * An agent proposed, revised or withdrew a proposal (through the MCP server, possibly in another
   * process: main notices it in the audit log and emits this, so the queue updates without a reload).
   */
  'proposal:arrived': event({
    summary: 'An agent proposed, revised or withdrew a proposal',
    payload: z.object({
      repositoryId: z.string(),
      proposalId: z.string(),
      agent: z.string(),
      kind: z.enum(['proposed', 'revised', 'withdrawn']),
      revision: z.number().int(),
    }),
  }),
  /** A new audit event was appended. */
  'audit:appended': event({
    summary: 'An audit event was appended',
    payload: z.object({ seq: z.number().int(), action: z.string() }),
  }),
} as const;

/** An event name. */
export type EventName = keyof typeof events;
/** An event's payload. */
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]['payload']>;
/** Every event name, for the preload's allowlist. */
export const eventNames = Object.keys(events) as ReadonlyArray<EventName>;


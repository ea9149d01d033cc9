/**
 * The one IPC contract between the renderer and the main process.
 *
 * Channel → zod input and output schemas → inferred types. The preload builds `window.gatehouse` from
 * the channel names here; main validates every call against these schemas in one handler wrapper
 * (electron/ipc); the Chromium bridge installs the same API over the same handler table.
 */
import { z } from 'zod';
import { Role } from '../model/domain';
import { SandboxComparison, SandboxRunResult } from '../model/sandbox';
import type { Result } from '../model/result';
import { appChannels } from './channels/app';
import { auditChannels } from './channels/audit';
import { checkpointChannels } from './channels/checkpoints';
import { commentChannels } from './channels/comments';
import { reviewChannels } from './channels/review';
import { sessionChannels } from './channels/session';
import { event } from './define';

/** Every request/response channel. */
export const channels = {
  ...appChannels,
  ...sessionChannels,
  ...reviewChannels,
  ...checkpointChannels,
  ...auditChannels,
  ...commentChannels,
} as const;

/** A channel name. */
export type Channel = keyof typeof channels;
/** A channel's input as the caller writes it (before defaults). */
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>;
/** A channel's input after parsing (defaults applied). */
export type ChannelParsedInput<C extends Channel> = z.output<(typeof channels)[C]['input']>;
/** A channel's output. */
export type ChannelOutput<C extends Channel> = z.output<(typeof channels)[C]['output']>;

/** Every channel name, for the preload's allowlist. */
export const channelNames = Object.keys(channels) as ReadonlyArray<Channel>;

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

/** The API the renderer sees as `window.gatehouse`. */
export interface GatehouseApi {
  /** Calls a channel; never throws for a refused call, returns a failed Result instead. */
  invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<Result<ChannelOutput<C>>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The IPC channel names used on the wire by the preload (one for calls, one prefix for events). */
export const wire = {
  invoke: 'gatehouse:invoke',
  event: 'gatehouse:event',
} as const;

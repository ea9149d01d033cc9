/**
 * The one IPC contract between the renderer and the main process.
 *
 * Channel → zod input and output schemas → inferred types. The preload builds `window.gatehouse` from
 * the channel names here; main validates every call against these schemas in one handler wrapper
 * (electron/ipc); the Chromium bridge installs the same API over the same handler table.
 */
import { z } from 'zod';
import type { Result } from '../model/result';
import { agentChannels } from './channels/agents';
import { appChannels } from './channels/app';
import { auditChannels } from './channels/audit';
import { checkpointChannels } from './channels/checkpoints';
import { recordChannels } from './channels/records';
import { commentChannels } from './channels/comments';
import { reviewChannels } from './channels/review';
import { sessionChannels } from './channels/session';
import { workstationChannels } from './channels/workstation';

/** Every request/response channel. */
export const channels = {
  ...appChannels,
  ...sessionChannels,
  ...reviewChannels,
  ...checkpointChannels,
  ...auditChannels,
  ...recordChannels,
  ...workstationChannels,
  ...commentChannels,
  ...agentChannels,
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

export { eventNames, events, type EventName, type EventPayload } from './event-contract';
import type { EventName, EventPayload } from './event-contract';

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

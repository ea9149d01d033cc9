/**
 * Building blocks of the IPC contract: a channel is a name, an input schema, an output schema and the
 * roles allowed to call it. Both processes read the same definitions; main checks them at run time.
 */
import type { z } from 'zod';
import type { CallerRole } from '../model/domain';

/**
 * Who may call a channel.
 *
 * - `public`: no session needed (app info, unlocking, first-run setup).
 * - `session`: any unlocked operator.
 * - a list of roles: an unlocked operator in one of them.
 *
 * An agent (role `agent`) reaches only channels whose list names `agent`: never `public` or
 * `session` ones.
 */
export type Access = 'public' | 'session' | ReadonlyArray<CallerRole>;

/** One request/response channel. */
export interface ChannelDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** One line for the docs and `?` help. */
  readonly summary: string;
  readonly input: I;
  readonly output: O;
  readonly access: Access;
}

/** One main → renderer event. */
export interface EventDefinition<P extends z.ZodType = z.ZodType> {
  readonly summary: string;
  readonly payload: P;
}

/** Declares a channel, keeping its schema types. */
export function channel<I extends z.ZodType, O extends z.ZodType>(
  definition: ChannelDefinition<I, O>,
): ChannelDefinition<I, O> {
  return definition;
}

/** Declares an event, keeping its schema type. */
export function event<P extends z.ZodType>(definition: EventDefinition<P>): EventDefinition<P> {
  return definition;
}

/**
 * The one wrapper every IPC call goes through, in Electron and in the Chromium bridge alike: the checks
 * of dispatch-core.ts over the whole contract.
 *
 * In order: the sender must be our window's top frame on our origin (VS Code's validatedIpcMain);
 * the channel must be in the contract; the input must parse with the channel's schema (Mattermost's
 * ipcValidate); the unlocked operator's role must be allowed — roles come from the session held in
 * main, never from the renderer. The answer is always a Result, because Electron keeps only an
 * error's message across IPC (Signal's sql_channel); stack traces stay in main's log.
 */
import {
  channels,
  type Channel,
  type ChannelOutput,
  type ChannelParsedInput,
} from '../../shared/ipc/contract';
import { createChannelDispatcher, type CallContext, type CallerSession, type Dispatch, type DispatchLogger } from './dispatch-core';

export { describeAccess, toResultError } from './dispatch-core';
export type { CallContext, CallerSession, Dispatch, DispatchLogger, SenderInfo } from './dispatch-core';

/** The implementation of one channel. */
export type Handler<C extends Channel> = (
  input: ChannelParsedInput<C>,
  context: CallContext,
) => Promise<ChannelOutput<C>> | ChannelOutput<C>;

/** The implementation of every channel. */
export type HandlerTable = { readonly [C in Channel]: Handler<C> };

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  readonly handlers: HandlerTable;
  /** Origins our renderer is served from (`app://gatehouse`, the bridge's origin). */
  readonly allowedOrigins: ReadonlyArray<string>;
  /** The current session; called on every call so an idle lock takes effect at once. */
  readonly session: () => CallerSession | null;
  /** Called before every non-public call: an operator's activity postpones the idle lock. */
  readonly touch?: () => void;
  readonly logger: DispatchLogger;
}

/** Builds the dispatcher over a handler table (every contract channel). */
export function createDispatcher(options: DispatcherOptions): Dispatch {
  return createChannelDispatcher(channels, options);
}

/**
 * What the CLI's lean cores share (rollback-core.ts for `gatehouse rollback`, verify-core.ts for
 * `gatehouse verify`): a core over the same foundation as createCore that serves only a few channels,
 * with the contract's own definitions of them, so a command loads its use case and not the whole app.
 */
import type { ChannelDefinition } from '../../shared/ipc/define';
import type { Channel, ChannelOutput, ChannelParsedInput } from '../../shared/ipc/contract';
import type { CallerSession } from '../ipc/dispatch-core';
import { recoverInterruptedOperations, type CheckpointContext } from './checkpoints';
import { openCoreFoundation, type CoreFoundation, type FoundationConfig } from './core-foundation';
import type { DataLayout } from './data-dir';
import type { EventBus } from './events';
import type { Logger } from './logger';
import { callerSession, type OperatorDeps } from './operators';
import { createRepositoryHandles, type RepositoryHandles } from './repositories';

/** Some of the contract's channels, with the contract's own definitions. */
export type ChannelTable = { readonly [C in Channel]?: ChannelDefinition };

/** The handlers of a channel table: the same use cases as createCore's handler table. */
export type ChannelHandlers<T extends ChannelTable> = {
  readonly [C in keyof T]: C extends Channel ? (input: ChannelParsedInput<C>) => Promise<ChannelOutput<C>> : never;
};

/** A running core that serves only the channels of `T`. */
export interface ChannelCore<T extends ChannelTable> {
  readonly layout: DataLayout;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly operatorDeps: OperatorDeps;
  readonly handlers: ChannelHandlers<T>;
  /** The unlocked operator, or null; checked on every call. */
  callerSession(): CallerSession | null;
  /** Records operator activity (postpones the idle lock). */
  touch(): void;
  /** Nothing outlives a call. */
  idle(): Promise<void>;
  /** Stops the periodic sealing, runs `beforeClose`, then locks the session and closes the databases, as createCore's close does. */
  close(): Promise<void>;
}

/** The core over `foundation` serving `handlers`; `beforeClose` stops what the caller started. */
export function channelCore<T extends ChannelTable>(
  foundation: CoreFoundation,
  handlers: (operatorDeps: OperatorDeps) => ChannelHandlers<T>,
  beforeClose: () => Promise<void> = async () => undefined,
): ChannelCore<T> {
  const { layout, logger, events, audit, auditStore, operators, sessions, appDb } = foundation;
  const operatorDeps: OperatorDeps = { operators, sessions, protector: foundation.protector, audit, events };
  return {
    layout,
    logger,
    events,
    operatorDeps,
    handlers: handlers(operatorDeps),
    callerSession: () => callerSession(operatorDeps),
    touch: () => sessions.touch(),
    idle: async () => undefined,
    async close() {
      foundation.stopSealing();
      await beforeClose();
      sessions.lock();
      auditStore.close();
      appDb.close();
    },
  };
}

/**
 * Opens the foundation (without the app database's use-case migrations: a lean core reads none of their
 * tables, and the next full core migrates them) and the repository handles, then finishes or undoes what
 * a killed rollback or apply left half done, before anything else touches a repository (as createCore).
 */
export async function openRepositoryFoundation(
  config: FoundationConfig,
): Promise<{ readonly foundation: CoreFoundation; readonly context: CheckpointContext; readonly handles: RepositoryHandles }> {
  const foundation = await openCoreFoundation(config, () => undefined);
  const { layout, clock, logger, events, audit, auditStore, operators, registry } = foundation;
  const context: CheckpointContext = { layout, clock, logger, events, audit, auditStore, operators, registry };
  const handles = createRepositoryHandles(context);
  await recoverInterruptedOperations(context, handles);
  return { foundation, context, handles };
}

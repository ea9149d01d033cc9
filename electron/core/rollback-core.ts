/**
 * The core of one `gatehouse rollback`: the same foundation as createCore (core-foundation.ts: data
 * directory, app database, audit log, operators, sessions, registry), the same crash recovery at open,
 * and the same use cases behind the same two channels a rollback calls (`session:unlock` and
 * `checkpoint:rollback`, with the contract's own definitions: schema, lead-only access), without the rest
 * of the app: no analysis, sandbox, approvals, comments or agents, and no schema of any other channel.
 * The CLI's rollback command loads this instead of create-core.ts, so it starts in a fraction of the time.
 *
 * The app database's migrations of the use cases left out (core, comments, agents) are not run here:
 * a rollback reads none of their tables, and the next full core migrates them.
 */
import { checkpointChannels } from '../../shared/ipc/channels/checkpoints';
import { sessionChannels } from '../../shared/ipc/channels/session';
import type { ChannelOutput, ChannelParsedInput } from '../../shared/ipc/contract';
import type { CallerSession } from '../ipc/dispatch-core';
import { checkpointRollback, recoverInterruptedOperations, type CheckpointContext } from './checkpoints';
import { openCoreFoundation, type FoundationConfig } from './core-foundation';
import type { DataLayout } from './data-dir';
import type { EventBus } from './events';
import type { Logger } from './logger';
import { callerSession, unlockOperator, type OperatorDeps } from './operators';
import { createRepositoryHandles } from './repositories';

/** The channels a rollback calls, as the contract defines them. */
export const ROLLBACK_CHANNELS = {
  'session:unlock': sessionChannels['session:unlock'],
  'checkpoint:rollback': checkpointChannels['checkpoint:rollback'],
} as const;

/** A channel of {@link ROLLBACK_CHANNELS}. */
export type RollbackChannel = keyof typeof ROLLBACK_CHANNELS;

/** The handlers of {@link ROLLBACK_CHANNELS}: the same use cases as createCore's handler table. */
export type RollbackHandlers = {
  readonly [C in RollbackChannel]: (input: ChannelParsedInput<C>) => Promise<ChannelOutput<C>>;
};

/** A running rollback core. */
export interface RollbackCore {
  readonly layout: DataLayout;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly operatorDeps: OperatorDeps;
  readonly handlers: RollbackHandlers;
  /** The unlocked operator, or null; checked on every call. */
  callerSession(): CallerSession | null;
  /** Records operator activity (postpones the idle lock). */
  touch(): void;
  /** Nothing outlives a rollback's call. */
  idle(): Promise<void>;
  /** Locks the session and closes the databases, as createCore's close does. */
  close(): Promise<void>;
}

/** Opens a rollback core over a data directory. */
export async function openRollbackCore(config: FoundationConfig): Promise<RollbackCore> {
  const foundation = await openCoreFoundation(config, () => undefined);
  const { layout, clock, logger, events, auditStore, audit, operators, sessions, registry } = foundation;
  const context: CheckpointContext = { layout, clock, logger, events, audit, auditStore, operators, registry };
  const handles = createRepositoryHandles(context);
  // Finish or undo a rollback or apply a killed process left half done, before anything else touches a repository.
  await recoverInterruptedOperations(context, handles);
  const operatorDeps: OperatorDeps = { operators, sessions, protector: foundation.protector, audit, events };
  const operatorName = () => sessions.current()?.name ?? config.defaultActor ?? 'system';
  return {
    layout,
    logger,
    events,
    operatorDeps,
    handlers: {
      'session:unlock': (input) => unlockOperator(operatorDeps, input.name, input.passphrase),
      'checkpoint:rollback': (input) => checkpointRollback(context, handles, input.repositoryId, input.checkpointId, operatorName()),
    },
    callerSession: () => callerSession(operatorDeps),
    touch: () => sessions.touch(),
    idle: async () => undefined,
    async close() {
      foundation.stopSealing();
      sessions.lock();
      auditStore.close();
      foundation.appDb.close();
    },
  };
}

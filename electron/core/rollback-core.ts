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
import { checkpointRollback } from './checkpoints';
import { channelCore, openRepositoryFoundation, type ChannelCore } from './channel-core';
import type { FoundationConfig } from './core-foundation';
import { unlockOperator } from './operators';

/** The channels a rollback calls, as the contract defines them. */
export const ROLLBACK_CHANNELS = {
  'session:unlock': sessionChannels['session:unlock'],
  'checkpoint:rollback': checkpointChannels['checkpoint:rollback'],
} as const;

/** A running rollback core. */
export type RollbackCore = ChannelCore<typeof ROLLBACK_CHANNELS>;

/** Opens a rollback core over a data directory. */
export async function openRollbackCore(config: FoundationConfig): Promise<RollbackCore> {
  const { foundation, context, handles } = await openRepositoryFoundation(config);
  const { sessions } = foundation;
  const operatorName = () => sessions.current()?.name ?? config.defaultActor ?? 'system';
  return channelCore<typeof ROLLBACK_CHANNELS>(foundation, (operatorDeps) => ({
    'session:unlock': (input) => unlockOperator(operatorDeps, input.name, input.passphrase),
    'checkpoint:rollback': (input) => checkpointRollback(context, handles, input.repositoryId, input.checkpointId, operatorName()),
  }));
}

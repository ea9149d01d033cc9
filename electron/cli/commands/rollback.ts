/**
 * `gatehouse rollback`: a bundle of its own over the rollback core (electron/core/rollback-core.ts), so
 * a lead's rollback starts without loading the rest of the app.
 *
 * The checks are the console's: the call goes through the dispatcher's checks (dispatch-core.ts) over the
 * contract's own definitions of `session:unlock` and `checkpoint:rollback` (schema, lead-only access,
 * session), only to the channels access.ts declares for `rollback`, and `--as NAME` unlocks as every
 * command does (key agent or passphrase). The use case, its journal, undo checkpoint and audit events
 * are createCore's (electron/core/checkpoints.ts).
 */
import type { Command } from 'commander';
import { openRollbackCore, ROLLBACK_CHANNELS, type RollbackCore } from '../../core/rollback-core';
import { cliCoreConfig, createChannelClient, type CliClient } from '../cli-client';
import { emit } from '../io';

/** Opens the rollback core and a client for `command`; the caller closes the core. */
export async function openRollbackClient(command: Command): Promise<{ readonly core: RollbackCore; readonly client: CliClient }> {
  const core = await openRollbackCore(cliCoreConfig(command));
  return { core, client: createChannelClient(command, ROLLBACK_CHANNELS, core) };
}

/** Registers `rollback`. */
export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--to <id>', 'checkpoint id')
    .requiredOption('--as <name>', 'a lead')
    .option('--json', 'JSON output')
    .description('roll back to a checkpoint (an undo checkpoint is taken first)')
    .action(async (options: { repo: string; to: string; as: string; json?: boolean }, command: Command) => {
      const { core, client } = await openRollbackClient(command);
      try {
        await client.unlock(options.as);
        const result = await client.call('checkpoint:rollback', { repositoryId: options.repo, checkpointId: options.to, confirm: true });
        emit(options.json === true, result, () =>
          result.undoCheckpoint === null
            ? `nothing to roll back: the repository already is ${result.restored.id} (no undo checkpoint taken)`
            : `rolled back to ${result.restored.id} (${result.changedPaths} paths, ${result.durationMs} ms); undo with --to ${result.undoCheckpoint.id}`,
        );
      } finally {
        await core.close();
      }
    });
}

/**
 * `gatehouse sync` (sharing decisions with the remote): fetches the remote's record log, joins it with
 * this repository's, and pushes the result (never forced). It runs on the whole core, through the
 * dispatcher, as the operator named by `--as`.
 */
import type { Command } from 'commander';
import { emit } from '../io';
import { withDispatcher } from '../core-session';

/** Registers `gatehouse sync`. */
export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description("share decisions, revocations and applies with the repository's remote (fetch, join, push; never forced)")
    .requiredOption('--repo <id>', 'repository id')
    .option('--remote <name-or-url>', 'remote name or http(s) URL', 'origin')
    .requiredOption('--as <name>', 'the operator syncing')
    .option('--json', 'JSON output')
    .action(async (options: { repo: string; remote: string; as: string; json?: boolean }, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('repo:sync', { repositoryId: options.repo, remote: options.remote });
        emit(options.json === true, result, () => `${result.url}: ${result.received} record(s) received, ${result.ingested} registered, ${result.pushed ? 'pushed' : 'nothing to push'}`);
      });
    });
}

/**
 * `gatehouse verify` (the CI gate) and `gatehouse sync` (sharing decisions with the remote).
 *
 * verify: exit 0 only if REF's commit is the pinned root or was landed through Gatehouse from it, each
 * landing checked against the signed apply record, the approvals it used (valid when it landed, for this
 * repository, unrevoked, no rejection) and the policy and trust list of the state it landed on (see
 * electron/core/landing.ts). Exit 1 names the first failing condition and the commit it concerns.
 *
 * On a CI machine with only a clone: `gatehouse verify --dir . --repo ID --root COMMIT refs/heads/main`
 * after `git fetch origin 'refs/gatehouse/*:refs/gatehouse/*'`.
 */
import type { Command } from 'commander';
import { emit, EXIT_CHECK_FAILED } from '../io';
import { withDispatcher } from '../core-session';

/** Registers `gatehouse verify` and `gatehouse sync`. */
export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description('exit 0 only if REF landed through Gatehouse with valid approvals, from the pinned root (a CI gate)')
    .requiredOption('--repo <id>', 'repository id (the audience every approval must name)')
    .option('--dir <path>', 'verify a clone that is not registered here (CI)')
    .option('--root <commit>', 'the commit whose .gatehouse/ policy and trust you trust (default: pinned at registration)')
    .argument('<ref>', 'a full ref, a commit, or a short name that matches exactly one branch, tag or remote branch')
    .option('--json', 'JSON output')
    .action(async (ref: string, options: { repo: string; dir?: string; root?: string; json?: boolean }, command: Command) => {
      const json = options.json === true;
      await withDispatcher(command, async (client) => {
        const verdict = await client.call('repo:verify', {
          repositoryId: options.repo,
          ref,
          ...(options.root !== undefined ? { root: options.root } : {}),
          ...(options.dir !== undefined ? { dir: options.dir } : {}),
        });
        emit(json, verdict, () =>
          verdict.ok
            ? `${verdict.commit}: landed through Gatehouse from root ${verdict.root.slice(0, 12)}${verdict.landings.length === 0 ? ' (it is the root)' : `\n${verdict.landings.map((l) => `  ${l.commit.slice(0, 12)} ${l.proposal} (${l.risk}) applied by ${l.appliedBy} at ${l.appliedAt}, approved by ${l.approvals.join(', ')}`).join('\n')}`}`
            : `${verdict.commit}: NOT approved — ${verdict.failure?.condition ?? 'refused'} at ${verdict.failure?.commit ?? verdict.commit}: ${verdict.failure?.message ?? ''}`,
        );
        if (!verdict.ok) process.exitCode = EXIT_CHECK_FAILED;
      });
    });
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

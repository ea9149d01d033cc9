/**
 * `gatehouse verify` (the CI gate).
 *
 * verify: exit 0 only if REF's commit is the pinned root or was landed through Gatehouse from it, each
 * landing checked against the signed apply record, the approvals it used (valid when it landed, for this
 * repository, unrevoked, no rejection) and the policy and trust list of the state it landed on (see
 * electron/core/landing.ts). Exit 1 names the first failing condition and the commit it concerns.
 *
 * On a CI machine with only a clone: `gatehouse verify --dir . --repo ID --root COMMIT refs/heads/main`
 * after `git fetch origin 'refs/gatehouse/*:refs/gatehouse/*'`.
 *
 * The gate runs on the verify core (electron/core/verify-core.ts), through the same dispatcher checks as
 * every command, so this bundle holds neither the rest of the app nor any other channel's schema
 * (`gatehouse sync`, which needs the whole core, is commands/sync.ts).
 */
import type { Command } from 'commander';
import { emit, EXIT_CHECK_FAILED } from '../io';
import { openVerifyCore, VERIFY_CHANNELS, type VerifyCore } from '../../core/verify-core';
import { cliCoreConfig, createChannelClient, type CliClient } from '../cli-client';

/** Opens the verify core and a client for `command`; the caller closes the core. */
export async function openVerifyClient(command: Command): Promise<{ readonly core: VerifyCore; readonly client: CliClient }> {
  const core = await openVerifyCore(cliCoreConfig(command));
  return { core, client: createChannelClient(command, VERIFY_CHANNELS, core) };
}

/** Registers `gatehouse verify`. */
export function registerVerifyCommand(program: Command): void {
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
      const { core, client } = await openVerifyClient(command);
      try {
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
      } finally {
        await core.close();
      }
    });
}

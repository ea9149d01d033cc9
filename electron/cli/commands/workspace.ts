/**
 * The CLI face of the core: repositories, proposals, decisions, apply, checkpoints, sandbox runs and
 * operators (`rollback` is a module of its own: rollback.ts). Every command goes through the dispatcher,
 * over the same contract channels (and so
 * the same schema, session and role checks) as the desktop app; `--as NAME` unlocks an operator for the
 * command. Reading the queue needs an unlocked operator here just as in the console.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { ProposalDetail } from '../../../shared/ipc/channels/review';
import { Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { CliExit, emit, EXIT_CHECK_FAILED } from '../io';
import { collectAck, parseAcks, suggestAck } from '../acknowledgements';
import { readNewPassphrase, readPassphrase, withDispatcher } from '../core-session';

interface JsonOption {
  readonly json?: boolean;
}

function describeProposal(detail: ProposalDetail): string {
  const s = detail.summary;
  const lines = [
    `${s.proposalId}: ${s.title}`,
    `  author   ${s.author.name} <${s.author.email}> (${s.author.kind})`,
    `  revision base ${s.baseOid.slice(0, 10)}  head ${s.headOid.slice(0, 10)}  tree ${s.treeOid.slice(0, 10)}`,
    `  size     ${s.filesChanged} files, +${s.additions} -${s.deletions}`,
    `  risk     ${detail.assessment.risk} (safety score ${detail.assessment.safetyScore})`,
    ...detail.assessment.factors.map((f) => `           - ${f.label}${f.floor ? ` (at least ${f.floor})` : ''}`),
    `  findings ${detail.findings.length}`,
    ...detail.findings.map(
      (f) => `           ${f.severity.toUpperCase()} ${f.ruleId} ${f.path}:${f.startLine}${f.introduced ? ' (introduced)' : ''} — ${f.message}`,
    ),
    `  gate     ${detail.gate.allowed ? 'ready to apply' : 'not yet'}`,
    ...detail.gate.conditions.map((c) => `           [${c.met ? 'x' : ' '}] ${c.message}`),
    `  approvals`,
    ...detail.approvals.map((a) => `           ${a.decision} by ${a.operatorName} (${a.role}) — ${a.status}: ${a.reason}`),
  ];
  return lines.join('\n');
}

/** Registers repo, proposal, approve/reject/revoke/apply, checkpoint, sandbox and operator commands (rollback: rollback.ts). */
export function registerWorkspaceCommands(program: Command): void {
  program
    .command('demo')
    .option('--json', 'JSON output')
    .option('--as <name>', 'a lead who creates it once operators exist (passphrase from GATEHOUSE_PASSPHRASE or the prompt)')
    .description('create the demo workspace: a git repository with four proposals, demo operators and policy')
    .action(async (options: { as?: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const demo = await client.call('app:createDemo', {});
        emit(options.json === true, demo, () =>
          [`demo repository ${demo.repositoryId} at ${demo.path}`, ...demo.operators.map((o) => `  operator ${o.name} (${o.role}) passphrase: ${o.passphrase}`)].join('\n'),
        );
      });
    });

  const repo = program.command('repo').description('registered repositories');
  repo
    .command('add')
    .argument('<path>', 'a local git repository')
    .option('--branch <name>', 'target branch', 'main')
    .option('--pattern <refs>', 'proposal ref pattern', 'refs/heads/proposals/*')
    .option('--id <id>', "join a team: the repository id another desk's records use")
    .requiredOption('--as <name>', 'a lead who registers it')
    .option('--json', 'JSON output')
    .description('register a repository')
    .action(async (path: string, options: { branch: string; pattern: string; id?: string; as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const view = await client.call('repo:add', { path, targetBranch: options.branch, proposalPattern: options.pattern, ...(options.id ? { id: options.id } : {}) });
        emit(options.json === true, view, () => `${view.id}  ${view.path} (${view.targetBranch})`);
      });
    });
  repo
    .command('list')
    .option('--as <name>', 'the operator to unlock (reading needs one, as in the console)')
    .option('--json', 'JSON output')
    .description('list repositories')
    .action(async (options: { as?: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const list = await client.call('repo:list', {});
        emit(options.json === true, list, () => list.map((r) => `${r.id}  ${r.path} (${r.targetBranch})`).join('\n') || 'no repositories');
      });
    });
  repo
    .command('remove')
    .argument('<id>', 'repository id')
    .requiredOption('--as <name>', 'a lead')
    .option('--json', 'JSON output')
    .description('forget a repository (files untouched)')
    .action(async (id: string, options: { as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('repo:remove', { repositoryId: id });
        emit(options.json === true, result, () => `removed ${id}`);
      });
    });

  const proposal = program.command('proposal').description('proposals awaiting review');
  proposal
    .command('list')
    .option('--repo <id>', 'one repository')
    .option('--as <name>', 'the operator to unlock (reading needs one, as in the console)')
    .option('--json', 'JSON output')
    .description('the queue, with risk and what policy still needs')
    .action(async (options: { repo?: string; as?: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const rows = await client.call('proposal:list', options.repo ? { repositoryId: options.repo } : {});
        emit(options.json === true, rows, () =>
          rows.length === 0
            ? 'no open proposals'
            : rows
                .map((r) =>
                  r.refused
                    ? `${r.repositoryName}/${r.proposalId}  REFUSED  ${r.title}  — ${r.refused.reason}`
                    : `${r.repositoryName}/${r.proposalId}  ${r.risk ?? '?'}  ${r.safetyScore ?? '?'}  ${r.title}  — ${r.approvals.needs}`,
                )
                .join('\n'),
        );
      });
    });
  proposal
    .command('show')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .option('--as <name>', 'the operator to unlock (reading needs one, as in the console)')
    .option('--json', 'JSON output')
    .description('files, findings, assessment, gate and approvals of a proposal')
    .action(async (options: { repo: string; proposal: string; as?: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const detail = await client.call('proposal:show', { repositoryId: options.repo, proposalId: options.proposal });
        emit(options.json === true, detail, () => describeProposal(detail));
      });
    });
  proposal
    .command('import')
    .requiredOption('--repo <id>', 'repository id')
    .option('--changeset <file>', 'a JSON change set')
    .option('--diff <file>', 'a unified diff')
    .option('--name <name>', 'the proposal branch name')
    .requiredOption('--as <name>', 'a reviewer or lead')
    .option('--json', 'JSON output')
    .description('import a proposal from a JSON change set or a unified diff')
    .action(async (options: { repo: string; changeset?: string; diff?: string; name?: string; as: string } & JsonOption, command: Command) => {
      const file = options.changeset ?? options.diff;
      if (file === undefined || (options.changeset !== undefined && options.diff !== undefined)) {
        throw new GatehouseError(ErrorCode.InvalidInput, 'give exactly one of --changeset FILE or --diff FILE');
      }
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('proposal:import', {
          repositoryId: options.repo,
          format: options.changeset ? 'changeset' : 'diff',
          // The file's exact bytes: a patch to a Latin-1 file is not UTF-8 text.
          content: readFileSync(file).toString('base64'),
          encoding: 'base64',
          ...(options.name ? { name: options.name } : {}),
        });
        emit(options.json === true, result, () => `imported ${result.proposalId} at ${result.headOid}`);
      });
    });

  for (const decision of ['approve', 'reject'] as const) {
    const command = program
      .command(decision)
      .requiredOption('--repo <id>', 'repository id')
      .requiredOption('--proposal <name>', 'proposal name')
      .requiredOption('--as <name>', 'the operator who signs')
      .requiredOption('--reason <text>', 'why (required)')
      .option('--head <oid>', 'the head you reviewed (default: the current head, shown first)')
      .option('--json', 'JSON output');
    if (decision === 'approve') {
      command
        .option(
          '--ack <ref=kind>',
          'acknowledge a CRITICAL/HIGH finding (fingerprint or its first 8+ characters) as accepted-risk, false-positive or fixed-elsewhere, or a file you did not view (its path) as accepted-risk or reviewed-outside; repeatable, signed',
          collectAck,
        )
        .option('--all-files-reviewed-outside', 'acknowledge every changed file you have not marked viewed as reviewed-outside (signed)');
    }
    command
      .description(`sign ${decision === 'approve' ? 'an approval' : 'a rejection'} of the proposal's current revision`)
      .action(
        async (
          options: { repo: string; proposal: string; as: string; reason: string; head?: string; ack?: string[]; allFilesReviewedOutside?: boolean } & JsonOption,
          command: Command,
        ) => {
          await withDispatcher(command, async (client) => {
            await client.unlock(options.as);
            const detail = await client.call('proposal:show', { repositoryId: options.repo, proposalId: options.proposal });
            if (options.head && options.head !== detail.summary.headOid) {
              throw new GatehouseError(ErrorCode.Conflict, `the proposal moved: you reviewed ${options.head}, it is now ${detail.summary.headOid}`);
            }
            const revision = { repositoryId: options.repo, proposalId: options.proposal, headOid: detail.summary.headOid, treeOid: detail.summary.treeOid, reason: options.reason };
            if (decision === 'reject') {
              const view = await client.call('proposal:reject', revision);
              emit(options.json === true, view, () => `${view.decision} signed by ${view.operatorName} (${view.role}), expires ${view.expiresAt}\n${view.token}`);
              return;
            }
            const viewed = await client.call('review:viewed', { repositoryId: options.repo, proposalId: options.proposal });
            const { acknowledgements, missing } = parseAcks(
              options.ack ?? [],
              options.allFilesReviewedOutside === true,
              detail.findings,
              detail.files.map((file) => file.path),
              new Set(viewed.paths),
            );
            try {
              const view = await client.call('proposal:approve', { ...revision, acknowledgements: [...acknowledgements] });
              emit(options.json === true, view, () => `${view.decision} signed by ${view.operatorName} (${view.role}), expires ${view.expiresAt}\n${view.token}`);
            } catch (error) {
              // Main refused (it holds the rule); say what still needs an acknowledgement, as flags to add.
              if (!(error instanceof GatehouseError) || error.code !== ErrorCode.PolicyDenied || missing.length === 0) throw error;
              throw new CliExit(
                EXIT_CHECK_FAILED,
                `${error.message}\nstill needs an acknowledgement (add to the command):\n${missing.map((item) => `  ${suggestAck(item)}`).join('\n')}`,
                { ok: false, code: error.code, message: error.message, missing: missing.map((item) => ({ target: item.target, ref: item.ref, path: item.path, severity: item.finding?.severity ?? null, ruleId: item.finding?.ruleId ?? null })) },
              );
            }
          });
        },
      );
  }
  program
    .command('revoke')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .requiredOption('--jti <id>', 'the approval to revoke')
    .requiredOption('--as <name>', 'a lead')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'JSON output')
    .description('revoke an approval (leads; signed and audited)')
    .action(async (options: { repo: string; proposal: string; jti: string; as: string; reason: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('approval:revoke', { repositoryId: options.repo, proposalId: options.proposal, jti: options.jti, reason: options.reason });
        emit(options.json === true, result, () => `revoked ${options.jti}`);
      });
    });
  program
    .command('apply')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .requiredOption('--as <name>', 'a reviewer or lead')
    .option('--json', 'JSON output')
    .description('apply through the policy gate (checkpoint first; post-apply check after)')
    .action(async (options: { repo: string; proposal: string; as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        // The revision shown now is the one applied; the core checks the gate again (and refuses with
        // POLICY_DENIED, exit 1) under its own lock.
        const detail = await client.call('proposal:show', { repositoryId: options.repo, proposalId: options.proposal });
        const result = await client.call('proposal:apply', {
          repositoryId: options.repo,
          proposalId: options.proposal,
          headOid: detail.summary.headOid,
          treeOid: detail.summary.treeOid,
        });
        // Wait for the post-apply check so the command's exit reflects a finished apply.
        await client.idle();
        emit(options.json === true, { ok: true, ...result, postApply: 'done' }, () => `applied: ${result.newHead} (checkpoint ${result.checkpointId}); post-apply check recorded in the audit log`);
      });
    });

  const checkpoint = program.command('checkpoint').description('checkpoints: refs under refs/gatehouse/checkpoints/');
  checkpoint
    .command('list')
    .requiredOption('--repo <id>', 'repository id')
    .option('--as <name>', 'the operator to unlock (reading needs one, as in the console)')
    .option('--json', 'JSON output')
    .action(async (options: { repo: string; as?: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const list = await client.call('checkpoint:list', { repositoryId: options.repo });
        emit(options.json === true, list, () => list.map((c) => `${c.id}  ${c.createdAt}  ${c.operator}  ${c.reason}`).join('\n') || 'no checkpoints');
      });
    });
  checkpoint
    .command('create')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--as <name>', 'a reviewer or lead')
    .option('--json', 'JSON output')
    .action(async (options: { repo: string; reason: string; as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const view = await client.call('checkpoint:create', { repositoryId: options.repo, reason: options.reason });
        emit(options.json === true, view, () => `checkpoint ${view.id}`);
      });
    });
  checkpoint
    .command('prune')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--as <name>', 'a lead')
    .option('--dry-run', 'list what would be pruned, delete nothing')
    .option('--json', 'JSON output')
    .description("prune checkpoints by the policy's retention (checkpoints.keepLast, keepDays); never the last apply's or the current state")
    .action(async (options: { repo: string; as: string; dryRun?: boolean } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('checkpoint:prune', { repositoryId: options.repo, dryRun: options.dryRun === true });
        emit(options.json === true, result, () =>
          [
            `${result.dryRun ? 'would prune' : 'pruned'} ${result.pruned.length} checkpoint${result.pruned.length === 1 ? '' : 's'} (keep last ${result.retention.keepLast}, keep ${result.retention.keepDays} days); ${result.remaining} kept`,
            ...result.pruned.map((id) => `  ${id}`),
          ].join('\n'),
        );
      });
    });
  checkpoint
    .command('show')
    .argument('<id>', 'checkpoint id')
    .requiredOption('--repo <id>', 'repository id')
    .option('--as <name>', 'the operator to unlock (reading needs one, as in the console)')
    .option('--json', 'JSON output')
    .description('what a rollback to it would change')
    .action(async (id: string, options: { repo: string; as?: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const preview = await client.call('checkpoint:preview', { repositoryId: options.repo, checkpointId: id });
        emit(options.json === true, preview, () =>
          [`${preview.checkpoint.id}  ${preview.checkpoint.reason}`, ...preview.changes.map((c) => `  ${c.status} ${c.path}`)].join('\n'),
        );
      });
    });
  const sandbox = program.command('sandbox').description('sandboxed runs');
  sandbox
    .command('run')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .option('--base', 'run CMD on the merge base instead of the head')
    .requiredOption('--as <name>', 'a reviewer or lead')
    .option('--json', 'JSON output')
    .argument('[cmd...]', 'a command to run instead of the policy comparison (after --)')
    .description("run the policy's tests base against head, or CMD on one side; output streams live")
    .action(async (cmd: string[], options: { repo: string; proposal: string; base?: boolean; as: string } & JsonOption, command: Command) => {
      const json = options.json === true;
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        if (!json) {
          client.events.subscribe((name, payload) => {
            if (name === 'sandbox:output') {
              const p = payload as { side: string; stream: string; chunk: string };
              (p.stream === 'stderr' ? process.stderr : process.stdout).write(p.chunk);
            }
          });
        }
        if (cmd.length > 0) {
          // A one-off command: audited as sandbox.exec, never the policy's sandbox result.
          const result = await client.call('sandbox:exec', {
            repositoryId: options.repo,
            proposalId: options.proposal,
            side: options.base ? 'base' : 'head',
            command: cmd,
          });
          emit(json, result, () => `\n${result.status}: exit ${result.exitCode ?? '-'} in ${Math.round(result.durationMs)} ms${result.violations.length ? ` (${result.violations.join('; ')})` : ''}`);
          if (result.status !== 'completed' || result.exitCode !== 0) process.exitCode = EXIT_CHECK_FAILED;
          return;
        }
        const started = await client.call('sandbox:run', { repositoryId: options.repo, proposalId: options.proposal });
        await client.idle();
        const detail = await client.call('proposal:show', { repositoryId: options.repo, proposalId: options.proposal });
        const comparison = detail.sandbox;
        emit(json, { runId: started.runId, comparison }, () =>
          comparison === null
            ? 'no result (see the audit log)'
            : `\nbase: ${comparison.testsPassedBase ? 'pass' : 'fail'}  head: ${comparison.testsPassedHead ? 'pass' : 'fail'}${comparison.broken ? '  BROKEN' : ''}${comparison.fixed ? '  fixed' : ''}${comparison.benchmarkChange !== null ? `  benchmark ${(comparison.benchmarkChange * 100).toFixed(1)} %` : ''}${comparison.regression ? '  REGRESSION' : ''}`,
        );
        if (comparison === null || !comparison.testsPassedHead || comparison.regression) process.exitCode = EXIT_CHECK_FAILED;
      });
    });

  const operator = program.command('operator').description('operators and their keys');
  operator
    .command('create')
    .requiredOption('--name <name>', 'operator name')
    .requiredOption('--role <role>', 'reviewer | auditor | lead')
    .option('--email <email>', 'git author email (so nobody approves their own change)')
    .option('--as <name>', 'a lead (not needed for the first operator)')
    .option('--json', 'JSON output')
    .description("create an operator with a new Ed25519 key (the first operator's passphrase from GATEHOUSE_PASSPHRASE; a new operator's, when a lead creates it, from GATEHOUSE_NEW_PASSPHRASE or a prompt)")
    .action(async (options: { name: string; role: string; email?: string; as?: string } & JsonOption, command: Command) => {
      const role = Role.safeParse(options.role);
      if (!role.success) throw new GatehouseError(ErrorCode.InvalidInput, 'role must be reviewer, auditor or lead');
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        // The lead's own passphrase (GATEHOUSE_PASSPHRASE) must never become the new operator's: a second
        // identity sharing the first one's secret is one person passing the two-person rule twice.
        const passphrase = options.as ? await readNewPassphrase(`passphrase for the new operator ${options.name}: `) : await readPassphrase(`passphrase for ${options.name}: `);
        if (options.as && passphrase === process.env.GATEHOUSE_PASSPHRASE) {
          throw new GatehouseError(ErrorCode.InvalidInput, `the new operator needs a passphrase of their own, not ${options.as}'s`);
        }
        const view = await client.call('operator:create', { name: options.name, role: role.data, passphrase, ...(options.email ? { email: options.email } : {}) });
        emit(options.json === true, view, () => `${view.name} (${view.role}) ${view.keyId}`);
      });
    });
  operator
    .command('list')
    .option('--json', 'JSON output')
    .action(async (options: JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        const list = await client.call('operator:list', {});
        emit(options.json === true, list, () => list.map((o) => `${o.name}  ${o.role}  ${o.keyId}`).join('\n') || 'no operators');
      });
    });
  operator
    .command('export-public')
    .option('--json', 'JSON output (the trust list is JSON either way)')
    .description('print the trust list: every operator public key and role (commit it as .gatehouse/trust.json)')
    .action(async (_options: JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        process.stdout.write((await client.call('operator:exportTrust', {})).text);
      });
    });
}

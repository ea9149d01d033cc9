/**
 * The CLI face of the core: repositories, proposals, decisions, apply, checkpoints, rollback, sandbox
 * runs and operators. Every command goes through the same contract channels (and so the same schema
 * and role checks) as the desktop app; `--as NAME` unlocks an operator for the command.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { ProposalDetail } from '../../../shared/ipc/channels/review';
import { Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { getProposal, materialiseTree } from '../../services/git';
import { governanceOf, requireValidPolicy } from '../../core/repositories';
import { emit, EXIT_CHECK_FAILED } from '../io';
import { invoke, readPassphrase, unlockAs, withCore } from '../core-session';

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

/** Registers repo, proposal, approve/reject/revoke/apply, checkpoint, rollback, sandbox and operator commands. */
export function registerWorkspaceCommands(program: Command): void {
  program
    .command('demo')
    .option('--json', 'JSON output')
    .option('--as <name>', 'a lead who creates it once operators exist (passphrase from GATEHOUSE_PASSPHRASE or the prompt)')
    .description('create the demo workspace: a git repository with four proposals, demo operators and policy')
    .action(async (options: JsonOption & { as?: string }, command: Command) => {
      await withCore(command, async (core) => {
        if (options.as !== undefined) await unlockAs(core, options.as);
        const demo = await invoke(core, 'app:createDemo', {});
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
    .requiredOption('--as <name>', 'a lead who registers it')
    .option('--json', 'JSON output')
    .description('register a repository')
    .action(async (path: string, options: { branch: string; pattern: string; as: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const view = await invoke(core, 'repo:add', { path, targetBranch: options.branch, proposalPattern: options.pattern });
        emit(options.json === true, view, () => `${view.id}  ${view.path} (${view.targetBranch})`);
      });
    });
  repo
    .command('list')
    .option('--json', 'JSON output')
    .description('list repositories')
    .action(async (options: JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const list = core.context.registry.list();
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
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const result = await invoke(core, 'repo:remove', { repositoryId: id });
        emit(options.json === true, result, () => `removed ${id}`);
      });
    });

  const proposal = program.command('proposal').description('proposals awaiting review');
  proposal
    .command('list')
    .option('--repo <id>', 'one repository')
    .option('--json', 'JSON output')
    .description('the queue, with risk and what policy still needs')
    .action(async (options: { repo?: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const rows = await core.handlers['proposal:list'](options.repo ? { repositoryId: options.repo } : {}, { session: null });
        emit(options.json === true, rows, () =>
          rows.length === 0
            ? 'no open proposals'
            : rows.map((r) => `${r.repositoryName}/${r.proposalId}  ${r.risk ?? '?'}  ${r.safetyScore ?? '?'}  ${r.title}  — ${r.approvals.needs}`).join('\n'),
        );
      });
    });
  proposal
    .command('show')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .option('--json', 'JSON output')
    .description('files, findings, assessment, gate and approvals of a proposal')
    .action(async (options: { repo: string; proposal: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const detail = await core.handlers['proposal:show']({ repositoryId: options.repo, proposalId: options.proposal }, { session: null });
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
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const result = await invoke(core, 'proposal:import', {
          repositoryId: options.repo,
          format: options.changeset ? 'changeset' : 'diff',
          content: readFileSync(file, 'utf8'),
          ...(options.name ? { name: options.name } : {}),
        });
        emit(options.json === true, result, () => `imported ${result.proposalId} at ${result.headOid}`);
      });
    });

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .requiredOption('--repo <id>', 'repository id')
      .requiredOption('--proposal <name>', 'proposal name')
      .requiredOption('--as <name>', 'the operator who signs')
      .requiredOption('--reason <text>', 'why (required)')
      .option('--head <oid>', 'the head you reviewed (default: the current head, shown first)')
      .option('--json', 'JSON output')
      .description(`sign ${decision === 'approve' ? 'an approval' : 'a rejection'} of the proposal's current revision`)
      .action(async (options: { repo: string; proposal: string; as: string; reason: string; head?: string } & JsonOption, command: Command) => {
        await withCore(command, async (core) => {
          await unlockAs(core, options.as);
          const detail = await core.handlers['proposal:show']({ repositoryId: options.repo, proposalId: options.proposal }, { session: null });
          if (options.head && options.head !== detail.summary.headOid) {
            throw new GatehouseError(ErrorCode.Conflict, `the proposal moved: you reviewed ${options.head}, it is now ${detail.summary.headOid}`);
          }
          const view = await invoke(core, decision === 'approve' ? 'proposal:approve' : 'proposal:reject', {
            repositoryId: options.repo,
            proposalId: options.proposal,
            headOid: detail.summary.headOid,
            treeOid: detail.summary.treeOid,
            reason: options.reason,
          });
          emit(options.json === true, view, () => `${view.decision} signed by ${view.operatorName} (${view.role}), expires ${view.expiresAt}\n${view.token}`);
        });
      });
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
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const result = await invoke(core, 'approval:revoke', { repositoryId: options.repo, proposalId: options.proposal, jti: options.jti, reason: options.reason });
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
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const detail = await core.handlers['proposal:show']({ repositoryId: options.repo, proposalId: options.proposal }, { session: null });
        if (!detail.gate.allowed) {
          emit(options.json === true, { ok: false, gate: detail.gate }, () => `apply refused: ${detail.gate.summary}`);
          process.exitCode = EXIT_CHECK_FAILED;
          return;
        }
        const result = await invoke(core, 'proposal:apply', {
          repositoryId: options.repo,
          proposalId: options.proposal,
          headOid: detail.summary.headOid,
          treeOid: detail.summary.treeOid,
        });
        // Wait for the post-apply check so the command's exit reflects a finished apply.
        await core.idle();
        emit(options.json === true, { ok: true, ...result, postApply: 'done' }, () => `applied: ${result.newHead} (checkpoint ${result.checkpointId}); post-apply check recorded in the audit log`);
      });
    });

  const checkpoint = program.command('checkpoint').description('checkpoints: refs under refs/gatehouse/checkpoints/');
  checkpoint
    .command('list')
    .requiredOption('--repo <id>', 'repository id')
    .option('--json', 'JSON output')
    .action(async (options: { repo: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const list = await core.handlers['checkpoint:list']({ repositoryId: options.repo }, { session: null });
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
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const view = await invoke(core, 'checkpoint:create', { repositoryId: options.repo, reason: options.reason });
        emit(options.json === true, view, () => `checkpoint ${view.id}`);
      });
    });
  checkpoint
    .command('show')
    .argument('<id>', 'checkpoint id')
    .requiredOption('--repo <id>', 'repository id')
    .option('--json', 'JSON output')
    .description('what a rollback to it would change')
    .action(async (id: string, options: { repo: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const preview = await core.handlers['checkpoint:preview']({ repositoryId: options.repo, checkpointId: id }, { session: null });
        emit(options.json === true, preview, () =>
          [`${preview.checkpoint.id}  ${preview.checkpoint.reason}`, ...preview.changes.map((c) => `  ${c.status} ${c.path}`)].join('\n'),
        );
      });
    });
  program
    .command('rollback')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--to <id>', 'checkpoint id')
    .requiredOption('--as <name>', 'a lead')
    .option('--json', 'JSON output')
    .description('roll back to a checkpoint (an undo checkpoint is taken first)')
    .action(async (options: { repo: string; to: string; as: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const result = await invoke(core, 'checkpoint:rollback', { repositoryId: options.repo, checkpointId: options.to, confirm: true });
        emit(options.json === true, result, () => `rolled back to ${result.restored.id} (${result.changedPaths} paths, ${result.durationMs} ms); undo with --to ${result.undoCheckpoint.id}`);
      });
    });

  const sandbox = program.command('sandbox').description('sandboxed runs');
  sandbox
    .command('run')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .option('--base', 'run CMD on the merge base instead of the head')
    .option('--json', 'JSON output')
    .argument('[cmd...]', 'a command to run instead of the policy comparison (after --)')
    .description("run the policy's tests base against head, or CMD on one side; output streams live")
    .action(async (cmd: string[], options: { repo: string; proposal: string; base?: boolean } & JsonOption, command: Command) => {
      const json = options.json === true;
      await withCore(command, async (core) => {
        const ctx = core.context;
        if (cmd.length > 0) {
          const handle = await core.handles.get(options.repo);
          const found = await getProposal(handle.repo, options.proposal);
          const oid = options.base ? found.baseOid : found.headOid;
          if (oid === null) throw new GatehouseError(ErrorCode.Conflict, 'the proposal shares no history with the target branch');
          const policy = requireValidPolicy(await governanceOf(ctx, handle));
          const result = await ctx.sandbox.runTree({
            materialise: async (dir) => {
              await materialiseTree({ repo: handle.repo, oid, into: dir });
            },
            command: cmd,
            limits: policy.sandbox.limits,
            image: policy.sandbox.image,
            ...(policy.sandbox.imageDigest ? { imageDigest: policy.sandbox.imageDigest } : {}),
            side: options.base ? 'base' : 'head',
            ...(json ? {} : { onOutput: (stream: string, chunk: string) => (stream === 'stderr' ? process.stderr : process.stdout).write(chunk) }),
          });
          ctx.audit.record({
            action: 'sandbox.run',
            subject: `proposal:${options.repo}/${found.name}`,
            payload: { runId: result.runId, command: cmd, side: options.base ? 'base' : 'head', status: result.status, exitCode: result.exitCode, violations: [...result.violations] },
          });
          emit(json, result, () => `\n${result.status}: exit ${result.exitCode ?? '-'} in ${Math.round(result.durationMs)} ms${result.violations.length ? ` (${result.violations.join('; ')})` : ''}`);
          if (result.status !== 'completed' || result.exitCode !== 0) process.exitCode = EXIT_CHECK_FAILED;
          return;
        }
        if (!json) {
          core.events.subscribe((name, payload) => {
            if (name === 'sandbox:output') {
              const p = payload as { side: string; stream: string; chunk: string };
              (p.stream === 'stderr' ? process.stderr : process.stdout).write(p.chunk);
            }
          });
        }
        const started = await core.handlers['sandbox:run']({ repositoryId: options.repo, proposalId: options.proposal }, { session: null });
        await core.idle();
        const detail = await core.handlers['proposal:show']({ repositoryId: options.repo, proposalId: options.proposal }, { session: null });
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
    .description('create an operator with a new Ed25519 key (passphrase from GATEHOUSE_PASSPHRASE or a prompt)')
    .action(async (options: { name: string; role: string; email?: string; as?: string } & JsonOption, command: Command) => {
      const role = Role.safeParse(options.role);
      if (!role.success) throw new GatehouseError(ErrorCode.InvalidInput, 'role must be reviewer, auditor or lead');
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const passphrase = options.as ? await readPassphrase(`passphrase for the new operator ${options.name}: `) : await readPassphrase(`passphrase for ${options.name}: `);
        const view = await invoke(core, 'operator:create', { name: options.name, role: role.data, passphrase, ...(options.email ? { email: options.email } : {}) });
        emit(options.json === true, view, () => `${view.name} (${view.role}) ${view.keyId}`);
      });
    });
  operator
    .command('list')
    .option('--json', 'JSON output')
    .action(async (options: JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const list = core.context.operators.list();
        emit(options.json === true, list, () => list.map((o) => `${o.name}  ${o.role}  ${o.keyId}`).join('\n') || 'no operators');
      });
    });
  operator
    .command('export-public')
    .option('--json', 'JSON output (the trust list is JSON either way)')
    .description('print the trust list: every operator public key and role (commit it as .gatehouse/trust.json)')
    .action(async (_options: JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        process.stdout.write(`${JSON.stringify(core.context.operators.exportTrustList(), null, 2)}\n`);
      });
    });
}

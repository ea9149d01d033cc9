/**
 * `gatehouse policy check FILE`: validates a policy file; exit 1 with every problem listed.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { formatPolicyProblem, loadPolicy } from '../../services/policy/load';
import { emit, EXIT_CHECK_FAILED } from '../io';

/** Registers `gatehouse policy ...`. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('policy files: the gate a change must pass');
  policy
    .command('check')
    .description('validate a policy file (exit 1 with every problem listed)')
    .argument('<file>', 'policy YAML file, e.g. .gatehouse/policy.yaml')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const json = options.json === true;
      if (!existsSync(file)) throw new GatehouseError(ErrorCode.NotFound, `no such file: ${file}`);
      const result = loadPolicy({ file });
      emit(json, { ok: result.ok, file, digest: result.digest, problems: result.problems }, () =>
        result.ok
          ? `${file}: valid policy (${result.digest})`
          : `${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n${result.problems
              .map((p) => `  ${formatPolicyProblem(p)}`)
              .join('\n')}`,
      );
      if (!result.ok) process.exitCode = EXIT_CHECK_FAILED;
    });
}

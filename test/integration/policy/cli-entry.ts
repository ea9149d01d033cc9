/**
 * A minimal `gatehouse` for the CLI tests of the policy and approval commands: the real commander
 * program with only these commands registered, and the CLI's own error reporting.
 */
import { Command } from 'commander';
import { registerApprovalCommands } from '../../../electron/cli/commands/approval';
import { registerPolicyCommands } from '../../../electron/cli/commands/policy';
import { EXIT_USAGE, reportError } from '../../../electron/cli/io';

async function main(argv: ReadonlyArray<string>): Promise<void> {
  const program = new Command('gatehouse');
  program.exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerPolicyCommands(program);
  registerApprovalCommands(program);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // commander's own usage errors (missing argument, unknown option) carry its exitCode; map them to 2.
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('commander.')) {
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportError(error, json);
  }
}

void main(process.argv.slice(2));

/**
 * A `gatehouse` program with only the audit commands, wired like electron/cli/main.ts, so the CLI tests run
 * the real command module as a separate process without depending on the rest of the CLI.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from '../../../electron/cli/commands/audit';
import { EXIT_USAGE, reportError } from '../../../electron/cli/io';

async function main(argv: ReadonlyArray<string>): Promise<number> {
  const program = new Command('gatehouse')
    .option('--data-dir <dir>', 'data directory')
    .showHelpAfterError()
    .exitOverride();
  registerAuditCommands(program);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportError(error, argv.includes('--json'));
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});

/**
 * A stand-alone `gatehouse` with only the scan command, for CLI tests: spawned with
 * `node --import tsx test/integration/analysis/cli-entry.ts scan ...`. Mirrors electron/cli/main.ts:
 * commander errors are usage errors (exit 2), others go through reportError.
 */
import { Command, CommanderError } from 'commander';
import { registerScanCommands } from '../../../electron/cli/commands/scan';
import { EXIT_USAGE, reportError } from '../../../electron/cli/io';

async function main(argv: ReadonlyArray<string>): Promise<number> {
  const program = new Command('gatehouse').exitOverride();
  registerScanCommands(program);
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

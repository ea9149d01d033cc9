/**
 * The `gatehouse` command: the same core as the desktop app, for scripts and CI.
 *
 * Every command has `--json`; exit codes are 0 ok, 1 a check failed, 2 usage or input error.
 */
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json';
import { registerApprovalCommands } from './commands/approval';
import { registerAuditCommands } from './commands/audit';
import { registerCommentCommands } from './commands/comment';
import { registerPolicyCommands } from './commands/policy';
import { registerScanCommands } from './commands/scan';
import { registerVerifyCommands } from './commands/verify';
import { registerWorkspaceCommands } from './commands/workspace';
import { EXIT_USAGE, reportError } from './io';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: review, sign, sandbox and apply code changes proposed by AI agents')
    .version(packageJson.version)
    .option('--data-dir <dir>', 'data directory (default: GATEHOUSE_DATA_DIR or the per-user Gatehouse folder)')
    .showHelpAfterError()
    .exitOverride();
  registerWorkspaceCommands(program);
  registerScanCommands(program);
  registerAuditCommands(program);
  registerPolicyCommands(program);
  registerApprovalCommands(program);
  registerVerifyCommands(program);
  registerCommentCommands(program);
  return program;
}

async function main(argv: ReadonlyArray<string>): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(error, json);
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});

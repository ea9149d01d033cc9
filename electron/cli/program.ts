/**
 * The `gatehouse` command tree.
 *
 * Start-up is paid per command: only the module of the command being run is loaded (each is a bundle of
 * its own, required when its command runs), so `gatehouse audit append` never loads tree-sitter,
 * isomorphic-git or dockerode. `gatehouse --version` never gets here: main.ts answers it before commander.
 */
import { Command } from 'commander';
import { version } from '../../package.json';

type Register = (program: Command) => void;

/** The command modules, by the top-level command names each registers. */
const COMMAND_MODULES: ReadonlyArray<{ readonly names: ReadonlyArray<string>; readonly load: () => Promise<Register> }> = [
  {
    names: ['demo', 'repo', 'proposal', 'approve', 'reject', 'revoke', 'apply', 'checkpoint', 'sandbox', 'operator'],
    load: async () => (await import('./commands/workspace')).registerWorkspaceCommands,
  },
  // A lead's rollback loads the rollback core only (electron/core/rollback-core.ts), not the whole app.
  { names: ['rollback'], load: async () => (await import('./commands/rollback')).registerRollbackCommand },
  { names: ['scan'], load: async () => (await import('./commands/scan')).registerScanCommands },
  { names: ['audit'], load: async () => (await import('./commands/audit')).registerAuditCommands },
  { names: ['policy'], load: async () => (await import('./commands/policy')).registerPolicyCommands },
  { names: ['approval'], load: async () => (await import('./commands/approval')).registerApprovalCommands },
  // The CI gate loads the verify core only (electron/core/verify-core.ts), not the whole app.
  { names: ['verify'], load: async () => (await import('./commands/verify')).registerVerifyCommand },
  { names: ['sync'], load: async () => (await import('./commands/sync')).registerSyncCommand },
  { names: ['comment', 'request-changes'], load: async () => (await import('./commands/comment')).registerCommentCommands },
  { names: ['agent', 'mcp'], load: async () => (await import('./commands/agent')).registerAgentCommands },
  { names: ['key-agent'], load: async () => (await import('./commands/key-agent')).registerKeyAgentCommands },
];

/** The first command word in argv (after the node binary and script), skipping global options; null when none. */
function commandWord(argv: ReadonlyArray<string>): string | null {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--data-dir') i++;
    else if (arg === '--') return null;
    else if (!arg.startsWith('-')) return arg;
  }
  return null;
}

function modulesFor(argv: ReadonlyArray<string> | undefined): typeof COMMAND_MODULES {
  if (argv === undefined) return COMMAND_MODULES;
  const word = commandWord(argv);
  if (word === null) return argv.some((a) => a === '--help' || a === '-h') ? COMMAND_MODULES : [];
  const named = COMMAND_MODULES.filter((m) => m.names.includes(word));
  // `help`, or a typo: load everything so help lists all commands and commander can suggest a spelling.
  return named.length > 0 ? named : COMMAND_MODULES;
}

/**
 * Builds the program: with `argv`, only the commands it needs (none for `--version`); without, every
 * command (for help and for tests that walk the tree).
 */
export async function buildProgram(argv?: ReadonlyArray<string>): Promise<Command> {
  const program = new Command('gatehouse')
    .description('Gatehouse: review, sign, sandbox and apply code changes proposed by AI agents')
    .version(version)
    .option('--data-dir <dir>', 'data directory (default: GATEHOUSE_DATA_DIR or the per-user Gatehouse folder)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of await Promise.all(modulesFor(argv).map((m) => m.load()))) register(program);
  return program;
}

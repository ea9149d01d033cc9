/**
 * The `gatehouse` command: the same core as the desktop app, for scripts and CI.
 *
 * Every command has `--json`; exit codes are 0 ok, 1 a check failed, 2 usage or input error.
 *
 * `gatehouse --version` answers before anything else is loaded (commander included): the version is
 * inlined at build time, so it costs one small script over a bare Node start.
 */
import { version } from '../../package.json';

// io.ts's exit codes, inlined so this file loads nothing before it knows what to run.
const EXIT_USAGE = 2;

/** Whether argv asks only for the version (what commander's own `--version` handler would print). */
function asksOnlyVersion(argv: ReadonlyArray<string>): boolean {
  return argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V');
}

async function main(argv: ReadonlyArray<string>): Promise<number> {
  if (asksOnlyVersion(argv)) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const { CommanderError } = await import('commander');
  try {
    const { buildProgram } = await import('./program');
    const program = await buildProgram(argv);
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const { reportError } = await import('./io');
    return reportError(error, argv.includes('--json'));
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});

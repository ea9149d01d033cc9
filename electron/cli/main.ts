/**
 * The `gatehouse` command: the same core as the desktop app, for scripts and CI.
 *
 * Every command has `--json`; exit codes are 0 ok, 1 a check failed, 2 usage or input error.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program';

// io.ts's exit codes, inlined so `--version` loads nothing but commander.
const EXIT_USAGE = 2;

async function main(argv: ReadonlyArray<string>): Promise<number> {
  try {
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

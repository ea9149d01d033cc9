/**
 * The `gatehouse` command: the same core as the desktop app, for scripts and CI.
 *
 * Every command has `--json`; exit codes are 0 ok, 1 a check failed, 2 usage or input error.
 *
 * `gatehouse --version` answers before anything else is loaded (commander included): the version is
 * inlined at build time, so it costs one small script over a bare Node start.
 */
import { join } from 'node:path';
import { version } from '../../package.json';
import { config as zodConfig } from 'zod/v4/core';
import { takeDeferredExtraCaCerts } from '../services/records/deferred-ca-certs';
import type { CodeCache } from './code-cache';

// The launcher moved NODE_EXTRA_CA_CERTS aside so Node would not parse it at start: put it back for the
// processes this one starts, and keep it for the first TLS connection (deferred-ca-certs.ts).
takeDeferredExtraCaCerts();

// A command parses each schema a few times and exits: zod's JIT (a generated parser per object schema,
// compiled on its first parse) costs more than it saves here (20 ms of `gatehouse verify`'s policy parse).
// The setting lives in zod's global config, which every command bundle's copy of zod reads.
zodConfig({ jitless: true });

// io.ts's exit codes, inlined so this file loads nothing before it knows what to run.
const EXIT_USAGE = 2;

/** Whether argv asks only for the version (what commander's own `--version` handler would print). */
function asksOnlyVersion(argv: ReadonlyArray<string>): boolean {
  return argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V');
}

/** The global `--data-dir` in argv (either spelling), if given before `--`. */
function dataDirArgument(argv: ReadonlyArray<string>): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return undefined;
    if (arg === '--data-dir') return argv[i + 1];
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length);
  }
  return undefined;
}

/**
 * Compiles the command bundles through the V8 code cache in the data directory (see code-cache.ts), in
 * the built CLI only; `GATEHOUSE_CODE_CACHE=off` turns it off.
 */
async function startCodeCache(argv: ReadonlyArray<string>): Promise<CodeCache | null> {
  if (process.env.GATEHOUSE_CODE_CACHE === 'off' || !__filename.endsWith('.cjs')) return null;
  const [{ compileBundlesThrough, createCodeCache }, { resolveDataDir }] = await Promise.all([import('./code-cache'), import('../core/data-dir')]);
  const cache = createCodeCache({ dataDir: resolveDataDir(dataDirArgument(argv)) });
  compileBundlesThrough(join(__dirname, '..', 'cli-commands'), cache);
  return cache;
}

async function main(argv: ReadonlyArray<string>): Promise<number> {
  if (asksOnlyVersion(argv)) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const codeCache = await startCodeCache(argv);
  try {
    return await runCommand(argv);
  } finally {
    // After the command, so the cache holds the functions it compiled, not only the top level.
    codeCache?.flush();
  }
}

async function runCommand(argv: ReadonlyArray<string>): Promise<number> {
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

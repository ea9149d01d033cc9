/**
 * Running audit code in separate processes: fixtures and the CLI are bundled once with esbuild, exactly
 * as Gatehouse ships its Node code (CommonJS, better-sqlite3 left external), so each of the hundreds of
 * process starts in the crash loop costs tens of milliseconds instead of a TypeScript compile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Bundles a TypeScript entry into `outDir` and returns the .cjs path. */
export async function bundleScript(entry: string, outDir: string, name: string): Promise<string> {
  const outfile = join(outDir, `${name}.cjs`);
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    logLevel: 'silent',
  });
  return outfile;
}

/** Environment for bundled scripts: they find better-sqlite3 in the repository's node_modules. */
export function bundleEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') };
}

/** Starts a bundled script. */
export function startScript(script: string, args: ReadonlyArray<string>): ChildProcess {
  return spawn(process.execPath, [script, ...args], { env: bundleEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What a finished process did. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Waits for a process to end, collecting its output. */
export function finished(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a command (node with the given arguments) to completion. */
export function runNode(args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = bundleEnv()): Promise<RunResult> {
  return finished(spawn(process.execPath, [...args], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
}

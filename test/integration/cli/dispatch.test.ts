/**
 * Every `gatehouse` command goes through the dispatcher with the console's roles (issue 11, item 10).
 *
 * Walks commander's tree of the real program, checks each command is declared in electron/cli/access.ts,
 * then runs every dispatched command against a real data directory (the demo workspace) as nobody, as an
 * auditor and as a reviewer, and expects the dispatcher's refusal (LOCKED / FORBIDDEN_ROLE naming the
 * channel) wherever the console would refuse. Offline commands must not touch the data directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, type Channel } from '../../../shared/ipc/contract';
import type { Access } from '../../../shared/ipc/define';
import type { Role } from '../../../shared/model/domain';
import { CLI_ACCESS, commandPath } from '../../../electron/cli/access';
import { buildProgram } from '../../../electron/cli/program';
import { bundleEnv, REPO_ROOT } from '../audit/helpers';
import { checkEngine, skipWithoutEngine } from '../sandbox/engine';
import Dockerode from 'dockerode';
import { build } from 'esbuild';

let work: string;
let dataDir: string;
let cli: string;
let bundleDir: string;
let repositoryId: string;

const PASSPHRASES: Readonly<Record<string, string>> = { rita: 'rita-demo-passphrase', lee: 'lee-demo-passphrase', ava: 'ava-demo-passphrase' };

/** Adds options before a `--` (after which everything is the sandbox command). */
function withOptions(args: ReadonlyArray<string>, options: ReadonlyArray<string>): string[] {
  const end = args.indexOf('--');
  return end < 0 ? [...args, ...options] : [...args.slice(0, end), ...options, ...args.slice(end)];
}

function run(args: ReadonlyArray<string>, options: { as?: string; dataDir?: string } = {}) {
  const passphrase = options.as ? (PASSPHRASES[options.as] ?? '') : 'not-an-operator-passphrase';
  const result = spawnSync(
    process.execPath,
    [cli, '--data-dir', options.dataDir ?? dataDir, ...withOptions(args, [...(options.as ? ['--as', options.as] : []), '--json'])],
    { encoding: 'utf8', env: { ...bundleEnv(), GATEHOUSE_PASSPHRASE: passphrase, GATEHOUSE_NEW_PASSPHRASE: 'a-new-operator-passphrase' }, timeout: 120_000 },
  );
  let body: { code?: string; message?: string } = {};
  try {
    body = JSON.parse(result.stdout) as typeof body;
  } catch {
    body = {};
  }
  return { code: result.status, body, stdout: result.stdout, stderr: result.stderr };
}

// What an audit command may create in a data directory: the audit log, its WAL files, key and heads folders.
const AUDIT_FILES = new Set(['audit.sqlite', 'audit.sqlite-wal', 'audit.sqlite-shm', 'keys', 'audit-heads']);

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

/** Arguments that satisfy commander for a command: every required argument and option, with plausible values. */
function argsFor(command: Command): string[] {
  const args: string[] = [];
  // A name every positional argument accepts (agent names need two or more lower-case letters).
  for (const argument of command.registeredArguments) if (argument.required) args.push('some-name');
  const values: Record<string, string> = {
    '--repo': repositoryId,
    '--proposal': 'refactor-rounding',
    '--reason': 'checking the dispatcher',
    '--jti': 'x',
    '--to': 'x',
    '--name': 'mallory',
    '--role': 'lead',
    '--trust': join(work, 'none.json'),
    '--out': join(work, 'out.jsonl'),
    '--actor': 'ci',
    '--action': 'ci.check',
    '--subject': 's',
    '--path': 'pricing/api.py',
    '--line': '1',
    '--body': 'checking the dispatcher',
    '--agent': 'no-such-agent',
  };
  // import reads one of --changeset or --diff before it calls.
  if (commandPath(command) === 'proposal import') args.push('--diff', join(work, 'change.diff'));
  for (const option of command.options) {
    if (!option.mandatory || option.long === '--as') continue;
    const value = option.long ? values[option.long] : undefined;
    if (value === undefined) throw new Error(`no test value for ${commandPath(command)} ${option.long ?? option.short}`);
    args.push(option.long as string, value);
  }
  return args;
}

function allows(access: Access, role: Role | null): boolean {
  if (access === 'public') return true;
  if (role === null) return false;
  return access === 'session' || access.includes(role);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gh-cli-dispatch-'));
  dataDir = join(work, 'data');
  // Inside the repository, so the bundle's external packages (some loaded with import()) resolve from node_modules.
  bundleDir = mkdtempSync(join(REPO_ROOT, 'node_modules', '.gh-cli-test-'));
  cli = join(bundleDir, 'cli', 'gatehouse.cjs');
  mkdirSync(join(bundleDir, 'cli'));
  // Laid out like dist/: the CLI finds the analysis worker at ../workers/.
  for (const [entry, outfile] of [
    ['electron/cli/main.ts', cli],
    ['electron/services/analysis/worker.ts', join(bundleDir, 'workers', 'analysis-worker.cjs')],
  ] as const) {
    await build({
      entryPoints: [join(REPO_ROOT, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
  }
  writeFileSync(join(work, 'change.diff'), 'diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n');
  const demo = run(['demo']);
  expect(demo.code, demo.stderr + demo.stdout).toBe(0);
  repositoryId = (JSON.parse(demo.stdout) as { repositoryId: string }).repositoryId;
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

describe('every CLI command goes through the dispatcher', () => {
  it('declares every command of the program, and nothing else', async () => {
    const paths = leaves(await buildProgram()).map(commandPath).sort();
    expect(paths.length).toBeGreaterThan(20);
    expect(paths).toEqual(Object.keys(CLI_ACCESS).sort());
  });

  it('refuses each dispatched command where the console would: locked, or the wrong role', async () => {
    const program = await buildProgram();
    const checked: string[] = [];
    for (const command of leaves(program)) {
      const path = commandPath(command);
      const access = CLI_ACCESS[path];
      if (access?.kind !== 'dispatch') continue;
      const declared: ReadonlyArray<Channel> = access.channels;
      const base = [...path.split(' '), ...argsFor(command)];
      const asOption = command.options.find((o) => o.long === '--as');
      const callers: Array<{ name: string | undefined; role: Role | null }> = [];
      if (asOption !== undefined && !asOption.mandatory) callers.push({ name: undefined, role: null });
      if (asOption !== undefined) callers.push({ name: 'ava', role: 'auditor' }, { name: 'rita', role: 'reviewer' });
      for (const caller of callers) {
        // The channel the dispatcher must refuse: the first declared one this caller may not call.
        const refusing = declared.find((c) => !allows(channels[c].access, caller.role));
        if (refusing === undefined) continue;
        const variants = path === 'sandbox run' ? [base, [...base, '--', 'true']] : [base];
        for (const args of variants) {
          const result = run(args, { as: caller.name });
          const expected = caller.role === null ? 'LOCKED' : 'FORBIDDEN_ROLE';
          expect({ path, caller: caller.name ?? 'nobody', code: result.code, error: result.body.code }, result.stderr + result.stdout).toEqual({
            path,
            caller: caller.name ?? 'nobody',
            code: 2,
            error: expected,
          });
          // The dispatcher names the channel it refused: one this command declares.
          const named = declared.filter((c) => result.body.message?.startsWith(`${c} needs`));
          expect(named.length, `${path}: ${result.body.message ?? ''}`).toBe(1);
          checked.push(`${path} as ${caller.name ?? 'nobody'}`);
        }
      }
    }
    // Every dispatched command whose channels are not all public was refused at least once.
    for (const [path, access] of Object.entries(CLI_ACCESS)) {
      if (access.kind === 'dispatch' && access.channels.some((c) => channels[c].access !== 'public')) {
        expect(checked.some((c) => c.startsWith(`${path} as`)), path).toBe(true);
      }
    }
  }, 600_000);

  it('refuses first-run channels once operators exist unless a lead is unlocked', () => {
    const demo = run(['demo']);
    expect(demo.code).toBe(2);
    expect(demo.body.code).toBe('FORBIDDEN_ROLE');
    const create = run(['operator', 'create', '--name', 'mallory', '--role', 'lead']);
    expect(create.code).toBe(2);
    expect(create.body.code).toBe('LOCKED');
    const asReviewer = run(['operator', 'create', '--name', 'mallory', '--role', 'lead'], { as: 'rita' });
    expect(asReviewer.body.code).toBe('FORBIDDEN_ROLE');
  }, 120_000);

  it('records a one-off sandbox command as sandbox.exec, never as the result the gate reads', async () => {
    if (skipWithoutEngine(await checkEngine(new Dockerode()), 'one-off sandbox command')) return;
    const ran = run(['sandbox', 'run', '--repo', repositoryId, '--proposal', 'refactor-rounding', '--', 'true'], { as: 'rita' });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'completed', exitCode: 0 });
    const detail = run(['proposal', 'show', '--repo', repositoryId, '--proposal', 'refactor-rounding'], { as: 'rita' });
    const shown = JSON.parse(detail.stdout) as { sandbox: unknown; gate: { conditions: Array<{ id: string; met: boolean }> } };
    expect(shown.sandbox).toBeNull();
    const found = run(['audit', 'search', '--action', 'sandbox.*']);
    expect((JSON.parse(found.stdout) as { events: Array<{ action: string; actor: string }> }).events).toEqual([
      expect.objectContaining({ action: 'sandbox.exec', actor: 'rita' }),
    ]);
  }, 300_000);

  it('runs offline commands without opening the workspace (no operator, registry or app database)', async () => {
    const program = await buildProgram();
    for (const command of leaves(program)) {
      const path = commandPath(command);
      // verify is the CI gate and opens the registry to find the repository (being rewritten separately).
      if (CLI_ACCESS[path]?.kind !== 'offline' || path === 'verify') continue;
      const untouched = join(work, `never-${path.replace(/ /g, '-')}`);
      // Audit commands default to the data directory's audit.sqlite: the file, never the workspace core.
      const result = run([...path.split(' '), ...argsFor(command)], { dataDir: untouched });
      const made = existsSync(untouched) ? readdirSync(untouched).sort() : [];
      expect(made.filter((name) => !AUDIT_FILES.has(name)), `${path}: ${result.stdout}${result.stderr}`).toEqual([]);
    }
  }, 300_000);
});

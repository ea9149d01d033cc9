/**
 * A workstation for the trust tests: a real core over its own data directory, called through the same
 * dispatcher as the window, plus a real git repository with a policy and trust list on `main`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput, ChannelOutput } from '../../../shared/ipc/contract';
import type { Clock } from '../../../shared/model/clock';
import type { Finding } from '../../../shared/model/domain';
import { acknowledgeAll } from '../../support/acknowledge-all';
import { gitEnv } from '../../fixtures/git/repo';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Debian's `git http-backend` (package git), if installed. */
export const GIT_HTTP_BACKEND = ['/usr/lib/git-core/git-http-backend', '/usr/libexec/git-core/git-http-backend'].find((p) => spawnSync('test', ['-x', p]).status === 0);

/**
 * Starts the smart-HTTP remote (http-remote.mjs) over `projectRoot` in its own process (tests call native
 * git synchronously) and returns its port; with `tls` (key and certificate files) it serves https.
 */
export function serveGitRemote(projectRoot: string, tls?: { readonly key: string; readonly cert: string }): Promise<{ port: number; child: ChildProcess }> {
  if (GIT_HTTP_BACKEND === undefined) throw new Error('git http-backend is required (Debian package git)');
  const args = [join(__dirname, 'http-remote.mjs'), projectRoot, GIT_HTTP_BACKEND, ...(tls === undefined ? [] : [tls.key, tls.cert])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve({ port: Number.parseInt(chunk.toString('utf8'), 10), child }));
    child.once('exit', (code) => reject(new Error(`the ${tls === undefined ? 'HTTP' : 'HTTPS'} remote exited with ${String(code)}`)));
  });
}

/** The demo operators and their passphrases. */
export const PASS: Record<string, string> = { rita: 'rita-demo-passphrase', lee: 'lee-demo-passphrase', ava: 'ava-demo-passphrase', bea: 'bea-desk-b-passphrase' };

/** A policy that needs no sandbox and never rolls back by itself, so the tests are about trust only. */
export const TEST_POLICY = `version: 1
approvals:
  MINIMAL: { count: 1, role: reviewer }
  LOW: { count: 1, role: reviewer }
  MEDIUM: { count: 1, role: reviewer }
  HIGH: { count: 1, role: lead }
  CRITICAL: { count: 2, role: reviewer, leads: 1 }
sandboxRequired: []
sensitivePaths: [".gatehouse/**"]
deniedImports: []
sandbox:
  image: "gatehouse/sandbox:1"
  testCommand: ["true"]
  regressionThreshold: 0.5
  concurrency: 1
  limits: { memoryMb: 128, cpus: 1, pidsLimit: 64, timeoutSeconds: 30, outputBytes: 65536, tmpfsMb: 16, nofile: 256, fsizeMb: 16 }
approvalLifetimeHours: 24
appliesPerHour: 20
idleLockMinutes: 15
onRegression: ask
`;

/** One workstation: a data directory and its core. */
export interface Workstation {
  readonly dataDir: string;
  readonly core: Core;
  call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<{ ok: true; value: ChannelOutput<C> } | { ok: false; error: { code: string; message: string } }>;
  value<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  as(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens a workstation over a new (or given) data directory. */
export async function openWorkstation(options: { readonly dataDir?: string; readonly clock?: Clock } = {}): Promise<Workstation> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gh-trust-'));
  const core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet, ...(options.clock ? { clock: options.clock } : {}) });
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  const call = (<C extends Channel>(channel: C, input: ChannelInput<C>) =>
    dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input)) as Workstation['call'];
  const value = async <C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    const result = await call(channel, input);
    if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
    return result.value;
  };
  return {
    dataDir,
    core,
    call,
    value,
    async as(name) {
      await value('session:unlock', { name, passphrase: PASS[name] ?? name });
    },
    async close() {
      await core.idle();
      await core.close();
    },
  };
}

/** Runs native git in a directory (the attacker's and CI's tool). */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: gitEnv(dirname(dir)), encoding: 'utf8' }).trim();
}

/** Writes files under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A repository with the test policy and the workstation's operators in `.gatehouse/trust.json` on main. */
export function makeTrustedRepo(trustJson: string): { dir: string; cleanup(): void } {
  const home = mkdtempSync(join(tmpdir(), 'gh-trust-repo-'));
  const dir = join(home, 'repo');
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  writeFiles(dir, { 'app.py': 'def total(xs):\n    return sum(xs)\n', '.gatehouse/policy.yaml': TEST_POLICY, '.gatehouse/trust.json': trustJson });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'root');
  return { dir, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Creates `refs/heads/proposals/NAME` from main with the given files changed, as `author`. */
export function propose(dir: string, name: string, files: Record<string, string>, author = 'Dev <dev@example.com>'): string {
  const start = git(dir, 'rev-parse', 'main');
  git(dir, 'checkout', '-q', '-b', `proposals/${name}`, start);
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, '-c', `user.name=${author.split(' <')[0]}`, '-c', `user.email=${author.split('<')[1]?.replace('>', '') ?? 'dev@example.com'}`, 'commit', '-q', '-m', `change ${name}`);
  const head = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'checkout', '-q', 'main');
  return head;
}

/** Approves a proposal's current revision as `name`. */
export async function approve(ws: Workstation, repositoryId: string, proposalId: string, name: string, decision: 'approve' | 'reject' = 'approve'): Promise<string> {
  await ws.as(name);
  const detail = (await ws.value('proposal:show', { repositoryId, proposalId })) as { summary: { headOid: string; treeOid: string }; findings: ReadonlyArray<Finding>; files: ReadonlyArray<{ path: string }> };
  const view = (await ws.value(decision === 'approve' ? 'proposal:approve' : 'proposal:reject', {
    repositoryId,
    proposalId,
    headOid: detail.summary.headOid,
    treeOid: detail.summary.treeOid,
    reason: `${name} ${decision}s`,
    ...(decision === 'approve' ? { acknowledgements: acknowledgeAll(detail) } : {}),
  })) as { jti: string };
  return view.jti;
}

/** Applies a proposal's current revision as `name`; returns the new target head. */
export async function apply(ws: Workstation, repositoryId: string, proposalId: string, name: string): Promise<string> {
  await ws.as(name);
  const detail = (await ws.value('proposal:show', { repositoryId, proposalId })) as { summary: { headOid: string; treeOid: string } };
  const result = (await ws.value('proposal:apply', { repositoryId, proposalId, headOid: detail.summary.headOid, treeOid: detail.summary.treeOid })) as { newHead: string };
  await ws.core.idle();
  return result.newHead;
}

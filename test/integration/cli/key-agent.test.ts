/**
 * `gatehouse key-agent` end to end: the real CLI bundle, a real data directory (the demo workspace, real
 * SQLite files) and its real git repository. A rollback through the agent leaves the same audit record
 * as one with the passphrase (only the unlock says how), the log still verifies, and the agent's socket
 * is refused when its directory is opened to others, handled when stale, and gone after a stop.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleEnv, REPO_ROOT } from '../audit/helpers';

const LEAD = { name: 'lee', passphrase: 'lee-demo-passphrase' };

let work: string;
let dataDir: string;
let bundleDir: string;
let cli: string;
let repositoryId: string;
let repoPath: string;
let checkpointId: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: Record<string, unknown>;
}

function run(args: ReadonlyArray<string>, passphrase?: string): Run {
  const env: NodeJS.ProcessEnv = { ...bundleEnv() };
  delete env.GATEHOUSE_PASSPHRASE;
  delete env.GATEHOUSE_AGENT_SOCK;
  if (passphrase !== undefined) env.GATEHOUSE_PASSPHRASE = passphrase;
  const result = spawnSync(process.execPath, [cli, '--data-dir', dataDir, ...args, '--json'], { encoding: 'utf8', env, timeout: 120_000 });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

function git(...args: string[]): string {
  return spawnSync('git', args, { cwd: repoPath, encoding: 'utf8' }).stdout.trim();
}

/** A change to roll back: one file changed, one deleted, one untracked file added. */
function change(round: number): void {
  const tracked = git('ls-files').split('\n').filter((p) => p.endsWith('.py'));
  const [first, second] = tracked;
  if (first === undefined || second === undefined) throw new Error('the demo repository has too few files');
  writeFileSync(join(repoPath, first), `changed in round ${round}\n`);
  unlinkSync(join(repoPath, second));
  mkdirSync(join(repoPath, 'scratch'), { recursive: true });
  writeFileSync(join(repoPath, 'scratch', `new-${round}.txt`), 'untracked\n');
}

interface Event {
  readonly seq: number;
  readonly action: string;
  readonly actor: string;
  readonly role: string;
  readonly subject: string;
  readonly payload: Record<string, unknown>;
}

function eventsAfter(seq: number): Event[] {
  const found = run(['audit', 'search', '--limit', '200']);
  expect(found.code, found.stderr).toBe(0);
  return (found.json.events as Event[]).filter((e) => e.seq > seq).sort((a, b) => a.seq - b.seq);
}

function lastSeq(): number {
  return Math.max(0, ...eventsAfter(0).map((e) => e.seq));
}

/** What an audit event says, without what differs by nature from one run to the next (ids, times, pids). */
function shape(event: Event): unknown {
  const payload = { ...event.payload };
  for (const key of ['id', 'commit', 'undoCheckpoint', 'durationMs', 'agentPid', 'headOid']) delete payload[key];
  if (typeof payload.reason === 'string') payload.reason = payload.reason.replace(/\d{8}T\d{9}Z-[0-9a-f]{8}/g, 'CP');
  return { action: event.action, actor: event.actor, role: event.role, subject: event.subject, payload };
}

function socketPath(): string {
  return join(dataDir, 'key-agent', 'agent.sock');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gh-ka-cli-'));
  dataDir = join(work, 'data');
  bundleDir = mkdtempSync(join(REPO_ROOT, 'node_modules', '.gh-cli-ka-'));
  cli = join(bundleDir, 'cli', 'gatehouse.cjs');
  // Laid out like dist/: the CLI finds the analysis worker (an approval reads the findings) at ../workers/.
  for (const [entry, outfile] of [
    ['electron/cli/main.ts', cli],
    ['electron/services/analysis/worker.ts', join(bundleDir, 'workers', 'analysis-worker.cjs')],
  ] as const) {
    await build({ entryPoints: [join(REPO_ROOT, entry)], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', logLevel: 'silent' });
  }
  const demo = run(['demo']);
  expect(demo.code, demo.stderr + demo.stdout).toBe(0);
  repositoryId = demo.json.repositoryId as string;
  repoPath = demo.json.path as string;
  const created = run(['checkpoint', 'create', '--repo', repositoryId, '--reason', 'before the test', '--as', LEAD.name], LEAD.passphrase);
  expect(created.code, created.stderr + created.stdout).toBe(0);
  checkpointId = created.json.id as string;
}, 240_000);

afterEach(() => {
  // A failed test must not leave its agent running into the next one.
  if (existsSync(socketPath())) run(['key-agent', 'stop']);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

describe('gatehouse key-agent', () => {
  it('rolls back through the agent with the same audit record as with the passphrase, and stops', () => {
    // With the passphrase: the reference record.
    change(1);
    const before1 = lastSeq();
    const withPassphrase = run(['rollback', '--repo', repositoryId, '--to', checkpointId, '--as', LEAD.name], LEAD.passphrase);
    expect(withPassphrase.code, withPassphrase.stderr + withPassphrase.stdout).toBe(0);
    const reference = eventsAfter(before1);
    const head = git('rev-parse', 'HEAD');

    const started = run(['key-agent', 'start', '--as', LEAD.name], LEAD.passphrase);
    expect(started.code, started.stderr + started.stdout).toBe(0);
    expect(started.json).toMatchObject({ socketPath: socketPath(), operator: { name: LEAD.name, role: 'lead' } });
    expect(statSync(socketPath()).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'key-agent')).mode & 0o777).toBe(0o700);
    const status = run(['key-agent', 'status']);
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ running: true, pid: started.json.pid, operator: { name: LEAD.name } });

    // Through the agent: no passphrase anywhere in this command's environment.
    change(2);
    const before2 = lastSeq();
    const viaAgent = run(['rollback', '--repo', repositoryId, '--to', checkpointId, '--as', LEAD.name]);
    expect(viaAgent.code, viaAgent.stderr + viaAgent.stdout).toBe(0);
    expect(viaAgent.json.changedPaths).toBe(withPassphrase.json.changedPaths);
    const recorded = eventsAfter(before2);
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(git('status', '--porcelain')).toBe('');

    // The same events, in the same order, as the same actor and role; only the unlock says it was the agent.
    const unlock = recorded.find((e) => e.action === 'operator.unlocked');
    expect(unlock?.payload).toMatchObject({ via: 'key-agent', agentPid: started.json.pid });
    expect(recorded.map(shape)).toEqual(
      reference.map((e) =>
        e.action === 'operator.unlocked' ? { ...(shape(e) as object), payload: { ...e.payload, via: 'key-agent' } } : shape(e),
      ),
    );
    expect(recorded.map((e) => e.action)).toEqual(expect.arrayContaining(['operator.unlocked', 'checkpoint.created', 'rollback.completed', 'operator.locked']));
    // Nothing the agent recorded was left unsealed for the next command to find.
    expect(recorded.filter((e) => e.action === 'audit.unsealed-found')).toEqual([]);

    const verified = run(['audit', 'verify', '--db', join(dataDir, 'audit.sqlite')]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    const stopped = run(['key-agent', 'stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    // The stop locks the agent's session, on the record.
    const afterStop = run(['key-agent', 'status']);
    expect(afterStop.code).toBe(1);
    change(3);
    const locked = run(['rollback', '--repo', repositoryId, '--to', checkpointId, '--as', LEAD.name]);
    expect(locked.code).toBe(2);
    expect(locked.json).toMatchObject({ code: 'INVALID_INPUT' });
    const agentLock = eventsAfter(before2).filter((e) => e.action === 'operator.locked' && e.payload.reason === 'manual');
    expect(agentLock.length).toBeGreaterThanOrEqual(2);
    const back = run(['rollback', '--repo', repositoryId, '--to', checkpointId, '--as', LEAD.name], LEAD.passphrase);
    expect(back.code, back.stderr).toBe(0);
  }, 300_000);

  it('never decides through the agent: approve and operator create ask for the passphrase, and the approval is signed with it', () => {
    const started = run(['key-agent', 'start', '--as', LEAD.name], LEAD.passphrase);
    expect(started.code, started.stderr + started.stdout).toBe(0);
    const before = lastSeq();
    // A process of this user (an AI agent running as the user, say) with the agent running and no passphrase.
    const refused = run(['approve', '--repo', repositoryId, '--proposal', 'refactor-rounding', '--as', LEAD.name, '--reason', 'by whoever reaches the socket', '--all-files-reviewed-outside']);
    expect(refused.code, refused.stderr + refused.stdout).not.toBe(0);
    expect(String(refused.json.message)).toMatch(/never uses the key agent/);
    const escalation = run(['operator', 'create', '--name', 'mallory', '--role', 'reviewer', '--as', LEAD.name]);
    expect(escalation.code, escalation.stderr + escalation.stdout).not.toBe(0);
    expect(String(escalation.json.message)).toMatch(/never uses the key agent/);
    expect(eventsAfter(before).filter((e) => e.action === 'approval.minted' || e.action === 'operator.created')).toEqual([]);
    // With the passphrase the same approval is signed, by a passphrase unlock, and verifies against the trust list.
    const approved = run(['approve', '--repo', repositoryId, '--proposal', 'refactor-rounding', '--as', LEAD.name, '--reason', 'signed with the passphrase', '--all-files-reviewed-outside'], LEAD.passphrase);
    expect(approved.code, approved.stderr + approved.stdout).toBe(0);
    expect(approved.json).toMatchObject({ operatorName: LEAD.name, decision: 'approve', status: 'valid' });
    const trust = join(work, 'trust.json');
    const exported = run(['operator', 'export-public']);
    expect(exported.code, exported.stderr + exported.stdout).toBe(0);
    writeFileSync(trust, exported.stdout);
    writeFileSync(join(work, 'token.jwt'), String(approved.json.token));
    const checked = run(['approval', 'verify', join(work, 'token.jwt'), '--trust', trust, '--repo', repositoryId]);
    expect(checked.code, checked.stderr + checked.stdout).toBe(0);
    const recorded = eventsAfter(before);
    expect(recorded.filter((e) => e.action === 'approval.minted').map((e) => e.actor)).toEqual([LEAD.name]);
    expect(recorded.filter((e) => e.action === 'operator.unlocked').map((e) => e.payload.via)).toEqual([undefined]);
    expect(run(['audit', 'verify', '--db', join(dataDir, 'audit.sqlite')]).code).toBe(0);
  }, 300_000);

  it("refuses the agent when its directory is opened to others, even with a passphrase at hand", () => {
    const started = run(['key-agent', 'start', '--as', LEAD.name], LEAD.passphrase);
    expect(started.code, started.stderr + started.stdout).toBe(0);
    try {
      chmodSync(join(dataDir, 'key-agent'), 0o755);
      const refused = run(['checkpoint', 'list', '--repo', repositoryId, '--as', LEAD.name], LEAD.passphrase);
      expect(refused.code).toBe(2);
      expect(refused.json).toMatchObject({ code: 'REFUSED' });
      expect(String(refused.json.message)).toMatch(/mode 0755/);
    } finally {
      chmodSync(join(dataDir, 'key-agent'), 0o700);
    }
    expect(run(['key-agent', 'stop']).code).toBe(0);
  }, 300_000);

  it('falls back to the passphrase past a stale socket, and stop removes it', () => {
    const started = run(['key-agent', 'start', '--as', LEAD.name], LEAD.passphrase);
    expect(started.code, started.stderr + started.stdout).toBe(0);
    process.kill(started.json.pid as number, 'SIGKILL');
    // Killed without cleaning up: the socket file stays, nobody listens.
    for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(started.json.pid)]).status === 0; i++) spawnSync('sleep', ['0.1']);
    expect(existsSync(socketPath())).toBe(true);
    expect(run(['key-agent', 'status']).code).toBe(1);
    const listed = run(['checkpoint', 'list', '--repo', repositoryId, '--as', LEAD.name], LEAD.passphrase);
    expect(listed.code, listed.stderr + listed.stdout).toBe(0);
    const noPassphrase = run(['checkpoint', 'list', '--repo', repositoryId, '--as', LEAD.name]);
    expect(noPassphrase.code).toBe(2);
    const stopped = run(['key-agent', 'stop']);
    expect(stopped.json).toMatchObject({ stopped: false, removedStaleSocket: socketPath() });
    expect(existsSync(socketPath())).toBe(false);
  }, 300_000);

  it("uses the passphrase when the agent holds another operator, and says so", () => {
    const started = run(['key-agent', 'start', '--as', 'rita'], 'rita-demo-passphrase');
    expect(started.code, started.stderr + started.stdout).toBe(0);
    try {
      const listed = run(['checkpoint', 'list', '--repo', repositoryId, '--as', LEAD.name], LEAD.passphrase);
      expect(listed.code, listed.stderr + listed.stdout).toBe(0);
      expect(listed.stderr).toMatch(/key agent holds rita, not lee; unlocking with the passphrase/);
    } finally {
      run(['key-agent', 'stop']);
    }
  }, 300_000);
});

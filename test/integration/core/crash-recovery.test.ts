/**
 * Recovery on the next start, through the core every face uses (issue 12 §2): a `gatehouse rollback`
 * killed with SIGKILL halfway through writing the tree leaves a journal and a stale index lock; the next
 * `gatehouse` command (core creation) finishes the rollback, removes the lock, and audits the recovery.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
let dataDir: string;

function gatehouse(args: ReadonlyArray<string>, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/main.ts'), '--data-dir', dataDir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GATEHOUSE_PASSPHRASE: '', ...env },
    timeout: 240_000,
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

function json<T>(args: ReadonlyArray<string>, env: Record<string, string> = {}): T {
  const result = gatehouse([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

let repositoryId: string;
let repositoryPath: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-recovery-'));
  repositoryId = json<{ repositoryId: string }>(['demo']).repositoryId;
  repositoryPath = json<Array<{ id: string; path: string }>>(['repo', 'list', '--as', 'ava'], { GATEHOUSE_PASSPHRASE: 'ava-demo-passphrase' }).find((r) => r.id === repositoryId)?.path ?? '';
}, 240_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('recovery at core creation', () => {
  it('finishes a rollback killed halfway, removes its index lock, and records the recovery in the audit log', () => {
    const checkpoint = json<{ id: string }>(['checkpoint', 'create', '--repo', repositoryId, '--reason', 'before scratch files', '--as', 'lee'], { GATEHOUSE_PASSPHRASE: 'lee-demo-passphrase' });
    const tracked = ['bench.py', 'pricing/api.py', 'pricing/config.py', 'pricing/calculator.py'];
    const originals = tracked.map((path) => readFileSync(join(repositoryPath, path), 'utf8'));
    for (const path of tracked) writeFileSync(join(repositoryPath, path), 'edited after the checkpoint\n');
    for (let i = 0; i < 8; i++) writeFileSync(join(repositoryPath, `scratch-${i}.txt`), `scratch ${i}\n`);

    const killed = gatehouse(['rollback', '--repo', repositoryId, '--to', checkpoint.id, '--as', 'lee', '--json'], {
      GATEHOUSE_PASSPHRASE: 'lee-demo-passphrase',
      GATEHOUSE_CRASH_AT: 'worktree:half-written',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(existsSync(join(repositoryPath, '.git', 'index.lock'))).toBe(true);
    // Half restored: some tracked files back, some still edited.
    const halfway = tracked.map((path) => readFileSync(join(repositoryPath, path), 'utf8'));
    expect(halfway).not.toEqual(originals);
    expect(halfway.some((text) => text === 'edited after the checkpoint\n')).toBe(true);

    // Any next command creates the core, which recovers first.
    json(['proposal', 'list', '--as', 'ava'], { GATEHOUSE_PASSPHRASE: 'ava-demo-passphrase' });
    expect(existsSync(join(repositoryPath, '.git', 'index.lock'))).toBe(false);
    for (let i = 0; i < 8; i++) expect(existsSync(join(repositoryPath, `scratch-${i}.txt`))).toBe(false);
    expect(tracked.map((path) => readFileSync(join(repositoryPath, path), 'utf8'))).toEqual(originals);
    const events = json<{ events: Array<{ action: string; payload: Record<string, unknown> }> } | Array<{ action: string; payload: Record<string, unknown> }>>([
      'audit',
      'search',
      '--db',
      join(dataDir, 'audit.sqlite'),
      '--action',
      'recovery.completed',
    ]);
    const list = Array.isArray(events) ? events : events.events;
    expect(list).toHaveLength(1);
    expect(list[0]?.payload).toMatchObject({ operation: 'rollback', action: 'finished', removedLocks: [join(repositoryPath, '.git', 'index.lock')] });
  }, 600_000);
});

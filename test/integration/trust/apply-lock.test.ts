/**
 * Check-and-apply under one lock that every data directory honours: a second apply while another
 * process holds the repository's lock is refused; a lock left by a process that died is taken over.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyLockPath, withApplyLock } from '../../../electron/core/records';
import { openRepository } from '../../../electron/services/git';
import { git, writeFiles } from './harness';

const home = mkdtempSync(join(tmpdir(), 'gh-lock-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

async function handle() {
  const dir = join(home, 'repo');
  if (!existsSync(dir)) {
    spawnSync('mkdir', ['-p', dir]);
    git(dir, 'init', '-q', '-b', 'main');
    writeFiles(dir, { 'a.txt': 'a\n' });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'a');
  }
  const repo = await openRepository({ dir });
  const now = new Date().toISOString();
  return { record: { id: 'r', path: dir, targetBranch: 'main', proposalRefPattern: 'refs/heads/proposals/*', createdAt: now, updatedAt: now }, repo };
}

describe('the apply lock', () => {
  it('refuses while a live process holds it, and takes over a dead one', async () => {
    const h = await handle();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(applyLockPath(h), `${holder.pid ?? 0}\n`);
      await expect(withApplyLock(h, async () => 'applied')).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(existsSync(applyLockPath(h))).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // The holder is gone: its lock is stale and is taken over, then released.
    await expect(withApplyLock(h, async () => 'applied')).resolves.toBe('applied');
    expect(existsSync(applyLockPath(h))).toBe(false);
  });

  it('serialises two applies in one process: the second is refused while the first runs', async () => {
    const h = await handle();
    let release: () => void = () => undefined;
    const first = withApplyLock(h, () => new Promise<string>((resolve) => (release = () => resolve('first'))));
    await expect(withApplyLock(h, async () => 'second')).rejects.toMatchObject({ code: 'CONFLICT' });
    release();
    await expect(first).resolves.toBe('first');
  });
});

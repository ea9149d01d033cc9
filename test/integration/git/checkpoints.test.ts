import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createCheckpoint,
  getCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  startCheckpointTimer,
  type CreatedCheckpoint,
} from '../../../electron/services/git/checkpoints';
import { showCheckpoint } from '../../../electron/services/git/checkpoint-show';
import { openRepository } from '../../../electron/services/git/repository';
import { makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function clockAt(start: string): { now(): Date; advance(ms: number): void } {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

describe('checkpoints', () => {
  it('captures head, index and working tree (untracked included, ignored not) with its metadata', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', '.gitignore': 'ignored/\n' });
    repos.push(t);
    const clock = clockAt('2025-01-02T03:04:05.678Z');
    const repo = await openRepository({ dir: t.dir, clock });
    t.write('a.txt', 'modified\n');
    t.write('staged.txt', 'staged\n');
    t.git('add', 'staged.txt');
    t.write('untracked/x.txt', 'x\n');
    t.write('ignored/big.bin', 'not captured\n');
    const reason = 'before "risky" thing\nsecond line: yes';
    const cp = await createCheckpoint(repo, { reason, operator: 'Lead Person <lead@example.com>' });
    expect(cp.id).toMatch(/^20250102T030405678Z-[0-9a-f]{8}$/u);
    expect(cp.ref).toBe(`refs/gatehouse/checkpoints/${cp.id}`);
    expect(t.git('rev-parse', cp.ref)).toBe(cp.oid);
    expect(cp.branch).toBe('refs/heads/main');
    expect(cp.headOid).toBe(t.git('rev-parse', 'HEAD'));
    // Native git sees the snapshot: the worktree tree has the untracked file, not the ignored one.
    expect(t.git('ls-tree', '-r', '--name-only', cp.oid).split('\n').sort()).toEqual(['.gitignore', 'a.txt', 'staged.txt', 'untracked/x.txt']);
    expect(t.git('show', `${cp.oid}:a.txt`)).toBe('modified');
    // The index tree is the index: staged.txt staged, a.txt as committed.
    expect(cp.indexTree).toBe(t.git('write-tree'));
    expect(t.git('show', `${cp.indexTree}:a.txt`)).toBe('a');
    expect(t.git('log', '-1', '--format=%P', cp.oid).split(' ')).toHaveLength(2);
    const read = await getCheckpoint(repo, cp.id);
    expect(read).toEqual({
      id: cp.id,
      ref: cp.ref,
      oid: cp.oid,
      reason,
      operator: 'Lead Person <lead@example.com>',
      createdAt: '2025-01-02T03:04:05.678Z',
      branch: 'refs/heads/main',
      headOid: cp.headOid,
      indexTree: cp.indexTree,
      worktreeTree: cp.worktreeTree,
    });
    // Taking a checkpoint changes nothing in the working tree or index.
    expect(t.git('status', '--porcelain').split('\n').map((l) => l.trim()).sort()).toEqual(['?? untracked/', 'A  staged.txt', 'M a.txt']);
    expect(() => t.git('fsck', '--strict', '--no-dangling')).not.toThrow();
  });

  it('lists newest first, shows the diff to now, and prunes by policy but never the newest', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const clock = clockAt('2025-01-01T00:00:00Z');
    const repo = await openRepository({ dir: t.dir, clock });
    const made: CreatedCheckpoint[] = [];
    for (let i = 0; i < 4; i += 1) {
      t.write('a.txt', `version ${i}\n`);
      made.push(await createCheckpoint(repo, { reason: `r${i}`, operator: 'o' }));
      clock.advance(24 * 60 * 60 * 1000);
    }
    expect((await listCheckpoints(repo)).map((c) => c.reason)).toEqual(['r3', 'r2', 'r1', 'r0']);
    t.write('a.txt', 'now\n');
    t.write('b.txt', 'new\n');
    const shown = await showCheckpoint(repo, made[1]?.id as string);
    expect(shown.files.map((f) => [f.path, f.status])).toEqual([
      ['a.txt', 'modified'],
      ['b.txt', 'added'],
    ]);
    expect(await pruneCheckpoints(repo, { keepLast: 2 })).toEqual([made[1]?.id, made[0]?.id]);
    expect((await listCheckpoints(repo)).map((c) => c.reason)).toEqual(['r3', 'r2']);
    // newerThan in the future would delete everything; the newest stays.
    expect(await pruneCheckpoints(repo, { newerThan: new Date('2030-01-01T00:00:00Z') })).toEqual([made[2]?.id]);
    expect((await listCheckpoints(repo)).map((c) => c.reason)).toEqual(['r3']);
    await expect(pruneCheckpoints(repo, {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(pruneCheckpoints(repo, { keepLast: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('keeps checkpoints covered by either rule', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const clock = clockAt('2025-01-01T00:00:00Z');
    const repo = await openRepository({ dir: t.dir, clock });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await createCheckpoint(repo, { reason: `r${i}`, operator: 'o' })).id);
      clock.advance(60 * 60 * 1000);
    }
    // Every one of them is the state the repository is in now: none is pruned, whatever the rules say.
    expect(await pruneCheckpoints(repo, { keepLast: 1, newerThan: new Date('2025-01-01T02:00:00Z'), dryRun: true })).toEqual([]);
    // Keep the last 1 or anything from 02:00 on: r2, r3, r4 stay.
    expect(await pruneCheckpoints(repo, { keepLast: 1, newerThan: new Date('2025-01-01T02:00:00Z'), keepCurrent: false })).toEqual([ids[1], ids[0]]);
  });

  it('never prunes a protected checkpoint (the last apply) nor deletes anything on a dry run', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const clock = clockAt('2025-01-01T00:00:00Z');
    const repo = await openRepository({ dir: t.dir, clock });
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      t.write('a.txt', `version ${i}\n`);
      ids.push((await createCheckpoint(repo, { reason: `r${i}`, operator: 'o' })).id);
      clock.advance(60 * 60 * 1000);
    }
    t.write('a.txt', 'now\n');
    expect(await pruneCheckpoints(repo, { keepLast: 1, dryRun: true })).toEqual([ids[2], ids[1], ids[0]]);
    expect((await listCheckpoints(repo)).length).toBe(4);
    expect(await pruneCheckpoints(repo, { keepLast: 1, protect: [ids[1] as string] })).toEqual([ids[2], ids[0]]);
    expect((await listCheckpoints(repo)).map((c) => c.id)).toEqual([ids[3], ids[1]]);
  });

  it('the timer checkpoints only when something changed, and stops', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const seen: string[] = [];
    const timer = startCheckpointTimer({ repo, intervalMs: 60 * 60 * 1000, operator: 'gatehouse', onCheckpoint: (c) => seen.push(c.id) });
    try {
      const first = await timer.tick();
      expect(first).not.toBeNull();
      expect(await timer.tick()).toBeNull();
      t.write('untracked.txt', 'changed\n');
      const second = await timer.tick();
      expect(second?.reason).toBe('periodic checkpoint');
      expect(await timer.tick()).toBeNull();
      t.git('add', 'untracked.txt');
      expect(await timer.tick()).not.toBeNull(); // the index changed
      expect(seen).toHaveLength(3);
    } finally {
      timer.stop();
    }
    expect(() => startCheckpointTimer({ repo, intervalMs: 10 })).toThrow();
  });

  it('stores a large change as one pack that native git reads and verifies', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i += 1) files[`src/f${i}.txt`] = `original ${i}\n`;
    const t = makeRepo(files);
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    for (let i = 0; i < 30; i += 1) t.write(`src/f${i}.txt`, `changed ${i}\n`.repeat(i + 1));
    t.write('binary.bin', Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)));
    const loose = (): number => Number(t.git('count-objects').split(' ')[0]);
    const looseBefore = loose();
    const cp = await createCheckpoint(repo, { reason: 'many', operator: 'o' });
    // Only the two commits are loose; 31 blobs and the trees went into the pack.
    expect(loose()).toBe(looseBefore + 2);
    expect(() => t.git('fsck', '--strict', '--no-dangling')).not.toThrow();
    const packs = t.git('count-objects', '-v').split('\n').find((l) => l.startsWith('packs:'));
    expect(packs).toBe('packs: 1');
    for (let i = 0; i < 30; i += 1) expect(t.gitRaw('show', `${cp.oid}:src/f${i}.txt`)).toBe(`changed ${i}\n`.repeat(i + 1));
    expect(t.gitRaw('cat-file', '-s', `${cp.oid}:binary.bin`)).toBe('70000\n');
    // A fresh handle (isomorphic-git fallback not needed) reads it back through the pack reader.
    const fresh = await openRepository({ dir: t.dir });
    expect((await fresh.objects.readBlob(t.git('rev-parse', `${cp.oid}:src/f29.txt`))).toString()).toBe('changed 29\n'.repeat(30));
  });

  it('the timer fires on its interval (fake interval clock) and stop() clears it', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let fired: (c: CreatedCheckpoint) => void = () => undefined;
      const first = new Promise<CreatedCheckpoint>((resolve) => {
        fired = resolve;
      });
      const timer = startCheckpointTimer({ repo, onCheckpoint: (c) => fired(c) });
      vi.advanceTimersByTime(2 * 60 * 60 * 1000 - 1);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1);
      expect((await first).reason).toBe('periodic checkpoint');
      timer.stop();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records a detached HEAD', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    t.git('checkout', '-q', '--detach');
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const cp = await createCheckpoint(repo, { reason: 'detached', operator: 'o' });
    expect(cp.branch).toBeNull();
    expect((await getCheckpoint(repo, cp.id)).branch).toBeNull();
  });
});

/**
 * kill -9 at every phase of a rollback and of an apply, on a real repository, then the next start's
 * recovery (issue 12 §2): the tree, index, branch and HEAD end in a whole state (the rollback finished,
 * the apply undone or complete), no stale lock is left, native git works again, and a lock the journal
 * does not prove ours is never removed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importChangeSet } from '../../../electron/services/git/import';
import { createCheckpoint } from '../../../electron/services/git/checkpoints';
import { JOURNAL_FILE, JOURNAL_PHASE_FILE } from '../../../electron/services/git/journal';
import { recoverInterruptedOperation } from '../../../electron/services/git/recover';
import { openRepository } from '../../../electron/services/git/repository';
import { describeTree, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const CHILD = join(__dirname, 'fixtures', 'crash-op.ts');
const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function runChild(crashAt: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    env: { ...process.env, GATEHOUSE_CRASH_AT: crashAt },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function locks(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.lock')) out.push(full);
    }
  };
  walk(join(dir, '.git'));
  return out;
}

function files(count: number, version: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) out[`src/f${String(i).padStart(2, '0')}.txt`] = `file ${i} ${version}\n`;
  return out;
}

// ref:locked: the first ref lock taken (the undo or pre-apply checkpoint's ref) is held when the kill lands.
const ROLLBACK_POINTS = [
  'rollback:journal-written',
  'ref:locked',
  'rollback:undo-recorded',
  'rollback:index-locked',
  'worktree:half-written',
  'rollback:tree-written',
  'rollback:index-written',
  'rollback:branch-moved',
  'rollback:ref-updated',
];

// The phase a recovery reports for each kill point after the undo state: the phases past it live in the
// journal's side file (written without fsync), which the report must still see.
const ROLLBACK_PHASE_AT: Readonly<Record<string, string>> = {
  'rollback:undo-recorded': 'undo-recorded',
  'rollback:index-locked': 'index-locked',
  'worktree:half-written': 'index-locked',
  'rollback:tree-written': 'tree-written',
  'rollback:index-written': 'index-written',
  'rollback:branch-moved': 'index-written',
  'rollback:ref-updated': 'ref-updated',
};

const APPLY_POINTS = ['apply:journal-written', 'ref:locked', 'apply:undo-recorded', 'worktree:half-written', 'apply:tree-written', 'apply:index-written', 'apply:ref-updated'];

describe('kill -9 during a rollback, then recovery', () => {
  it.each(ROLLBACK_POINTS)('killed at %s: the next start finishes the rollback and removes only our locks', async (point) => {
    const t = makeRepo(files(24, 'v1'));
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'v1', operator: 'test' });
    const v1 = describeTree(t.dir);
    const v1Head = t.git('rev-parse', 'HEAD');
    for (let i = 0; i < 24; i += 2) t.write(`src/f${String(i).padStart(2, '0')}.txt`, `file ${i} v2\n`);
    t.write('src/new.txt', 'new\n');
    t.commitAll('v2');
    t.write('scratch.txt', 'untracked\n');

    const child = runChild(point, 'rollback', t.dir, checkpoint.id);
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(existsSync(join(t.dir, '.git', JOURNAL_FILE))).toBe(true);

    // A lock someone else holds (not recorded in the journal) is never removed.
    const foreign = join(t.dir, '.git', 'refs', 'heads', 'someone-else.lock');
    writeFileSync(foreign, '');
    const report = await recoverInterruptedOperation(await openRepository({ dir: t.dir, targetBranch: 'main' }));
    expect(report).not.toBeNull();
    expect(report?.operation).toBe('rollback');
    expect(existsSync(foreign)).toBe(true);
    expect(locks(t.dir)).toEqual([foreign]);
    expect(existsSync(join(t.dir, '.git', JOURNAL_FILE))).toBe(false);
    expect(existsSync(join(t.dir, '.git', JOURNAL_PHASE_FILE))).toBe(false);
    if (ROLLBACK_PHASE_AT[point] !== undefined) expect(report?.phase).toBe(ROLLBACK_PHASE_AT[point]);

    if (report?.action === 'cleared') {
      // Killed before the undo checkpoint existed: nothing was touched.
      expect(['rollback:journal-written', 'ref:locked']).toContain(point);
      expect(t.git('rev-parse', 'HEAD')).not.toBe(v1Head);
    } else {
      expect(report?.action).toBe('finished');
      expect(describeTree(t.dir)).toEqual(v1);
      expect(t.git('rev-parse', 'HEAD')).toBe(v1Head);
      expect(t.git('status', '--porcelain')).toBe('');
    }
    // Native git works again (index.lock gone), and so does the next rollback.
    t.write('later.txt', 'x\n');
    t.git('add', 'later.txt');
    expect(await recoverInterruptedOperation(repo)).toBeNull();
  }, 180_000);
});

describe('kill -9 during an apply, then recovery', () => {
  it.each(APPLY_POINTS)('killed at %s: the next start undoes the apply, or sees it complete', async (point) => {
    const t = makeRepo(files(24, 'v1'));
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const before = describeTree(t.dir);
    const previousHead = t.git('rev-parse', 'HEAD');
    const changes = Array.from({ length: 12 }, (_, i) => ({
      path: `src/f${String(i * 2).padStart(2, '0')}.txt`,
      original: `file ${i * 2} v1\n`,
      modified: `file ${i * 2} applied\n`,
    }));
    const imported = await importChangeSet(repo, {
      name: 'crash',
      changeSet: { title: 'crash', rationale: '', agent: { name: 'Agent', email: 'agent@example.com' }, safetyScore: 0.9, riskLevel: 'LOW', changes },
    });
    const revision = { proposal: 'crash', ...imported.revision };

    const child = runChild(point, 'apply', t.dir, JSON.stringify(revision));
    expect(child.signal, child.stderr).toBe('SIGKILL');

    const report = await recoverInterruptedOperation(await openRepository({ dir: t.dir, targetBranch: 'main' }));
    expect(report?.operation).toBe('apply');
    expect(locks(t.dir)).toEqual([]);
    expect(existsSync(join(t.dir, '.git', JOURNAL_FILE))).toBe(false);
    expect(t.git('status', '--porcelain')).toBe('');
    if (report?.action === 'finished') {
      expect(point).toBe('apply:ref-updated');
      expect(t.git('rev-parse', 'HEAD')).toBe(revision.headOid);
      expect(t.read('src/f00.txt').toString()).toBe('file 0 applied\n');
    } else {
      expect(t.git('rev-parse', 'HEAD')).toBe(previousHead);
      expect(describeTree(t.dir)).toEqual(before);
    }
    t.write('later.txt', 'x\n');
    t.git('add', 'later.txt');
  }, 180_000);
});

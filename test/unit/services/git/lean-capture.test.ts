/**
 * The lean snapshot a rollback takes of the state it leaves (captureState with `lean`: one streamed pass
 * over the index bytes, only the files that differ from their entries kept) records the same trees as
 * the full scan, with the same changed, missing, untracked and skipped files; it runs only when the
 * index's tree is already known, and the full scan runs otherwise.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureState, createCheckpoint } from '../../../../electron/services/git/checkpoints';
import { openRepository } from '../../../../electron/services/git/repository';
import type { WorktreeScan } from '../../../../electron/services/git/worktree';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

/** What a scan says of every file that differs from its entry. */
function differing(scan: WorktreeScan) {
  return scan.tracked
    .filter((t) => !t.clean || t.refreshed)
    .map((t) => ({ path: t.path, present: t.present, clean: t.clean, current: t.current, refreshed: t.refreshed }));
}

describe('captureState lean', () => {
  it('records what the full scan records, and is taken only when the index tree is known', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'src/b.txt': 'b\n', 'src/c.txt': 'c\n', 'src/deep/d.txt': 'd\n', 'x.sh': 'echo\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    // A checkpoint remembers this index's tree.
    await createCheckpoint(repo, { reason: 'base', operator: 'test' });
    t.write('src/b.txt', 'changed\n');
    unlinkSync(join(t.dir, 'src/c.txt'));
    chmodSync(join(t.dir, 'x.sh'), 0o755);
    t.write('new/untracked.txt', 'u\n');
    t.write('debug.log', 'ignored\n');
    t.write('.gitignore', '*.log\n');
    const lean = await captureState(repo, { lean: true });
    const full = await captureState(repo);
    expect(lean.scan.lean).toBeDefined();
    expect(full.scan.lean).toBeUndefined();
    expect({ ...lean, scan: null }).toEqual({ ...full, scan: null });
    expect(differing(lean.scan)).toEqual(differing(full.scan));
    expect(differing(lean.scan).map((f) => f.path)).toEqual(['src/b.txt', 'src/c.txt', 'x.sh']);
    expect(lean.scan.tracked.length).toBe(3);
    expect(lean.scan.untracked).toEqual(full.scan.untracked);
    expect(lean.scan.skipped).toEqual(full.scan.skipped);
    expect(lean.scan.index.checksum).toBe(full.scan.index.checksum);
    // The index changed behind Gatehouse's back: its tree is not known, the full scan runs.
    t.git('add', 'src/b.txt');
    const afterAdd = await captureState(repo, { lean: true });
    expect(afterAdd.scan.lean).toBeUndefined();
    expect(afterAdd.indexTree).not.toBe(full.indexTree);
    expect(afterAdd.worktreeTree).toBe(full.worktreeTree);
  });
});

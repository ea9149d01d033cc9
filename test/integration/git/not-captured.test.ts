/**
 * A 70 MB untracked file is larger than a checkpoint captures (issue 12 §4): the rollback preview and
 * the rollback result name it, so the console can warn and the audit event can record it.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../../electron/services/git/checkpoints';
import { openRepository } from '../../../electron/services/git/repository';
import { previewRollback, rollback } from '../../../electron/services/git/rollback';
import { makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('files not captured by the undo checkpoint', () => {
  it('are named in the preview and in the rollback result', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'start', operator: 'test' });
    t.write('a.txt', 'changed\n');
    const big = join(t.dir, 'dump.bin');
    writeFileSync(big, '');
    truncateSync(big, 70 * 1024 * 1024);

    const preview = await previewRollback(repo, checkpoint.id);
    expect(preview.notCaptured).toEqual([{ path: 'dump.bin', reason: expect.stringMatching(/larger than/) }]);
    const result = await rollback(repo, { checkpointId: checkpoint.id, operator: 'test' });
    expect(result.notCaptured.map((f) => f.path)).toEqual(['dump.bin']);
    expect(result.undo?.skipped.map((f) => f.path)).toEqual(['dump.bin']);
    expect(t.read('a.txt').toString()).toBe('a\n');
  });

  it('are none when everything fits', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'start', operator: 'test' });
    t.write('small.txt', 'x\n');
    expect((await rollback(repo, { checkpointId: checkpoint.id, operator: 'test' })).notCaptured).toEqual([]);
  });
});

/**
 * A rollback to a checkpoint the repository already equals changes nothing, so it takes no undo checkpoint
 * and says so (issue 12 §4: every rollback added a checkpoint ref, even when it changed nothing).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpoint, listCheckpoints } from '../../../electron/services/git/checkpoints';
import { openRepository } from '../../../electron/services/git/repository';
import { rollback } from '../../../electron/services/git/rollback';
import { describeRepoState, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('a rollback with nothing to roll back', () => {
  it('takes no undo checkpoint, touches nothing and says nothing to roll back', async () => {
    const t = makeRepo({ 'a.txt': 'alpha\n' });
    repos.push(t);
    t.write('untracked.txt', 'kept\n');
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'now', operator: 'lead' });
    const before = describeRepoState(t);
    const result = await rollback(repo, { checkpointId: checkpoint.id, operator: 'lead' });
    expect(result).toMatchObject({ nothingToRollBack: true, undo: null, changedPaths: 0 });
    expect((await listCheckpoints(repo)).map((c) => c.id)).toEqual([checkpoint.id]);
    expect(describeRepoState(t)).toEqual(before);
  });

  it('still takes the undo checkpoint when something differs', async () => {
    const t = makeRepo({ 'a.txt': 'alpha\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const checkpoint = await createCheckpoint(repo, { reason: 'now', operator: 'lead' });
    t.write('a.txt', 'changed\n');
    const result = await rollback(repo, { checkpointId: checkpoint.id, operator: 'lead' });
    expect(result.nothingToRollBack).toBe(false);
    expect(result.undo).not.toBeNull();
    expect((await listCheckpoints(repo)).length).toBe(2);
    expect(t.read('a.txt').toString()).toBe('alpha\n');
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyRevision } from '../../../electron/services/git/apply';
import { createCheckpoint, listCheckpoints } from '../../../electron/services/git/checkpoints';
import { importChangeSet } from '../../../electron/services/git/import';
import { getProposal } from '../../../electron/services/git/proposals';
import { openRepository, type GitRepository } from '../../../electron/services/git/repository';
import { rollback } from '../../../electron/services/git/rollback';
import { checkDirty } from '../../../electron/services/git/status';
import { describeOutside, describeRepoState, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

const agent = { name: 'Agent', email: 'agent@example.com' };

async function setup(): Promise<{ t: TempRepo; repo: GitRepository }> {
  const t = makeRepo({ 'a.txt': 'a1\na2\na3\n', 'b.txt': 'b1\nb2\n', 'dir/c.txt': 'c\n', 'untouched/u.txt': 'u\n' });
  repos.push(t);
  return { t, repo: await openRepository({ dir: t.dir, targetBranch: 'main' }) };
}

async function propose(repo: GitRepository, name: string, changes: Array<{ path: string; original: string | null; modified: string | null; executable?: boolean }>) {
  const result = await importChangeSet(repo, { name, changeSet: { title: name, rationale: '', agent, safetyScore: 0.9, riskLevel: 'LOW', changes } });
  return { proposal: name, ...result.revision, baseOid: result.revision.baseOid as string };
}

describe('applyRevision', () => {
  it('fast-forwards the target branch and updates only the differing paths', async () => {
    const { t, repo } = await setup();
    const revision = await propose(repo, 'ff', [
      { path: 'a.txt', original: 'a1\na2\na3\n', modified: 'a1\nA2\na3\n' },
      { path: 'dir/c.txt', original: 'c\n', modified: null },
      { path: 'new/d.sh', original: null, modified: '#!/bin/sh\n', executable: true },
    ]);
    const untouchedBefore = describeOutside(t);
    const result = await applyRevision(repo, { revision });
    expect(result).toMatchObject({ mode: 'fast-forward', headOid: revision.headOid, changedPaths: 3, checkpoint: null });
    expect(t.git('rev-parse', 'main')).toBe(revision.headOid);
    expect(t.read('a.txt').toString()).toBe('a1\nA2\na3\n');
    expect(t.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(t.git('ls-files', '-s', 'new/d.sh').startsWith('100755')).toBe(true);
    expect((await checkDirty(repo)).clean).toBe(true);
    expect(describeOutside(t)).toEqual(untouchedBefore);
    // git agrees the index matches the new head exactly.
    expect(t.git('diff-index', '--cached', 'HEAD')).toBe('');
  });

  it('merges when the target moved on, and can take a checkpoint first', async () => {
    const { t, repo } = await setup();
    const revision = await propose(repo, 'merge-me', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'a1\na2\na3\na4\n' }]);
    t.write('b.txt', 'b1\nb2 changed on main\n');
    const movedMain = t.commitAll('main moves on');
    const result = await applyRevision(repo, { revision, checkpoint: { operator: 'lead', reason: 'before apply' } });
    expect(result.mode).toBe('merge');
    expect(result.previousHeadOid).toBe(movedMain);
    expect(t.git('rev-parse', 'main')).toBe(result.headOid);
    expect(t.git('log', '-1', '--format=%P', result.headOid)).toBe(`${movedMain} ${revision.headOid}`);
    expect(t.read('a.txt').toString()).toBe('a1\na2\na3\na4\n');
    expect(t.read('b.txt').toString()).toBe('b1\nb2 changed on main\n');
    expect(t.git('status', '--porcelain')).toBe('');
    expect(result.checkpoint?.headOid).toBe(movedMain);
    expect((await listCheckpoints(repo)).map((c) => c.id)).toContain(result.checkpoint?.id);
    // The checkpoint taken before applying rolls the apply back.
    await rollback(repo, { checkpointId: result.checkpoint?.id as string, operator: 'lead' });
    expect(t.git('rev-parse', 'main')).toBe(movedMain);
    expect(t.read('a.txt').toString()).toBe('a1\na2\na3\n');
    expect(t.git('status', '--porcelain')).toBe('');
  });

  it('merges on top of an index Gatehouse wrote itself (after a rollback)', async () => {
    const { t, repo } = await setup();
    const revision = await propose(repo, 'after-rollback', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'a1\na2\na3\na4\n' }]);
    t.write('b.txt', 'b1\nb2 on main\n');
    t.commitAll('main moves on');
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    t.write('scratch.txt', 'to be rolled back\n');
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    const result = await applyRevision(repo, { revision });
    expect(result.mode).toBe('merge');
    expect(t.read('a.txt').toString()).toBe('a1\na2\na3\na4\n');
    expect(t.git('status', '--porcelain')).toBe('');
  });

  describe('refusals leave everything unchanged', () => {
    it('refuses when the proposal head moved since approval', async () => {
      const { t, repo } = await setup();
      const revision = await propose(repo, 'moving', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'x\n' }]);
      t.git('checkout', '-q', 'proposals/moving');
      t.write('a.txt', 'sneaky follow-up\n');
      t.commitAll('sneaky');
      t.git('checkout', '-q', 'main');
      const before = describeRepoState(t);
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(describeRepoState(t)).toEqual(before);
    });

    it('refuses when the head tree differs from the approved tree', async () => {
      const { t, repo } = await setup();
      const revision = await propose(repo, 'tree', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'x\n' }]);
      const before = describeRepoState(t);
      await expect(applyRevision(repo, { revision: { ...revision, treeOid: t.git('rev-parse', 'main^{tree}') } })).rejects.toMatchObject({ code: 'REFUSED' });
      expect(describeRepoState(t)).toEqual(before);
    });

    it('refuses a working tree with changes (modified, staged)', async () => {
      const { t, repo } = await setup();
      const revision = await propose(repo, 'dirty', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'x\n' }]);
      t.write('b.txt', 'local edit\n');
      const before = describeRepoState(t);
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT', details: { unstaged: ['b.txt'] } });
      expect(describeRepoState(t)).toEqual(before);
      t.git('add', 'b.txt');
      const staged = describeRepoState(t);
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT', details: { staged: ['b.txt'] } });
      expect(describeRepoState(t)).toEqual(staged);
    });

    it('refuses when an untracked file sits where the proposal adds one', async () => {
      const { t, repo } = await setup();
      const revision = await propose(repo, 'collide', [{ path: 'new.txt', original: null, modified: 'from proposal\n' }]);
      writeFileSync(join(t.dir, 'new.txt'), 'precious local file\n');
      const before = describeRepoState(t);
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(describeRepoState(t)).toEqual(before);
      expect(t.read('new.txt').toString()).toBe('precious local file\n');
    });

    it('refuses a merge that conflicts, without conflict markers anywhere', async () => {
      const { t, repo } = await setup();
      const revision = await propose(repo, 'conflict', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'a1\nproposal\na3\n' }]);
      t.write('a.txt', 'a1\nmain\na3\n');
      t.commitAll('main edits the same line');
      const before = describeRepoState(t);
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(describeRepoState(t)).toEqual(before);
      expect(t.read('a.txt').toString()).toBe('a1\nmain\na3\n');
    });

    it('refuses when HEAD is not on the target branch, and an approval for another base', async () => {
      const { t, repo } = await setup();
      const revision = await propose(repo, 'elsewhere', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'x\n' }]);
      t.git('checkout', '-q', '-b', 'side');
      let before = describeRepoState(t);
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(describeRepoState(t)).toEqual(before);
      t.git('checkout', '-q', 'main');
      before = describeRepoState(t);
      await expect(applyRevision(repo, { revision: { ...revision, baseOid: revision.headOid } })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(applyRevision(repo, { revision: { ...revision, headOid: 'not-an-oid' } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(applyRevision(repo, { revision: { ...revision, proposal: 'refs/heads/main' } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      expect(describeRepoState(t)).toEqual(before);
    });

    it('refuses a second apply of the same revision', async () => {
      const { repo } = await setup();
      const revision = await propose(repo, 'twice', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'x\n' }]);
      await applyRevision(repo, { revision });
      await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'CONFLICT' });
    });
  });

  it('lists the proposal with the revision an approval binds to', async () => {
    const { repo } = await setup();
    const revision = await propose(repo, 'listed', [{ path: 'a.txt', original: 'a1\na2\na3\n', modified: 'x\n' }]);
    const proposal = await getProposal(repo, 'listed');
    expect(proposal.revisions[0]?.revision).toEqual({ baseOid: revision.baseOid, headOid: revision.headOid, treeOid: revision.treeOid });
  });
});

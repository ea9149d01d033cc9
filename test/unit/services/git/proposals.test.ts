import { afterEach, describe, expect, it } from 'vitest';
import { getProposal, listProposals, listRevisions } from '../../../../electron/services/git/proposals';
import { openRepository } from '../../../../electron/services/git/repository';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('proposals', () => {
  it('lists branches matching the pattern with merge base, revisions and stats', async () => {
    const t = makeRepo({ 'a.txt': 'a\nb\nc\n' });
    repos.push(t);
    const base = t.git('rev-parse', 'HEAD');
    t.git('checkout', '-q', '-b', 'proposals/feature/one');
    t.write('a.txt', 'a\nB\nc\n');
    const first = t.commitAll('first step');
    t.write('new.txt', 'n1\nn2\n');
    const second = t.commitAll('second step\n\nwith a body');
    t.git('checkout', '-q', 'main');
    t.write('main.txt', 'moves on\n');
    const mainHead = t.commitAll('main moves');
    t.git('branch', 'not-a-proposal');
    t.git('branch', 'proposals/empty', base);
    const clock = { now: () => new Date('2024-01-01T01:00:00Z') };
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main', clock });
    const proposals = await listProposals(repo);
    expect(proposals.map((p) => p.name)).toEqual(['empty', 'feature/one']);
    const one = proposals[1];
    expect(one).toMatchObject({
      ref: 'refs/heads/proposals/feature/one',
      targetOid: mainHead,
      baseOid: base,
      headOid: second,
      subject: 'second step',
      filesChanged: 2,
      linesAdded: 3,
      linesRemoved: 1,
      ageSeconds: 3600,
      error: null,
      author: { name: 'Test Author', email: 'author@example.com', time: '2024-01-01T00:00:00.000Z' },
    });
    expect(one?.revisions.map((r) => r.oid)).toEqual(expect.arrayContaining([first, second]));
    expect(one?.revisions).toHaveLength(2);
    expect(one?.revisions.every((r) => r.revision.baseOid === base)).toBe(true);
    expect(proposals[0]).toMatchObject({ filesChanged: 0, revisions: [] });
    expect((await getProposal(repo, 'feature/one')).headOid).toBe(second);
    expect((await listRevisions(repo, 'refs/heads/proposals/feature/one')).map((r) => r.treeOid)).toEqual(
      expect.arrayContaining([t.git('rev-parse', `${second}^{tree}`), t.git('rev-parse', `${first}^{tree}`)]),
    );
    await expect(getProposal(repo, 'refs/heads/not-a-proposal')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(getProposal(repo, 'missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('stops revisions at the merge base when the proposal merged the target', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    for (let i = 0; i < 5; i += 1) {
      t.write(`history${i}.txt`, `${i}\n`);
      t.commitAll(`history ${i}`);
    }
    t.git('checkout', '-q', '-b', 'proposals/p');
    t.write('p.txt', 'p\n');
    const p1 = t.commitAll('p1');
    t.git('checkout', '-q', 'main');
    t.write('m.txt', 'm\n');
    t.commitAll('m');
    t.git('checkout', '-q', 'proposals/p');
    t.git('merge', '-q', '--no-edit', 'main');
    const merge = t.git('rev-parse', 'HEAD');
    t.git('checkout', '-q', 'main');
    const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
    const [p] = await listProposals(repo);
    expect(p?.revisions.map((r) => r.oid).sort()).toEqual([p1, merge].sort());
    expect(p?.filesChanged).toBe(1);
  });
});

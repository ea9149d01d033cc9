import { afterEach, describe, expect, it } from 'vitest';
import { diffRevision } from '../../../electron/services/git/diff';
import { ChangeSet, importChangeSet, importUnifiedDiff } from '../../../electron/services/git/import';
import { listProposals } from '../../../electron/services/git/proposals';
import { openRepository, type GitRepository } from '../../../electron/services/git/repository';
import { describeRepoState, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

const fixedClock = { now: () => new Date('2025-03-04T05:06:07Z') };
const agent = { name: 'Agent Smith', email: 'agent@example.com' };

async function setup(files: Record<string, string> = { 'README.md': '# readme\n', 'src/app.ts': 'export const x = 1;\nexport const y = 2;\n', 'bin/run.sh': '#!/bin/sh\n' }): Promise<{ t: TempRepo; repo: GitRepository }> {
  const t = makeRepo(files);
  repos.push(t);
  return { t, repo: await openRepository({ dir: t.dir, targetBranch: 'main', clock: fixedClock }) };
}

describe('importChangeSet', () => {
  it('writes a commit on a new proposal branch with the agent as author', async () => {
    const { t, repo } = await setup();
    const base = t.git('rev-parse', 'HEAD');
    const result = await importChangeSet(repo, {
      name: 'tidy-up',
      changeSet: {
        title: 'Tidy up the app',
        rationale: 'Because y should be 3.',
        agent,
        safetyScore: 0.82,
        riskLevel: 'LOW',
        changes: [
          { path: 'src/app.ts', original: 'export const x = 1;\nexport const y = 2;\n', modified: 'export const x = 1;\nexport const y = 3;\n' },
          { path: 'docs/new.md', original: null, modified: '# new\n' },
          { path: 'README.md', original: '# readme\n', modified: null },
          { path: 'bin/tool.sh', original: null, modified: '#!/bin/sh\necho tool\n', executable: true },
        ],
      },
    });
    expect(result.ref).toBe('refs/heads/proposals/tidy-up');
    expect(result.name).toBe('tidy-up');
    expect(result.revision.baseOid).toBe(base);
    expect(t.git('rev-parse', 'refs/heads/proposals/tidy-up')).toBe(result.commitOid);
    expect(t.git('rev-parse', `${result.commitOid}^{tree}`)).toBe(result.revision.treeOid);
    expect(t.git('log', '-1', '--format=%an <%ae>|%cn|%aI|%s', result.commitOid)).toBe('Agent Smith <agent@example.com>|Gatehouse|2025-03-04T05:06:07+00:00|Tidy up the app');
    const body = t.git('log', '-1', '--format=%B', result.commitOid);
    expect(body).toContain('Because y should be 3.');
    expect(body).toContain('Gatehouse-Agent-Safety-Score: 0.82');
    expect(body).toContain('Gatehouse-Agent-Risk-Level: LOW');
    expect(t.git('show', `${result.commitOid}:src/app.ts`)).toBe('export const x = 1;\nexport const y = 3;');
    expect(t.git('ls-tree', '-r', result.commitOid, 'bin/tool.sh').split(' ')[0]).toBe('100755');
    expect(t.git('diff', '--name-status', base, result.commitOid).split('\n').sort()).toEqual(['A\tbin/tool.sh', 'A\tdocs/new.md', 'D\tREADME.md', 'M\tsrc/app.ts']);
    // git's own fsck agrees the objects are well formed.
    expect(() => t.git('fsck', '--strict', '--no-dangling')).not.toThrow();
    // The working tree and target branch are untouched.
    expect(t.git('status', '--porcelain')).toBe('');
    expect(t.git('rev-parse', 'main')).toBe(base);
    const listed = await listProposals(repo);
    expect(listed.map((p) => [p.name, p.filesChanged, p.linesAdded, p.linesRemoved])).toEqual([['tidy-up', 4, 4, 2]]);
  });

  it('refuses an original that does not match the target branch, writing nothing', async () => {
    const { t, repo } = await setup();
    const before = describeRepoState(t);
    const objects = t.git('count-objects');
    await expect(
      importChangeSet(repo, {
        changeSet: {
          title: 'stale',
          rationale: '',
          agent,
          safetyScore: 1,
          riskLevel: 'MINIMAL',
          changes: [
            { path: 'docs/ok.md', original: null, modified: 'fine\n' },
            { path: 'src/app.ts', original: 'export const x = 0;\n', modified: 'export const x = 2;\n' },
          ],
        },
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { path: 'src/app.ts' } });
    expect(describeRepoState(t)).toEqual(before);
    expect(t.git('count-objects')).toBe(objects);
  });

  it.each([
    ['an add over an existing file', { path: 'README.md', original: null, modified: 'x' }, 'CONFLICT'],
    ['a modify of a missing file', { path: 'nope.txt', original: 'x', modified: 'y' }, 'CONFLICT'],
    ['a delete with the wrong original', { path: 'README.md', original: '# other\n', modified: null }, 'CONFLICT'],
    ['a file below a file', { path: 'README.md/inner', original: null, modified: 'x' }, 'REFUSED'],
  ])('refuses %s', async (_label, change, code) => {
    const { t, repo } = await setup();
    const before = describeRepoState(t);
    await expect(importChangeSet(repo, { changeSet: { title: 't', rationale: '', agent, safetyScore: 1, riskLevel: 'LOW', changes: [change] } })).rejects.toMatchObject({ code });
    expect(describeRepoState(t)).toEqual(before);
  });

  it('validates the change set with its schema', async () => {
    const { repo } = await setup();
    const bad: unknown[] = [
      null,
      {},
      { title: 't', rationale: '', agent, safetyScore: 2, riskLevel: 'LOW', changes: [{ path: 'a', original: null, modified: 'x' }] },
      { title: 't', rationale: '', agent, safetyScore: 0.5, riskLevel: 'SEVERE', changes: [{ path: 'a', original: null, modified: 'x' }] },
      { title: 't', rationale: '', agent: { name: 'Evil <x@y>', email: 'a@b' }, safetyScore: 0.5, riskLevel: 'LOW', changes: [{ path: 'a', original: null, modified: 'x' }] },
      { title: 't', rationale: '', agent, safetyScore: 0.5, riskLevel: 'LOW', changes: [] },
      { title: 't', rationale: '', agent, safetyScore: 0.5, riskLevel: 'LOW', changes: [{ path: 'a', original: null, modified: null }] },
      { title: 'two\nlines', rationale: '', agent, safetyScore: 0.5, riskLevel: 'LOW', changes: [{ path: 'a', original: null, modified: 'x' }] },
    ];
    for (const changeSet of bad) {
      expect(ChangeSet.safeParse(changeSet).success).toBe(false);
      await expect(importChangeSet(repo, { changeSet })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
  });

  it('bounds the number of files and the bytes', async () => {
    const { repo } = await setup();
    const many = Array.from({ length: 6 }, (_, i) => ({ path: `f${i}.txt`, original: null, modified: 'x' }));
    const base = { title: 't', rationale: '', agent, safetyScore: 1, riskLevel: 'LOW' };
    await expect(importChangeSet(repo, { changeSet: { ...base, changes: many }, limits: { maxFiles: 5 } })).rejects.toThrow(/limit is 5/u);
    await expect(importChangeSet(repo, { changeSet: { ...base, changes: [{ path: 'big', original: null, modified: 'x'.repeat(2000) }] }, limits: { maxFileBytes: 1000 } })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    await expect(
      importChangeSet(repo, {
        changeSet: { ...base, changes: [{ path: 'a', original: null, modified: 'x'.repeat(800) }, { path: 'b', original: null, modified: 'x'.repeat(800) }] },
        limits: { maxTotalBytes: 1000 },
      }),
    ).rejects.toThrow(/limit is 1000/u);
  });

  it('refuses duplicate paths and an existing branch name', async () => {
    const { repo } = await setup();
    const base = { title: 't', rationale: '', agent, safetyScore: 1, riskLevel: 'LOW' };
    await expect(importChangeSet(repo, { changeSet: { ...base, changes: [{ path: 'a', original: null, modified: 'x' }, { path: 'a', original: null, modified: 'y' }] } })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    await importChangeSet(repo, { name: 'same', changeSet: { ...base, changes: [{ path: 'a', original: null, modified: 'x' }] } });
    await expect(importChangeSet(repo, { name: 'same', changeSet: { ...base, changes: [{ path: 'b', original: null, modified: 'x' }] } })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('importUnifiedDiff', () => {
  it('applies a git diff exactly (modify, add, delete, rename, mode change, no newline at end)', async () => {
    const { t, repo } = await setup({ 'a.txt': 'one\ntwo\nthree\nfour\nfive\n', 'gone.txt': 'bye\n', 'old/name.txt': 'same content\nline 2\n', 'tool.sh': 'echo\n', 'tail.txt': 'no newline' });
    const base = t.git('rev-parse', 'HEAD');
    // Make the change with native git on a scratch branch, export it as a patch, and reset.
    t.git('checkout', '-q', '-b', 'scratch');
    t.write('a.txt', 'one\n2\nthree\nfour\nfive\nsix\n');
    t.git('rm', '-q', 'gone.txt');
    t.write('new/file.txt', 'brand new\n');
    t.git('mv', 'old/name.txt', 'new/name.txt');
    t.git('update-index', '--chmod=+x', 'tool.sh');
    t.write('tail.txt', 'still no newline but changed');
    t.commitAll('scratch');
    const patch = t.git('diff', '-M', base, 'HEAD') + '\n';
    const expectedTree = t.git('rev-parse', 'HEAD^{tree}');
    t.git('checkout', '-q', 'main');
    const result = await importUnifiedDiff(repo, { patch, meta: { title: 'From a patch', agent }, name: 'from-patch' });
    expect(result.revision.treeOid).toBe(expectedTree);
    expect(result.revision.baseOid).toBe(base);
  });

  it('applies hunks whose context moved (offset), and refuses hunks that do not match', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const { t, repo } = await setup({ 'f.txt': `${lines.join('\n')}\n` });
    const patch = ['--- a/f.txt', '+++ b/f.txt', '@@ -12,3 +12,3 @@', ' line 20', '-line 21', '+LINE 21', ' line 22', ''].join('\n');
    const result = await importUnifiedDiff(repo, { patch, meta: { title: 'offset', agent } });
    expect(t.git('show', `${result.commitOid}:f.txt`).split('\n')[20]).toBe('LINE 21');
    const bad = ['--- a/f.txt', '+++ b/f.txt', '@@ -1,2 +1,2 @@', ' line 1', '-line 99', '+line 2', ''].join('\n');
    const before = describeRepoState(t);
    await expect(importUnifiedDiff(repo, { patch: bad, meta: { title: 'bad', agent } })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(describeRepoState(t)).toEqual(before);
  });

  it('refuses binary patches, copies, submodules and garbage', async () => {
    const { repo } = await setup();
    const meta = { title: 't', agent };
    await expect(importUnifiedDiff(repo, { patch: 'diff --git a/x.bin b/x.bin\nnew file mode 100644\nindex 0000000..1111111\nGIT binary patch\nliteral 3\nabc\n', meta })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    await expect(importUnifiedDiff(repo, { patch: 'diff --git a/README.md b/copy.md\nsimilarity index 100%\ncopy from README.md\ncopy to copy.md\n', meta })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    await expect(importUnifiedDiff(repo, { patch: 'diff --git a/sub b/sub\nnew file mode 160000\n--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit aaaa\n', meta })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    await expect(importUnifiedDiff(repo, { patch: 'hello, this is not a patch\n', meta })).rejects.toMatchObject({ code: 'REFUSED' });
    await expect(importUnifiedDiff(repo, { patch: '--- a/README.md\n+++ b/README.md\n@@ -1,1 +1,2 @@\n-# readme\n', meta })).rejects.toMatchObject({ code: 'REFUSED' });
    await expect(importUnifiedDiff(repo, { patch: 'x'.repeat(2000), meta, limits: { maxInputBytes: 1000 } })).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it('the resulting revision diffs back to the patch', async () => {
    const { t, repo } = await setup();
    const patch = ['--- a/src/app.ts', '+++ b/src/app.ts', '@@ -1,2 +1,3 @@', ' export const x = 1;', '-export const y = 2;', '+export const y = 20;', '+export const z = 30;', ''].join('\n');
    const result = await importUnifiedDiff(repo, { patch, meta: { title: 'z', agent, rationale: 'adds z', safetyScore: 0.4, riskLevel: 'MEDIUM' } });
    const diff = await diffRevision(repo, result.revision.baseOid as string, result.revision.headOid);
    expect(diff.files).toEqual([expect.objectContaining({ path: 'src/app.ts', status: 'modified', added: 2, removed: 1 })]);
    expect(t.git('log', '-1', '--format=%B', result.commitOid)).toContain('Gatehouse-Agent-Risk-Level: MEDIUM');
  });
});

/**
 * Every path attack the issue names, through every door: JSON change sets, unified diffs, hostile trees
 * reaching the review diff, apply and materialise. Afterwards nothing outside the repository changed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyRevision } from '../../../electron/services/git/apply';
import { diffRevision, fileContents } from '../../../electron/services/git/diff';
import { importChangeSet, importUnifiedDiff } from '../../../electron/services/git/import';
import { materialiseTree } from '../../../electron/services/git/materialise';
import { listProposals } from '../../../electron/services/git/proposals';
import { openRepository, type GitRepository } from '../../../electron/services/git/repository';
import { commitTree, describeOutside, describeRepoState, makeRepo, writeBlob, writeRawTree, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
const temps: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup(): Promise<{ t: TempRepo; repo: GitRepository }> {
  const t = makeRepo({ 'README.md': '# readme\n', 'src/app.ts': 'export const x = 1;\n' });
  repos.push(t);
  return { t, repo: await openRepository({ dir: t.dir, targetBranch: 'main' }) };
}

const agent = { name: 'Agent Smith', email: 'agent@example.com' };

function changeSet(changes: ReadonlyArray<{ path: string; original: string | null; modified: string | null }>): unknown {
  return { title: 'attack', rationale: 'r', agent, safetyScore: 0.5, riskLevel: 'LOW', changes };
}

const BAD_PATHS: ReadonlyArray<string> = [
  '..',
  '../outside/secret.txt',
  'a/../../outside/pwned',
  '.git/hooks/post-checkout',
  '.GIT/config',
  '.Git/hooks/pre-commit',
  'git~1/config',
  'GIT~1/hooks/x',
  '.git./config',
  '.git /config',
  '.g\u200cit/config',
  '.gi\ufefft/config',
  'sub/.git/config',
  '/etc/passwd',
  '/tmp/pwned',
  'C:\\x',
  'C:/Windows/x',
  'a\\..\\..\\x',
  'nul\u0000byte',
];

describe('path attacks', () => {
  it.each(BAD_PATHS)('a change set adding %j is refused and writes nothing', async (path) => {
    const { t, repo } = await setup();
    const outside = describeOutside(t);
    const before = describeRepoState(t);
    await expect(importChangeSet(repo, { changeSet: changeSet([{ path, original: null, modified: 'pwned\n' }]) })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    expect(describeRepoState(t)).toEqual(before);
    expect(describeOutside(t)).toEqual(outside);
  });

  it.each(BAD_PATHS.filter((p) => !p.includes('\u0000')))('a unified diff creating %j is refused', async (path) => {
    const { t, repo } = await setup();
    const outside = describeOutside(t);
    const before = describeRepoState(t);
    const patch = `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+pwned\n`;
    await expect(importUnifiedDiff(repo, { patch, meta: { title: 'attack', agent } })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(describeRepoState(t)).toEqual(before);
    expect(describeOutside(t)).toEqual(outside);
  });

  it('refuses a patch that creates link -> ../outside and then writes link/f', async () => {
    const { t, repo } = await setup();
    const outside = describeOutside(t);
    const before = describeRepoState(t);
    const patch = [
      'diff --git a/link b/link',
      'new file mode 120000',
      '--- /dev/null',
      '+++ b/link',
      '@@ -0,0 +1 @@',
      '+../outside',
      '\\ No newline at end of file',
      'diff --git a/link/f b/link/f',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/link/f',
      '@@ -0,0 +1 @@',
      '+pwned',
      '',
    ].join('\n');
    await expect(importUnifiedDiff(repo, { patch, meta: { title: 'attack', agent } })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(describeRepoState(t)).toEqual(before);
    expect(describeOutside(t)).toEqual(outside);
    expect(existsSync(join(t.outside, 'f'))).toBe(false);
  });

  it('refuses writing below a symlink even when the symlink stays inside', async () => {
    const { t, repo } = await setup();
    const patch = [
      'diff --git a/link b/link',
      'new file mode 120000',
      '--- /dev/null',
      '+++ b/link',
      '@@ -0,0 +1 @@',
      '+src',
      '\\ No newline at end of file',
      'diff --git a/link/f b/link/f',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/link/f',
      '@@ -0,0 +1 @@',
      '+through the link',
      '',
    ].join('\n');
    await expect(importUnifiedDiff(repo, { patch, meta: { title: 'attack', agent } })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(existsSync(join(t.dir, 'src/f'))).toBe(false);
  });

  it('refuses writing below a symlink that already exists on the target branch', async () => {
    const { t, repo } = await setup();
    t.symlink('docs', 'src');
    t.commitAll('add docs link');
    await expect(importChangeSet(repo, { changeSet: changeSet([{ path: 'docs/new.md', original: null, modified: 'x\n' }]) })).rejects.toMatchObject({
      code: 'REFUSED',
    });
  });

  it.each([
    ['../outside', 'leaves the repository'],
    ['/etc/passwd', 'absolute'],
    ['../../../../../../tmp', 'deep escape'],
    ['.git/hooks', 'points into .git'],
    ['sub/../../x', 'escape through a folder'],
  ])('refuses a symlink to %j (%s)', async (target) => {
    const { t, repo } = await setup();
    const outside = describeOutside(t);
    const patch = `diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+${target}\n\\ No newline at end of file\n`;
    await expect(importUnifiedDiff(repo, { patch, meta: { title: 'attack', agent } })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(describeOutside(t)).toEqual(outside);
  });

  it('refuses a symlink chain that leaves the repository through another symlink', async () => {
    const { t, repo } = await setup();
    // d/s -> ..  (the root, inside) and t -> d/s/..  (lexically `d`, really the repository's parent).
    const patch = [
      'diff --git a/d/s b/d/s',
      'new file mode 120000',
      '--- /dev/null',
      '+++ b/d/s',
      '@@ -0,0 +1 @@',
      '+..',
      '\\ No newline at end of file',
      'diff --git a/t b/t',
      'new file mode 120000',
      '--- /dev/null',
      '+++ b/t',
      '@@ -0,0 +1 @@',
      '+d/s/..',
      '\\ No newline at end of file',
      '',
    ].join('\n');
    await expect(importUnifiedDiff(repo, { patch, meta: { title: 'attack', agent } })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(t.git('for-each-ref', 'refs/heads/proposals')).toBe('');
  });

  // Hostile trees made with raw objects (git's own checks bypassed), as a malicious branch would carry.
  const HOSTILE_NAMES: ReadonlyArray<string> = ['..', '.git', '.GIT', 'git~1', '.git.', '.git ', '.g\u200cit', '.Git\u200d'];

  it.each(HOSTILE_NAMES)('a proposal tree holding an entry named %j is refused by diff, apply and materialise', async (name) => {
    const { t, repo } = await setup();
    const outside = describeOutside(t);
    const payload = writeBlob(t, '#!/bin/sh\necho pwned > /tmp/pwned\n');
    const inner = writeRawTree(t, [{ mode: '100755', name: 'post-checkout', oid: payload }]);
    const base = t.git('rev-parse', 'HEAD');
    const baseTree = t.git('rev-parse', 'HEAD^{tree}');
    const entries = t
      .git('ls-tree', baseTree)
      .split('\n')
      .map((line) => {
        const [meta, entryName] = line.split('\t') as [string, string];
        const [mode, , oid] = meta.split(' ') as [string, string, string];
        return { mode, name: entryName, oid };
      });
    const hostile = writeRawTree(t, [...entries, { mode: '40000', name, oid: inner }].sort((a, b) => Buffer.compare(Buffer.from(a.mode === '40000' ? `${a.name}/` : a.name), Buffer.from(b.mode === '40000' ? `${b.name}/` : b.name))));
    const head = commitTree(t, hostile, base, 'refs/heads/proposals/hostile');
    const before = describeRepoState(t);
    await expect(diffRevision(repo, base, head)).rejects.toMatchObject({ code: 'REFUSED' });
    const listed = await listProposals(repo);
    expect(listed[0]?.error?.code).toBe('REFUSED');
    await expect(
      applyRevision(repo, { revision: { proposal: 'hostile', baseOid: base, headOid: head, treeOid: hostile } }),
    ).rejects.toMatchObject({ code: 'REFUSED' });
    const into = mkdtempSync(join(tmpdir(), 'gh-mat-'));
    temps.push(into);
    await expect(materialiseTree({ repo, oid: head, into })).rejects.toMatchObject({ code: 'REFUSED' });
    await expect(fileContents(repo, { base, head, path: `${name}/post-checkout` })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(describeRepoState(t)).toEqual(before);
    expect(describeOutside(t)).toEqual(outside);
    expect(existsSync('/tmp/pwned')).toBe(false);
  });

  it('refuses a hostile tree with a symlink escaping the repository when applying or materialising', async () => {
    const { t, repo } = await setup();
    const outside = describeOutside(t);
    const base = t.git('rev-parse', 'HEAD');
    const link = writeBlob(t, '../outside');
    const tree = t.gitInput(`${t.git('ls-tree', 'HEAD')}\n120000 blob ${link}\tescape\n`, 'mktree');
    const head = commitTree(t, tree, base, 'refs/heads/proposals/escape');
    const before = describeRepoState(t);
    await expect(applyRevision(repo, { revision: { proposal: 'escape', baseOid: base, headOid: head, treeOid: tree } })).rejects.toMatchObject({
      code: 'REFUSED',
    });
    expect(describeRepoState(t)).toEqual(before);
    const into = mkdtempSync(join(tmpdir(), 'gh-mat-'));
    temps.push(into);
    await expect(materialiseTree({ repo, oid: head, into })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(describeOutside(t)).toEqual(outside);
  });

  it('refuses a tree with duplicate entry names (a file and a directory both called link)', async () => {
    const { t, repo } = await setup();
    const base = t.git('rev-parse', 'HEAD');
    const blob = writeBlob(t, 'x\n');
    const inner = writeRawTree(t, [{ mode: '100644', name: 'f', oid: blob }]);
    const dup = writeRawTree(t, [
      { mode: '120000', name: 'link', oid: writeBlob(t, 'src') },
      { mode: '40000', name: 'link', oid: inner },
    ]);
    const head = commitTree(t, dup, base, 'refs/heads/proposals/dup');
    await expect(diffRevision(repo, base, head)).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it('refuses a symlink named .gitmodules in a proposal tree', async () => {
    const { t, repo } = await setup();
    const base = t.git('rev-parse', 'HEAD');
    const link = writeBlob(t, 'src/app.ts');
    const tree = t.gitInput(`${t.git('ls-tree', 'HEAD')}\n120000 blob ${link}\t.gitmodules\n`, 'mktree');
    const head = commitTree(t, tree, base, 'refs/heads/proposals/gitmodules');
    await expect(diffRevision(repo, base, head)).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it('shows a gitlink as a pointer and never follows it', async () => {
    const { t, repo } = await setup();
    const base = t.git('rev-parse', 'HEAD');
    const pointer = 'a'.repeat(40);
    const tree = t.gitInput(`${t.git('ls-tree', 'HEAD')}\n160000 commit ${pointer}\tvendor/lib\n`.replace('vendor/lib', 'vendorlib'), 'mktree');
    const head = commitTree(t, tree, base, 'refs/heads/proposals/submodule');
    const diff = await diffRevision(repo, base, head);
    expect(diff.files).toEqual([
      expect.objectContaining({ path: 'vendorlib', status: 'added', newKind: 'gitlink', newOid: pointer, added: null, newSize: null, flags: expect.objectContaining({ gitlink: true }) }),
    ]);
    const contents = await fileContents(repo, { base, head, path: 'vendorlib' });
    expect(contents.new).toEqual({ kind: 'gitlink', oid: pointer });
    const into = mkdtempSync(join(tmpdir(), 'gh-mat-'));
    temps.push(into);
    const result = await materialiseTree({ repo, oid: head, into });
    expect(result.gitlinks).toBe(1);
    expect(existsSync(join(into, 'vendorlib'))).toBe(true);
  });
});

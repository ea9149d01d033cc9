/**
 * Files of the working tree are rewritten in place when that is safe (one link, same executable bit),
 * and replaced as git does otherwise: a hard link to a file outside the repository, planted where a
 * tracked file was, is never written through by a rollback or an apply.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyRevision } from '../../../electron/services/git/apply';
import { createCheckpoint } from '../../../electron/services/git/checkpoints';
import { importChangeSet } from '../../../electron/services/git/import';
import { openRepository } from '../../../electron/services/git/repository';
import { rollback } from '../../../electron/services/git/rollback';
import { overwriteInPlace } from '../../../electron/services/git/worktree';
import { makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('writing files of the working tree', () => {
  it('rollback replaces a hard link to an outside file instead of writing through it', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    const secret = join(t.outside, 'secret.txt');
    writeFileSync(secret, 'outside, never to be changed\n');
    unlinkSync(join(t.dir, 'a.txt'));
    linkSync(secret, join(t.dir, 'a.txt'));
    writeFileSync(join(t.dir, 'b.txt'), 'edited\n');
    const inodeOfB = lstatSync(join(t.dir, 'b.txt')).ino;

    const result = await rollback(repo, { checkpointId: cp.id, operator: 'o' });

    expect(result.changedPaths).toBe(2);
    expect(readFileSync(secret, 'utf8')).toBe('outside, never to be changed\n');
    expect(lstatSync(secret).nlink).toBe(1);
    expect(t.read('a.txt').toString()).toBe('a\n');
    // The single-link file was rewritten in place.
    expect(t.read('b.txt').toString()).toBe('b\n');
    expect(lstatSync(join(t.dir, 'b.txt')).ino).toBe(inodeOfB);
    expect(t.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('apply and rollback rewrite a file with shorter and longer content exactly', async () => {
    const t = makeRepo({ 'run.sh': 'echo a long first version of the script\n', 'keep.txt': 'k\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const imported = await importChangeSet(repo, {
      name: 'p',
      changeSet: {
        title: 'p',
        rationale: '',
        agent: { name: 'A', email: 'a@example.com' },
        safetyScore: 1,
        riskLevel: 'LOW',
        changes: [{ path: 'run.sh', original: 'echo a long first version of the script\n', modified: 'echo b\n' }],
      },
    });
    await applyRevision(repo, { revision: { proposal: 'p', ...imported.revision, baseOid: imported.revision.baseOid as string } });
    expect(t.read('run.sh').toString()).toBe('echo b\n');
    expect(t.git('status', '--porcelain', '--untracked-files=all')).toBe('');

    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    writeFileSync(join(t.dir, 'run.sh'), 'echo a much longer third version of the script than before\n');
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    expect(t.read('run.sh').toString()).toBe('echo b\n');
  });
});

describe('overwriteInPlace', () => {
  const blob = (mode = 0o100644): { mode: number; oid: string } => ({ mode, oid: '0'.repeat(40) });

  it('without an lstat: rewrites a single-link file in place, truncating only a longer one', () => {
    const t = makeRepo({ 'a.txt': 'a long first version\n', 'b.txt': 'b\n' });
    repos.push(t);
    const a = join(t.dir, 'a.txt');
    const inode = lstatSync(a).ino;
    const shorter = overwriteInPlace(a, blob(), Buffer.from('short\n'), null);
    expect(readFileSync(a, 'utf8')).toBe('short\n');
    expect(shorter?.size).toBe(6);
    expect(lstatSync(a).ino).toBe(inode);
    const longer = overwriteInPlace(join(t.dir, 'b.txt'), blob(), Buffer.from('a longer second version\n'), null);
    expect(readFileSync(join(t.dir, 'b.txt'), 'utf8')).toBe('a longer second version\n');
    expect(longer?.size).toBe(24);
  });

  it('without an lstat: answers null for a symlink, a hard link, a directory, a missing path and a changed executable bit, writing nothing', () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const secret = join(t.outside, 'secret.txt');
    writeFileSync(secret, 'outside\n');
    symlinkSync(secret, join(t.dir, 'link'));
    linkSync(secret, join(t.dir, 'hard'));
    mkdirSync(join(t.dir, 'dir'));
    const content = Buffer.from('planted\n');
    expect(overwriteInPlace(join(t.dir, 'link'), blob(), content, null)).toBeNull();
    expect(overwriteInPlace(join(t.dir, 'hard'), blob(), content, null)).toBeNull();
    expect(overwriteInPlace(join(t.dir, 'dir'), blob(), content, null)).toBeNull();
    expect(overwriteInPlace(join(t.dir, 'missing'), blob(), content, null)).toBeNull();
    expect(overwriteInPlace(join(t.dir, 'a.txt', 'below-a-file'), blob(), content, null)).toBeNull();
    expect(overwriteInPlace(join(t.dir, 'a.txt'), blob(0o100755), content, null)).toBeNull();
    expect(readFileSync(secret, 'utf8')).toBe('outside\n');
    expect(readFileSync(join(t.dir, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('refuses a FIFO swapped in after the lstat instead of waiting for a reader', () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const path = join(t.dir, 'a.txt');
    const seen = lstatSync(path);
    unlinkSync(path);
    execFileSync('mkfifo', [path]);
    // In a child process: without O_NONBLOCK the open blocks until a reader comes, which would hang this
    // worker; the child is killed after its timeout and the test fails instead.
    const script = [
      `const loaded = await import(${JSON.stringify(join(__dirname, '../../../electron/services/git/worktree.ts'))});`,
      `const { overwriteInPlace } = loaded.default ?? loaded;`,
      `const seen = ${JSON.stringify({ mode: seen.mode, ino: seen.ino, dev: seen.dev })};`,
      `const stats = { ...seen, isFile: () => true };`,
      `const out = overwriteInPlace(${JSON.stringify(path)}, { mode: 0o100644, oid: '0'.repeat(40) }, Buffer.from('b\\n'), stats);`,
      `process.stdout.write(JSON.stringify(out));`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, encoding: 'utf8' });
    expect(out).toBe('null');
    expect(lstatSync(path).isFIFO()).toBe(true);
  });
});

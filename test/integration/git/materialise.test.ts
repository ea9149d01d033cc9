import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materialiseTree } from '../../../electron/services/git/materialise';
import { describeTree, makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
const temps: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-mat-'));
  temps.push(dir);
  return dir;
}

describe('materialiseTree', () => {
  it('writes exactly what git checks out: contents, executable bits, inside symlinks', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'deep/er/b.txt': 'b\n' });
    repos.push(t);
    t.write('bin/run.sh', '#!/bin/sh\n', 0o755);
    t.symlink('docs', 'deep/er');
    const head = t.commitAll('tree');
    const into = join(temp(), 'tree');
    const result = await materialiseTree({ repoDir: t.dir, oid: head, into });
    expect(result).toMatchObject({ files: 3, symlinks: 1, gitlinks: 0, directories: 3 });
    const reference = join(temp(), 'reference');
    t.git('worktree', 'add', '-q', '--detach', reference, head);
    rmSync(join(reference, '.git'));
    expect(describeTree(into)).toEqual(describeTree(reference));
  });

  it('refuses a directory that is not empty, a relative target, and cleans up after a failure', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const full = temp();
    writeFileSync(join(full, 'x'), 'x');
    await expect(materialiseTree({ repoDir: t.dir, oid: 'HEAD', into: full })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(materialiseTree({ repoDir: t.dir, oid: 'HEAD', into: 'relative/dir' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const empty = temp();
    await expect(materialiseTree({ repoDir: t.dir, oid: 'HEAD', into: empty, maxBytes: 1 })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(describeTree(empty)).toEqual({});
  });
});

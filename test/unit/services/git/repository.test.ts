import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashObject } from '../../../../electron/services/git/object-store';
import { createPackReader } from '../../../../electron/services/git/pack';
import { openRepository } from '../../../../electron/services/git/repository';
import { flattenTree } from '../../../../electron/services/git/trees';
import { gitEnv, makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
const temps: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('openRepository', () => {
  it('opens a repository and defaults the target branch to the checked-out one', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' }, 'trunk');
    repos.push(t);
    const repo = await openRepository({ dir: join(t.dir, '.') });
    expect(repo.targetBranch).toBe('trunk');
    expect(repo.dir).toBe(t.dir);
    expect(repo.proposalRefPattern).toBe('refs/heads/proposals/*');
  });

  it('refuses what it cannot handle safely', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gh-'));
    temps.push(root);
    await expect(openRepository({ dir: join(root, 'missing') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(openRepository({ dir: root })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const env = gitEnv(root);
    const linked = join(root, 'linked');
    execFileSync('git', ['init', '-q', '--separate-git-dir', join(root, 'sep.git'), linked], { env });
    await expect(openRepository({ dir: linked })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    await expect(openRepository({ dir: t.dir, targetBranch: 'bad..branch' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(openRepository({ dir: t.dir, proposalRefPattern: 'refs/heads/*/*' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    t.git('config', 'core.bare', 'true');
    await expect(openRepository({ dir: t.dir })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('object store', () => {
  it('reads loose and packed objects alike and writes objects git can read', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const tree = t.git('rev-parse', 'HEAD^{tree}');
    const loose = await flattenTree(repo.objects, tree);
    t.git('gc', '-q', '--prune=now');
    expect(readdirSync(join(t.dir, '.git/objects')).filter((d) => d.length === 2)).toEqual([]);
    const fresh = await openRepository({ dir: t.dir });
    expect(await flattenTree(fresh.objects, tree)).toEqual(loose);
    expect((await fresh.objects.readBlob(loose[0]?.oid as string)).toString()).toBe('a\n');
    const oid = fresh.objects.write('blob', Buffer.from('written by gatehouse\n'));
    expect(oid).toBe(hashObject('blob', Buffer.from('written by gatehouse\n')));
    expect(t.git('cat-file', '-p', oid)).toBe('written by gatehouse');
    await expect(fresh.objects.read('0'.repeat(40))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    ['offset deltas', 'true'],
    ['ref deltas', 'false'],
  ])('reads every version of a file from a pack with %s', async (_label, useOffsets) => {
    const t = makeRepo({});
    repos.push(t);
    const versions: string[] = [];
    let text = Array.from({ length: 200 }, (_, i) => `line ${i} of a file that changes a little each time`).join('\n');
    for (let v = 0; v < 12; v += 1) {
      text = text.replace(`line ${v * 7}`, `LINE ${v * 7} (v${v})`);
      t.write('big.txt', `${text}\n`);
      t.write(`other-${v}.txt`, `${v}\n`);
      versions.push(t.commitAll(`v${v}`));
    }
    t.git('-c', `repack.useDeltaBaseOffset=${useOffsets}`, 'repack', '-a', '-d', '-q', '-f', '--depth=50');
    t.git('prune');
    expect(t.git('count-objects', '-v').split('\n').find((l) => l.startsWith('count:'))).toBe('count: 0');
    expect(t.git('verify-pack', '-v', ...readdirSync(join(t.dir, '.git/objects/pack')).filter((n) => n.endsWith('.idx')).map((n) => join(t.dir, '.git/objects/pack', n)))).toMatch(/chain length = [1-9]/u);
    const repo = await openRepository({ dir: t.dir });
    // The pack reader itself (not the isomorphic-git fallback behind it) reads every object.
    const packs = createPackReader(join(t.dir, '.git'));
    for (const commit of versions) {
      const blob = t.git('rev-parse', `${commit}:big.txt`);
      expect(packs.read(blob)?.content?.toString()).toBe(`${t.git('cat-file', 'blob', blob)}\n`);
      expect(packs.read(commit)?.type).toBe('commit');
      expect((await repo.objects.readBlob(blob)).toString()).toBe(`${t.git('cat-file', 'blob', blob)}\n`);
      const parsed = await repo.objects.readCommit(commit);
      expect(parsed.tree).toBe(t.git('rev-parse', `${commit}^{tree}`));
      const bounded = await repo.objects.readBlobBounded(blob, 100);
      expect(bounded).toEqual({ size: Number(t.git('cat-file', '-s', blob)), content: null });
    }
  });

  it('refuses a corrupt loose object', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const blob = t.git('rev-parse', 'HEAD:a.txt');
    const path = join(t.dir, '.git/objects', blob.slice(0, 2), blob.slice(2));
    const other = t.gitInput('something else\n', 'hash-object', '-w', '--stdin');
    chmodSync(path, 0o644);
    writeFileSync(path, readFileSync(join(t.dir, '.git/objects', other.slice(0, 2), other.slice(2))));
    const repo = await openRepository({ dir: t.dir });
    await expect(repo.objects.readBlob(blob)).rejects.toMatchObject({ code: 'REFUSED' });
  });
});

/**
 * resolveRefOrNull reads a loose ref holding an oid directly and leaves everything else to isomorphic-git:
 * against native git on real repositories, every kind of ref resolves to what `git rev-parse` says
 * (loose, packed, loose over a stale packed copy, symbolic, short names, missing, a corrupt loose file).
 * listRefsMatching lists what `git for-each-ref` lists.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRefsMatching, resolveRefOrNull } from '../../../../electron/services/git/refs';
import { openRepository } from '../../../../electron/services/git/repository';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function nativeResolve(t: TempRepo, ref: string): string | null {
  try {
    const out = t.git('rev-parse', '--verify', '-q', `${ref}^{}`);
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

describe('resolveRefOrNull', () => {
  it('resolves loose, packed, symbolic and short refs as native git does', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const first = t.git('rev-parse', 'HEAD');
    writeFileSync(join(t.dir, 'b.txt'), 'b\n');
    t.git('add', '-A');
    t.git('commit', '-q', '-m', 'second');
    const second = t.git('rev-parse', 'HEAD');
    t.git('branch', 'packed-only', first);
    t.git('branch', 'stale', first);
    t.git('pack-refs', '--all');
    // After packing, `stale` moves: its loose file now holds the newer oid, the packed copy the old one.
    t.git('update-ref', 'refs/heads/stale', second);
    t.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    t.git('update-ref', 'refs/gatehouse/checkpoints/x', second);
    const repo = await openRepository({ dir: t.dir });
    const cases = ['refs/heads/main', 'main', 'refs/heads/packed-only', 'packed-only', 'refs/heads/stale', 'refs/heads/alias', 'refs/gatehouse/checkpoints/x', 'refs/heads/missing', 'missing'];
    for (const ref of cases) expect(await resolveRefOrNull(repo, ref), ref).toBe(nativeResolve(t, ref));
    expect(await resolveRefOrNull(repo, 'refs/heads/stale')).toBe(second);
    expect(await resolveRefOrNull(repo, 'refs/heads/packed-only')).toBe(first);
    expect(await resolveRefOrNull(repo, 'refs/heads/missing')).toBeNull();
  });

  it('does not take a loose file that holds no oid for one', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const head = t.git('rev-parse', 'HEAD');
    const file = join(t.dir, '.git', 'refs', 'heads', 'odd');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${head.slice(0, 39)}\n`);
    const repo = await openRepository({ dir: t.dir });
    await expect(resolveRefOrNull(repo, 'refs/heads/odd')).resolves.not.toBe(head.slice(0, 39));
    // A directory where a ref would be (refs/heads holds branches): not a ref.
    expect(await resolveRefOrNull(repo, 'refs/heads')).toBe(nativeResolve(t, 'refs/heads'));
  });
});

describe('listRefsMatching', () => {
  it('lists what git for-each-ref lists: packed and loose, no stale .lock, no invalid name', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const head = t.git('rev-parse', 'HEAD');
    for (const name of ['packed-one', 'packed-two', 'nested/packed-three', 'both']) t.git('update-ref', `refs/gatehouse/checkpoints/${name}`, head);
    t.git('update-ref', 'refs/heads/proposals/packed', head);
    t.git('pack-refs', '--all');
    // Loose refs after packing: new ones, and one also in packed-refs (listed once).
    for (const name of ['loose-one', 'nested/loose-two', 'both']) t.git('update-ref', `refs/gatehouse/checkpoints/${name}`, head);
    const folder = join(t.dir, '.git/refs/gatehouse/checkpoints');
    // A ref being written by another git (its lock left behind), and a file no git would name a ref.
    writeFileSync(join(folder, 'loose-one.lock'), `${head}\n`);
    writeFileSync(join(folder, 'stale.lock'), `${head}\n`);
    writeFileSync(join(folder, 'has space'), `${head}\n`);
    writeFileSync(join(folder, '.hidden'), `${head}\n`);
    const repo = await openRepository({ dir: t.dir });
    const native = t
      .git('for-each-ref', '--format=%(refname)', 'refs/gatehouse/checkpoints/')
      .split('\n')
      .filter((line) => line !== '')
      .sort();
    expect(native).toEqual([
      'refs/gatehouse/checkpoints/both',
      'refs/gatehouse/checkpoints/loose-one',
      'refs/gatehouse/checkpoints/nested/loose-two',
      'refs/gatehouse/checkpoints/nested/packed-three',
      'refs/gatehouse/checkpoints/packed-one',
      'refs/gatehouse/checkpoints/packed-two',
    ]);
    expect(await listRefsMatching(repo, 'refs/gatehouse/checkpoints/*')).toEqual(native);
    expect(await listRefsMatching(repo, 'refs/gatehouse/checkpoints/nested/*')).toEqual(native.filter((ref) => ref.includes('/nested/')));
    expect(await listRefsMatching(repo, 'refs/heads/proposals/*')).toEqual(['refs/heads/proposals/packed']);
    expect(await listRefsMatching(repo, 'refs/gatehouse/none/*')).toEqual([]);
  });
});

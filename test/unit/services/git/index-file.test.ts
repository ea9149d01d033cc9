import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockIndex, parseIndex, readIndex, serialiseIndex, type IndexMemo } from '../../../../electron/services/git/index-file';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function fixture(): TempRepo {
  const t = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n', 'dir/sub/c.txt': 'c\n', 'z-\u00fcml\u00e4ut.txt': 'u\n' });
  t.write('run.sh', 'x', 0o755);
  t.symlink('link', 'a.txt');
  t.commitAll('more');
  repos.push(t);
  return t;
}

describe('index file', () => {
  it('parses what native git writes, and writes it back byte for byte', () => {
    const t = fixture();
    const raw = readFileSync(join(t.dir, '.git/index'));
    const index = parseIndex(raw);
    const listed = t.git('-c', 'core.quotePath=false', 'ls-files', '-s').split('\n');
    expect(index.entries.map((e) => `${e.mode.toString(8)} ${e.oid} ${e.stage}\t${e.path}`)).toEqual(listed);
    // Without extensions the bytes are identical; git's own index may carry a TREE extension.
    const ours = serialiseIndex(index.entries);
    expect(parseIndex(ours).entries).toEqual(index.entries);
    const lock = lockIndex(join(t.dir, '.git'));
    lock.commit(index.entries);
    expect(t.git('-c', 'core.quotePath=false', 'ls-files', '-s').split('\n')).toEqual(listed);
    // Stat data survived: git sees a clean tree without re-hashing anything it would flag.
    expect(t.git('status', '--porcelain')).toBe('');
  });

  it('reads version 3 and 4 indexes (extended flags, path prefix compression)', () => {
    const t = fixture();
    t.git('update-index', '--index-version', '4');
    const v4 = readIndex(join(t.dir, '.git'));
    expect(v4.version).toBe(4);
    expect(v4.entries.map((e) => e.path)).toEqual(t.git('-c', 'core.quotePath=false', 'ls-files').split('\n'));
    t.git('update-index', '--index-version', '3');
    t.git('update-index', '--skip-worktree', 'a.txt');
    const v3 = readIndex(join(t.dir, '.git'));
    expect(v3.version).toBe(3);
    expect(v3.entries.find((e) => e.path === 'a.txt')?.skipWorktree).toBe(true);
    const written = serialiseIndex(v3.entries);
    expect(parseIndex(written).entries.find((e) => e.path === 'a.txt')?.skipWorktree).toBe(true);
  });

  it('refuses a corrupt index and an index whose checksum does not match', () => {
    const t = fixture();
    const raw = readFileSync(join(t.dir, '.git/index'));
    expect(() => parseIndex(Buffer.from('not an index at all, not at all'))).toThrow();
    const flipped = Buffer.from(raw);
    flipped[40] = (flipped[40] as number) ^ 0xff;
    expect(() => parseIndex(flipped)).toThrow(/checksum/u);
  });

  it('refuses a split index it cannot read whole', () => {
    const t = fixture();
    t.git('update-index', '--split-index');
    expect(() => readIndex(join(t.dir, '.git'))).toThrow(/not supported/u);
  });

  it('reuses a parse while the file is unchanged, and notices a rewrite', () => {
    const t = fixture();
    const memo: IndexMemo = { current: null };
    const first = readIndex(join(t.dir, '.git'), memo);
    expect(readIndex(join(t.dir, '.git'), memo)).toBe(first);
    t.write('new.txt', 'n\n');
    t.git('add', 'new.txt');
    const after = readIndex(join(t.dir, '.git'), memo);
    expect(after).not.toBe(first);
    expect(after.entries.map((e) => e.path)).toContain('new.txt');
  });

  it('respects git\u2019s index.lock', () => {
    const t = fixture();
    const lock = lockIndex(join(t.dir, '.git'));
    try {
      expect(() => lockIndex(join(t.dir, '.git'))).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
      expect(() => t.git('add', 'a.txt')).toThrow();
    } finally {
      lock.release();
    }
    expect(() => t.git('add', 'a.txt')).not.toThrow();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { compilePattern, createIgnoreMatcher } from '../../../../electron/services/git/ignore';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('gitignore matching', () => {
  it('agrees with git check-ignore', () => {
    const t = makeRepo({});
    repos.push(t);
    t.write('.gitignore', ['# comment', '*.log', '!keep.log', 'build/', '/root-only.txt', 'docs/**/draft-*.md', '**/tmp', 'a/**/z', '\\#hash', 'trailing\\ ', 'spaced   ', '[Tt]humbs.db', 'dir-only/', 'foo?.txt', ''].join('\n'));
    t.write('sub/.gitignore', ['!important.log', 'local.txt', '/anchored.txt'].join('\n'));
    t.write('.git/info/exclude', 'excluded-by-info\n');
    const candidates: Array<[string, boolean]> = [
      ['x.log', false],
      ['keep.log', false],
      ['deep/x.log', false],
      ['build', true],
      ['lib/build', false],
      ['src/build', true],
      ['root-only.txt', false],
      ['sub/root-only.txt', false],
      ['docs/a/b/draft-1.md', false],
      ['docs/draft-2.md', false],
      ['docs/final.md', false],
      ['tmp', true],
      ['x/y/tmp', true],
      ['a/z', false],
      ['a/b/c/z', false],
      ['#hash', false],
      ['trailing ', false],
      ['spaced', false],
      ['Thumbs.db', false],
      ['thumbs.db', false],
      ['lib/dir-only', false],
      ['dir-only', true],
      ['foo1.txt', false],
      ['foo12.txt', false],
      ['sub/important.log', false],
      ['sub/local.txt', false],
      ['sub/deeper/local.txt', false],
      ['sub/anchored.txt', false],
      ['sub/deeper/anchored.txt', false],
      ['excluded-by-info', false],
      ['plain.txt', false],
    ];
    for (const [path, isDir] of candidates) {
      if (isDir) t.write(`${path}/.keep-dir-marker`, '');
      else if (!['build', 'dir-only', 'tmp'].includes(path)) t.write(path, 'x');
    }
    const matcher = createIgnoreMatcher({ dir: t.dir, gitdir: `${t.dir}/.git` });
    for (const dir of ['', 'lib', 'sub', 'sub/deeper', 'docs', 'docs/a', 'docs/a/b', 'deep', 'a', 'a/b', 'a/b/c', 'x', 'x/y', 'src']) matcher.enterDirectory(dir);
    for (const [path, isDir] of candidates) {
      let expected: boolean;
      try {
        t.git('check-ignore', '-q', '--no-index', isDir ? `${path}/` : path);
        expected = true;
      } catch {
        expected = false;
      }
      expect([path, isDir, matcher.isIgnored(path, isDir)]).toEqual([path, isDir, expected]);
    }
  });

  it('skips blank lines and comments', () => {
    expect(compilePattern('')).toBeNull();
    expect(compilePattern('# x')).toBeNull();
    expect(compilePattern('   ')).toBeNull();
    expect(compilePattern('!a')?.negated).toBe(true);
  });
});

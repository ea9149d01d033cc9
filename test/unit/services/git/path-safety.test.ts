import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafePathError } from '../../../../electron/services/git/errors';
import {
  checkParentsOnDisk,
  foldComponent,
  resolveSymlinkInTree,
  resolveSymlinkTargetLexically,
  validateRepoPath,
  validateTreeEntryName,
  type TreeLookup,
} from '../../../../electron/services/git/path-safety';

const ATTACKS: ReadonlyArray<readonly [string, string]> = [
  ['', 'empty'],
  ['..', 'parent'],
  ['../x', 'parent prefix'],
  ['a/../../x', 'parent inside'],
  ['a/./b', 'dot component'],
  ['/etc/passwd', 'absolute'],
  ['C:\\x', 'drive with backslash'],
  ['C:x', 'drive'],
  ['c:/windows/x', 'drive with slash'],
  ['\\\\server\\share\\x', 'UNC'],
  ['a\\b', 'backslash'],
  ['a//b', 'empty component'],
  ['a/', 'trailing slash'],
  ['.git', '.git'],
  ['.git/hooks/post-checkout', 'into .git'],
  ['.GIT/config', 'upper case'],
  ['.Git/config', 'mixed case'],
  ['sub/.git/config', 'nested .git'],
  ['git~1/config', 'NTFS short name'],
  ['GIT~1', 'NTFS short name upper'],
  ['.git./config', 'trailing dot'],
  ['.git /config', 'trailing space'],
  ['.git. . /x', 'trailing dots and spaces'],
  ['.git::$INDEX_ALLOCATION/x', 'NTFS stream'],
  ['.g\u200cit/config', 'ZWNJ'],
  ['.g\u200dit', 'ZWJ'],
  ['\ufeff.git', 'BOM'],
  ['.gi\u200et', 'LRM'],
  ['.\u206agit', 'HFS ignorable 206A'],
  ['.GI\u200Ft', 'HFS ignorable + case'],
  ['a\u0000b', 'NUL'],
  ['a\nb', 'newline'],
  ['a\u007fb', 'DEL'],
  ['bad\ufffdname', 'not UTF-8'],
  ['...', 'only dots'],
  [' ', 'only space'],
];

describe('validateRepoPath', () => {
  it.each(ATTACKS)('refuses %j (%s)', (path) => {
    expect(() => validateRepoPath(path)).toThrow(UnsafePathError);
  });

  it('carries the Refused code and the path', () => {
    try {
      validateRepoPath('.GIT/config');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnsafePathError);
      expect((error as UnsafePathError).code).toBe('REFUSED');
      expect((error as UnsafePathError).path).toBe('.GIT/config');
    }
  });

  it.each(['README.md', 'src/a.ts', '.github/workflows/ci.yml', '.gitignore', '.gitattributes', 'git/x', 'a.git/b', 'x.GIT', 'gitx~1', 'dir/file:with:colons', 'ünïcødé/名前.txt', 'a b/c d'])(
    'accepts %j',
    (path) => {
      expect(validateRepoPath(path)).toBe(path);
    },
  );

  it('refuses over-long paths and components', () => {
    expect(() => validateRepoPath('a/'.repeat(3000) + 'b')).toThrow(UnsafePathError);
    expect(() => validateRepoPath('x'.repeat(256))).toThrow(UnsafePathError);
  });
});

describe('foldComponent', () => {
  it('folds the way NTFS and HFS+ compare names', () => {
    expect(foldComponent('.GiT. ')).toBe('.git');
    expect(foldComponent('.g\u200cit')).toBe('.git');
    expect(foldComponent('.git::$INDEX_ALLOCATION')).toBe('.git');
  });
});

describe('validateTreeEntryName', () => {
  it('refuses git control files as symlinks only', () => {
    expect(() => validateTreeEntryName('.gitmodules', 0o120000)).toThrow(UnsafePathError);
    expect(() => validateTreeEntryName('.GITATTRIBUTES ', 0o120000)).toThrow(UnsafePathError);
    expect(() => validateTreeEntryName('gitmod~1', 0o120000)).toThrow(UnsafePathError);
    expect(validateTreeEntryName('.gitmodules', 0o100644)).toBe('.gitmodules');
  });

  it.each(['..', '.', '.git', '.GIT', 'git~1', '.git.', '.git ', '.g\u200cit', 'a\\b', ''])('refuses entry %j', (name) => {
    expect(() => validateTreeEntryName(name, 0o100644)).toThrow(UnsafePathError);
  });
});

describe('symlink targets', () => {
  it('resolves inside-the-repository targets lexically', () => {
    expect(resolveSymlinkTargetLexically('docs/latest', 'v2')).toEqual(['docs', 'v2']);
    expect(resolveSymlinkTargetLexically('a/b/c', '../../x')).toEqual(['x']);
    expect(resolveSymlinkTargetLexically('link', '.')).toEqual([]);
  });

  it.each([
    ['link', '../outside'],
    ['a/link', '../../x'],
    ['link', '/etc/passwd'],
    ['link', 'C:\\Windows'],
    ['link', 'a\\..\\..\\x'],
    ['link', '.git/hooks'],
    ['link', 'sub/.GIT'],
    ['link', 'x\u0000y'],
    ['link', ''],
  ])('refuses %s -> %j', (link, target) => {
    expect(() => resolveSymlinkTargetLexically(link, target)).toThrow(UnsafePathError);
  });

  it('follows the tree\u2019s other symlinks and refuses a chain that leaves the repository', async () => {
    // d/s -> ..  is inside (the root); t -> d/s/..  is lexically `d` but really the root's parent.
    const links: Record<string, string> = { 'd/s': '..', t: 'd/s/..' };
    const lookup: TreeLookup = async (path) => (path in links ? { kind: 'symlink', target: links[path] as string } : path === 'd' ? { kind: 'other' } : null);
    await expect(resolveSymlinkInTree('d/s', '..', lookup)).resolves.toBe('');
    await expect(resolveSymlinkInTree('t', 'd/s/..', lookup)).rejects.toThrow(UnsafePathError);
  });

  it('refuses symlink loops', async () => {
    const links: Record<string, string> = { a: 'b', b: 'a' };
    const lookup: TreeLookup = async (path) => (path in links ? { kind: 'symlink', target: links[path] as string } : null);
    await expect(resolveSymlinkInTree('a', 'b', lookup)).rejects.toThrow(/loop/u);
  });
});

describe('checkParentsOnDisk', () => {
  it('reports a symlinked or file parent without following it', () => {
    const root = mkdtempSync(join(tmpdir(), 'gh-'));
    try {
      mkdirSync(join(root, 'real'));
      mkdirSync(join(root, 'elsewhere'));
      symlinkSync(join(root, 'elsewhere'), join(root, 'link'));
      writeFileSync(join(root, 'file'), 'x');
      expect(checkParentsOnDisk(root, 'real/new/x')).toBe('ok');
      expect(checkParentsOnDisk(root, 'missing/a/b')).toBe('ok');
      expect(checkParentsOnDisk(root, 'link/f')).toEqual({ blockedAt: 'link', symlink: true });
      expect(checkParentsOnDisk(root, 'file/f')).toEqual({ blockedAt: 'file', symlink: false });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * Path checks for everything that names a file inside a repository: tree entries, diff headers,
 * imported change sets, symlink targets, and the parent directories a write goes through.
 *
 * isomorphic-git rejects `/` and `\` inside tree entry names but accepts entries named `..`, `.git` or
 * `.GIT`, so every path is validated here before it is written, shown as a file, or materialised.
 * The rules follow git's own `verify_path` with `core.protectNTFS` and `core.protectHFS` switched on
 * (CVE-2014-9390, CVE-2019-1352, CVE-2018-11235), plus a refusal of control characters.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { UnsafePathError } from './errors';

/** Longest repository-relative path accepted, in UTF-16 code units. */
export const MAX_PATH_LENGTH = 4096;
/** Longest single path component accepted, in bytes. */
export const MAX_COMPONENT_BYTES = 255;

// Code points HFS+ ignores when comparing names, so `.g\u200cit` opens `.git` on macOS
// (CVE-2014-9390; the list is git's `next_hfs_char`).
const HFS_IGNORABLE = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/gu;
/** Whether a string holds NUL or another control character: never part of a name we write or show. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
// U+FFFD appears when a name was not valid UTF-8: the bytes on disk would differ from what we checked.
const REPLACEMENT = '\uFFFD';
const DRIVE = /^[A-Za-z]:/u;
// NTFS 8.3 short names of `.git` (`GIT~1`), CVE-2014-9390 / CVE-2019-1352.
const NTFS_SHORT_DOTGIT = /^git~\d+$/u;
// Names git itself refuses to be symlinks (CVE-2018-11235 and follow-ups): they are read by git from the
// working tree, and a symlink would let a tree point git at a file outside the repository.
const NO_SYMLINK_NAMES = new Set(['.gitmodules', '.gitattributes', '.gitignore', '.mailmap']);
const NTFS_SHORT_GITMODULES = /^gitmod~\d+$/u;

/** A name as Windows (trailing dots/spaces, alternate data streams) and macOS (ignorable code points, case) see it. */
export function foldComponent(name: string): string {
  let folded = name.replace(HFS_IGNORABLE, '');
  const colon = folded.indexOf(':');
  // `.git::$INDEX_ALLOCATION` is `.git` on NTFS.
  if (colon >= 0) folded = folded.slice(0, colon);
  folded = folded.replace(/[. ]+$/u, '');
  return folded.toLowerCase();
}

/** Why one path component is unsafe, or null when it is fine. */
export function componentProblem(name: string): string | null {
  if (name.length === 0) return 'empty path component';
  if (name === '.' || name === '..') return `"${name}" component`;
  if (name.includes('/')) return 'slash inside a name';
  if (name.includes('\\')) return 'backslash (a path separator on Windows)';
  if (hasControl(name)) return 'NUL or control character';
  if (name.includes(REPLACEMENT)) return 'name is not valid UTF-8';
  if (Buffer.byteLength(name, 'utf8') > MAX_COMPONENT_BYTES) return `component longer than ${MAX_COMPONENT_BYTES} bytes`;
  const folded = foldComponent(name);
  if (folded.length === 0) return 'name made only of dots, spaces or ignorable characters';
  if (folded === '.git') return '.git in some case or disguise';
  if (NTFS_SHORT_DOTGIT.test(folded)) return 'NTFS short name of .git';
  return null;
}

/**
 * Validates a repository-relative path (`src/a.ts`) and returns it unchanged.
 *
 * Refuses: empty, absolute (`/x`), drive (`C:x`) and UNC paths, backslashes, `.` and `..` components,
 * empty components (`a//b`, trailing `/`), NUL and control characters, `.git` in any case or disguise
 * (`.GIT`, `.git.`, `.git `, `git~1`, `.g\u200cit`, `.git::$INDEX_ALLOCATION`), names that were not UTF-8.
 */
export function validateRepoPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new UnsafePathError(String(path), 'empty path');
  if (path.length > MAX_PATH_LENGTH) throw new UnsafePathError(path.slice(0, 200), `path longer than ${MAX_PATH_LENGTH}`);
  if (path.startsWith('/')) throw new UnsafePathError(path, 'absolute path');
  if (path.includes('\\')) throw new UnsafePathError(path, 'backslash (a path separator on Windows)');
  if (DRIVE.test(path)) throw new UnsafePathError(path, 'drive-letter path');
  for (const component of path.split('/')) {
    const problem = componentProblem(component);
    if (problem !== null) throw new UnsafePathError(path, problem);
  }
  return path;
}

/** Validates one tree entry name; `mode` is the entry's git mode (symlinks may not take git's own file names). */
export function validateTreeEntryName(name: string, mode: number, parentPath = ''): string {
  const full = parentPath === '' ? name : `${parentPath}/${name}`;
  const problem = componentProblem(name);
  if (problem !== null) throw new UnsafePathError(full, problem);
  if (mode === 0o120000) {
    const folded = foldComponent(name);
    if (NO_SYMLINK_NAMES.has(folded) || NTFS_SHORT_GITMODULES.test(folded)) {
      throw new UnsafePathError(full, `${name} may not be a symlink`);
    }
  }
  return name;
}

function checkTargetText(origin: string, target: string): void {
  if (target.length === 0) throw new UnsafePathError(origin, 'empty symlink target');
  if (target.length > MAX_PATH_LENGTH) throw new UnsafePathError(origin, 'symlink target too long');
  if (hasControl(target)) throw new UnsafePathError(origin, 'NUL or control character in symlink target');
  if (target.includes(REPLACEMENT)) throw new UnsafePathError(origin, 'symlink target is not valid UTF-8');
  if (target.startsWith('/')) throw new UnsafePathError(origin, `symlink to absolute path ${JSON.stringify(target)}`);
  if (target.includes('\\')) throw new UnsafePathError(origin, 'backslash in symlink target');
  if (DRIVE.test(target)) throw new UnsafePathError(origin, 'symlink to a drive-letter path');
  for (const component of target.split('/')) {
    if (component === '' || component === '.' || component === '..') continue;
    const problem = componentProblem(component);
    if (problem !== null) throw new UnsafePathError(origin, `symlink target: ${problem}`);
  }
}

/**
 * Resolves a symlink's target lexically against the link's directory, inside the repository root.
 *
 * Returns the repository-relative components the target names (empty array = the root). Throws when the
 * target is absolute, a drive or UNC path, uses backslashes, leaves the repository, or names `.git`.
 * This is only the lexical half: {@link resolveSymlinkInTree} also follows other symlinks of the tree.
 */
export function resolveSymlinkTargetLexically(linkPath: string, target: string): ReadonlyArray<string> {
  checkTargetText(linkPath, target);
  const stack = linkPath.split('/').slice(0, -1);
  for (const component of target.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (stack.length === 0) {
        throw new UnsafePathError(linkPath, `symlink points outside the repository (${JSON.stringify(target)})`);
      }
      stack.pop();
      continue;
    }
    stack.push(component);
  }
  return stack;
}

/** Looks up what a tree holds at a repository-relative path: a symlink's target, another kind, or nothing. */
export type TreeLookup = (
  path: string,
) => Promise<{ readonly kind: 'symlink'; readonly target: string } | { readonly kind: 'other' } | null>;

/** Most symlinks followed while resolving one target, as Linux's MAXSYMLINKS. */
const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves a symlink inside a tree, following the tree's other symlinks, and refuses it when any step
 * leaves the repository. Returns the repository-relative path it names ('' = the root).
 *
 * Lexical checks alone miss chains: with `d/s -> ..`, the target `d/s/..` is lexically `d` but really the
 * parent of the repository. Here each component is looked up in the tree and symlinks are followed.
 */
export async function resolveSymlinkInTree(linkPath: string, target: string, lookup: TreeLookup): Promise<string> {
  resolveSymlinkTargetLexically(linkPath, target);
  let hops = 0;
  const walk = async (fromDir: ReadonlyArray<string>, linkTarget: string): Promise<string[]> => {
    checkTargetText(linkPath, linkTarget);
    const stack: string[] = [...fromDir];
    for (const component of linkTarget.split('/')) {
      if (component === '' || component === '.') continue;
      if (component === '..') {
        if (stack.length === 0) {
          throw new UnsafePathError(linkPath, `symlink points outside the repository (${JSON.stringify(target)})`);
        }
        stack.pop();
        continue;
      }
      stack.push(component);
      const found = await lookup(stack.join('/'));
      if (found !== null && found.kind === 'symlink') {
        hops += 1;
        if (hops > MAX_SYMLINK_HOPS) throw new UnsafePathError(linkPath, 'symlink loop');
        const resolved = await walk(stack.slice(0, -1), found.target);
        stack.length = 0;
        stack.push(...resolved);
      }
    }
    return stack;
  };
  return (await walk(linkPath.split('/').slice(0, -1), target)).join('/');
}

/** What lies at a path's parent directories on disk: all directories (or missing), or the first that is not. */
export type ParentState = 'ok' | { readonly blockedAt: string; readonly symlink: boolean };

/**
 * Checks every parent directory of `relPath` under `root` on disk with lstat (never following a
 * symlink), so a caller can refuse to write through a symlink (CVE-2021-21300 style) or over a file.
 * Missing parents are fine: they will be created.
 */
export function checkParentsOnDisk(root: string, relPath: string): ParentState {
  const parts = relPath.split('/');
  let current = root;
  for (let i = 0; i < parts.length - 1; i += 1) {
    current = join(current, parts[i] as string);
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (stat === undefined) return 'ok';
    if (stat.isSymbolicLink()) return { blockedAt: parts.slice(0, i + 1).join('/'), symlink: true };
    if (!stat.isDirectory()) return { blockedAt: parts.slice(0, i + 1).join('/'), symlink: false };
  }
  return 'ok';
}

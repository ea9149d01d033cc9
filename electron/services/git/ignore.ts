/**
 * gitignore matching (gitignore(5)) for the working-tree scan.
 *
 * Checkpoints capture untracked files that are not ignored, and rollbacks remove untracked files a
 * checkpoint lacks, so the rules must match git's: per-directory `.gitignore` files (deeper ones win,
 * the last matching line within a file wins), then `.git/info/exclude`, then the user's excludes file.
 * Ignored directories are not entered, and a file inside an ignored directory cannot be re-included.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One compiled pattern line. */
interface Pattern {
  readonly regex: RegExp;
  readonly negated: boolean;
  readonly dirOnly: boolean;
  /** Matched against the path relative to the file's directory (true) or against the name only. */
  readonly anchored: boolean;
}

/** The patterns of one source, with the directory they apply to ('' = repository root). */
interface PatternList {
  readonly base: string;
  readonly patterns: ReadonlyArray<Pattern>;
}

function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0;
        const afterSlash = glob[i - 1] === '/';
        const beforeSlash = glob[i + 2] === '/';
        const atEnd = i + 2 === glob.length;
        if ((atStart || afterSlash) && beforeSlash) {
          // `**/` : zero or more directories.
          out += '(?:.*/)?';
          i += 3;
          continue;
        }
        if (afterSlash && atEnd) {
          // `/**` : everything inside.
          out += '.*';
          i += 2;
          continue;
        }
        out += '[^/]*';
        i += 2;
        continue;
      }
      out += '[^/]*';
      i += 1;
      continue;
    }
    if (c === '?') {
      out += '[^/]';
      i += 1;
      continue;
    }
    if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close > 0) {
        let body = glob.slice(i + 1, close);
        let negate = false;
        if (body.startsWith('!') || body.startsWith('^')) {
          negate = true;
          body = body.slice(1);
        }
        const escaped = body.replace(/\\(.)/gu, '$1').replace(/[\\\]^]/gu, '\\$&');
        out += `[${negate ? '^/' : ''}${escaped}]`;
        i = close + 1;
        continue;
      }
    }
    if (c === '\\' && i + 1 < glob.length) {
      out += (glob[i + 1] as string).replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
      i += 2;
      continue;
    }
    out += c.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
    i += 1;
  }
  return out;
}

/** Compiles one gitignore line, or null for blanks and comments. */
export function compilePattern(rawLine: string): Pattern | null {
  let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  // Trailing spaces are dropped unless escaped with a backslash.
  line = line.replace(/(?<!\\) +$/u, '');
  if (line.length === 0 || line.startsWith('#')) return null;
  let negated = false;
  if (line.startsWith('!')) {
    negated = true;
    line = line.slice(1);
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith('/')) {
    dirOnly = true;
    line = line.slice(0, -1);
  }
  if (line.length === 0) return null;
  const anchored = line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  return { regex: new RegExp(`^${globToRegex(line)}$`, 'u'), negated, dirOnly, anchored };
}

function compileText(text: string): Pattern[] {
  const patterns: Pattern[] = [];
  for (const line of text.split('\n')) {
    const pattern = compilePattern(line);
    if (pattern !== null) patterns.push(pattern);
  }
  return patterns;
}

function readRegularFile(path: string): string | null {
  // git does not follow a symlinked .gitignore (it would read a file outside the repository).
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isFile()) return null;
  return readFileSync(path, 'utf8');
}

/** Answers "is this path ignored?" during one scan of the working tree. */
export interface IgnoreMatcher {
  /** Reads `<dir>/.gitignore` (call once when entering a directory, '' = root). */
  enterDirectory(relDir: string): void;
  /** Whether `relPath` is ignored by the rules loaded so far (its own directory's included). */
  isIgnored(relPath: string, isDir: boolean): boolean;
}

/** Options for {@link createIgnoreMatcher}. */
export interface IgnoreMatcherOptions {
  readonly dir: string;
  readonly gitdir: string;
  /** `core.excludesFile` from the repository config, if set. */
  readonly excludesFile?: string | null;
}

/** Creates a matcher for one scan (rules are read as directories are entered). */
export function createIgnoreMatcher(options: IgnoreMatcherOptions): IgnoreMatcher {
  const perDirectory = new Map<string, PatternList>();
  const globalLists: PatternList[] = [];
  const exclude = readRegularFile(join(options.gitdir, 'info', 'exclude'));
  if (exclude !== null) globalLists.push({ base: '', patterns: compileText(exclude) });
  const userFile = resolveExcludesFile(options.excludesFile ?? null);
  if (userFile !== null) {
    try {
      const text = readFileSync(userFile, 'utf8');
      globalLists.push({ base: '', patterns: compileText(text) });
    } catch {
      // No user excludes file: nothing to add.
    }
  }

  const matchList = (list: PatternList, relPath: string, isDir: boolean): boolean | null => {
    const local = list.base === '' ? relPath : relPath.slice(list.base.length + 1);
    const name = local.slice(local.lastIndexOf('/') + 1);
    for (let i = list.patterns.length - 1; i >= 0; i -= 1) {
      const p = list.patterns[i] as Pattern;
      if (p.dirOnly && !isDir) continue;
      if (p.regex.test(p.anchored ? local : name)) return !p.negated;
    }
    return null;
  };

  return {
    enterDirectory(relDir) {
      if (perDirectory.has(relDir)) return;
      const text = readRegularFile(join(options.dir, relDir, '.gitignore'));
      if (text !== null) perDirectory.set(relDir, { base: relDir, patterns: compileText(text) });
    },
    isIgnored(relPath, isDir) {
      // Deepest .gitignore first: a closer file overrides a farther one.
      let dir = relPath.includes('/') ? relPath.slice(0, relPath.lastIndexOf('/')) : '';
      for (;;) {
        const list = perDirectory.get(dir);
        if (list !== undefined) {
          const result = matchList(list, relPath, isDir);
          if (result !== null) return result;
        }
        if (dir === '') break;
        dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
      }
      // info/exclude before the user's excludes file (gitignore(5) precedence).
      for (const list of globalLists) {
        const result = matchList(list, relPath, isDir);
        if (result !== null) return result;
      }
      return false;
    },
  };
}

function resolveExcludesFile(configured: string | null): string | null {
  if (configured !== null && configured.length > 0) {
    return configured.startsWith('~/') ? join(homedir(), configured.slice(2)) : configured;
  }
  // git's default: $XDG_CONFIG_HOME/git/ignore, else ~/.config/git/ignore.
  const xdg = process.env['XDG_CONFIG_HOME'];
  return join(xdg !== undefined && xdg.length > 0 ? xdg : join(homedir(), '.config'), 'git', 'ignore');
}

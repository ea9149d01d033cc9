/**
 * A V8 code cache for the CLI's command bundles (dist/cli-commands/*.cjs), so a command deserialises the
 * code it ran last time instead of parsing and compiling a bundle of up to 3 MB at every start.
 *
 * Node 20 has no `module.enableCompileCache` (22.1+), so bundles are compiled with `vm.Script` and its
 * `cachedData`, the way `v8-compile-cache` does. V8 checks cached data only against the source's length
 * and its own version and flags: cached data made from other code of the same length runs that other
 * code. So the cache is code, and is kept only where only this user can write:
 *
 *  - in `<data dir>/code-cache`, a real directory (never a symlink) owned by this user with mode 0700,
 *    inside a data directory owned by this user that nobody else may write, below folders only this user or
 *    root own and others may not write (or only sticky ones, as /tmp); anything else and the cache
 *    is off for the run (it never falls back to a shared temporary directory);
 *  - each file is named by the SHA-256 of the bundle's exact source (and the V8 version), so a changed
 *    bundle never meets the code of the old one; a file is read only if it is a regular file (opened
 *    without following symlinks) owned by this user that nobody else may write;
 *  - data V8 rejects (corrupt, or another V8's) is ignored and rebuilt; writes go to a fresh file that
 *    is renamed into place, so a reader never sees half a cache.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** How a compile used the cache: its data was used, rejected by V8, absent (or unusable), or the cache is off. */
export type CacheUse = 'used' | 'rejected' | 'absent' | 'off';

/** The function Node's CommonJS wrapper turns a module's source into. */
export type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => unknown;

/** A code cache for one CLI run. */
export interface CodeCache {
  /** Compiles CommonJS `source` to its module wrapper, from cached data when the cache holds this exact source. */
  compile(filename: string, source: string): { readonly wrapper: ModuleWrapper; readonly use: CacheUse };
  /** Writes cached data for what was compiled without usable data (call after the command ran: its compiled functions are included); returns how many files it wrote. */
  flush(): number;
  /** Why the cache is off for this run, or null. */
  refused(): string | null;
}

/** Options of {@link createCodeCache}. */
export interface CodeCacheOptions {
  /** The Gatehouse data directory; the cache lives in its `code-cache` folder. */
  readonly dataDir: string;
  /** The user who must own the directories and files (default: this process's user). */
  readonly uid?: number;
}

/** The cache file name of a bundle: its base name and the SHA-256 of its source and the V8 version. */
export function cacheFileName(filename: string, source: string): string {
  const digest = createHash('sha256').update(process.versions.v8).update('\0').update(source).digest('hex');
  return `${basename(filename).replace(/\.c?js$/, '')}-${digest}.v8`;
}

/** Why `stats` (of `path`) may not hold code for `uid`, or null when it may; `strict` also refuses group or other read. */
function unsafeDirectory(path: string, stats: Stats, uid: number, strict: boolean): string | null {
  if (stats.isSymbolicLink()) return `${path} is a symlink`;
  if (!stats.isDirectory()) return `${path} is not a directory`;
  if (stats.uid !== uid) return `${path} is owned by uid ${stats.uid}, not ${uid}`;
  if ((stats.mode & (strict ? 0o077 : 0o022)) !== 0) return `other users may ${strict ? 'use' : 'write'} ${path} (mode ${(stats.mode & 0o7777).toString(8)})`;
  return null;
}

function privateDirectory(dataDir: string, uid: number | undefined): { readonly dir: string | null; readonly reason: string | null } {
  if (uid === undefined) return { dir: null, reason: 'no file owners on this platform' };
  let root: string;
  try {
    root = realpathSync(dataDir);
  } catch {
    return { dir: null, reason: `no data directory at ${dataDir} yet` };
  }
  const rootProblem = unsafeDirectory(root, statSync(root), uid, false);
  if (rootProblem !== null) return { dir: null, reason: rootProblem };
  // Whoever may rename entries in a folder above could swap the data directory for their own.
  for (let above = dirname(root); ; above = dirname(above)) {
    const stats = statSync(above);
    if (stats.uid !== uid && stats.uid !== 0) return { dir: null, reason: `${above}, above the data directory, is owned by uid ${stats.uid}` };
    if ((stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0) return { dir: null, reason: `other users may replace entries in ${above}, above the data directory (mode ${(stats.mode & 0o7777).toString(8)}, not sticky)` };
    if (dirname(above) === above) break;
  }
  const dir = join(root, 'code-cache');
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch {
    try {
      mkdirSync(dir, { mode: 0o700 });
      stats = lstatSync(dir);
    } catch (error) {
      return { dir: null, reason: `cannot create ${dir}: ${(error as Error).message}` };
    }
  }
  const problem = unsafeDirectory(dir, stats, uid, true);
  return problem === null ? { dir, reason: null } : { dir: null, reason: problem };
}

/** Reads a cache file if it is a regular file owned by `uid` that nobody else may write; else undefined. */
function readCacheFile(path: string, uid: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.uid !== uid || (stats.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates the code cache of one CLI run (the directory is checked when first used, and again before writing). */
export function createCodeCache(options: CodeCacheOptions): CodeCache {
  const uid = options.uid ?? process.getuid?.();
  let checked: { readonly dir: string | null; readonly reason: string | null } | null = null;
  const directory = () => (checked ??= privateDirectory(options.dataDir, uid));
  const pending: Array<{ readonly script: Script; readonly name: string; readonly filename: string }> = [];
  return {
    compile(filename, source) {
      const name = cacheFileName(filename, source);
      const { dir } = directory();
      const cachedData = dir !== null && uid !== undefined ? readCacheFile(join(dir, name), uid) : undefined;
      const script = new Script(Module.wrap(source), { filename, ...(cachedData !== undefined ? { cachedData } : {}) });
      const use: CacheUse = dir === null ? 'off' : cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'used';
      if (use !== 'used') pending.push({ script, name, filename });
      return { wrapper: script.runInThisContext() as ModuleWrapper, use };
    },
    flush() {
      // A data directory the command itself created (a first run) may hold the cache now: check again.
      if (pending.length === 0) return 0;
      if (checked === null || checked.dir === null) checked = null;
      const { dir } = directory();
      if (dir === null) return 0;
      let written = 0;
      for (const { script, name, filename } of pending.splice(0)) {
        const target = join(dir, name);
        const temporary = `${target}.${process.pid}.tmp`;
        try {
          writeFileSync(temporary, script.createCachedData(), { mode: 0o600, flag: 'wx' });
          renameSync(temporary, target);
          written += 1;
          const prefix = `${basename(filename).replace(/\.c?js$/, '')}-`;
          for (const other of readdirSync(dir)) {
            if (other !== name && other.startsWith(prefix) && /^[0-9a-f]{64}\.v8$/.test(other.slice(prefix.length))) rmSync(join(dir, other), { force: true });
          }
        } catch {
          // The cache only saves time: a full disk or a concurrent writer costs the next run a compile, nothing else.
          rmSync(temporary, { force: true });
        }
      }
      return written;
    },
    refused: () => directory().reason,
  };
}

/**
 * Makes `require` compile the `.cjs` files directly inside `bundleDir` through `cache`; every other file
 * loads as before.
 */
export function compileBundlesThrough(bundleDir: string, cache: CodeCache): void {
  const extensions = (Module as unknown as { _extensions: Record<string, (module: NodeJS.Module, filename: string) => void> })._extensions;
  const previous = (extensions['.cjs'] ?? extensions['.js']) as (module: NodeJS.Module, filename: string) => void;
  extensions['.cjs'] = (module, filename) => {
    if (dirname(filename) !== bundleDir) return previous(module, filename);
    const { wrapper } = cache.compile(filename, readFileSync(filename, 'utf8'));
    wrapper.call(module.exports, module.exports, Module.createRequire(filename), module, filename, bundleDir);
  };
}

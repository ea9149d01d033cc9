/**
 * Ref names, HEAD, and ref updates that respect git's own lock files.
 *
 * Branch moves (apply, rollback) go through `<ref>.lock` with O_EXCL and compare the old value under the
 * lock, as `git update-ref <ref> <new> <old>` does, so a native git running at the same time cannot be
 * overwritten silently. A reflog line is appended when the ref has a log, so plain git can still find
 * the old head.
 */
import { crashPoint } from './journal';
import fs, { appendFileSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync, type Dirent } from 'node:fs';
import { dirname } from 'node:path';
import * as git from 'isomorphic-git';
import { GitConflictError, GitInvalidInputError, GitNotFoundError } from './errors';
import type { GitRepository } from './repository';

const OID = /^[0-9a-f]{40}$/u;

/** Whether a string is a full 40-hex object id. */
export function isOid(value: string): boolean {
  return OID.test(value);
}

/** Validates a full ref name by git's check-ref-format rules and returns it. */
export function validateRefName(ref: string): string {
  const bad = (why: string): never => {
    throw new GitInvalidInputError(`invalid ref name ${JSON.stringify(ref)}: ${why}`, { ref });
  };
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 1024) bad('empty or too long');
  if (!ref.startsWith('refs/')) bad('must start with refs/');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/u.test(ref)) bad('control character, space or one of ~^:?*[\\');
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//')) bad('contains "..", "@{" or "//"');
  if (ref.endsWith('/') || ref.endsWith('.')) bad('ends with "/" or "."');
  for (const component of ref.split('/')) {
    if (component.startsWith('.') || component.endsWith('.lock')) bad('a component starts with "." or ends with ".lock"');
  }
  return ref;
}

/** Validates a ref pattern: a full ref name with exactly one `*`, never under `refs/gatehouse/`. */
export function validateRefPattern(pattern: string): string {
  const stars = pattern.split('*').length - 1;
  if (stars !== 1) throw new GitInvalidInputError(`ref pattern ${JSON.stringify(pattern)} must contain exactly one "*"`);
  validateRefName(pattern.replace('*', 'x'));
  if (pattern.startsWith('refs/gatehouse/')) throw new GitInvalidInputError('ref pattern may not name Gatehouse refs');
  return pattern;
}

/** Whether `ref` matches a pattern with one `*` (which matches one or more characters, `/` included). */
export function matchesRefPattern(pattern: string, ref: string): boolean {
  const [prefix, suffix] = pattern.split('*') as [string, string];
  return ref.length > prefix.length + suffix.length && ref.startsWith(prefix) && ref.endsWith(suffix);
}

/** Where HEAD points: a branch (full ref) and its oid, or a detached oid. */
export interface HeadState {
  /** Full ref (`refs/heads/main`), or null when HEAD is detached. */
  readonly branch: string | null;
  /** The commit, or null on an unborn branch. */
  readonly oid: string | null;
}

/** Reads HEAD. */
export async function readHead(repo: GitRepository): Promise<HeadState> {
  const text = readFileSync(`${repo.gitdir}/HEAD`, 'utf8').trim();
  if (text.startsWith('ref: ')) {
    const branch = text.slice(5);
    return { branch, oid: await resolveRefOrNull(repo, branch) };
  }
  if (isOid(text)) return { branch: null, oid: text };
  throw new GitNotFoundError('HEAD is malformed');
}

/**
 * Checks a ref as a caller may name it: a full oid, `HEAD`, a full ref (`refs/...`) or a short name
 * (`main`, `proposals/x`), by git's ref-name rules, so a name like `../../etc/passwd` never becomes a
 * path under `.git`.
 */
export function validateRefInput(ref: string): string {
  if (typeof ref !== 'string') throw new GitInvalidInputError('a ref is required');
  if (isOid(ref) || ref === 'HEAD') return ref;
  validateRefName(ref.startsWith('refs/') ? ref : `refs/heads/${ref}`);
  return ref;
}

/** Resolves a ref (short or full) or oid to the oid it names, or null when it does not exist. */
export async function resolveRefOrNull(repo: GitRepository, ref: string): Promise<string | null> {
  validateRefInput(ref);
  if (isOid(ref)) return ref;
  // A full ref with a loose file holding an oid: the first place git and isomorphic-git look (the exact
  // name, loose before packed), read in one call instead of isomorphic-git's several awaited file reads.
  // Anything else (a short name, a packed or symbolic ref, no file) goes the whole way below.
  if (ref.startsWith('refs/')) {
    let loose: string | null = null;
    try {
      loose = readFileSync(`${repo.gitdir}/${ref}`, 'utf8').trim();
    } catch {
      // Missing, a directory, unreadable: isomorphic-git decides.
    }
    if (loose !== null && isOid(loose)) return loose;
  }
  try {
    return await git.resolveRef({ fs, dir: repo.dir, gitdir: repo.gitdir, ref });
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === 'NotFoundError') return null;
    throw error;
  }
}

/** Resolves a ref, commit oid or tree oid to a tree oid. */
export async function resolveTree(repo: GitRepository, refOrOid: string): Promise<string> {
  const oid = await resolveRefOrNull(repo, refOrOid);
  if (oid === null) throw new GitNotFoundError(`no such ref or object: ${refOrOid}`, { ref: refOrOid });
  const object = await repo.objects.read(oid);
  if (object.type === 'tree') return oid;
  return (await repo.objects.readCommit(oid)).tree;
}

/** Whether a full ref name passes {@link validateRefName}. */
function isValidRefName(ref: string): boolean {
  try {
    validateRefName(ref);
    return true;
  } catch {
    return false;
  }
}

/** Loose ref files under `<gitdir>/<folder>`, as full names (every file, valid name or not). */
function looseRefsUnder(gitdir: string, folder: string, out: Set<string>): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(`${gitdir}/${folder}`, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw error;
  }
  for (const entry of entries) {
    const name = `${folder}/${entry.name}`;
    if (entry.isDirectory()) looseRefsUnder(gitdir, name, out);
    else out.add(name);
  }
}

/** Ref names in `packed-refs` under `folder/` (peeled `^` lines and the header skipped). */
function packedRefsUnder(gitdir: string, folder: string, out: Set<string>): void {
  let text: string;
  try {
    text = readFileSync(`${gitdir}/packed-refs`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const prefix = `${folder}/`;
  for (const line of text.split('\n')) {
    // `<40 hex> <ref>`: the ref starts at 41.
    if (line.length > 41 && line.charCodeAt(40) === 0x20 && line.startsWith(prefix, 41)) out.add(line.slice(41).trimEnd());
  }
}

/**
 * Lists full ref names matching a pattern with one `*`, loose and packed, read synchronously (isomorphic-git's
 * listing awaits a read per file). As `git for-each-ref` does, names that are not valid ref names are left
 * out: a `*.lock` file of a ref being written, a name with a space or starting with a dot.
 */
export async function listRefsMatching(repo: GitRepository, pattern: string): Promise<string[]> {
  return Promise.resolve(listRefsMatchingSync(repo.gitdir, pattern));
}

/** {@link listRefsMatching} on a git directory. */
export function listRefsMatchingSync(gitdir: string, pattern: string): string[] {
  const prefix = pattern.slice(0, pattern.indexOf('*'));
  const folder = prefix.slice(0, prefix.lastIndexOf('/'));
  const names = new Set<string>();
  looseRefsUnder(gitdir, folder, names);
  packedRefsUnder(gitdir, folder, names);
  return [...names].filter((ref) => matchesRefPattern(pattern, ref) && isValidRefName(ref)).sort();
}

function tzString(offsetMinutes: number): string {
  // isomorphic-git counts minutes west of UTC (negative east); git writes +hhmm east of UTC.
  const east = -offsetMinutes;
  const sign = east < 0 ? '-' : '+';
  const abs = Math.abs(east);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

function appendReflog(repo: GitRepository, ref: string, oldOid: string | null, newOid: string, message: string): void {
  const log = `${repo.gitdir}/logs/${ref}`;
  // Only refs that already keep a log (git creates them for branches and HEAD); never start logs for ours.
  if (!existsSync(log)) return;
  const seconds = Math.floor(repo.clock.now().getTime() / 1000);
  const line = `${oldOid ?? '0'.repeat(40)} ${newOid} ${repo.identity.name} <${repo.identity.email}> ${seconds} ${tzString(0)}\t${message.replace(/\n/gu, ' ')}\n`;
  appendFileSync(log, line);
}

/** Options of ref writes. */
export interface RefWriteOptions {
  /** Called right after the `.lock` file is created (an operation journal records it). */
  readonly onLocked?: (lockPath: string) => void;
}

async function writeLocked(path: string, content: string, check: () => Promise<void>, options: RefWriteOptions = {}): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // `refs/heads/proposals` as a branch blocks `refs/heads/proposals/x`, as in git.
    if (code === 'ENOTDIR' || code === 'EEXIST') throw new GitConflictError(`a ref in the way of ${path}`);
    throw error;
  }
  const lockPath = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GitConflictError(`another git process is updating ${path} (lock file exists)`);
    }
    throw error;
  }
  let closed = false;
  try {
    options.onLocked?.(lockPath);
    crashPoint('ref:locked');
    await check();
    writeSync(fd, content);
    closeSync(fd);
    closed = true;
    renameSync(lockPath, path);
  } catch (error) {
    if (!closed) closeSync(fd);
    unlinkSync(lockPath);
    throw error;
  }
}

/**
 * Points `ref` at `newOid` when it currently holds `expectedOld` (null: must not exist; undefined: any).
 * A mismatch is a {@link GitConflictError} and nothing is written.
 */
export async function updateRef(
  repo: GitRepository,
  ref: string,
  newOid: string,
  expectedOld: string | null | undefined,
  message: string,
  options: RefWriteOptions = {},
): Promise<void> {
  validateRefName(ref);
  if (!isOid(newOid)) throw new GitInvalidInputError(`not an object id: ${newOid}`);
  const path = `${repo.gitdir}/${ref}`;
  const existing = lstatSync(path, { throwIfNoEntry: false });
  if (existing !== undefined && !existing.isFile()) throw new GitConflictError(`${ref} is not a plain ref file`);
  let current: string | null = null;
  await writeLocked(path, `${newOid}\n`, async () => {
    // Read under the lock: git's compare-and-swap.
    current = await resolveRefOrNull(repo, ref);
    if (expectedOld !== undefined && current !== expectedOld) {
      throw new GitConflictError(`${ref} moved: expected ${expectedOld ?? 'no ref'}, found ${current ?? 'no ref'}`, {
        ref,
        expected: expectedOld,
        found: current,
      });
    }
  }, options);
  appendReflog(repo, ref, current, newOid, message);
  const head = readFileSync(`${repo.gitdir}/HEAD`, 'utf8').trim();
  if (head === `ref: ${ref}`) appendReflog(repo, 'HEAD', current, newOid, message);
}

/** Points HEAD at a branch (symbolic) or detaches it at an oid. */
export async function setHead(
  repo: GitRepository,
  target: { readonly branch: string } | { readonly oid: string },
  options: RefWriteOptions = {},
): Promise<void> {
  const content = 'branch' in target ? `ref: ${validateRefName(target.branch)}\n` : `${target.oid}\n`;
  const before = readFileSync(`${repo.gitdir}/HEAD`, 'utf8');
  if (before === content) return;
  await writeLocked(`${repo.gitdir}/HEAD`, content, async () => undefined, options);
}

/** Deletes a ref (loose and packed). */
export async function deleteRef(repo: GitRepository, ref: string): Promise<void> {
  await git.deleteRef({ fs, dir: repo.dir, gitdir: repo.gitdir, ref: validateRefName(ref) });
}

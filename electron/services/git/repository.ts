/**
 * A handle on one local repository: paths, settings, the shared isomorphic-git `cache`, the object
 * memo, and a queue that runs changing operations one at a time.
 *
 * Every function of the git service takes a handle. Open one per registered repository and keep it for
 * the life of the app: the cache (pack indexes) and the parsed-tree memo are what keep repeated diffs,
 * checkpoints and rollbacks fast.
 */
import fs, { lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import { systemClock, type Clock } from '../../../shared/model/clock';
import { GitInvalidInputError, GitNotFoundError, GitUnsupportedError } from './errors';
import type { IndexMemo } from './index-file';
import { createObjectStore, type ObjectStore } from './object-store';
import { validateRefName, validateRefPattern } from './refs';
import type { DirectoryListing, IndexShape } from './worktree';

/** Name and email written into commits Gatehouse makes. */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

/** The committer of commits Gatehouse writes, unless a handle is given another. */
export const GATEHOUSE_IDENTITY: GitIdentity = { name: 'Gatehouse', email: 'gatehouse@localhost' };

/** The default proposal ref pattern. */
export const DEFAULT_PROPOSAL_PATTERN = 'refs/heads/proposals/*';

/** An open repository (see the module comment). */
export interface GitRepository {
  /** Real path of the working tree. */
  readonly dir: string;
  /** `<dir>/.git`. */
  readonly gitdir: string;
  /** Short name of the branch proposals are compared with and applied to (`main`). */
  readonly targetBranch: string;
  /** Full ref pattern with one `*` (`refs/heads/proposals/*`). */
  readonly proposalRefPattern: string;
  /** The isomorphic-git cache shared by every call on this handle. */
  readonly cache: object;
  readonly clock: Clock;
  /** Committer of commits Gatehouse writes. */
  readonly identity: GitIdentity;
  /** `core.fileMode`: whether the executable bit on disk is meaningful. */
  readonly fileMode: boolean;
  /** `core.excludesFile`, when set in the repository config. */
  readonly excludesFile: string | null;
  readonly objects: ObjectStore;
  /** Memo of derived data: the parsed index, and the tree of each index content. */
  readonly memo: RepositoryMemo;
  /** Runs `work` after every earlier exclusive operation on this handle has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

/** Derived data a handle remembers (internal to the service). */
export interface RepositoryMemo extends IndexMemo {
  /** Index checksum → the tree of that index (written). */
  readonly indexTrees: Map<string, string>;
  /** What a scan derives from an index (paths grouped, tracked directories), by index checksum. */
  readonly shapes: Map<string, IndexShape>;
  /** Directory listings, reused while a directory's mtime is unchanged. */
  readonly listings: Map<string, DirectoryListing>;
}

/** Options for {@link openRepository}. */
export interface OpenRepositoryOptions {
  /** The working tree (the directory that holds `.git`). */
  readonly dir: string;
  /** Target branch short name; default: the branch HEAD names. */
  readonly targetBranch?: string;
  /** Default {@link DEFAULT_PROPOSAL_PATTERN}. */
  readonly proposalRefPattern?: string;
  readonly clock?: Clock;
  readonly identity?: GitIdentity;
}

/** Opens a non-bare repository with a `.git` directory. */
export async function openRepository(options: OpenRepositoryOptions): Promise<GitRepository> {
  let dir: string;
  try {
    dir = realpathSync(options.dir);
  } catch {
    throw new GitNotFoundError(`no such directory: ${options.dir}`, { path: options.dir });
  }
  if (!lstatSync(dir).isDirectory()) throw new GitInvalidInputError(`not a directory: ${options.dir}`);
  const gitdir = join(dir, '.git');
  const dotGit = lstatSync(gitdir, { throwIfNoEntry: false });
  if (dotGit === undefined) throw new GitNotFoundError(`not a git repository: ${dir}`, { path: dir });
  if (!dotGit.isDirectory()) {
    // A `.git` file (linked worktree, submodule checkout) or a symlink would point us at another directory.
    throw new GitUnsupportedError(`${dir}/.git is not a directory (linked worktrees and submodule checkouts are not supported)`);
  }
  if (lstatSync(join(gitdir, 'HEAD'), { throwIfNoEntry: false }) === undefined) {
    throw new GitNotFoundError(`not a git repository: ${dir}`, { path: dir });
  }
  const cache = {};
  const config = async (path: string): Promise<unknown> => git.getConfig({ fs, dir, gitdir, path });
  if ((await config('core.bare')) === true) throw new GitUnsupportedError('bare repositories are not supported');
  const objectFormat = await config('extensions.objectformat');
  if (typeof objectFormat === 'string' && objectFormat.toLowerCase() !== 'sha1') {
    throw new GitUnsupportedError(`object format ${objectFormat} is not supported`);
  }
  const fileModeSetting = await config('core.filemode');
  const excludes = await config('core.excludesfile');
  let targetBranch = options.targetBranch;
  if (targetBranch === undefined) {
    const current = await git.currentBranch({ fs, dir, gitdir, fullname: false });
    targetBranch = typeof current === 'string' ? current : 'main';
  }
  if (targetBranch.startsWith('refs/heads/')) targetBranch = targetBranch.slice('refs/heads/'.length);
  validateRefName(`refs/heads/${targetBranch}`);
  const proposalRefPattern = validateRefPattern(options.proposalRefPattern ?? DEFAULT_PROPOSAL_PATTERN);
  let queue: Promise<unknown> = Promise.resolve();
  return {
    dir,
    gitdir,
    targetBranch,
    proposalRefPattern,
    cache,
    clock: options.clock ?? systemClock,
    identity: options.identity ?? GATEHOUSE_IDENTITY,
    fileMode: fileModeSetting !== false,
    excludesFile: typeof excludes === 'string' ? excludes : null,
    objects: createObjectStore({ dir, gitdir, cache }),
    memo: { current: null, indexTrees: new Map(), shapes: new Map(), listings: new Map() },
    exclusive<T>(work: () => Promise<T>): Promise<T> {
      const run = queue.then(work, work);
      // The queue only orders work; each caller sees its own result or error.
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
  };
}

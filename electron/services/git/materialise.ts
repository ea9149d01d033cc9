/**
 * Writes a tree (of a proposal's base or head) into an empty directory, for the sandbox to mount
 * read-only.
 *
 * Every name is validated and every symlink must resolve inside the tree before the first byte is
 * written. Files are created with O_EXCL|O_NOFOLLOW and their exact mode (0755 or 0644, whatever the
 * umask); symlinks are created last, so nothing is ever written through one; gitlinks become empty
 * directories (pointers, never fetched). On any failure the directory is emptied again.
 */
import {
  closeSync,
  constants as fsConstants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { GitInvalidInputError, GitRefusedError } from './errors';
import { MODE_EXECUTABLE, MODE_GITLINK, MODE_SYMLINK, MODE_TREE } from './object-store';
import { resolveSymlinkInTree, validateTreeEntryName } from './path-safety';
import { resolveTree } from './refs';
import { openRepository, type GitRepository } from './repository';
import { lookupPath } from './trees';

/** Input of {@link materialiseTree}: a handle or a repository directory, and what to write where. */
export type MaterialiseInput = ({ readonly repo: GitRepository } | { readonly repoDir: string }) & {
  /** A tree or commit oid (or ref). */
  readonly oid: string;
  /** Absolute path of an empty (or missing) directory. */
  readonly into: string;
  /** Most entries written; default 200,000. */
  readonly maxFiles?: number;
  /** Most bytes written; default 2 GiB. */
  readonly maxBytes?: number;
};

/** What {@link materialiseTree} wrote. */
export interface MaterialiseResult {
  readonly treeOid: string;
  readonly files: number;
  readonly directories: number;
  readonly symlinks: number;
  readonly gitlinks: number;
  readonly bytes: number;
}

interface Planned {
  readonly dirs: string[];
  readonly files: Array<{ path: string; mode: number; oid: string }>;
  readonly symlinks: Array<{ path: string; oid: string }>;
  readonly gitlinks: string[];
}

/** Writes a tree into an empty directory (see the module comment). */
export async function materialiseTree(input: MaterialiseInput): Promise<MaterialiseResult> {
  if (!isAbsolute(input.into)) throw new GitInvalidInputError('materialise needs an absolute target directory');
  const repo = 'repo' in input ? input.repo : await openRepository({ dir: input.repoDir });
  const maxFiles = input.maxFiles ?? 200_000;
  const maxBytes = input.maxBytes ?? 2 * 1024 * 1024 * 1024;
  const treeOid = await resolveTree(repo, input.oid);

  const plan: Planned = { dirs: [], files: [], symlinks: [], gitlinks: [] };
  let count = 0;
  const walk = async (oid: string, prefix: string): Promise<void> => {
    for (const entry of await repo.objects.readTree(oid)) {
      validateTreeEntryName(entry.name, entry.mode, prefix);
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      count += 1;
      if (count > maxFiles) throw new GitRefusedError(`the tree has more than ${maxFiles} entries`);
      if (entry.mode === MODE_TREE) {
        plan.dirs.push(path);
        await walk(entry.oid, path);
      } else if (entry.mode === MODE_SYMLINK) plan.symlinks.push({ path, oid: entry.oid });
      else if (entry.mode === MODE_GITLINK) plan.gitlinks.push(path);
      else plan.files.push({ path, mode: entry.mode, oid: entry.oid });
    }
  };
  await walk(treeOid, '');
  const lookup = async (path: string): Promise<{ kind: 'symlink'; target: string } | { kind: 'other' } | null> => {
    const entry = await lookupPath(repo.objects, treeOid, path);
    if (entry === null) return null;
    if (entry.mode === MODE_SYMLINK) return { kind: 'symlink', target: (await repo.objects.readBlob(entry.oid)).toString('utf8') };
    return { kind: 'other' };
  };
  const targets = new Map<string, string>();
  for (const link of plan.symlinks) {
    const target = (await repo.objects.readBlob(link.oid)).toString('utf8');
    await resolveSymlinkInTree(link.path, target, lookup);
    targets.set(link.path, target);
  }

  const existing = lstatSync(input.into, { throwIfNoEntry: false });
  let created = false;
  if (existing === undefined) {
    mkdirSync(input.into, { mode: 0o755 });
    created = true;
  } else if (!existing.isDirectory() || existing.isSymbolicLink()) {
    throw new GitInvalidInputError(`${input.into} is not a directory`);
  } else if (readdirSync(input.into).length > 0) {
    throw new GitInvalidInputError(`${input.into} is not empty`);
  }
  let bytes = 0;
  try {
    for (const dir of plan.dirs) {
      mkdirSync(join(input.into, dir));
      chmodSync(join(input.into, dir), 0o755);
    }
    for (const file of plan.files) {
      const content = await repo.objects.readBlob(file.oid);
      bytes += content.length;
      if (bytes > maxBytes) throw new GitRefusedError(`the tree holds more than ${maxBytes} bytes`);
      const mode = file.mode === MODE_EXECUTABLE ? 0o755 : 0o644;
      // O_EXCL also catches two names that are one file on a case-insensitive file system.
      const fd = openSync(join(input.into, file.path), fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, mode);
      try {
        writeSync(fd, content);
        fchmodSync(fd, mode);
      } finally {
        closeSync(fd);
      }
    }
    for (const gitlink of plan.gitlinks) mkdirSync(join(input.into, gitlink), { mode: 0o755 });
    for (const link of plan.symlinks) symlinkSync(targets.get(link.path) as string, join(input.into, link.path));
  } catch (error) {
    if (created) rmSync(input.into, { recursive: true, force: true });
    else for (const name of readdirSync(input.into)) rmSync(join(input.into, name), { recursive: true, force: true });
    if (error instanceof Error && ((error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'ELOOP')) {
      throw new GitRefusedError(`two tree entries name the same file on this file system: ${error.message}`);
    }
    throw error;
  }
  return { treeOid, files: plan.files.length, directories: plan.dirs.length, symlinks: plan.symlinks.length, gitlinks: plan.gitlinks.length, bytes };
}

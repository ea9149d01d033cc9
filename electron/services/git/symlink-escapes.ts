/**
 * Symlinks of a tree that leave the repository: to an absolute path, up past the root (`../outside`),
 * through another link of the tree (`d/s -> ..` with `link -> d/s/..`), or into `.git` (`hooks -> .git/hooks`).
 *
 * Sandbox and apply refuse such a tree when they would write it; review uses this to show every escaping
 * link as a finding on its own path before anyone signs an approval of it.
 */
import { UnsafePathError } from './errors';
import { MODE_SYMLINK } from './object-store';
import { resolveSymlinkInTree, type TreeLookup } from './path-safety';
import type { GitRepository } from './repository';
import { flattenTree, lookupPath } from './trees';

/** One symlink of a tree that points outside the repository (or into `.git`). */
export interface SymlinkEscape {
  /** The link's repository-relative path. */
  readonly path: string;
  /** What the link holds, as committed. */
  readonly target: string;
  /** Why it is refused (`symlink to absolute path "/etc/passwd"`). */
  readonly reason: string;
}

/**
 * Checks the symlinks at `paths` in the tree `treeOid` (paths that are not symlinks are ignored) and
 * returns those that escape, with the reason. Other errors (a corrupt object) are thrown.
 */
export async function findSymlinkEscapes(repo: GitRepository, treeOid: string, paths: ReadonlyArray<string>): Promise<ReadonlyArray<SymlinkEscape>> {
  const lookup: TreeLookup = async (path) => {
    const entry = await lookupPath(repo.objects, treeOid, path);
    if (entry === null) return null;
    if (entry.mode === MODE_SYMLINK) return { kind: 'symlink', target: (await repo.objects.readBlob(entry.oid)).toString('utf8') };
    return { kind: 'other' };
  };
  const escapes: SymlinkEscape[] = [];
  for (const path of paths) {
    const found = await lookup(path);
    if (found === null || found.kind !== 'symlink') continue;
    try {
      await resolveSymlinkInTree(path, found.target, lookup);
    } catch (error) {
      if (!(error instanceof UnsafePathError)) throw error;
      escapes.push({ path, target: found.target, reason: error.reason });
    }
  }
  return escapes;
}

/** An escaping symlink of a revision's head, and whether the revision brought it in. */
export interface RevisionSymlinkEscape extends SymlinkEscape {
  /** The revision added or changed the link, or made it escape by changing another link it goes through. */
  readonly introduced: boolean;
}

/**
 * The escaping symlinks of a revision's head tree.
 *
 * Only a revision that writes a symlink can make one escape (an escape always goes through a link), so a
 * revision that writes none costs nothing. One that does has every symlink of its head checked: a new
 * `d/s -> ..` turns an old, harmless `link -> d/s/..` into an escape. A link that escaped the same way in
 * the base already is listed as not introduced.
 */
export async function revisionSymlinkEscapes(
  repo: GitRepository,
  baseOid: string,
  headOid: string,
  changed: ReadonlyArray<{ readonly path: string; readonly newKind: string | null }>,
): Promise<ReadonlyArray<RevisionSymlinkEscape>> {
  if (!changed.some((f) => f.newKind === 'symlink')) return [];
  const headTree = (await repo.objects.readCommit(headOid)).tree;
  const links = (await flattenTree(repo.objects, headTree)).filter((e) => e.mode === MODE_SYMLINK).map((e) => e.path);
  const escapes = await findSymlinkEscapes(repo, headTree, links);
  if (escapes.length === 0) return [];
  const changedPaths = new Set(changed.map((f) => f.path));
  const before = await findSymlinkEscapes(repo, (await repo.objects.readCommit(baseOid)).tree, escapes.map((e) => e.path));
  const beforeByPath = new Map(before.map((e) => [e.path, e] as const));
  return escapes.map((escape) => {
    const old = beforeByPath.get(escape.path);
    const preExisting = !changedPaths.has(escape.path) && old !== undefined && old.target === escape.target;
    return { ...escape, introduced: !preExisting };
  });
}

/**
 * Proposals: the branches matching the repository's proposal ref pattern, each compared with the target
 * branch at their merge base. Every commit from the merge base to the head is a revision, identified by
 * `{ baseOid, headOid, treeOid }`; approvals bind to exactly that triple.
 */
import { readFileSync } from 'node:fs';
import { GatehouseError } from '../../../shared/model/result';
import { diffTreeOids, type DiffOptions } from './diff';
import { GitInvalidInputError, GitNotFoundError } from './errors';
import { EMPTY_TREE_OID, type ParsedCommit, type Signature } from './object-store';
import { listRefsMatching, matchesRefPattern, resolveRefOrNull, validateRefName } from './refs';
import type { GitRepository } from './repository';

/** The identity of a revision: what an approval signs. */
export interface Revision {
  /** Merge base of the proposal with the target branch (null for unrelated histories). */
  readonly baseOid: string | null;
  /** The commit. */
  readonly headOid: string;
  /** The commit's tree. */
  readonly treeOid: string;
}

/** A person and time on a commit. */
export interface CommitPerson {
  readonly name: string;
  readonly email: string;
  /** ISO 8601 (UTC). */
  readonly time: string;
}

/** One commit of a proposal. */
export interface RevisionCommit {
  readonly oid: string;
  readonly treeOid: string;
  readonly parents: ReadonlyArray<string>;
  readonly author: CommitPerson;
  readonly committer: CommitPerson;
  readonly message: string;
  /** First line of the message. */
  readonly subject: string;
  readonly revision: Revision;
}

/** One proposal branch. */
export interface ProposalSummary {
  /** Full ref (`refs/heads/proposals/fix-login`). */
  readonly ref: string;
  /** The part the pattern's `*` matched (`fix-login`). */
  readonly name: string;
  readonly targetBranch: string;
  readonly targetOid: string;
  /** Merge base with the target, or null for unrelated histories. */
  readonly baseOid: string | null;
  readonly headOid: string;
  readonly treeOid: string;
  readonly author: CommitPerson;
  readonly committer: CommitPerson;
  readonly message: string;
  readonly subject: string;
  /** Seconds since the head was committed, by the handle's clock. */
  readonly ageSeconds: number;
  /** Files changed, lines added and removed from the merge base to the head (null when not computed or refused). */
  readonly filesChanged: number | null;
  readonly linesAdded: number | null;
  readonly linesRemoved: number | null;
  /** Commits from the merge base (excluded) to the head, newest first. */
  readonly revisions: ReadonlyArray<RevisionCommit>;
  /** Set when the proposal could not be diffed (an unsafe path, a corrupt object). */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Options for {@link listProposals}. */
export interface ListProposalsOptions {
  /** Compute files changed and line counts; default true. */
  readonly stats?: boolean;
  /** Most revisions listed per proposal; default 250. */
  readonly maxRevisions?: number;
  readonly diff?: DiffOptions;
}

function person(signature: Signature): CommitPerson {
  return { name: signature.name, email: signature.email, time: new Date(signature.timestamp * 1000).toISOString() };
}

function subjectOf(message: string): string {
  return message.split('\n')[0] ?? '';
}

/** Commits `.git/shallow` names: their parents are not in the repository, so walks stop there. */
function shallowCommits(repo: GitRepository): ReadonlySet<string> {
  try {
    return new Set(readFileSync(`${repo.gitdir}/shallow`, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line.length > 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

/**
 * Merge base of two commits (the first when there are several), or null for unrelated histories.
 *
 * isomorphic-git's `findMergeBase` walk (the same answer, in the same order: one walker per commit,
 * common commits found where both passed, then those that are ancestors of another dropped), run on
 * the handle's own object reader: isomorphic-git reads a whole packfile into memory to read one commit
 * from it, which for a 50,000-file repository is tens of megabytes held for the life of the handle.
 */
export async function mergeBase(repo: GitRepository, a: string, b: string): Promise<string | null> {
  const oids = [a, b];
  const shallows = shallowCommits(repo);
  const parentsOf = new Map<string, ReadonlyArray<string>>();
  const readParents = async (oid: string): Promise<ReadonlyArray<string>> => {
    const known = parentsOf.get(oid);
    if (known !== undefined) return known;
    const commit = await repo.objects.readCommit(oid);
    // readCommit peels a tag to its commit; the walk, like git's, takes commits only.
    if (commit.oid !== oid) throw new GitInvalidInputError(`${oid} is not a commit`, { oid });
    const parents = shallows.has(oid) ? [] : commit.parents;
    parentsOf.set(oid, parents);
    return parents;
  };
  const visits = new Map<string, Set<number>>();
  const common = new Set<string>();
  let heads = oids.map((oid, index) => ({ index, oid }));
  while (heads.length > 0) {
    for (const { oid, index } of heads) {
      await readParents(oid);
      let seen = visits.get(oid);
      if (seen === undefined) {
        seen = new Set();
        visits.set(oid, seen);
      }
      seen.add(index);
      if (seen.size === oids.length) common.add(oid);
    }
    const next = new Map<string, { index: number; oid: string }>();
    for (const { oid, index } of heads) {
      // Parents of a common commit cannot be better merge bases.
      if (common.has(oid)) continue;
      for (const parent of await readParents(oid)) {
        if (visits.get(parent)?.has(index) !== true) next.set(`${parent}:${index}`, { oid: parent, index });
      }
    }
    heads = [...next.values()];
  }
  if (common.size < 2) return [...common][0] ?? null;
  // A merge base is only "best" when it is not an ancestor of another common ancestor.
  const redundant = new Set<string>();
  for (const oid of common) {
    const ancestors = [...(await readParents(oid))];
    const seen = new Set<string>();
    while (ancestors.length > 0) {
      const ancestor = ancestors.pop() as string;
      if (seen.has(ancestor)) continue;
      seen.add(ancestor);
      if (common.has(ancestor)) redundant.add(ancestor);
      else ancestors.push(...(await readParents(ancestor)));
    }
  }
  return [...common].find((oid) => !redundant.has(oid)) ?? null;
}

/** Commits reachable from `head` but not from `base` (walking at most `limit` of them), newest first. */
export async function commitsBetween(repo: GitRepository, base: string | null, head: string, limit = 250): Promise<ParsedCommit[]> {
  // Ancestors of the base near it: enough to stop the head-side walk where a proposal merged the target.
  const baseSide = new Set<string>();
  if (base !== null) {
    const queue = [base];
    while (queue.length > 0 && baseSide.size < 4 * limit + 100) {
      const oid = queue.shift() as string;
      if (baseSide.has(oid)) continue;
      baseSide.add(oid);
      queue.push(...(await repo.objects.readCommit(oid)).parents);
    }
  }
  const out: ParsedCommit[] = [];
  const seen = new Set<string>();
  const queue = [head];
  while (queue.length > 0 && out.length < limit) {
    const oid = queue.shift() as string;
    if (seen.has(oid) || baseSide.has(oid)) continue;
    seen.add(oid);
    const commit = await repo.objects.readCommit(oid);
    out.push(commit);
    queue.push(...commit.parents);
  }
  return out.sort((x, y) => y.committer.timestamp - x.committer.timestamp);
}

function revisionCommit(commit: ParsedCommit, baseOid: string | null): RevisionCommit {
  return {
    oid: commit.oid,
    treeOid: commit.tree,
    parents: commit.parents,
    author: person(commit.author),
    committer: person(commit.committer),
    message: commit.message,
    subject: subjectOf(commit.message),
    revision: { baseOid, headOid: commit.oid, treeOid: commit.tree },
  };
}

async function targetOid(repo: GitRepository): Promise<string> {
  const oid = await resolveRefOrNull(repo, `refs/heads/${repo.targetBranch}`);
  if (oid === null) throw new GitNotFoundError(`target branch ${repo.targetBranch} does not exist`, { branch: repo.targetBranch });
  return oid;
}

async function summarise(repo: GitRepository, ref: string, target: string, options: ListProposalsOptions): Promise<ProposalSummary> {
  const headOid = await resolveRefOrNull(repo, ref);
  if (headOid === null) throw new GitNotFoundError(`no proposal ${ref}`, { ref });
  const head = await repo.objects.readCommit(headOid);
  const baseOid = await mergeBase(repo, target, head.oid);
  const commits = await commitsBetween(repo, baseOid, head.oid, options.maxRevisions ?? 250);
  const [prefix, suffix] = repo.proposalRefPattern.split('*') as [string, string];
  let stats: { files: number; added: number; removed: number } | null = null;
  let error: { code: string; message: string } | null = null;
  if (options.stats ?? true) {
    try {
      const baseTree = baseOid === null ? null : (await repo.objects.readCommit(baseOid)).tree;
      const diff = await diffTreeOids(repo, baseTree ?? EMPTY_TREE_OID, head.tree, options.diff);
      stats = diff.totals;
    } catch (caught) {
      if (!(caught instanceof GatehouseError)) throw caught;
      error = { code: caught.code, message: caught.message };
    }
  }
  return {
    ref,
    name: ref.slice(prefix.length, ref.length - suffix.length),
    targetBranch: repo.targetBranch,
    targetOid: target,
    baseOid,
    headOid: head.oid,
    treeOid: head.tree,
    author: person(head.author),
    committer: person(head.committer),
    message: head.message,
    subject: subjectOf(head.message),
    ageSeconds: Math.max(0, Math.floor(repo.clock.now().getTime() / 1000) - head.committer.timestamp),
    filesChanged: stats?.files ?? null,
    linesAdded: stats?.added ?? null,
    linesRemoved: stats?.removed ?? null,
    revisions: commits.map((c) => revisionCommit(c, baseOid)),
    error,
  };
}

/** Lists every proposal branch (the target branch itself excluded), sorted by ref. */
export async function listProposals(repo: GitRepository, options: ListProposalsOptions = {}): Promise<ProposalSummary[]> {
  const target = await targetOid(repo);
  const refs = (await listRefsMatching(repo, repo.proposalRefPattern)).filter((ref) => ref !== `refs/heads/${repo.targetBranch}`);
  const out: ProposalSummary[] = [];
  for (const ref of refs) out.push(await summarise(repo, ref, target, options));
  return out;
}

/** Normalises a proposal name or ref to the full ref, refusing refs outside the pattern. */
export function proposalRef(repo: GitRepository, nameOrRef: string): string {
  const ref = nameOrRef.startsWith('refs/') ? nameOrRef : repo.proposalRefPattern.replace('*', nameOrRef);
  validateRefName(ref);
  if (!matchesRefPattern(repo.proposalRefPattern, ref)) {
    throw new GitInvalidInputError(`${ref} does not match the proposal pattern ${repo.proposalRefPattern}`, { ref });
  }
  return ref;
}

/** One proposal, by name (`fix-login`) or full ref. */
export async function getProposal(repo: GitRepository, nameOrRef: string, options: ListProposalsOptions = {}): Promise<ProposalSummary> {
  return summarise(repo, proposalRef(repo, nameOrRef), await targetOid(repo), options);
}

/** The revisions of one proposal, newest first. */
export async function listRevisions(repo: GitRepository, nameOrRef: string, limit = 250): Promise<RevisionCommit[]> {
  const ref = proposalRef(repo, nameOrRef);
  const headOid = await resolveRefOrNull(repo, ref);
  if (headOid === null) throw new GitNotFoundError(`no proposal ${ref}`, { ref });
  const baseOid = await mergeBase(repo, await targetOid(repo), headOid);
  return (await commitsBetween(repo, baseOid, headOid, limit)).map((c) => revisionCommit(c, baseOid));
}

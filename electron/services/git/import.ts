/**
 * Importing a proposal: from a JSON change set or a unified diff, Gatehouse writes the blobs, trees and
 * commit itself (the agent as author) on a new proposal branch off the target branch's head.
 *
 * Everything is checked against the target branch before anything is referenced: every path, every
 * `original` (it must be exactly what the target branch holds), every patch hunk, every new symlink
 * (it must resolve inside the new tree), and no write may go below a file or symlink. Sizes are bounded.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RiskLevel } from '../../../shared/model/domain';
import { validateChangedPath } from './diff';
import { GitConflictError, GitInvalidInputError, GitNotFoundError, GitRefusedError } from './errors';
import { MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK, MODE_TREE, serialiseCommit } from './object-store';
import { resolveSymlinkInTree } from './path-safety';
import { proposalRef, type Revision } from './proposals';
import { resolveRefOrNull, updateRef } from './refs';
import type { GitRepository } from './repository';
import { editTree, lookupPath, type TreeEdit } from './trees';
import { applyHunks, parsePatch } from './unified-diff';

/** Size bounds on an import. */
export interface ImportLimits {
  /** Most files one import may touch; default 1,000. */
  readonly maxFiles: number;
  /** Largest new content of one file, in bytes; default 5 MiB. */
  readonly maxFileBytes: number;
  /** Largest total new content, in bytes; default 50 MiB. */
  readonly maxTotalBytes: number;
  /** Largest patch or change-set text, in bytes; default 64 MiB. */
  readonly maxInputBytes: number;
}

/** Default {@link ImportLimits}. */
export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxFiles: 1000,
  maxFileBytes: 5 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
  maxInputBytes: 64 * 1024 * 1024,
};

const NO_ANGLE_OR_NEWLINE = /^[^<>\n\r\0]*$/u;

/** The agent that proposed a change (the commit's author). */
export const AgentIdentity = z.object({
  name: z.string().trim().min(1).max(200).regex(NO_ANGLE_OR_NEWLINE, 'no <, >, newlines or NUL'),
  email: z.string().trim().min(3).max(320).regex(/^[^<>\s\0]+@[^<>\s\0]+$/u, 'an email address'),
});
export type AgentIdentity = z.infer<typeof AgentIdentity>;

/** One file of a change set: `original` null adds it, `modified` null deletes it. */
export const ChangeSetChange = z
  .object({
    path: z.string().min(1).max(4096),
    original: z.string().nullable(),
    modified: z.string().nullable(),
    /** Make the file executable (true), not executable (false), or keep its mode (absent). */
    executable: z.boolean().optional(),
  })
  .refine((c) => c.original !== null || c.modified !== null, { message: 'original and modified cannot both be null' });
export type ChangeSetChange = z.infer<typeof ChangeSetChange>;

/** A JSON change set an agent submits. */
export const ChangeSet = z.object({
  title: z.string().trim().min(1).max(200).regex(/^[^\n\r\0]*$/u, 'one line'),
  rationale: z.string().max(20_000),
  agent: AgentIdentity,
  /** The agent's own safety estimate (0 = unsafe, 1 = safe). */
  safetyScore: z.number().min(0).max(1),
  /** The agent's own risk level. */
  riskLevel: RiskLevel,
  changes: z.array(ChangeSetChange).min(1),
});
export type ChangeSet = z.infer<typeof ChangeSet>;

/** What describes a unified-diff import (the patch carries no metadata of its own). */
export const PatchImportMeta = z.object({
  title: z.string().trim().min(1).max(200).regex(/^[^\n\r\0]*$/u, 'one line'),
  rationale: z.string().max(20_000).default(''),
  agent: AgentIdentity,
  safetyScore: z.number().min(0).max(1).optional(),
  riskLevel: RiskLevel.optional(),
});
export type PatchImportMeta = z.input<typeof PatchImportMeta>;

/** The proposal branch an import created. */
export interface ImportResult {
  /** Full ref of the new branch. */
  readonly ref: string;
  /** The part of the ref the pattern's `*` matched. */
  readonly name: string;
  readonly commitOid: string;
  /** The new revision (base = the target head it was written on). */
  readonly revision: Revision;
  /** Paths changed. */
  readonly files: number;
}

/** One file change resolved against the target branch, content in hand. */
interface ResolvedChange {
  readonly path: string;
  /** New entry, or null to delete. */
  readonly next: { readonly mode: number; readonly content: Buffer } | null;
}

interface CommitMeta {
  readonly title: string;
  readonly rationale: string;
  readonly agent: AgentIdentity;
  readonly safetyScore: number | undefined;
  readonly riskLevel: RiskLevel | undefined;
  readonly source: 'change-set' | 'unified-diff';
  /** Who brought the change in: one of its authors, so they may not approve it. */
  readonly importer: Importer | undefined;
}

/** The operator who imports a proposal; recorded as a `Gatehouse-Imported-By` trailer. */
export interface Importer {
  readonly name: string;
  readonly email: string;
}

function limitsOf(partial: Partial<ImportLimits> | undefined): ImportLimits {
  return { ...DEFAULT_IMPORT_LIMITS, ...partial };
}

function slug(title: string): string {
  const base = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/gu, '-')
    .replace(/^-+|-+$/gu, '')
    .slice(0, 40)
    .replace(/-+$/u, '');
  return `${base.length > 0 ? base : 'proposal'}-${randomBytes(3).toString('hex')}`;
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

async function targetState(repo: GitRepository): Promise<{ oid: string; tree: string }> {
  const oid = await resolveRefOrNull(repo, `refs/heads/${repo.targetBranch}`);
  if (oid === null) throw new GitNotFoundError(`target branch ${repo.targetBranch} does not exist`);
  return { oid, tree: (await repo.objects.readCommit(oid)).tree };
}

function checkSizes(changes: ReadonlyArray<ResolvedChange>, limits: ImportLimits): void {
  if (changes.length > limits.maxFiles) throw new GitRefusedError(`the import changes ${changes.length} files; the limit is ${limits.maxFiles}`);
  let total = 0;
  for (const change of changes) {
    const size = change.next?.content.length ?? 0;
    if (size > limits.maxFileBytes) {
      throw new GitRefusedError(`${change.path} is ${size} bytes; the limit per file is ${limits.maxFileBytes}`, { path: change.path });
    }
    total += size;
  }
  if (total > limits.maxTotalBytes) throw new GitRefusedError(`the import adds ${total} bytes; the limit is ${limits.maxTotalBytes}`);
}

async function writeProposal(
  repo: GitRepository,
  target: { oid: string; tree: string },
  changes: ReadonlyArray<ResolvedChange>,
  meta: CommitMeta,
  name: string | undefined,
  replaces?: string,
): Promise<ImportResult> {
  const ref = proposalRef(repo, name ?? slug(meta.title));
  const existing = await resolveRefOrNull(repo, ref);
  if (replaces === undefined && existing !== null) throw new GitConflictError(`proposal ${ref} already exists`, { ref });
  if (replaces !== undefined && existing !== replaces) {
    throw new GitConflictError(`proposal ${ref} is not at ${replaces.slice(0, 10)} (it moved or does not exist)`, { ref });
  }
  const tree = await repo.objects.batch(async () => {
    const edits: TreeEdit[] = changes.map((change) => ({
      path: change.path,
      entry: change.next === null ? null : { mode: change.next.mode, oid: repo.objects.write('blob', change.next.content) },
    }));
    return editTree(repo.objects, target.tree, edits);
  });
  // Every new symlink must resolve inside the new tree, following its other symlinks.
  const lookup = async (path: string): Promise<{ kind: 'symlink'; target: string } | { kind: 'other' } | null> => {
    const entry = await lookupPath(repo.objects, tree, path);
    if (entry === null) return null;
    if (entry.mode === MODE_SYMLINK) return { kind: 'symlink', target: (await repo.objects.readBlob(entry.oid)).toString('utf8') };
    return { kind: 'other' };
  };
  for (const change of changes) {
    if (change.next !== null && change.next.mode === MODE_SYMLINK) {
      await resolveSymlinkInTree(change.path, change.next.content.toString('utf8'), lookup);
    }
  }
  if (tree === target.tree) throw new GitRefusedError('the import changes nothing on the target branch');
  const seconds = Math.floor(repo.clock.now().getTime() / 1000);
  const trailers = [`Gatehouse-Import: ${meta.source}`];
  if (meta.safetyScore !== undefined) trailers.push(`Gatehouse-Agent-Safety-Score: ${meta.safetyScore}`);
  if (meta.riskLevel !== undefined) trailers.push(`Gatehouse-Agent-Risk-Level: ${meta.riskLevel}`);
  if (meta.importer !== undefined) {
    if (/[<>\n\0]/u.test(meta.importer.name) || /[<>\s\0]/u.test(meta.importer.email)) throw new GitInvalidInputError('the importer name or email holds <, >, whitespace or NUL');
    trailers.push(`Gatehouse-Imported-By: ${meta.importer.name} <${meta.importer.email}>`);
  }
  const body = meta.rationale.trim();
  const message = `${meta.title}\n\n${body.length > 0 ? `${body}\n\n` : ''}${trailers.join('\n')}\n`;
  const commitOid = repo.objects.write(
    'commit',
    serialiseCommit({
      tree,
      parents: [target.oid],
      author: { name: meta.agent.name, email: meta.agent.email, timestamp: seconds, timezoneOffset: 0 },
      committer: { name: repo.identity.name, email: repo.identity.email, timestamp: seconds, timezoneOffset: 0 },
      message,
    }),
  );
  await updateRef(repo, ref, commitOid, replaces ?? null, `gatehouse import (${meta.source}): ${meta.title}`);
  const [prefix, suffix] = repo.proposalRefPattern.split('*') as [string, string];
  return {
    ref,
    name: ref.slice(prefix.length, ref.length - suffix.length),
    commitOid,
    revision: { baseOid: target.oid, headOid: commitOid, treeOid: tree },
    files: changes.length,
  };
}

/** Input of {@link importChangeSet}. */
export interface ImportChangeSetInput {
  /** The change set, unparsed (it is checked with {@link ChangeSet}). */
  readonly changeSet: unknown;
  /** Branch name inside the pattern (`fix-login`); default: from the title plus a random suffix. */
  readonly name?: string;
  readonly limits?: Partial<ImportLimits>;
  readonly importer?: Importer;
  /**
   * Write a new revision of the existing proposal `name`, whose branch must be at this oid; the new
   * commit is again based on the target head (a replacement, as Gerrit's patch sets are).
   */
  readonly replaces?: string;
}

/**
 * Imports a JSON change set as a commit on a new proposal branch. Refuses (Conflict) when an `original`
 * is not exactly the target branch's content, and (Refused) any unsafe path, oversize input, or a change
 * below a file or symlink.
 */
export async function importChangeSet(repo: GitRepository, input: ImportChangeSetInput): Promise<ImportResult> {
  const limits = limitsOf(input.limits);
  const parsed = ChangeSet.safeParse(input.changeSet);
  if (!parsed.success) throw new GitInvalidInputError(`invalid change set: ${zodMessage(parsed.error)}`, { issues: parsed.error.issues });
  const changeSet = parsed.data;
  if (changeSet.changes.length > limits.maxFiles) {
    throw new GitRefusedError(`the change set has ${changeSet.changes.length} files; the limit is ${limits.maxFiles}`);
  }
  const inputBytes = changeSet.changes.reduce((n, c) => n + (c.original?.length ?? 0) + (c.modified?.length ?? 0), 0);
  if (inputBytes > limits.maxInputBytes) throw new GitRefusedError(`the change set is too large (${inputBytes} characters)`);
  const target = await targetState(repo);
  const seen = new Set<string>();
  const resolved: ResolvedChange[] = [];
  for (const change of changeSet.changes) {
    validateChangedPath(change.path, change.modified === null ? null : change.executable === true ? MODE_EXECUTABLE : MODE_FILE);
    if (seen.has(change.path)) throw new GitRefusedError(`${change.path} appears twice in the change set`, { path: change.path });
    seen.add(change.path);
    const entry = await lookupPath(repo.objects, target.tree, change.path);
    if (change.original === null) {
      if (entry !== null) {
        throw new GitConflictError(`${change.path} already exists on ${repo.targetBranch} (original is null)`, { path: change.path });
      }
    } else {
      if (entry === null || entry.mode === MODE_TREE) {
        throw new GitConflictError(`${change.path} does not exist on ${repo.targetBranch}`, { path: change.path });
      }
      if (entry.mode !== MODE_FILE && entry.mode !== MODE_EXECUTABLE) {
        throw new GitRefusedError(`${change.path} is not a regular file on ${repo.targetBranch}`, { path: change.path });
      }
      const current = await repo.objects.readBlob(entry.oid);
      if (!current.equals(Buffer.from(change.original, 'utf8'))) {
        throw new GitConflictError(`original of ${change.path} does not match ${repo.targetBranch}`, { path: change.path });
      }
    }
    if (change.modified === null) {
      resolved.push({ path: change.path, next: null });
      continue;
    }
    const keep = entry !== null && entry.mode === MODE_EXECUTABLE ? MODE_EXECUTABLE : MODE_FILE;
    const mode = change.executable === undefined ? keep : change.executable ? MODE_EXECUTABLE : MODE_FILE;
    resolved.push({ path: change.path, next: { mode, content: Buffer.from(change.modified, 'utf8') } });
  }
  checkSizes(resolved, limits);
  return writeProposal(
    repo,
    target,
    resolved,
    {
      title: changeSet.title,
      rationale: changeSet.rationale,
      agent: changeSet.agent,
      safetyScore: changeSet.safetyScore,
      riskLevel: changeSet.riskLevel,
      source: 'change-set',
      importer: input.importer,
    },
    input.name,
    input.replaces,
  );
}

/** Input of {@link importUnifiedDiff}. */
export interface ImportUnifiedDiffInput {
  /** The patch text (or bytes, for files that are not UTF-8). */
  readonly patch: string | Uint8Array;
  readonly meta: PatchImportMeta;
  readonly name?: string;
  readonly limits?: Partial<ImportLimits>;
  readonly importer?: Importer;
  /** As {@link ImportChangeSetInput.replaces}. */
  readonly replaces?: string;
}

/**
 * Imports a unified diff as a commit on a new proposal branch. Every hunk must apply exactly to the
 * target branch (Conflict otherwise); unsafe paths, binary patches, copies, submodule changes, symlinks
 * leaving the repository and writes below a symlink are refused.
 */
export async function importUnifiedDiff(repo: GitRepository, input: ImportUnifiedDiffInput): Promise<ImportResult> {
  const limits = limitsOf(input.limits);
  const meta = PatchImportMeta.safeParse(input.meta);
  if (!meta.success) throw new GitInvalidInputError(`invalid import metadata: ${zodMessage(meta.error)}`, { issues: meta.error.issues });
  const files = parsePatch(input.patch, { maxBytes: limits.maxInputBytes, maxFiles: limits.maxFiles });
  for (const file of files) {
    if (file.oldPath !== null) validateChangedPath(file.oldPath, file.oldMode);
    if (file.newPath !== null) validateChangedPath(file.newPath, file.newMode);
  }
  const target = await targetState(repo);
  const resolved: ResolvedChange[] = [];
  const touched = new Set<string>();
  const touch = (path: string): void => {
    if (touched.has(path)) throw new GitRefusedError(`${path} is changed twice in the patch`, { path });
    touched.add(path);
  };
  for (const file of files) {
    let oldContent = '';
    let oldMode: number | null = null;
    if (file.oldPath !== null) {
      const entry = await lookupPath(repo.objects, target.tree, file.oldPath);
      if (entry === null || entry.mode === MODE_TREE) {
        throw new GitConflictError(`patch does not apply: ${file.oldPath} does not exist on ${repo.targetBranch}`, { path: file.oldPath });
      }
      if (entry.mode !== MODE_FILE && entry.mode !== MODE_EXECUTABLE && entry.mode !== MODE_SYMLINK) {
        throw new GitRefusedError(`${file.oldPath} is a submodule on ${repo.targetBranch}`, { path: file.oldPath });
      }
      if (file.oldMode !== null && file.oldMode !== entry.mode) {
        throw new GitConflictError(`patch does not apply: ${file.oldPath} has mode ${entry.mode.toString(8)} on ${repo.targetBranch}`, { path: file.oldPath });
      }
      oldMode = entry.mode;
      oldContent = (await repo.objects.readBlob(entry.oid)).toString('latin1');
    } else if (file.newPath !== null && (await lookupPath(repo.objects, target.tree, file.newPath)) !== null) {
      throw new GitConflictError(`patch does not apply: ${file.newPath} already exists on ${repo.targetBranch}`, { path: file.newPath });
    }
    const newContent = file.hunks.length > 0 ? applyHunks(file.newPath ?? (file.oldPath as string), oldContent, file.hunks) : oldContent;
    if (file.newPath === null) {
      if (newContent.length > 0) {
        throw new GitConflictError(`patch does not apply: deleting ${file.oldPath} would leave content behind`, { path: file.oldPath });
      }
      touch(file.oldPath as string);
      resolved.push({ path: file.oldPath as string, next: null });
      continue;
    }
    if (file.oldPath !== null && file.oldPath !== file.newPath) {
      touch(file.oldPath);
      resolved.push({ path: file.oldPath, next: null });
      if ((await lookupPath(repo.objects, target.tree, file.newPath)) !== null) {
        throw new GitConflictError(`patch does not apply: ${file.newPath} already exists on ${repo.targetBranch}`, { path: file.newPath });
      }
    }
    touch(file.newPath);
    const mode = file.newMode ?? oldMode ?? MODE_FILE;
    resolved.push({ path: file.newPath, next: { mode, content: Buffer.from(newContent, 'latin1') } });
  }
  checkSizes(resolved, limits);
  const data = meta.data;
  return writeProposal(
    repo,
    target,
    resolved,
    {
      title: data.title,
      rationale: data.rationale,
      agent: data.agent,
      safetyScore: data.safetyScore,
      riskLevel: data.riskLevel,
      source: 'unified-diff',
      importer: input.importer,
    },
    input.name,
    input.replaces,
  );
}

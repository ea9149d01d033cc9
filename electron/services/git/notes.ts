/**
 * Git notes on commits (approvals are kept as notes on the head commit they approve), through
 * isomorphic-git's notes support with the handle's shared cache.
 */
import fs from 'node:fs';
import * as git from 'isomorphic-git';
import { GitConflictError, GitInvalidInputError, GitRefusedError } from './errors';
import { isOid, validateRefName } from './refs';
import type { GitRepository } from './repository';

/** The notes ref Gatehouse uses by default. */
export const GATEHOUSE_NOTES_REF = 'refs/notes/gatehouse';

/** Largest note accepted, in bytes. */
export const MAX_NOTE_BYTES = 1024 * 1024;

/** Input of {@link addNote}. */
export interface AddNoteInput {
  /** Default {@link GATEHOUSE_NOTES_REF}. */
  readonly ref?: string;
  /** The commit the note is about. */
  readonly oid: string;
  readonly note: string;
  /** Replace an existing note (otherwise an existing note is a Conflict). */
  readonly force?: boolean;
}

function notesRef(ref: string | undefined): string {
  const value = validateRefName(ref ?? GATEHOUSE_NOTES_REF);
  if (!value.startsWith('refs/notes/')) throw new GitInvalidInputError(`${value} is not under refs/notes/`);
  return value;
}

function checkOid(oid: string): void {
  if (typeof oid !== 'string' || !isOid(oid)) throw new GitInvalidInputError(`not an object id: ${String(oid)}`);
}

async function writeNote(repo: GitRepository, ref: string, oid: string, note: string, force: boolean): Promise<string> {
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) throw new GitRefusedError(`note larger than ${MAX_NOTE_BYTES} bytes`);
  const signature = { name: repo.identity.name, email: repo.identity.email, timestamp: Math.floor(repo.clock.now().getTime() / 1000), timezoneOffset: 0 };
  try {
    return await git.addNote({ fs, dir: repo.dir, gitdir: repo.gitdir, ref, oid, note, force, author: signature, committer: signature, cache: repo.cache });
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === 'AlreadyExistsError') {
      throw new GitConflictError(`a note on ${oid} already exists in ${ref}`, { ref, oid });
    }
    throw error;
  }
}

/** Adds a note to a commit; returns the new notes commit oid. */
export async function addNote(repo: GitRepository, input: AddNoteInput): Promise<string> {
  const ref = notesRef(input.ref);
  checkOid(input.oid);
  return repo.exclusive(() => writeNote(repo, ref, input.oid, input.note, input.force ?? false));
}

/** Reads a commit's note, or null when it has none. */
export async function readNote(repo: GitRepository, input: { readonly ref?: string; readonly oid: string }): Promise<string | null> {
  const ref = notesRef(input.ref);
  checkOid(input.oid);
  try {
    const bytes = await git.readNote({ fs, dir: repo.dir, gitdir: repo.gitdir, ref, oid: input.oid, cache: repo.cache });
    return Buffer.from(bytes).toString('utf8');
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === 'NotFoundError') return null;
    throw error;
  }
}

/**
 * Appends a line to a commit's note (creating it), atomically with respect to other calls on this
 * handle: several approvals of one head each add their own line.
 */
export async function appendNote(repo: GitRepository, input: { readonly ref?: string; readonly oid: string; readonly line: string }): Promise<string> {
  const ref = notesRef(input.ref);
  checkOid(input.oid);
  if (input.line.includes('\n')) throw new GitInvalidInputError('a note line may not contain a newline');
  return repo.exclusive(async () => {
    const existing = await readNote(repo, { ref, oid: input.oid });
    const next = existing === null || existing.length === 0 ? `${input.line}\n` : `${existing.endsWith('\n') ? existing : `${existing}\n`}${input.line}\n`;
    return writeNote(repo, ref, input.oid, next, true);
  });
}

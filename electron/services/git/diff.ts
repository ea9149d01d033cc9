/**
 * The review diff: which files a revision changes and how, each file's old and new text for Monaco, and
 * single blobs read from a ref (policy and trust files come from the target branch this way).
 *
 * Only paths that differ between the two trees are visited (equal subtrees are skipped by oid), every
 * path is validated before it is shown, and content is only ever returned as text or metadata.
 */
import { GitInvalidInputError, GitRefusedError } from './errors';
import { MODE_EXECUTABLE, MODE_FILE, MODE_GITLINK, MODE_SYMLINK, MODE_TREE, type ObjectStore } from './object-store';
import { MAX_PATH_LENGTH, validateRepoPath, validateTreeEntryName } from './path-safety';
import { resolveTree } from './refs';
import type { GitRepository } from './repository';
import {
  countLineChanges,
  decodeText,
  differsOnlyInWhitespace,
  findHiddenCharacters,
  hasCrlf,
  isBinary,
  splitLines,
  type HiddenCharacter,
} from './text';
import { compareUtf8, diffTrees, lookupPath, type EntryRef, type TreeChange } from './trees';

/** Texts larger than this are metadata only (no line counts, no content). */
export const DEFAULT_MAX_TEXT_BYTES = 2 * 1024 * 1024;

/** How a file changed. */
export type DiffStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'mode-only' | 'type-change';

/** What a tree entry is. */
export type EntryKind = 'file' | 'executable' | 'symlink' | 'gitlink';

/** What a reviewer must be warned about in one changed file. */
export interface DiffFileFlags {
  /** Either side is binary (NUL in the first 8,000 bytes). */
  readonly binary: boolean;
  /** Either side is larger than the text bound: metadata only. */
  readonly tooLarge: boolean;
  /** The new text (the old one for a deletion) is not valid UTF-8. */
  readonly invalidUtf8: boolean;
  /** The new text (the old one for a deletion) has CRLF line endings. */
  readonly crlf: boolean;
  /** The texts differ only in whitespace or line endings. */
  readonly whitespaceOnly: boolean;
  /** Only the executable bit changed. */
  readonly modeOnly: boolean;
  /** The file mode changed (executable bit, or the kind of entry). */
  readonly modeChanged: boolean;
  /** Either side is a gitlink (submodule pointer), shown as its commit id and never followed. */
  readonly gitlink: boolean;
  /** Either side is a symlink (content is its target). */
  readonly symlink: boolean;
  /** Bidirectional-control and zero-width characters in the new text (Trojan Source, CVE-2021-42574). */
  readonly hiddenCharacters: ReadonlyArray<HiddenCharacter>;
  /** How many there are (the list is capped). */
  readonly hiddenCharacterCount: number;
}

/** One changed file. */
export interface DiffFile {
  /** The new path, or the old one for a deletion. */
  readonly path: string;
  readonly status: DiffStatus;
  readonly oldPath: string | null;
  readonly newPath: string | null;
  /** Git modes as git prints them (`100644`), or null when absent. */
  readonly oldMode: string | null;
  readonly newMode: string | null;
  readonly oldKind: EntryKind | null;
  readonly newKind: EntryKind | null;
  readonly oldOid: string | null;
  readonly newOid: string | null;
  /** Bytes, or null when absent or a gitlink. */
  readonly oldSize: number | null;
  readonly newSize: number | null;
  /** Lines added and removed, or null for binary, too large and gitlink entries. */
  readonly added: number | null;
  readonly removed: number | null;
  /** For renames: how much of the content stayed (1 = identical). */
  readonly similarity: number | null;
  readonly flags: DiffFileFlags;
}

/** The diff between two revisions (or trees). */
export interface RevisionDiff {
  readonly baseTree: string;
  readonly headTree: string;
  readonly files: ReadonlyArray<DiffFile>;
  readonly totals: { readonly files: number; readonly added: number; readonly removed: number };
}

/** Options for {@link diffRevision}. */
export interface DiffOptions {
  /** Default {@link DEFAULT_MAX_TEXT_BYTES}. */
  readonly maxTextBytes?: number;
  /** Detect renames (exact, then by content similarity); default true. */
  readonly renames?: boolean;
}

/** Git's kind of an entry. */
export function entryKind(mode: number): EntryKind {
  if (mode === MODE_SYMLINK) return 'symlink';
  if (mode === MODE_GITLINK) return 'gitlink';
  if (mode === MODE_EXECUTABLE) return 'executable';
  return 'file';
}

function family(kind: EntryKind): string {
  return kind === 'executable' ? 'file' : kind;
}

/** Formats a git mode as git prints it (`100644`, `040000`). */
export function modeString(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}

/**
 * Validates every component of a changed path (names, and git's own files as symlinks). `checkedDirs`
 * (optional) remembers directories already validated across calls: a path in one of them needs only
 * the checks that depend on the whole path (its length) and its own last name, so a thousand files in
 * one folder check that folder's names once. The refusals are the same as without the memo.
 */
export function validateChangedPath(path: string, mode: number | null, checkedDirs?: Set<string>): void {
  const slash = path.lastIndexOf('/');
  // `slash > 0`: a path that starts with `/` has no directory to remember and goes through the full check.
  if (checkedDirs !== undefined && slash > 0 && checkedDirs.has(path.slice(0, slash))) {
    // The directory passed validateRepoPath as part of an earlier path: no leading slash, drive letter,
    // backslash or bad name there; what is left is this path's length and its last name.
    if (path.length > MAX_PATH_LENGTH) validateRepoPath(path);
    validateTreeEntryName(path.slice(slash + 1), mode ?? MODE_TREE, path.slice(0, slash));
    return;
  }
  validateRepoPath(path);
  const parts = path.split('/');
  const last = parts.length - 1;
  for (let i = 0; i <= last; i += 1) {
    validateTreeEntryName(parts[i] as string, i === last && mode !== null ? mode : MODE_TREE, parts.slice(0, i).join('/'));
  }
  if (checkedDirs !== undefined && slash > 0) checkedDirs.add(path.slice(0, slash));
}

interface Side {
  readonly path: string;
  readonly entry: EntryRef;
  readonly size: number | null;
  readonly content: Buffer | null;
  readonly binary: boolean;
}

async function loadSide(store: ObjectStore, path: string, entry: EntryRef, maxBytes: number): Promise<Side> {
  if (entry.mode === MODE_GITLINK) return { path, entry, size: null, content: null, binary: false };
  const blob = await store.readBlobBounded(entry.oid, maxBytes);
  return { path, entry, size: blob.size, content: blob.content, binary: blob.content !== null && isBinary(blob.content) };
}

function describe(oldSide: Side | null, newSide: Side | null, status: DiffStatus, similarity: number | null): DiffFile {
  const oldKind = oldSide === null ? null : entryKind(oldSide.entry.mode);
  const newKind = newSide === null ? null : entryKind(newSide.entry.mode);
  const gitlink = oldKind === 'gitlink' || newKind === 'gitlink';
  const tooLarge = (oldSide !== null && oldSide.size !== null && oldSide.content === null) || (newSide !== null && newSide.size !== null && newSide.content === null);
  const binary = (oldSide?.binary ?? false) || (newSide?.binary ?? false);
  const textual = !gitlink && !tooLarge && !binary;
  const oldText = textual && oldSide !== null ? decodeText(oldSide.content as Buffer) : null;
  const newText = textual && newSide !== null ? decodeText(newSide.content as Buffer) : null;
  const shown = newText ?? oldText;
  // Every hidden character is outside ASCII: a pure-ASCII text needs no scan.
  const hidden = newText !== null && !newText.ascii ? findHiddenCharacters(newText.text) : { found: [], count: 0 };
  let counts: { added: number; removed: number } | null = null;
  if (textual) counts = countLineChanges(oldText?.text ?? '', newText?.text ?? '');
  const modeChanged = oldSide !== null && newSide !== null && oldSide.entry.mode !== newSide.entry.mode;
  return {
    path: newSide?.path ?? (oldSide as Side).path,
    status,
    oldPath: oldSide?.path ?? null,
    newPath: newSide?.path ?? null,
    oldMode: oldSide === null ? null : modeString(oldSide.entry.mode),
    newMode: newSide === null ? null : modeString(newSide.entry.mode),
    oldKind,
    newKind,
    oldOid: oldSide?.entry.oid ?? null,
    newOid: newSide?.entry.oid ?? null,
    oldSize: oldSide?.size ?? null,
    newSize: newSide?.size ?? null,
    added: counts?.added ?? null,
    removed: counts?.removed ?? null,
    similarity,
    flags: {
      binary,
      tooLarge,
      invalidUtf8: shown?.invalidUtf8 ?? false,
      crlf: shown !== null && hasCrlf(shown.text),
      whitespaceOnly: oldText !== null && newText !== null && differsOnlyInWhitespace(oldText.text, newText.text),
      modeOnly: status === 'mode-only',
      modeChanged,
      gitlink,
      symlink: oldKind === 'symlink' || newKind === 'symlink',
      hiddenCharacters: hidden.found,
      hiddenCharacterCount: hidden.count,
    },
  };
}

/** Most deleted × added pairs compared for similarity renames. */
const RENAME_CANDIDATES = 50;

/** Diffs two trees (see {@link diffRevision}). */
export async function diffTreeOids(repo: GitRepository, baseTree: string, headTree: string, options: DiffOptions = {}): Promise<RevisionDiff> {
  const maxBytes = options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const changes = await diffTrees(repo.objects, baseTree, headTree);
  const checkedDirs = new Set<string>();
  for (const change of changes) validateChangedPath(change.path, change.new?.mode ?? change.old?.mode ?? null, checkedDirs);
  const files: DiffFile[] = [];
  const deleted: TreeChange[] = [];
  const added: TreeChange[] = [];
  for (const change of changes) {
    if (change.old !== null && change.new !== null) {
      const oldSide = await loadSide(repo.objects, change.path, change.old, maxBytes);
      const newSide = await loadSide(repo.objects, change.path, change.new, maxBytes);
      const oldKind = entryKind(change.old.mode);
      const newKind = entryKind(change.new.mode);
      let status: DiffStatus = 'modified';
      if (family(oldKind) !== family(newKind)) status = 'type-change';
      else if (change.old.oid === change.new.oid) status = 'mode-only';
      files.push(describe(oldSide, newSide, status, null));
    } else if (change.old !== null) deleted.push(change);
    else added.push(change);
  }
  const pairs: Array<{ from: TreeChange; to: TreeChange; similarity: number }> = [];
  if (options.renames ?? true) {
    // Exact renames first: same blob, same kind of entry.
    const byOid = new Map<string, TreeChange[]>();
    for (const d of deleted) {
      if (d.old === null || d.old.mode === MODE_GITLINK) continue;
      const list = byOid.get(d.old.oid) ?? [];
      list.push(d);
      byOid.set(d.old.oid, list);
    }
    for (const a of added) {
      if (a.new === null || a.new.mode === MODE_GITLINK) continue;
      const list = byOid.get(a.new.oid);
      const from = list?.find((d) => family(entryKind((d.old as EntryRef).mode)) === family(entryKind((a.new as EntryRef).mode)));
      if (from === undefined || list === undefined) continue;
      list.splice(list.indexOf(from), 1);
      pairs.push({ from, to: a, similarity: 1 });
    }
    // Then by content: text files of comparable size, at least half of the lines kept (git's default).
    const pairedFrom = new Set(pairs.map((p) => p.from));
    const pairedTo = new Set(pairs.map((p) => p.to));
    const leftDeleted = deleted.filter((d) => !pairedFrom.has(d) && d.old !== null && d.old.mode !== MODE_GITLINK && d.old.mode !== MODE_SYMLINK).slice(0, RENAME_CANDIDATES);
    const leftAdded = added.filter((a) => !pairedTo.has(a) && a.new !== null && a.new.mode !== MODE_GITLINK && a.new.mode !== MODE_SYMLINK).slice(0, RENAME_CANDIDATES);
    if (leftDeleted.length > 0 && leftAdded.length > 0) {
      const text = async (oid: string): Promise<string | null> => {
        const blob = await repo.objects.readBlobBounded(oid, Math.min(maxBytes, 1024 * 1024));
        return blob.content === null || isBinary(blob.content) ? null : decodeText(blob.content).text;
      };
      const oldTexts = new Map<TreeChange, string | null>();
      for (const d of leftDeleted) oldTexts.set(d, await text((d.old as EntryRef).oid));
      const used = new Set<TreeChange>();
      for (const a of leftAdded) {
        const newText = await text((a.new as EntryRef).oid);
        if (newText === null) continue;
        let best: { from: TreeChange; similarity: number } | null = null;
        for (const d of leftDeleted) {
          const oldText = oldTexts.get(d) ?? null;
          if (used.has(d) || oldText === null) continue;
          const ratio = oldText.length === 0 || newText.length === 0 ? 0 : Math.min(oldText.length, newText.length) / Math.max(oldText.length, newText.length);
          if (ratio < 0.5) continue;
          const { added: plus, removed: minus } = countLineChanges(oldText, newText);
          const total = splitLines(oldText).length + splitLines(newText).length;
          const similarity = total === 0 ? 0 : (total - plus - minus) / total;
          if (similarity >= 0.5 && (best === null || similarity > best.similarity)) best = { from: d, similarity };
        }
        if (best !== null) {
          used.add(best.from);
          pairs.push({ from: best.from, to: a, similarity: Math.round(best.similarity * 100) / 100 });
        }
      }
    }
  }
  const pairedFrom = new Set(pairs.map((p) => p.from));
  const pairedTo = new Set(pairs.map((p) => p.to));
  for (const p of pairs) {
    const oldSide = await loadSide(repo.objects, p.from.path, p.from.old as EntryRef, maxBytes);
    const newSide = await loadSide(repo.objects, p.to.path, p.to.new as EntryRef, maxBytes);
    files.push(describe(oldSide, newSide, 'renamed', p.similarity));
  }
  for (const d of deleted) if (!pairedFrom.has(d)) files.push(describe(await loadSide(repo.objects, d.path, d.old as EntryRef, maxBytes), null, 'deleted', null));
  for (const a of added) if (!pairedTo.has(a)) files.push(describe(null, await loadSide(repo.objects, a.path, a.new as EntryRef, maxBytes), 'added', null));
  // Git's path order (UTF-8 bytes), compared without encoding each path at every comparison.
  files.sort((x, y) => compareUtf8(x.path, y.path));
  let plus = 0;
  let minus = 0;
  for (const f of files) {
    plus += f.added ?? 0;
    minus += f.removed ?? 0;
  }
  return { baseTree, headTree, files, totals: { files: files.length, added: plus, removed: minus } };
}

/**
 * Lists the files a revision changes relative to a base: `base` and `head` are refs, commit oids or
 * tree oids. Refuses (UnsafePathError) when any changed path is unsafe.
 */
export async function diffRevision(repo: GitRepository, base: string, head: string, options: DiffOptions = {}): Promise<RevisionDiff> {
  return diffTreeOids(repo, await resolveTree(repo, base), await resolveTree(repo, head), options);
}

/** One side of a file for the review editor. */
export type FileSide =
  | { readonly kind: 'absent' }
  | { readonly kind: 'text'; readonly oid: string; readonly mode: string; readonly size: number; readonly text: string; readonly invalidUtf8: boolean }
  | { readonly kind: 'binary'; readonly oid: string; readonly mode: string; readonly size: number }
  | { readonly kind: 'too-large'; readonly oid: string; readonly mode: string; readonly size: number }
  | { readonly kind: 'symlink'; readonly oid: string; readonly target: string }
  | { readonly kind: 'gitlink'; readonly oid: string };

/** Input of {@link fileContents}. */
export interface FileContentsInput {
  /** Ref, commit or tree of the old side. */
  readonly base: string;
  /** Ref, commit or tree of the new side. */
  readonly head: string;
  /** Path on the new side. */
  readonly path: string;
  /** Path on the old side when the file was renamed; default `path`. */
  readonly oldPath?: string;
  /** Default {@link DEFAULT_MAX_TEXT_BYTES}. */
  readonly maxTextBytes?: number;
}

/** Both sides of one file. */
export interface FileContents {
  readonly path: string;
  readonly old: FileSide;
  readonly new: FileSide;
}

async function readSide(repo: GitRepository, tree: string, path: string, maxBytes: number): Promise<FileSide> {
  const entry = await lookupPath(repo.objects, tree, path);
  if (entry === null || entry.mode === MODE_TREE) return { kind: 'absent' };
  if (entry.mode === MODE_GITLINK) return { kind: 'gitlink', oid: entry.oid };
  const blob = await repo.objects.readBlobBounded(entry.oid, maxBytes);
  const mode = modeString(entry.mode);
  if (blob.content === null) return { kind: 'too-large', oid: entry.oid, mode, size: blob.size };
  if (entry.mode === MODE_SYMLINK) return { kind: 'symlink', oid: entry.oid, target: decodeText(blob.content).text };
  if (isBinary(blob.content)) return { kind: 'binary', oid: entry.oid, mode, size: blob.size };
  const decoded = decodeText(blob.content);
  return { kind: 'text', oid: entry.oid, mode, size: blob.size, text: decoded.text, invalidUtf8: decoded.invalidUtf8 };
}

/** The old and new text of one file, for Monaco; binary, oversized and gitlink sides are metadata only. */
export async function fileContents(repo: GitRepository, input: FileContentsInput): Promise<FileContents> {
  validateRepoPath(input.path);
  if (input.oldPath !== undefined) validateRepoPath(input.oldPath);
  const maxBytes = input.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const [baseTree, headTree] = [await resolveTree(repo, input.base), await resolveTree(repo, input.head)];
  return {
    path: input.path,
    old: await readSide(repo, baseTree, input.oldPath ?? input.path, maxBytes),
    new: await readSide(repo, headTree, input.path, maxBytes),
  };
}

/** A blob read from a ref. */
export interface BlobAtRef {
  readonly oid: string;
  readonly mode: string;
  readonly content: Buffer;
}

/**
 * Reads one file from a ref (`main`, `refs/heads/main`, a commit oid), or null when the path does not
 * exist there. Symlinks and gitlinks are refused (a policy file must be a real file on that branch).
 */
export async function readBlobAtRef(repo: GitRepository, ref: string, path: string, maxBytes = 16 * 1024 * 1024): Promise<BlobAtRef | null> {
  validateRepoPath(path);
  const tree = await resolveTree(repo, ref);
  const entry = await lookupPath(repo.objects, tree, path);
  if (entry === null) return null;
  if (entry.mode !== MODE_FILE && entry.mode !== MODE_EXECUTABLE) {
    throw new GitInvalidInputError(`${path} at ${ref} is not a regular file`, { path, ref });
  }
  const blob = await repo.objects.readBlobBounded(entry.oid, maxBytes);
  if (blob.content === null) throw new GitRefusedError(`${path} at ${ref} is larger than ${maxBytes} bytes`, { path, ref });
  return { oid: entry.oid, mode: modeString(entry.mode), content: blob.content };
}

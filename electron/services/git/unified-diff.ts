/**
 * Unified diffs (`git diff` output, or `diff -u`): parsing, and applying them strictly to the content of
 * the target branch.
 *
 * The patch is handled as bytes (latin1 inside strings), so files in any encoding are matched and
 * rewritten byte for byte. Hunks must match exactly (no fuzz); a hunk may sit at another line than its
 * header says, as with `git apply`. Paths lose their first component (`a/`, `b/`), as `git apply -p1`.
 * Binary patches, copies and submodule changes are refused.
 */
import { GitConflictError, GitRefusedError } from './errors';
import { MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK } from './object-store';

/** One line of a hunk. */
export interface HunkLine {
  readonly op: ' ' | '-' | '+';
  /** The line without its newline (latin1 bytes). */
  readonly text: string;
}

/** One hunk. */
export interface Hunk {
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  readonly lines: ReadonlyArray<HunkLine>;
  /** The old side's last line has no newline ("\ No newline at end of file"). */
  readonly oldNoNewline: boolean;
  readonly newNoNewline: boolean;
}

/** The changes a patch makes to one file. */
export interface FilePatch {
  /** Old path (null: the file is created). */
  readonly oldPath: string | null;
  /** New path (null: the file is deleted). */
  readonly newPath: string | null;
  readonly oldMode: number | null;
  readonly newMode: number | null;
  readonly hunks: ReadonlyArray<Hunk>;
}

/** Limits on a patch. */
export interface PatchLimits {
  readonly maxBytes: number;
  readonly maxFiles: number;
}

const C_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

function decodeQuoted(raw: string): string {
  // git quotes unusual paths C-style, with octal escapes for bytes (already latin1 characters here).
  let out = '';
  for (let i = 1; i < raw.length - 1; i += 1) {
    const c = raw[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[i + 1] as string;
    if (/[0-7]/u.test(next)) {
      out += String.fromCharCode(Number.parseInt(raw.slice(i + 1, i + 4), 8));
      i += 3;
      continue;
    }
    const code = C_ESCAPES[next];
    if (code === undefined) throw new GitRefusedError(`bad escape in patch path ${raw}`);
    out += String.fromCharCode(code);
    i += 1;
  }
  return out;
}

function latin1ToUtf8(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** A `---`/`+++` path: null for /dev/null, else the path without its first component. */
function headerPath(raw: string): string | null {
  let value = raw;
  if (value.startsWith('"')) {
    const end = value.lastIndexOf('"');
    value = decodeQuoted(value.slice(0, end + 1));
  } else {
    // Traditional diffs append a tab and a timestamp.
    const tab = value.indexOf('\t');
    if (tab >= 0) value = value.slice(0, tab);
    value = value.replace(/\r$/u, '');
  }
  if (value === '/dev/null') return null;
  const slash = value.indexOf('/');
  return latin1ToUtf8(slash >= 0 ? value.slice(slash + 1) : value);
}

function plainPath(raw: string): string {
  const value = raw.replace(/\r$/u, '');
  return latin1ToUtf8(value.startsWith('"') ? decodeQuoted(value) : value);
}

function parseMode(text: string): number {
  const mode = Number.parseInt(text.trim(), 8);
  if (mode === MODE_FILE || mode === MODE_EXECUTABLE || mode === MODE_SYMLINK) return mode;
  if (mode === 0o160000) throw new GitRefusedError('patches that change submodules are not accepted');
  throw new GitRefusedError(`unsupported file mode ${text.trim()} in patch`);
}

interface Draft {
  oldPath: string | null | undefined;
  newPath: string | null | undefined;
  gitOld: string | null;
  gitNew: string | null;
  oldMode: number | null;
  newMode: number | null;
  created: boolean;
  deleted: boolean;
  hunks: Hunk[];
}

function emptyDraft(): Draft {
  return { oldPath: undefined, newPath: undefined, gitOld: null, gitNew: null, oldMode: null, newMode: null, created: false, deleted: false, hunks: [] };
}

function parseGitHeader(rest: string): { a: string | null; b: string | null } {
  // `diff --git a/x b/x`; with spaces in names only the symmetric case is unambiguous.
  if (rest.startsWith('"')) {
    const end = rest.indexOf('" ', 1);
    if (end > 0) return { a: headerPath(rest.slice(0, end + 1)), b: headerPath(rest.slice(end + 2)) };
    return { a: null, b: null };
  }
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (a.slice(a.indexOf('/') + 1) === b.slice(b.indexOf('/') + 1)) return { a: headerPath(a), b: headerPath(b) };
  }
  const space = rest.indexOf(' b/');
  if (space > 0) return { a: headerPath(rest.slice(0, space)), b: headerPath(rest.slice(space + 1)) };
  return { a: null, b: null };
}

/** Parses a unified diff (any text before the first file header is ignored). */
export function parsePatch(patch: string | Uint8Array, limits: PatchLimits): FilePatch[] {
  const bytes = typeof patch === 'string' ? Buffer.from(patch, 'utf8') : Buffer.from(patch);
  if (bytes.length > limits.maxBytes) throw new GitRefusedError(`patch is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  const lines = bytes.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const files: FilePatch[] = [];
  let draft: Draft | null = null;
  const finish = (): void => {
    if (draft === null) return;
    const d = draft;
    draft = null;
    let oldPath = d.oldPath === undefined ? d.gitOld : d.oldPath;
    let newPath = d.newPath === undefined ? d.gitNew : d.newPath;
    if (d.created) oldPath = null;
    if (d.deleted) newPath = null;
    if (oldPath === null && newPath === null) throw new GitRefusedError('a file patch names no path');
    if (oldPath === undefined || newPath === undefined) throw new GitRefusedError('a file patch is missing its paths');
    files.push({ oldPath, newPath, oldMode: d.oldMode, newMode: d.newMode, hunks: d.hunks });
    if (files.length > limits.maxFiles) throw new GitRefusedError(`patch changes more than ${limits.maxFiles} files`);
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.startsWith('diff --git ')) {
      finish();
      draft = emptyDraft();
      const { a, b } = parseGitHeader(line.slice('diff --git '.length).replace(/\r$/u, ''));
      draft.gitOld = a;
      draft.gitNew = b;
      i += 1;
      continue;
    }
    if (line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      if (draft === null || draft.hunks.length > 0 || draft.oldPath !== undefined) {
        finish();
        draft = emptyDraft();
      }
      draft.oldPath = headerPath(line.slice(4));
      draft.newPath = headerPath((lines[i + 1] as string).slice(4));
      i += 2;
      continue;
    }
    if (line.startsWith('@@ ')) {
      if (draft === null) throw new GitRefusedError(`hunk without a file header at line ${i + 1}`);
      const match = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/u.exec(line);
      if (match === null) throw new GitRefusedError(`malformed hunk header at line ${i + 1}`);
      const oldLines = match[2] === undefined ? 1 : Number(match[2]);
      const newLines = match[4] === undefined ? 1 : Number(match[4]);
      const hunkLines: HunkLine[] = [];
      let oldSeen = 0;
      let newSeen = 0;
      let oldNoNewline = false;
      let newNoNewline = false;
      i += 1;
      while (i < lines.length && (oldSeen < oldLines || newSeen < newLines || (lines[i] ?? '').startsWith('\\'))) {
        const body = lines[i] as string;
        if (body.startsWith('\\')) {
          const previous = hunkLines[hunkLines.length - 1];
          if (previous === undefined) throw new GitRefusedError(`misplaced "\\ No newline" at line ${i + 1}`);
          if (previous.op !== '+') oldNoNewline = true;
          if (previous.op !== '-') newNoNewline = true;
          i += 1;
          continue;
        }
        // Some tools strip the space of an empty context line.
        const op = body.length === 0 ? ' ' : body[0];
        if (op !== ' ' && op !== '-' && op !== '+') throw new GitRefusedError(`malformed hunk line ${i + 1}`);
        hunkLines.push({ op, text: body.slice(1) });
        if (op !== '+') oldSeen += 1;
        if (op !== '-') newSeen += 1;
        i += 1;
      }
      if (oldSeen !== oldLines || newSeen !== newLines) throw new GitRefusedError(`hunk at line ${i} is truncated`);
      draft.hunks.push({ oldStart: Number(match[1]), oldLines, newStart: Number(match[3]), newLines, lines: hunkLines, oldNoNewline, newNoNewline });
      continue;
    }
    if (draft !== null) {
      const header = line.replace(/\r$/u, '');
      if (header.startsWith('old mode ')) draft.oldMode = parseMode(header.slice(9));
      else if (header.startsWith('new mode ')) draft.newMode = parseMode(header.slice(9));
      else if (header.startsWith('deleted file mode ')) {
        draft.deleted = true;
        draft.oldMode = parseMode(header.slice(18));
      } else if (header.startsWith('new file mode ')) {
        draft.created = true;
        draft.newMode = parseMode(header.slice(14));
      } else if (header.startsWith('rename from ')) draft.oldPath = plainPath(header.slice(12));
      else if (header.startsWith('rename to ')) draft.newPath = plainPath(header.slice(10));
      else if (header.startsWith('copy from ') || header.startsWith('copy to ')) throw new GitRefusedError('patches that copy files are not accepted');
      else if (header.startsWith('GIT binary patch') || (header.startsWith('Binary files ') && header.endsWith(' differ'))) {
        throw new GitRefusedError('binary patches are not accepted');
      } else if (header.startsWith('index ')) {
        const mode = /^index [0-9a-f]+\.\.[0-9a-f]+ (\d+)$/u.exec(header)?.[1];
        if (mode !== undefined) {
          const parsed = parseMode(mode);
          draft.oldMode ??= parsed;
          draft.newMode ??= parsed;
        }
      }
    }
    i += 1;
  }
  finish();
  if (files.length === 0) throw new GitRefusedError('the patch contains no file changes');
  return files;
}

interface Lines {
  readonly lines: string[];
  readonly finalNewline: boolean;
}

function toLines(content: string): Lines {
  if (content.length === 0) return { lines: [], finalNewline: true };
  const lines = content.split('\n');
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

/**
 * Applies one file's hunks to its old content (latin1 string) and returns the new content.
 * Throws {@link GitConflictError} when a hunk's context or removed lines are not in the file.
 */
export function applyHunks(path: string, oldContent: string, hunks: ReadonlyArray<Hunk>): string {
  const source = toLines(oldContent);
  const out: string[] = [];
  let cursor = 0;
  let finalNewline = source.finalNewline;
  let offset = 0;
  hunks.forEach((hunk, index) => {
    const expected = hunk.lines.filter((l) => l.op !== '+').map((l) => l.text);
    const replacement = hunk.lines.filter((l) => l.op !== '-').map((l) => l.text);
    const matchesAt = (at: number): boolean => {
      if (at < cursor || at + expected.length > source.lines.length) return false;
      for (let j = 0; j < expected.length; j += 1) if (source.lines[at + j] !== expected[j]) return false;
      return true;
    };
    // A hunk with an empty old side inserts after line `oldStart`; others start at line `oldStart`.
    const anchor = expected.length === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const preferred = Math.max(anchor + offset, 0);
    let at = -1;
    for (let distance = 0; distance <= source.lines.length; distance += 1) {
      if (matchesAt(preferred - distance)) {
        at = preferred - distance;
        break;
      }
      if (matchesAt(preferred + distance)) {
        at = preferred + distance;
        break;
      }
    }
    if (at < 0) {
      throw new GitConflictError(`patch does not apply to ${path}: hunk ${index + 1} (line ${hunk.oldStart}) does not match the target branch`, {
        path,
        hunk: index + 1,
      });
    }
    const touchesEnd = at + expected.length === source.lines.length;
    if (hunk.oldNoNewline && (!touchesEnd || source.finalNewline)) {
      throw new GitConflictError(`patch does not apply to ${path}: hunk ${index + 1} expects no newline at the end of the file`, { path });
    }
    if (touchesEnd) finalNewline = !hunk.newNoNewline;
    out.push(...source.lines.slice(cursor, at), ...replacement);
    cursor = at + expected.length;
    // Later hunks are expected to be shifted by as much as this one was.
    offset = at - anchor;
  });
  out.push(...source.lines.slice(cursor));
  if (out.length === 0) return '';
  return `${out.join('\n')}${finalNewline ? '\n' : ''}`;
}

/**
 * Glob patterns for repository paths, as policies write them: `**` any number of directories,
 * `*` and `?` within one segment, `{a,b}` alternatives, `[abc]` classes. A pattern without `/`
 * matches the file name at any depth (`*.pem`), as .gitignore does.
 */

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function translate(pattern: string): string {
  let out = '';
  let i = 0;
  let inBraces = 0;
  while (i < pattern.length) {
    const ch = pattern[i] ?? '';
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const atStart = i === 0 || pattern[i - 1] === '/';
        const atEnd = i + 2 === pattern.length || pattern[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches zero or more directories; a trailing `**` matches everything below
          if (pattern[i + 2] === '/') {
            out += '(?:[^/]*/)*';
            i += 3;
          } else {
            out += '.*';
            i += 2;
          }
          continue;
        }
        out += '[^/]*';
        i += 2;
        continue;
      }
      out += '[^/]*';
    } else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) out += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else if (ch === '{') {
      inBraces++;
      out += '(?:';
    } else if (ch === '}' && inBraces > 0) {
      inBraces--;
      out += ')';
    } else if (ch === ',' && inBraces > 0) out += '|';
    else out += escapeRegex(ch);
    i++;
  }
  return out;
}

/** Compiles a glob into a matcher for `/`-separated relative paths. */
export function globMatcher(pattern: string): (path: string) => boolean {
  // repeated `**/` means the same as one, and several in a row would make the regex backtrack
  const trimmed = pattern.trim().replace(/^\.\//, '').replace(/(\*\*\/)+/g, '**/');
  const anchored = trimmed.includes('/') ? trimmed.replace(/^\//, '') : `**/${trimmed}`;
  const regex = new RegExp(`^${translate(anchored)}$`);
  return (path) => regex.test(path.replace(/^\.\//, ''));
}

/**
 * What a sandbox run's output shows beyond its exit code: the lines of the proposal a failure points at
 * (Python/pytest/unittest tracebacks, `path:line` references as test runners print them), and what the
 * sandbox blocked (a network call, a write outside the workspace), in words. Read from the bounded logs
 * the run kept; the logs are hostile text, so this only matches and never interprets them.
 * Pure: no Node, DOM or Electron.
 */

/** A place in the proposal a failing run points at. */
export interface FailurePlace {
  /** The repository path (one of the proposal's changed files). */
  readonly path: string;
  readonly line: number;
  /** The error the traceback ends with, or the log line that named the place. */
  readonly message: string;
  /** What the sandbox blocked there, when the error is a blocked action. */
  readonly blocked: string | null;
}

/** What one run's output shows. */
export interface SandboxEvidence {
  readonly places: ReadonlyArray<FailurePlace>;
  /** Blocked actions in words: "network call blocked: connect to 169.254.169.254:80 (Network is unreachable)". */
  readonly blocked: ReadonlyArray<string>;
}

const MAX_PLACES = 20;
const MAX_LINE = 300;

const NETWORK_ERRORS = /(Network is unreachable|Connection refused|Temporary failure in name resolution|Name or service not known|No route to host|Name does not resolve|getaddrinfo (?:EAI_AGAIN|ENOTFOUND)|ENETUNREACH|ECONNREFUSED|EAI_AGAIN)/u;
const WRITE_ERRORS = /(Read-only file system|Permission denied)(?::\s*'([^']{1,300})')?/u;
const PY_FRAME = /^\s*File "([^"]{1,400})", line (\d{1,7})/u;
const PATH_LINE = /(?:^|[\s("'])((?:\.{0,2}\/)?[\w.@+-]+(?:\/[\w.@+-]+)*\.[A-Za-z0-9]{1,8}):(\d{1,7})(?::\d{1,7})?(?=[\s:)"',]|$)/u;

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_LINE ? `${trimmed.slice(0, MAX_LINE)}…` : trimmed;
}

/** The changed path a path in the log names (the run sees the repository under some mount point), or null. */
export function repositoryPathOf(logged: string, changed: ReadonlyArray<string>): string | null {
  const normal = logged.replace(/\\/gu, '/').replace(/^\.\//u, '');
  let best: string | null = null;
  for (const path of changed) {
    if ((normal === path || normal.endsWith(`/${path}`)) && (best === null || path.length > best.length)) best = path;
  }
  return best;
}

/** Where a blocked network call went, from the source lines of its traceback: "169.254.169.254:80", a URL's host. */
function destinationOf(lines: ReadonlyArray<string>): string | null {
  for (const line of lines) {
    const pair = /\(\s*["']([\w.:-]{1,255})["']\s*,\s*(\d{1,5})\s*\)/u.exec(line);
    if (pair !== null) return `${pair[1]}:${pair[2]}`;
    const url = /\b(?:https?|wss?|ftp):\/\/([^/\s"'<>]{1,255})/u.exec(line);
    if (url !== null) return url[1] ?? null;
  }
  return null;
}

function blockedBy(error: string, context: ReadonlyArray<string>): string | null {
  const network = NETWORK_ERRORS.exec(error);
  if (network !== null) {
    const to = destinationOf(context) ?? destinationOf([error]);
    return `network call blocked: ${to === null ? 'a connection' : `connect to ${to}`} (${network[1]})`;
  }
  const write = WRITE_ERRORS.exec(error);
  if (write !== null && /Errno (?:13|30)|PermissionError|OSError|EROFS|EACCES/u.test(error)) {
    return `write blocked: ${write[2] ?? 'a file outside the workspace'} (${write[1]})`;
  }
  return null;
}

/** Reads one run's output (stdout and stderr) against the proposal's changed paths. */
export function sandboxEvidence(output: string, changed: ReadonlyArray<string>): SandboxEvidence {
  const lines = output.split(/\r?\n/u);
  const places: FailurePlace[] = [];
  const blocked: string[] = [];
  const seen = new Set<string>();
  const add = (place: FailurePlace): void => {
    const key = `${place.path}:${place.line}`;
    if (seen.has(key) || places.length >= MAX_PLACES) return;
    seen.add(key);
    places.push(place);
  };
  const consumed = new Set<number>();

  // Python tracebacks: the innermost frame in a changed file, and the error the traceback ends with.
  for (let index = 0; index < lines.length; index += 1) {
    if (!/^\s*Traceback \(most recent call last\):/u.test(lines[index] ?? '')) continue;
    const frames: Array<{ path: string; line: number }> = [];
    const context: string[] = [];
    let at = index + 1;
    for (; at < lines.length; at += 1) {
      const text = lines[at] ?? '';
      const frame = PY_FRAME.exec(text);
      if (frame !== null) {
        consumed.add(at);
        const path = repositoryPathOf(frame[1] ?? '', changed);
        if (path !== null) frames.push({ path, line: Number(frame[2]) });
        continue;
      }
      if (/^\s/u.test(text) || text === '' || /^During handling|^The above exception/u.test(text)) {
        context.push(text);
        continue;
      }
      break;
    }
    const error = clip(lines[at] ?? 'the run failed here');
    const what = blockedBy(error, context);
    if (what !== null && !blocked.includes(what)) blocked.push(what);
    const innermost = frames[frames.length - 1];
    if (innermost !== undefined) add({ ...innermost, message: error, blocked: what });
    index = at;
  }

  // pytest and other runners: `path:line` on a line of their own report.
  for (let index = 0; index < lines.length; index += 1) {
    if (consumed.has(index)) continue;
    const text = lines[index] ?? '';
    const match = PATH_LINE.exec(text);
    if (match === null) continue;
    const path = repositoryPathOf(match[1] ?? '', changed);
    if (path === null) continue;
    const what = blockedBy(text, []);
    if (what !== null && !blocked.includes(what)) blocked.push(what);
    add({ path, line: Number(match[2]), message: clip(text), blocked: what });
  }

  // A blocked call reported outside a traceback (curl, node) still names what was blocked.
  for (const text of lines) {
    if (!NETWORK_ERRORS.test(text) || /^\s*File "/u.test(text)) continue;
    const what = blockedBy(clip(text), [text]);
    if (what !== null && !blocked.some((known) => known.startsWith('network call blocked'))) blocked.push(what);
  }
  return { places, blocked };
}

/**
 * Symlink escapes as review findings, and the refusal to approve a revision that holds one.
 *
 * A symlink to `/etc/passwd`, to `../outside`, chained through another link, or into `.git/hooks` is what
 * an agent trying to leave the repository writes. Sandbox and apply already refuse to write such a tree;
 * review shows each link as a CRITICAL finding on its own path (so the risk is CRITICAL), and the core
 * refuses to sign an approval of the revision, whichever channel asks (console, CLI, agents).
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { TOOL_NAME } from '../services/analysis';
import type { RevisionSymlinkEscape } from '../services/git';

/** The rule id of a symlink that leaves the repository. */
export const SYMLINK_ESCAPE_RULE = 'symlink-escape';

/** A review finding for one escaping symlink. */
export function symlinkEscapeFinding(escape: RevisionSymlinkEscape): Finding {
  const shown = JSON.stringify(escape.target);
  return {
    ruleId: SYMLINK_ESCAPE_RULE,
    title: 'Symlink leaves the repository',
    severity: 'critical',
    // CWE-59: link following; CWE-22: path traversal.
    cwe: ['external/cwe/cwe-59', 'external/cwe/cwe-22'],
    path: escape.path,
    startLine: 1,
    startColumn: 1,
    endLine: 1,
    endColumn: Math.max(1, escape.target.length + 1),
    snippet: `${escape.path} → ${escape.target}`,
    message: `symlink ${escape.path} points to ${shown}: ${escape.reason}. Whatever follows it (tests in the sandbox, an editor, a build) reads or writes outside the repository.`,
    remediation: 'Remove the link or point it at a path inside the repository; a revision holding it cannot be approved.',
    introduced: escape.introduced,
    tool: TOOL_NAME,
    fingerprint: createHash('sha256').update(`gatehouse/v1\0${SYMLINK_ESCAPE_RULE}\0${escape.path}\0${escape.target}`).digest('hex'),
  };
}

/** A revision holding a symlink that leaves the repository may not be approved. */
export class UnsafeRevisionError extends GatehouseError {
  constructor(readonly links: ReadonlyArray<{ readonly path: string; readonly message: string }>) {
    super(
      ErrorCode.Refused,
      `refused: this revision holds ${links.length === 1 ? 'a symlink' : `${links.length} symlinks`} leaving the repository, which no approval can cover: ${links
        .map((l) => l.message)
        .join('; ')}`,
      { links: links.map((l) => ({ path: l.path, message: l.message })) },
    );
  }
}

/** Throws {@link UnsafeRevisionError} when the findings hold an escaping symlink. */
export function assertNoSymlinkEscape(findings: ReadonlyArray<Finding>): void {
  const escapes = findings.filter((f) => f.ruleId === SYMLINK_ESCAPE_RULE && f.tool === TOOL_NAME);
  if (escapes.length > 0) throw new UnsafeRevisionError(escapes.map((f) => ({ path: f.path, message: f.message })));
}

/**
 * A write that fails halfway (disk full, permissions) leaves nothing half-done.
 *
 * The failure is injected by wrapping `openSync` from node:fs so that opening one chosen file for writing fails
 * once: a real I/O error at an exact moment cannot be produced on demand here (the tests run as root,
 * so permissions do not stop writes).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeRepo, describeRepoState, type TempRepo } from '../../fixtures/git/repo';

const failing = vi.hoisted(() => ({ match: null as RegExp | null, remaining: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const openSync = ((path: import('node:fs').PathLike, flags?: import('node:fs').OpenMode, mode?: import('node:fs').Mode | null): number => {
    // Any open for writing: a new file (O_CREAT) or an existing one rewritten in place (O_WRONLY).
    const writing =
      typeof flags === 'number' ? (flags & (actual.constants.O_CREAT | actual.constants.O_WRONLY | actual.constants.O_RDWR)) !== 0 : typeof flags === 'string' && /[wa+]/u.test(flags);
    if (writing && failing.match !== null && failing.remaining > 0 && failing.match.test(String(path))) {
      failing.remaining -= 1;
      const error = new Error(`ENOSPC: no space left on device, open '${String(path)}'`) as NodeJS.ErrnoException;
      error.code = 'ENOSPC';
      throw error;
    }
    return actual.openSync(path, flags ?? 'r', mode);
  }) as typeof actual.openSync;
  return { ...actual, openSync, default: { ...actual, openSync } };
});

const { applyRevision } = await import('../../../electron/services/git/apply');
const { createCheckpoint } = await import('../../../electron/services/git/checkpoints');
const { importChangeSet } = await import('../../../electron/services/git/import');
const { openRepository } = await import('../../../electron/services/git/repository');
const { rollback } = await import('../../../electron/services/git/rollback');

const repos: TempRepo[] = [];
afterEach(() => {
  failing.match = null;
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('a failing write', () => {
  it('during apply: the files already written are put back and the branch does not move', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'm.txt': 'm\n', 'z.txt': 'z\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const imported = await importChangeSet(repo, {
      name: 'p',
      changeSet: {
        title: 'p',
        rationale: '',
        agent: { name: 'A', email: 'a@example.com' },
        safetyScore: 1,
        riskLevel: 'LOW',
        changes: [
          { path: 'a.txt', original: 'a\n', modified: 'A\n' },
          { path: 'm.txt', original: 'm\n', modified: null },
          { path: 'new/n.txt', original: null, modified: 'n\n' },
          { path: 'z.txt', original: 'z\n', modified: 'Z\n' },
        ],
      },
    });
    const before = describeRepoState(t);
    // a.txt, the deletion and new/n.txt succeed; z.txt (written last) fails.
    failing.match = /\/z\.txt$/u;
    failing.remaining = 1;
    const revision = { proposal: 'p', ...imported.revision, baseOid: imported.revision.baseOid as string };
    await expect(applyRevision(repo, { revision })).rejects.toMatchObject({ code: 'ENOSPC' });
    failing.match = null;
    expect(describeRepoState(t)).toEqual(before);
    expect(t.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    // Once the disk is fine again the same approval applies.
    await applyRevision(repo, { revision });
    expect(t.read('z.txt').toString()).toBe('Z\n');
  });

  it('during rollback: the working tree and index are put back, HEAD is unchanged', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', 'z.txt': 'z\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    t.write('a.txt', 'A\n');
    t.write('z.txt', 'Z\n');
    t.write('new.txt', 'untracked\n');
    t.commitAll('moved on');
    t.write('dirty.txt', 'keep me\n');
    const before = describeRepoState(t);
    failing.match = /\/z\.txt$/u;
    failing.remaining = 1;
    await expect(rollback(repo, { checkpointId: cp.id, operator: 'o' })).rejects.toMatchObject({ code: 'ENOSPC' });
    failing.match = null;
    const after = describeRepoState(t);
    // The only trace is the undo checkpoint taken first.
    expect({ ...after, '<refs>': '' }).toEqual({ ...before, '<refs>': '' });
    expect(after['<refs>']?.split('\n').filter((l) => !l.startsWith('refs/gatehouse/'))).toEqual(before['<refs>']?.split('\n').filter((l) => !l.startsWith('refs/gatehouse/')));
  });
});

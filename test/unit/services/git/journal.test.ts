/**
 * The operation journal's side file of informational phases: read when whole and of this operation,
 * ignored when torn, stale or of another operation (the durable journal's own phase stands), and
 * removed with the journal.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, JOURNAL_PHASE_FILE, readJournal, startJournal } from '../../../../electron/services/git/journal';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const state = { branch: 'refs/heads/main', headOid: 'a'.repeat(40), indexTree: 'b'.repeat(40), worktreeTree: 'c'.repeat(40), checkpointId: null };

function started(): { gitdir: string; journal: ReturnType<typeof startJournal> } {
  const gitdir = mkdtempSync(join(tmpdir(), 'gh-journal-'));
  dirs.push(gitdir);
  const journal = startJournal(gitdir, { operation: 'rollback', id: 'rollback-1', target: state, undo: null, operator: 'lee', startedAt: new Date(0) });
  journal.advance('undo-recorded', { undo: state });
  return { gitdir, journal };
}

describe('journal phases without fsync', () => {
  it('reads a later phase from the side file and leaves the durable journal as it was', () => {
    const { gitdir, journal } = started();
    journal.advance('tree-written', {}, { durable: false });
    expect(existsSync(join(gitdir, JOURNAL_PHASE_FILE))).toBe(true);
    expect(readJournal(gitdir)?.phase).toBe('tree-written');
    expect(readJournal(gitdir)?.undo).toEqual(state);
    journal.finish();
    expect(existsSync(join(gitdir, JOURNAL_FILE))).toBe(false);
    expect(existsSync(join(gitdir, JOURNAL_PHASE_FILE))).toBe(false);
  });

  it('ignores a torn side file, one of another operation, and one behind the journal', () => {
    const { gitdir } = started();
    const side = join(gitdir, JOURNAL_PHASE_FILE);
    writeFileSync(side, '{"id":"rollback-1","pha');
    expect(readJournal(gitdir)?.phase).toBe('undo-recorded');
    writeFileSync(side, JSON.stringify({ id: 'rollback-0', phase: 'ref-updated' }));
    expect(readJournal(gitdir)?.phase).toBe('undo-recorded');
    writeFileSync(side, JSON.stringify({ id: 'rollback-1', phase: 'started' }));
    expect(readJournal(gitdir)?.phase).toBe('undo-recorded');
    writeFileSync(side, JSON.stringify({ id: 'rollback-1', phase: 'no-such-phase' }));
    expect(readJournal(gitdir)?.phase).toBe('undo-recorded');
  });

  it('writes a phase that carries changes durably, into the journal itself', () => {
    const { gitdir, journal } = started();
    journal.advance('index-written', { target: { ...state, checkpointId: 'x' } }, { durable: false });
    expect(existsSync(join(gitdir, JOURNAL_PHASE_FILE))).toBe(false);
    expect(readJournal(gitdir)?.target.checkpointId).toBe('x');
  });
});

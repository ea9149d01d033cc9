import { afterEach, describe, expect, it } from 'vitest';
import { addNote, appendNote, GATEHOUSE_NOTES_REF, readNote } from '../../../../electron/services/git/notes';
import { openRepository } from '../../../../electron/services/git/repository';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

describe('git notes', () => {
  it('adds, reads (git agrees), refuses to overwrite unless forced, and appends', async () => {
    const t = makeRepo({ 'a.txt': 'a\n' });
    repos.push(t);
    const repo = await openRepository({ dir: t.dir });
    const head = t.git('rev-parse', 'HEAD');
    expect(await readNote(repo, { oid: head })).toBeNull();
    await addNote(repo, { oid: head, note: '{"approval":"jws-1"}\n' });
    expect(await readNote(repo, { oid: head })).toBe('{"approval":"jws-1"}\n');
    expect(t.git('notes', `--ref=${GATEHOUSE_NOTES_REF}`, 'show', head)).toBe('{"approval":"jws-1"}');
    await expect(addNote(repo, { oid: head, note: 'other' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await addNote(repo, { oid: head, note: 'replaced\n', force: true });
    await Promise.all([appendNote(repo, { oid: head, line: 'second' }), appendNote(repo, { oid: head, line: 'third' })]);
    expect(await readNote(repo, { oid: head })).toBe('replaced\nsecond\nthird\n');
    await expect(appendNote(repo, { oid: head, line: 'two\nlines' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(addNote(repo, { ref: 'refs/heads/main', oid: head, note: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(readNote(repo, { oid: 'nope' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

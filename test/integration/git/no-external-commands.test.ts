/**
 * Hooks, filters, external diff drivers and fsmonitor configured in a hostile repository never run,
 * whatever Gatehouse does with it (import, diff, apply, checkpoint, rollback, materialise, notes).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyRevision } from '../../../electron/services/git/apply';
import { createCheckpoint } from '../../../electron/services/git/checkpoints';
import { diffRevision, fileContents } from '../../../electron/services/git/diff';
import { importChangeSet } from '../../../electron/services/git/import';
import { materialiseTree } from '../../../electron/services/git/materialise';
import { addNote } from '../../../electron/services/git/notes';
import { openRepository } from '../../../electron/services/git/repository';
import { rollback } from '../../../electron/services/git/rollback';
import { checkDirty } from '../../../electron/services/git/status';
import { makeRepo, type TempRepo } from '../../fixtures/git/repo';

const repos: TempRepo[] = [];
const temps: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('no external command ever runs', () => {
  it('ignores hooks, clean/smudge filters, diff drivers and fsmonitor', async () => {
    const t = makeRepo({ 'a.txt': 'a\n', '.gitattributes': '* filter=evil diff=evil\n' });
    repos.push(t);
    const marker = join(t.outside, 'ran');
    const script = `#!/bin/sh\necho "$0" >> ${marker}\ncat\n`;
    t.git('config', '--unset', 'core.hooksPath');
    for (const hook of ['pre-commit', 'post-commit', 'post-checkout', 'post-merge', 'pre-merge-commit', 'reference-transaction', 'post-rewrite']) {
      t.write(`.git/hooks/${hook}`, script, 0o755);
    }
    t.write('evil.sh', script, 0o755);
    const evil = join(t.dir, 'evil.sh');
    t.git('config', 'filter.evil.clean', evil);
    t.git('config', 'filter.evil.smudge', evil);
    t.git('config', 'filter.evil.process', evil);
    t.git('config', 'diff.evil.command', evil);
    t.git('config', 'diff.external', evil);
    t.git('config', 'core.fsmonitor', evil);
    t.git('config', 'core.sshCommand', evil);
    rmSync(marker, { force: true });

    const repo = await openRepository({ dir: t.dir });
    const imported = await importChangeSet(repo, {
      name: 'p',
      changeSet: { title: 'p', rationale: '', agent: { name: 'A', email: 'a@example.com' }, safetyScore: 1, riskLevel: 'LOW', changes: [{ path: 'a.txt', original: 'a\n', modified: 'b\n' }] },
    });
    const { baseOid, headOid, treeOid } = imported.revision;
    await diffRevision(repo, baseOid as string, headOid);
    await fileContents(repo, { base: baseOid as string, head: headOid, path: 'a.txt' });
    const cp = await createCheckpoint(repo, { reason: 'r', operator: 'o' });
    await checkDirty(repo);
    await applyRevision(repo, { revision: { proposal: 'p', baseOid: baseOid as string, headOid, treeOid } });
    await addNote(repo, { oid: headOid, note: 'approved' });
    await rollback(repo, { checkpointId: cp.id, operator: 'o' });
    const into = mkdtempSync(join(tmpdir(), 'gh-mat-'));
    temps.push(into);
    await materialiseTree({ repo, oid: headOid, into });
    expect(existsSync(marker)).toBe(false);
    // The content is what was committed, not what a filter would have produced.
    expect(t.read('a.txt').toString()).toBe('a\n');
  });
});

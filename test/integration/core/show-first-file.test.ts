/**
 * `proposal:show` with `withFirstFile` answers the proposal and the file the review opens first in one
 * answer, identical to what `proposal:file` gives for that path: through the real core, a real git
 * repository (the demo workspace plus imported proposals) and the real analyser, via the dispatcher the
 * window uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';
import { channels } from '../../../shared/ipc/contract';
import { firstFileToOpen } from '../../../shared/model/review-order';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;

async function value<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<unknown> {
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  const result = await dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

async function importChangeSet(name: string, changes: ReadonlyArray<{ path: string; modified: string }>): Promise<string> {
  const changeSet = {
    title: name,
    rationale: 'first-file test',
    agent: { name: 'some-agent', email: 'agent@agents.example' },
    safetyScore: 0.5,
    riskLevel: 'MEDIUM',
    changes: changes.map((change) => ({ ...change, original: null })),
  };
  const imported = (await value('proposal:import', { repositoryId, format: 'changeset', content: JSON.stringify(changeSet), name })) as { proposalId: string };
  return imported.proposalId;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-first-file-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = ((await value('app:createDemo', {})) as { repositoryId: string }).repositoryId;
  await value('session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('proposal:show withFirstFile', () => {
  it('carries the first file with an introduced finding, exactly as proposal:file answers it', async () => {
    const proposalId = await importChangeSet('first-file-finding', [
      { path: 'aaa/notes.md', modified: '# notes\n' },
      { path: 'tools/run.py', modified: 'import os\n\ndef run(cmd):\n    os.system(cmd)\n' },
      { path: 'zzz.txt', modified: 'plain\n' },
    ]);
    const output = channels['proposal:show'].output;
    const opened = output.parse(await value('proposal:show', { repositoryId, proposalId, withFirstFile: true }));
    expect(opened.findings.some((finding) => finding.path === 'tools/run.py' && finding.introduced)).toBe(true);
    // Not the first file in tree order: the first one with a finding the revision introduced.
    expect(opened.firstFile?.path).toBe('tools/run.py');
    expect(opened.firstFile?.path).toBe(firstFileToOpen(opened.files, opened.findings));
    expect(opened.firstFile).toEqual(await value('proposal:file', { repositoryId, proposalId, path: 'tools/run.py' }));

    // Without the flag the answer is the plain proposal, as before.
    const plain = output.parse(await value('proposal:show', { repositoryId, proposalId }));
    expect(plain.firstFile).toBeUndefined();
    const { firstFile: _firstFile, ...rest } = opened;
    expect(plain).toEqual(rest);
  });

  it('carries the first file in tree order (directories first) when nothing was introduced', async () => {
    const proposalId = await importChangeSet('first-file-plain', [
      { path: 'b.txt', modified: 'b\n' },
      { path: 'docs/a.md', modified: 'a\n' },
    ]);
    const opened = channels['proposal:show'].output.parse(await value('proposal:show', { repositoryId, proposalId, withFirstFile: true }));
    expect(opened.findings.filter((finding) => finding.introduced)).toHaveLength(0);
    expect(opened.firstFile?.path).toBe('docs/a.md');
    expect(opened.firstFile?.modified).toBe('a\n');
  });
});

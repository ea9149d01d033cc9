/**
 * A file of a proposal that does not parse reaches the console as such (path and first error line), and
 * the findings on the parts that do parse still show: through the real core, a real git repository (the
 * demo workspace) and the real analyser, via the same dispatcher the window uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';
import { ProposalDetail } from '../../../shared/ipc/channels/review';

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

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-parse-errors-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = ((await value('app:createDemo', {})) as { repositoryId: string }).repositoryId;
  await value('session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('files that do not parse', () => {
  it('are listed in the proposal detail with their first error line, next to the findings of what parses', async () => {
    const broken = ['import os', '', 'def run(cmd):', '    os.system(cmd)', '', 'def broken(:', '    return 1', ''].join('\n');
    const changeSet = {
      title: 'half-written change',
      rationale: 'an agent stopped mid-edit',
      agent: { name: 'some-agent', email: 'agent@agents.example' },
      safetyScore: 0.5,
      riskLevel: 'MEDIUM',
      changes: [
        { path: 'tools/broken.py', original: null, modified: broken },
        { path: 'tools/fine.py', original: null, modified: 'print("ok")\n' },
      ],
    };
    const imported = (await value('proposal:import', { repositoryId, format: 'changeset', content: JSON.stringify(changeSet), name: 'half-written' })) as { proposalId: string };
    const detail = ProposalDetail.parse(await value('proposal:show', { repositoryId, proposalId: imported.proposalId }));
    expect(detail.parseErrors).toHaveLength(1);
    expect(detail.parseErrors?.[0]).toMatchObject({ path: 'tools/broken.py', line: 6 });
    expect(detail.findings.some((f) => f.path === 'tools/broken.py' && f.startLine === 4)).toBe(true);
  });
});

/**
 * `proposal:search` (issue 14): search across every file a proposal changes, through the real core and
 * dispatcher on the demo workspace (a real git repository).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;

function call<C extends Channel>(channel: C, input: ChannelInput<C>) {
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  return dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input);
}

async function value<T>(channel: Channel, input: unknown): Promise<T> {
  const result = await call(channel, input as never);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

interface Found {
  matches: Array<{ path: string; side: string; line: number; column: number; text: string }>;
  files: number;
  truncated: boolean;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-search-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = (await value<{ repositoryId: string }>('app:createDemo', {})).repositoryId;
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('proposal:search', () => {
  it('needs an unlocked operator', async () => {
    expect(await call('proposal:search', { repositoryId, proposalId: 'quote-formula', query: 'eval' })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
  });

  it('finds a text in every changed file, with the line and column the diff reveals', async () => {
    await value('session:unlock', { name: 'ava', passphrase: 'ava-demo-passphrase' });
    const found = await value<Found>('proposal:search', { repositoryId, proposalId: 'quote-formula', query: 'EVAL(' });
    expect(found.files).toBeGreaterThan(1);
    const hit = found.matches.find((match) => match.path === 'pricing/api.py');
    expect(hit).toBeDefined();
    const file = await value<{ modified: string }>('proposal:file', { repositoryId, proposalId: 'quote-formula', path: 'pricing/api.py' });
    const line = file.modified.split('\n')[(hit?.line ?? 0) - 1] ?? '';
    expect(line.toLowerCase().indexOf('eval(') + 1).toBe(hit?.column);
    expect(hit).toMatchObject({ side: 'head', text: line });
    // Case-sensitive: the upper-case query finds nothing.
    expect((await value<Found>('proposal:search', { repositoryId, proposalId: 'quote-formula', query: 'EVAL(', caseSensitive: true })).matches).toEqual([]);
  });

  it('takes the query literally and refuses an empty or oversized one', async () => {
    const literal = await value<Found>('proposal:search', { repositoryId, proposalId: 'quote-formula', query: '.*' });
    for (const match of literal.matches) expect(match.text).toContain('.*');
    expect(await call('proposal:search', { repositoryId, proposalId: 'quote-formula', query: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('proposal:search', { repositoryId, proposalId: 'quote-formula', query: 'x'.repeat(201) })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('proposal:search', { repositoryId, proposalId: 'no-such-proposal', query: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

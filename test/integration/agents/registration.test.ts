/**
 * Registering agents through the contract channels the Settings section calls, on a real data directory
 * (SQLite files, the demo repository): only a lead registers, lists and revokes; the credential comes back
 * once with the exact `claude mcp add …` line; the list shows each agent's latest audited call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateAgent, claudeCommand } from '../../../electron/core/agents';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import { call, unlock, value } from './helpers';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh agents '));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = (await value(core, 'app:createDemo', {})).repositoryId;
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('agent registration channels', () => {
  it('refuse a reviewer and an auditor: only a lead registers, lists or revokes', async () => {
    for (const name of ['rita', 'ava']) {
      await unlock(core, name);
      for (const [channel, input] of [
        ['agent:add', { name: 'sneaky', repositories: [repositoryId] }],
        ['agent:list', {}],
        ['agent:revoke', { name: 'sneaky' }],
      ] as const) {
        const answer = await call(core, channel, input as never);
        expect(answer.ok, `${name} ${channel}`).toBe(false);
        if (!answer.ok) expect(answer.error.code).toBe('FORBIDDEN_ROLE');
      }
    }
    await value(core, 'session:lock', {});
    const locked = await call(core, 'agent:add', { name: 'sneaky', repositories: [repositoryId] });
    expect(locked.ok).toBe(false);
  });

  it('gives a lead the credential once, with the exact claude mcp add line, and lists the last activity', async () => {
    await unlock(core, 'lee');
    const added = await value(core, 'agent:add', { name: 'coder', repositories: [repositoryId] });
    expect(added.credential).toMatch(/^gha_[A-Za-z0-9_-]{43}$/);
    // The data directory holds spaces: the line quotes it for the shell.
    expect(added.claudeCommand).toBe(`claude mcp add gatehouse --env GATEHOUSE_AGENT_TOKEN=${added.credential} -- gatehouse --data-dir '${dataDir}' mcp --agent coder`);
    expect(claudeCommand("/tmp/it's", 'x1', 'gha_t')).toBe(`claude mcp add gatehouse --env GATEHOUSE_AGENT_TOKEN=gha_t -- gatehouse --data-dir '/tmp/it'\\''s' mcp --agent x1`);
    const listed = await value(core, 'agent:list', {});
    expect(listed).toEqual([expect.objectContaining({ name: 'coder', repositories: [repositoryId], createdBy: 'lee', revokedAt: null, lastActivity: null })]);
    expect(JSON.stringify(listed)).not.toContain(added.credential);

    // The agent calls through the same dispatcher as the MCP server does; its call shows as its last activity.
    const agentSession = authenticateAgent(core.context, 'coder', added.credential);
    const asAgent = createDispatcher({ handlers: core.handlers, allowedOrigins: ['gatehouse-mcp:'], session: () => agentSession, logger: quiet });
    const sender = { fromOurWindow: true, fromTopFrame: true, origin: 'gatehouse-mcp:' };
    const refused = await asAgent(sender, 'agent:get', { repositoryId, proposalId: 'no-such-proposal' });
    expect(refused.ok).toBe(false);
    const after = await value(core, 'agent:list', {});
    expect(after[0]?.lastActivity).toEqual({ at: expect.any(String), action: 'agent.refused' });

    await value(core, 'agent:revoke', { name: 'coder' });
    expect((await value(core, 'agent:list', {}))[0]).toMatchObject({ name: 'coder', revokedAt: expect.any(String) });
    expect(() => authenticateAgent(core.context, 'coder', added.credential)).toThrow();
    const again = await call(core, 'agent:revoke', { name: 'coder' });
    expect(again.ok).toBe(false);
  });
});

/**
 * A flood of MCP calls meets the per-connection token bucket before it reaches the core: refused with
 * RATE_LIMITED, audited once rather than once per call, and the console keeps answering. The server
 * runs over the SDK's in-memory transport pair here, on a real core and data directory.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateAgent } from '../../../electron/core/agents';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createMcpServer } from '../../../electron/mcp/server';
import { unlock, value } from './helpers';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;
let client: Client;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-mcp-flood-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = (await value(core, 'app:createDemo', {})).repositoryId;
  await unlock(core, 'lee');
  const { credential } = await value(core, 'agent:add', { name: 'noisy', repositories: [repositoryId] });
  const agent = authenticateAgent(core.context, 'noisy', credential);
  // Two calls of burst, then (practically) none: the third call in a row is over the limit.
  const server = createMcpServer({ core, agent, callsPerSecond: 0.001, burst: 2 });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'flood', version: '1.0.0' });
  await client.connect(clientSide);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a flood of calls', () => {
  it('is refused past the burst, audited once per flood, without stalling the console', async () => {
    const results: CallToolResult[] = [];
    for (let i = 0; i < 12; i += 1) results.push((await client.callTool({ name: 'list_my_proposals', arguments: {} })) as CallToolResult);
    expect(results.slice(0, 2).every((r) => !r.isError)).toBe(true);
    const refused = results.slice(2);
    expect(refused.every((r) => r.isError === true)).toBe(true);
    expect(refused[0]?.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/^RATE_LIMITED: too many calls/) });
    // One audit event for the whole flood, naming what was refused.
    const audited = core.context.auditStore.search({ actor: 'agent:noisy', action: 'agent.refused', limit: 50 }).events;
    expect(audited.map((e) => e.payload)).toEqual([expect.objectContaining({ tool: 'list_my_proposals', code: 'RATE_LIMITED' })]);
    // The console answers as usual.
    expect((await value(core, 'proposal:list', { repositoryId })).length).toBeGreaterThan(0);
  });
});

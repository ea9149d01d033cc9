/**
 * `gatehouse mcp --http 127.0.0.1:0`: Streamable HTTP on loopback for an agent in a container, driven by
 * the SDK's Client. Refuses other hosts, requests without the bearer token, and a wrong token.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { cliMain, root, unlock, value } from './helpers';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;
let credential: string;
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-mcp-http-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = (await value(core, 'app:createDemo', {})).repositoryId;
  await unlock(core, 'lee');
  credential = (await value(core, 'agent:add', { name: 'boxed', repositories: [repositoryId] })).credential;
  server = spawn(process.execPath, ['--import', 'tsx', cliMain, '--data-dir', dataDir, 'mcp', '--agent', 'boxed', '--http', '127.0.0.1:0'], {
    cwd: root,
    env: { ...process.env, GATEHOUSE_AGENT_TOKEN: credential },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
      if (found?.[1]) resolve(found[1]);
    });
    server.once('exit', (code) => reject(new Error(`gatehouse mcp --http exited ${code}: ${stderr}`)));
  });
}, 180_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function connect(token: string | null): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), token === null ? {} : { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'container-agent', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('gatehouse mcp --http', () => {
  it('serves the agent with its credential as the bearer token', async () => {
    const client = await connect(credential);
    const result = (await client.callTool({ name: 'get_policy', arguments: { repositoryId } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ repositoryId, valid: true });
    await client.close();
  });

  it('refuses a missing or wrong bearer token, audited', async () => {
    await expect(connect(null)).rejects.toThrow(/401|bearer/i);
    await expect(connect(`${credential}x`)).rejects.toThrow(/401|wrong bearer/i);
    const refusals = core.context.auditStore.search({ actor: 'agent:boxed', action: 'agent.refused', limit: 10 }).events;
    expect(refusals.length).toBeGreaterThanOrEqual(1);
  });

  it('listens on loopback only', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', cliMain, '--data-dir', dataDir, 'mcp', '--agent', 'boxed', '--http', '0.0.0.0:7411'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GATEHOUSE_AGENT_TOKEN: credential },
      timeout: 120_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/loopback only/);
  }, 180_000);
});

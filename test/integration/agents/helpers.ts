/**
 * Helpers for the agent tests: a "console" core in this process and `gatehouse mcp` child processes
 * driven by the SDK's Client over a real stdio transport, both on one data directory.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import type { Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput, ChannelOutput } from '../../../shared/ipc/contract';
import type { Result } from '../../../shared/model/result';

export const root = join(__dirname, '..', '..', '..');
export const cliMain = join(root, 'electron/cli/main.ts');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Calls a channel on the console core as the unlocked operator, through the window's dispatcher. */
export function call<C extends Channel>(core: Core, channel: C, input: ChannelInput<C>): Promise<Result<ChannelOutput<C>>> {
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  return dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input) as Promise<Result<ChannelOutput<C>>>;
}

/** As {@link call}, throwing on a refusal. */
export async function value<C extends Channel>(core: Core, channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const result = await call(core, channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

/** Unlocks a demo operator. */
export async function unlock(core: Core, name: string): Promise<void> {
  await value(core, 'session:unlock', { name, passphrase: `${name}-demo-passphrase` });
}

/** An MCP client connected to `gatehouse mcp --agent NAME` in a child process. */
export interface AgentClient {
  readonly client: Client;
  /** What the server wrote on stderr so far. */
  stderr(): string;
  /** Calls a tool; returns the structured result or throws with the error text. */
  ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T>;
  /** Calls a tool expecting a refusal; returns the error text (`CODE: message`). */
  refused(name: string, args: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Starts `gatehouse mcp --agent NAME` and connects the SDK client to it over stdio. */
export async function connectAgent(dataDir: string, agent: string, credential: string): Promise<AgentClient> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', cliMain, '--data-dir', dataDir, 'mcp', '--agent', agent],
    env: { ...(process.env as Record<string, string>), GATEHOUSE_AGENT_TOKEN: credential },
    cwd: root,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'gatehouse-test-agent', version: '1.0.0' });
  await client.connect(transport);
  const callTool = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 })) as CallToolResult;
  return {
    client,
    stderr: () => stderr,
    async ok<T>(name: string, args: Record<string, unknown>): Promise<T> {
      const result = await callTool(name, args);
      if (result.isError) throw new Error(`${name} refused: ${JSON.stringify(result.content)}`);
      return result.structuredContent as T;
    },
    async refused(name, args) {
      const result = await callTool(name, args);
      if (!result.isError) throw new Error(`${name} was accepted: ${JSON.stringify(result.structuredContent)}`);
      const first = result.content[0];
      return first?.type === 'text' ? first.text : JSON.stringify(result.content);
    },
    close: () => client.close(),
  };
}

/**
 * `gatehouse agent add|list|revoke` (a lead registers coding agents) and `gatehouse mcp --agent NAME`
 * (the MCP server an agent's client starts over stdio).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { authenticateAgent } from '../../core/agents';
import { openCliCore, withDispatcher } from '../core-session';
import { emit } from '../io';

interface JsonOption {
  readonly json?: boolean;
}

function collect(value: string, previous: ReadonlyArray<string>): ReadonlyArray<string> {
  return [...previous, value];
}

/** The agent's credential: `--token-file`, else GATEHOUSE_AGENT_TOKEN. */
function readCredential(tokenFile: string | undefined): string | undefined {
  if (tokenFile === undefined) return process.env.GATEHOUSE_AGENT_TOKEN?.trim();
  if (!existsSync(tokenFile)) throw new GatehouseError(ErrorCode.NotFound, `no such token file: ${tokenFile}`);
  if (statSync(tokenFile).size > 4096) throw new GatehouseError(ErrorCode.InvalidInput, `${tokenFile} is too large to be a credential`);
  return readFileSync(tokenFile, 'utf8').trim();
}

/** Registers the agent and mcp commands. */
export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('coding agents that propose changes through the MCP server');
  agent
    .command('add')
    .argument('<name>', 'the agent name (lower-case letters, digits, dashes)')
    .requiredOption('--repo <id>', 'a repository the agent may propose to (repeat for more)', collect, [])
    .requiredOption('--as <name>', 'the lead who registers it')
    .option('--json', 'JSON output')
    .description('register an agent and print its credential (shown once)')
    .action(async (name: string, options: { repo: ReadonlyArray<string>; as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('agent:add', { name, repositories: [...options.repo] });
        emit(options.json === true, result, () =>
          [
            `agent ${result.agent.name} registered for ${result.agent.repositories.join(', ')}`,
            `credential (shown once; give it to the agent's MCP client as GATEHOUSE_AGENT_TOKEN):`,
            result.credential,
            `connect Claude Code: ${result.claudeCommand}`,
          ].join('\n'),
        );
      });
    });
  agent
    .command('list')
    .requiredOption('--as <name>', 'a lead')
    .option('--json', 'JSON output')
    .description('registered agents')
    .action(async (options: { as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const agents = await client.call('agent:list', {});
        emit(options.json === true, agents, () =>
          agents.map((a) => `${a.name}\t${a.repositories.join(',')}\t${a.revokedAt ? `revoked ${a.revokedAt}` : `since ${a.createdAt} by ${a.createdBy}`}`).join('\n'),
        );
      });
    });
  agent
    .command('revoke')
    .argument('<name>', 'the agent')
    .requiredOption('--as <name>', 'a lead')
    .option('--json', 'JSON output')
    .description("revoke an agent's credential")
    .action(async (name: string, options: { as: string } & JsonOption, command: Command) => {
      await withDispatcher(command, async (client) => {
        await client.unlock(options.as);
        const result = await client.call('agent:revoke', { name });
        emit(options.json === true, result, () => `agent ${name} revoked`);
      });
    });

  program
    .command('mcp')
    .requiredOption('--agent <name>', 'the registered agent this server speaks for')
    .option('--token-file <file>', 'read the credential from this file instead of GATEHOUSE_AGENT_TOKEN')
    .option('--http <host:port>', 'serve Streamable HTTP on a loopback address instead of stdio (bearer token = the credential)')
    .option('--calls-per-second <n>', 'calls this connection may make per second on average (burst: twice that)', '20')
    .description('run the MCP server for a coding agent over stdio (stdout carries the protocol; logs go to stderr)')
    .action(async (options: { agent: string; tokenFile?: string; callsPerSecond: string; http?: string }, command: Command) => {
      // The MCP SDK loads only for this command: every other command starts without it.
      const [{ parseLoopbackAddress, runMcpHttp }, { runMcpStdio }] = await Promise.all([import('../../mcp/http'), import('../../mcp/stdio')]);
      const address = options.http === undefined ? null : parseLoopbackAddress(options.http);
      const callsPerSecond = Number(options.callsPerSecond);
      if (!Number.isInteger(callsPerSecond) || callsPerSecond < 1 || callsPerSecond > 1000) {
        throw new GatehouseError(ErrorCode.InvalidInput, `--calls-per-second must be a whole number from 1 to 1000, not ${options.callsPerSecond}`);
      }
      const core = await openCliCore(command);
      try {
        const credential = readCredential(options.tokenFile);
        const session = authenticateAgent(core.context, options.agent, credential);
        const limits = { core, agent: session, callsPerSecond, burst: callsPerSecond * 2 };
        if (address === null || credential === undefined) {
          process.stderr.write(`gatehouse mcp: serving agent ${session.name} over stdio (data directory ${core.layout.root})\n`);
          await runMcpStdio(limits);
          return;
        }
        const stop = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await runMcpHttp({
          ...limits,
          ...address,
          credential,
          stop,
          onListening: (url) => process.stderr.write(`gatehouse mcp: serving agent ${session.name} on ${url} (Streamable HTTP, bearer token)\n`),
        });
      } finally {
        await core.close();
      }
    });
}

/**
 * The client a dispatched CLI command uses: calls go through a dispatcher (the same schema, session and
 * role checks as the console) and only to the channels the command declares in access.ts; `--as NAME`
 * unlocks by the key agent holding NAME (for the commands allowed to use it), else with the passphrase
 * from `GATEHOUSE_PASSPHRASE` or a prompt with echo off.
 *
 * It loads no core: core-session.ts gives it the whole core, the rollback command the rollback core.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { resolveDataDir } from '../core/data-dir';
import { createStderrLogger } from '../core/logger';
import { unlockOperatorWithKeyAgent, type OperatorDeps } from '../core/operators';
import type { EventBus } from '../core/events';
import { createChannelDispatcher, type Dispatch } from '../ipc/dispatch-core';
import type { ChannelCore, ChannelTable } from '../core/channel-core';
import { checkAgentSocket, resolveAgentSocket } from '../services/identity/key-agent';
import { connectKeyAgent, type RemoteSigner } from '../services/identity/key-agent-client';
import { assertDeclared, commandPath, KEY_AGENT_COMMANDS } from './access';

/** The origin CLI calls are dispatched from. */
export const CLI_ORIGIN = 'gatehouse-cli:';

/** The data directory, logger and default actor of a CLI command's core (`cli:<user>` until an operator unlocks). */
export function cliCoreConfig(command: Command): { readonly dataDir: string; readonly logger: ReturnType<typeof createStderrLogger>; readonly defaultActor: string } {
  const globals = command.optsWithGlobals<{ dataDir?: string }>();
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return { dataDir: resolveDataDir(globals.dataDir), logger: createStderrLogger({ quiet: true }), defaultActor: `cli:${user}` };
}

/** Reads a passphrase: `GATEHOUSE_PASSPHRASE`, else a prompt on the terminal with echo off. */
export async function readPassphrase(prompt: string): Promise<string> {
  const fromEnv = process.env.GATEHOUSE_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new GatehouseError(ErrorCode.InvalidInput, 'no passphrase: set GATEHOUSE_PASSPHRASE or run in a terminal');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  let muted = false;
  output._writeToOutput = (s: string) => {
    if (!muted) process.stderr.write(s);
  };
  try {
    return await new Promise<string>((resolvePromise) => {
      rl.question(prompt, (answer) => resolvePromise(answer));
      muted = true;
    });
  } finally {
    process.stderr.write('\n');
    rl.close();
  }
}

/** Reads a new operator's passphrase: `GATEHOUSE_NEW_PASSPHRASE`, else a prompt (never the unlocking lead's `GATEHOUSE_PASSPHRASE`). */
export async function readNewPassphrase(prompt: string): Promise<string> {
  const fromEnv = process.env.GATEHOUSE_NEW_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  if (!process.stdin.isTTY) throw new GatehouseError(ErrorCode.InvalidInput, 'no passphrase for the new operator: set GATEHOUSE_NEW_PASSPHRASE or run in a terminal');
  const saved = process.env.GATEHOUSE_PASSPHRASE;
  delete process.env.GATEHOUSE_PASSPHRASE;
  try {
    return await readPassphrase(prompt);
  } finally {
    if (saved !== undefined) process.env.GATEHOUSE_PASSPHRASE = saved;
  }
}

/** What a dispatched command may do: call its declared channels, unlock, and watch events. */
export interface CliClient {
  /** Calls a channel through the dispatcher; a refusal is thrown as a GatehouseError carrying its code. */
  call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  /** Unlocks `--as NAME` (by the key agent holding NAME, else the passphrase from GATEHOUSE_PASSPHRASE or a prompt); nothing when no name. */
  unlock(name: string | undefined): Promise<void>;
  /** Events the core emits (live sandbox output). */
  readonly events: Pick<EventBus, 'subscribe'>;
  /** Waits for work that outlives its call (sandbox comparisons, post-apply checks). */
  idle(): Promise<void>;
}

/**
 * The key agent that holds operator `name`, or null (no agent, a stale socket, or another operator's agent)
 * with the reason when there was one. A socket or directory that is not only this user's is refused.
 */
async function keyAgentFor(dataDir: string, name: string): Promise<{ readonly agent: RemoteSigner | null; readonly note: string | null }> {
  let agent: RemoteSigner | null;
  try {
    agent = await connectKeyAgent(resolveAgentSocket(dataDir));
  } catch (error) {
    // An agent that has idled out refuses (and ends); the passphrase still works.
    if (error instanceof GatehouseError && error.code === ErrorCode.Locked) return { agent: null, note: error.message };
    throw error;
  }
  if (agent === null || agent.operator.name.toLowerCase() === name.toLowerCase()) return { agent, note: null };
  agent.close();
  return { agent: null, note: `the key agent holds ${agent.operator.name}, not ${name}` };
}

/** Why a command that may not use the key agent asks for the passphrase although an agent runs; null when none runs. */
function decisionNote(dataDir: string, path: string): string | null {
  try {
    if (!checkAgentSocket(resolveAgentSocket(dataDir))) return null;
  } catch {
    return null;
  }
  return `gatehouse ${path} decides or manages who may act, so it never uses the key agent`;
}

/** What a client needs of a core. */
export interface ClientCore {
  readonly layout: { readonly root: string };
  readonly operatorDeps: OperatorDeps;
  readonly events: Pick<EventBus, 'subscribe'>;
  idle(): Promise<void>;
}

/** The client of `command` over a core that serves only `channels`, through the same dispatcher checks. */
export function createChannelClient<T extends ChannelTable>(command: Command, channels: T, core: ChannelCore<T>): CliClient {
  const dispatch = createChannelDispatcher(channels, {
    handlers: core.handlers,
    allowedOrigins: [CLI_ORIGIN],
    session: () => core.callerSession(),
    touch: () => core.touch(),
    logger: core.logger,
  });
  return createCliClient(command, core, dispatch);
}

/** The client of `command` over a core and a dispatcher built on that core's handlers. */
export function createCliClient(command: Command, core: ClientCore, dispatch: Dispatch): CliClient {
  const call = async <C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    assertDeclared(command, channel);
    const result = await dispatch({ fromOurWindow: true, fromTopFrame: true, origin: CLI_ORIGIN }, channel, input);
    if (!result.ok) throw new GatehouseError(result.error.code, result.error.message, result.error.details);
    return result.value as ChannelOutput<C>;
  };
  return {
    call,
    async unlock(name) {
      if (name === undefined) return;
      const path = commandPath(command);
      const { agent, note } = KEY_AGENT_COMMANDS.has(path) ? await keyAgentFor(core.layout.root, name) : { agent: null, note: decisionNote(core.layout.root, path) };
      if (agent !== null) {
        await unlockOperatorWithKeyAgent(core.operatorDeps, name, agent);
        return;
      }
      let passphrase: string;
      try {
        passphrase = await readPassphrase(`passphrase for ${name}: `);
      } catch (error) {
        if (note !== null && error instanceof GatehouseError) throw new GatehouseError(error.code, `${note}; ${error.message}`);
        throw error;
      }
      if (note !== null) process.stderr.write(`gatehouse: ${note}; unlocking with the passphrase\n`);
      await call('session:unlock', { name, passphrase });
    },
    events: core.events,
    idle: () => core.idle(),
  };
}

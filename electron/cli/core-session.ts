/**
 * How CLI commands get a core: over the same data directory as the desktop app (global `--data-dir`,
 * `GATEHOUSE_DATA_DIR`, or the per-user default), acting as `cli:<user>` until an operator is unlocked
 * with `--as NAME`: by the key agent when one holds that operator (`gatehouse key-agent start`, found at
 * GATEHOUSE_AGENT_SOCK or the data directory's default socket), else with the passphrase from
 * `GATEHOUSE_PASSPHRASE` or a prompt with echo off.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { createCore, type Core } from '../core/create-core';
import { resolveDataDir } from '../core/data-dir';
import { createStderrLogger } from '../core/logger';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import type { EventBus } from '../core/events';
import { createDispatcher } from '../ipc/dispatch';
import { createSandbox, type Sandbox } from '../services/sandbox';
import { systemClock } from '../../shared/model/clock';
import { assertDeclared, commandPath, KEY_AGENT_COMMANDS } from './access';
import { unlockOperatorWithKeyAgent } from '../core/operators';
import { checkAgentSocket, connectKeyAgent, resolveAgentSocket, type RemoteSigner } from '../services/identity';

/**
 * The sandbox of one CLI command: the core's start-up sweep of stale containers (`cleanupStale`) and the
 * shutdown sweep are skipped until the command first reaches the engine, so a command that never runs a
 * sandbox (`verify` in CI, `approve`, `audit ...`) neither talks to Docker nor loads its client. A command
 * that does starts the start-up sweep just before its first call, unawaited, as the desktop app does at start.
 */
export function sandboxOnFirstUse(sandbox: Sandbox): Sandbox {
  let used = false;
  let sweepAsked = false;
  let sweep: Promise<ReadonlyArray<string>> | null = null;
  const startSweep = (): Promise<ReadonlyArray<string>> => {
    if (sweep === null) {
      sweep = sandbox.cleanupStale();
      void sweep.catch(() => undefined); // deliberate: an unreachable engine is reported by the run itself
    }
    return sweep;
  };
  const engine = (): Sandbox => {
    used = true;
    if (sweepAsked) void startSweep();
    return sandbox;
  };
  return {
    instanceId: sandbox.instanceId,
    probeEngine: () => engine().probeEngine(),
    run: (request) => engine().run(request),
    runTree: (request) => engine().runTree(request),
    compare: (request) => engine().compare(request),
    cancel: (runId) => sandbox.cancel(runId),
    activity: () => sandbox.activity(),
    cleanupStale: () => {
      sweepAsked = true;
      return used ? startSweep() : Promise.resolve([]);
    },
    shutdown: () => (used ? sandbox.shutdown() : Promise.resolve({ cancelled: 0, removed: 0, remaining: 0 })),
  };
}

/** Opens a core for one command; the caller closes it. */
export async function openCliCore(command: Command): Promise<Core> {
  const globals = command.optsWithGlobals<{ dataDir?: string }>();
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return createCore({
    dataDir: resolveDataDir(globals.dataDir),
    shell: { shell: 'cli', electron: null, chromium: null },
    logger: createStderrLogger({ quiet: true }),
    defaultActor: `cli:${user}`,
    sandbox: sandboxOnFirstUse(createSandbox({ clock: systemClock })),
  });
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

/** Runs `work` with a core, always closing it. For offline commands only (see access.ts). */
export async function withCore<T>(command: Command, work: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCliCore(command);
  try {
    return await work(core);
  } finally {
    await core.close();
  }
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

/** Opens a core and a dispatcher client for `command`; the caller closes the core. */
export async function openDispatcherClient(command: Command): Promise<{ readonly core: Core; readonly client: CliClient }> {
  const core = await openCliCore(command);
  const dispatch = createDispatcher({
    handlers: core.handlers,
    allowedOrigins: [CLI_ORIGIN],
    session: () => core.callerSession(),
    touch: () => core.touch(),
    logger: core.logger,
  });
  const call = async <C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    assertDeclared(command, channel);
    const result = await dispatch({ fromOurWindow: true, fromTopFrame: true, origin: CLI_ORIGIN }, channel, input);
    if (!result.ok) throw new GatehouseError(result.error.code, result.error.message, result.error.details);
    return result.value as ChannelOutput<C>;
  };
  const client: CliClient = {
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
  return { core, client };
}

/**
 * Runs `work` with a client that reaches the core only through the same dispatcher the window uses:
 * the same schema, session and role checks, the same Result. Only the channels `command` declares in
 * access.ts may be called.
 */
export async function withDispatcher<T>(command: Command, work: (client: CliClient) => Promise<T>): Promise<T> {
  const { core, client } = await openDispatcherClient(command);
  try {
    return await work(client);
  } finally {
    await core.close();
  }
}

const CLI_ORIGIN = 'gatehouse-cli:';

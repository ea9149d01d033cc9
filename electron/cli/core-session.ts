/**
 * How CLI commands get a core: over the same data directory as the desktop app (global `--data-dir`,
 * `GATEHOUSE_DATA_DIR`, or the per-user default), acting as `cli:<user>` until an operator is unlocked
 * with `--as NAME` (passphrase from `GATEHOUSE_PASSPHRASE` or a prompt with echo off).
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { createCore, type Core } from '../core/create-core';
import { resolveDataDir } from '../core/data-dir';
import { createStderrLogger } from '../core/logger';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import { createDispatcher, type CallContext } from '../ipc/dispatch';

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
  if (!process.stdin.isTTY) throw new GatehouseError(ErrorCode.InvalidInput, "no passphrase for the new operator: set GATEHOUSE_NEW_PASSPHRASE or run in a terminal");
  const saved = process.env.GATEHOUSE_PASSPHRASE;
  delete process.env.GATEHOUSE_PASSPHRASE;
  try {
    return await readPassphrase(prompt);
  } finally {
    if (saved !== undefined) process.env.GATEHOUSE_PASSPHRASE = saved;
  }
}

/** Unlocks `--as NAME` in the core; returns the call context the handlers take. */
export async function unlockAs(core: Core, name: string | undefined): Promise<CallContext> {
  if (name === undefined) return { session: null };
  const passphrase = await readPassphrase(`passphrase for ${name}: `);
  await core.handlers['session:unlock']({ name, passphrase }, { session: null });
  return { session: core.callerSession() };
}

/** Runs `work` with a core, always closing it. */
export async function withCore<T>(command: Command, work: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCliCore(command);
  try {
    return await work(core);
  } finally {
    await core.close();
  }
}

/**
 * Calls a contract channel through the same dispatcher the window uses: the same schema and role
 * checks, the same Result. A failure is thrown as a GatehouseError carrying its code.
 */
export async function invoke<C extends Channel>(core: Core, channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const dispatch = createDispatcher({
    handlers: core.handlers,
    allowedOrigins: [CLI_ORIGIN],
    session: () => core.callerSession(),
    touch: () => core.touch(),
    logger: core.logger,
  });
  const result = await dispatch({ fromOurWindow: true, fromTopFrame: true, origin: CLI_ORIGIN }, channel, input);
  if (!result.ok) throw new GatehouseError(result.error.code, result.error.message, result.error.details);
  return result.value as ChannelOutput<C>;
}

const CLI_ORIGIN = 'gatehouse-cli:';

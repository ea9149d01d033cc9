/**
 * How CLI commands get a core: over the same data directory as the desktop app (global `--data-dir`,
 * `GATEHOUSE_DATA_DIR`, or the per-user default), acting as `cli:<user>` until an operator is unlocked
 * with `--as NAME`: by the key agent when one holds that operator (`gatehouse key-agent start`, found at
 * GATEHOUSE_AGENT_SOCK or the data directory's default socket), else with the passphrase from
 * `GATEHOUSE_PASSPHRASE` or a prompt with echo off.
 */
import type { Command } from 'commander';
import { createCore, type Core } from '../core/create-core';
import { createDispatcher } from '../ipc/dispatch';
import { createSandbox, type Sandbox } from '../services/sandbox';
import { systemClock } from '../../shared/model/clock';
import { cliCoreConfig, CLI_ORIGIN, createCliClient, type CliClient } from './cli-client';

export { readNewPassphrase, readPassphrase, type CliClient } from './cli-client';

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
  return createCore({
    ...cliCoreConfig(command),
    shell: { shell: 'cli', electron: null, chromium: null },
    sandbox: sandboxOnFirstUse(createSandbox({ clock: systemClock })),
  });
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
  return { core, client: createCliClient(command, core, dispatch) };
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


/**
 * `gatehouse key-agent start|stop|status`: the operator key agent (electron/services/identity/key-agent.ts).
 *
 * `start --as NAME` unlocks the operator once (passphrase, audited and rate-limited like any unlock) in a
 * background process that holds the key and signs for later commands of the same user; `--as NAME` on
 * those commands then needs no passphrase. The agent locks after the idle time (`--idle-minutes`, by
 * default the session's idle lock) or on `stop`, and the lock is audited.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { resolveDataDir } from '../../core/data-dir';
import {
  agentAnswer,
  agentRequest,
  checkAgentSocket,
  isNoListener,
  resolveAgentSocket,
  AGENT_SOCKET_ENV,
  type AgentOperator,
} from '../../services/identity/key-agent';
import { CliExit, emit, EXIT_CHECK_FAILED } from '../io';

interface AgentOptions {
  readonly socket?: string;
  readonly json?: boolean;
}

interface StartOptions extends AgentOptions {
  readonly as: string;
  readonly idleMinutes?: string;
  readonly foreground?: boolean;
}

/** What a started agent reports. */
interface Started {
  readonly socketPath: string;
  readonly pid: number;
  readonly operator: AgentOperator;
  readonly idleMinutes: number;
}

/** What the background agent says to the command that started it, once. */
type StartReport = { readonly ok: true; readonly started: Started } | { readonly ok: false; readonly code: string; readonly message: string };

function socketOf(command: Command, options: AgentOptions): string {
  const globals = command.optsWithGlobals<{ dataDir?: string }>();
  return resolveAgentSocket(resolveDataDir(globals.dataDir), options.socket);
}

function idleMinutesOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const minutes = Number(text);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) throw new GatehouseError(ErrorCode.InvalidInput, '--idle-minutes must be a whole number 1..240');
  return minutes;
}

function describeStarted(started: Started): string {
  return [
    `${AGENT_SOCKET_ENV}=${started.socketPath}; export ${AGENT_SOCKET_ENV};`,
    `# key agent pid ${started.pid} holds ${started.operator.name} (${started.operator.role}); locks after ${started.idleMinutes} idle minutes`,
  ].join('\n');
}

/** The passphrase sent by the command that started this agent in the background. */
function passphraseFromParent(): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    process.once('message', (message: unknown) => {
      const passphrase = (message as { passphrase?: unknown } | null)?.passphrase;
      if (typeof passphrase === 'string') resolvePromise(passphrase);
      else reject(new GatehouseError(ErrorCode.InvalidInput, 'the starting command sent no passphrase'));
    });
    process.once('disconnect', () => reject(new GatehouseError(ErrorCode.Cancelled, 'the starting command went away')));
  });
}

/** Runs the agent in this process until it is stopped or locks. */
async function runAgent(command: Command, options: StartOptions): Promise<void> {
  const { openDispatcherClient, readPassphrase } = await import('../core-session');
  const { startKeyAgent } = await import('../../services/identity/key-agent');
  const fromParent = process.channel !== undefined && process.send !== undefined;
  const report = (message: StartReport): void => {
    if (fromParent) process.send?.(message);
  };
  const socketPath = socketOf(command, options);
  const idleMinutes = idleMinutesOf(options.idleMinutes);
  let core: Awaited<ReturnType<typeof openDispatcherClient>>['core'] | null = null;
  try {
    const passphrase = fromParent ? await passphraseFromParent() : await readPassphrase(`passphrase for ${options.as}: `);
    const opened = await openDispatcherClient(command);
    core = opened.core;
    // Never through client.unlock: that would look for an agent, and this is the agent.
    await opened.client.call('session:unlock', { name: options.as, passphrase });
    const { sessions } = core.context;
    if (idleMinutes !== undefined) sessions.setIdleLockMinutes(idleMinutes);
    const openCore = core;
    let ending: Promise<void> | null = null;
    const end = (reason: 'stopped' | 'locked'): Promise<void> => {
      ending ??= (async () => {
        await agent.close();
        // A stop locks the session (audited as operator.locked, manual); an idle lock was audited already.
        if (reason === 'stopped') sessions.lock();
        await openCore.close();
      })();
      return ending;
    };
    const agent = await startKeyAgent({ socketPath, session: () => sessions.current(), onStop: (reason) => void end(reason) });
    // The core checks the idle lock twice a minute; when it locks, the agent ends.
    openCore.events.subscribe((name) => {
      if (name === 'session:changed' && sessions.current() === null) void end('locked');
    });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void end('stopped'));
    const session = sessions.info();
    if (session === null) throw new GatehouseError(ErrorCode.Internal, 'the session locked while the agent started');
    const minutes = Math.round((Date.parse(session.locksAt) - Date.now()) / 60_000);
    openCore.context.audit.record({
      action: 'operator.key-agent-started',
      subject: `operator:${session.name}`,
      payload: { pid: process.pid, socket: socketPath, idleMinutes: minutes },
    });
    // Sealed now, not by the core's one-minute timer: until then every other command would find this
    // process's events unsealed at open and record audit.unsealed-found.
    openCore.context.auditStore.sealOwnTail();
    const started: Started = {
      socketPath,
      pid: process.pid,
      operator: { operatorId: session.operatorId, name: session.name, role: session.role, keyId: session.keyId },
      idleMinutes: minutes,
    };
    if (fromParent) {
      report({ ok: true, started });
      process.disconnect();
    } else emit(options.json === true, started, () => describeStarted(started));
  } catch (error) {
    if (core !== null) await core.close();
    if (!fromParent) throw error;
    report({
      ok: false,
      code: error instanceof GatehouseError ? error.code : ErrorCode.Internal,
      message: error instanceof Error ? error.message : String(error),
    });
    process.exitCode = 2;
    process.disconnect();
  }
}

/** Starts the agent in a detached process, hands it the passphrase, and waits for it to listen. */
async function startInBackground(command: Command, options: StartOptions): Promise<Started> {
  const { readPassphrase } = await import('../core-session');
  const socketPath = socketOf(command, options);
  const idleMinutes = idleMinutesOf(options.idleMinutes);
  const passphrase = await readPassphrase(`passphrase for ${options.as}: `);
  const globals = command.optsWithGlobals<{ dataDir?: string }>();
  const script = process.argv[1];
  if (script === undefined) throw new GatehouseError(ErrorCode.Internal, 'cannot tell which script runs gatehouse');
  const args = [
    ...process.execArgv,
    script,
    '--data-dir',
    resolveDataDir(globals.dataDir),
    'key-agent',
    'start',
    '--foreground',
    '--as',
    options.as,
    '--socket',
    socketPath,
    ...(idleMinutes === undefined ? [] : ['--idle-minutes', String(idleMinutes)]),
  ];
  // The agent outlives this command: it must not carry passphrases in its environment (readable in /proc).
  const env = { ...process.env };
  delete env.GATEHOUSE_PASSPHRASE;
  delete env.GATEHOUSE_NEW_PASSPHRASE;
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env });
  try {
    const report = await new Promise<StartReport>((resolvePromise, reject) => {
      child.once('message', (message) => resolvePromise(message as StartReport));
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new GatehouseError(ErrorCode.Internal, `the key agent ended before it listened (${signal ?? `exit ${code}`})`)));
      child.send({ passphrase });
    });
    if (!report.ok) {
      const code = Object.values(ErrorCode).includes(report.code as never) ? (report.code as ErrorCode) : ErrorCode.Internal;
      throw new GatehouseError(code, report.message);
    }
    return report.started;
  } finally {
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** Registers `gatehouse key-agent`. */
export function registerKeyAgentCommands(program: Command): void {
  const agent = program
    .command('key-agent')
    .description('hold an unlocked operator key for later commands (like ssh-agent), so --as NAME needs no passphrase');
  agent
    .command('start')
    .requiredOption('--as <name>', 'the operator to unlock (passphrase from GATEHOUSE_PASSPHRASE or the prompt)')
    .option('--idle-minutes <n>', 'lock after this many minutes without a signature (1..240; default: the session idle lock)')
    .option('--socket <path>', `where to listen (default: ${AGENT_SOCKET_ENV}, else <data dir>/key-agent/agent.sock)`)
    .option('--foreground', 'run in this process instead of in the background')
    .option('--json', 'JSON output')
    .description('unlock an operator once and keep the key in a background agent reached over a 0600 Unix socket')
    .action(async (options: StartOptions, command: Command) => {
      if (options.foreground === true) {
        await runAgent(command, options);
        return;
      }
      const started = await startInBackground(command, options);
      emit(options.json === true, started, () => describeStarted(started));
    });
  agent
    .command('stop')
    .option('--socket <path>', `the agent's socket (default: ${AGENT_SOCKET_ENV}, else <data dir>/key-agent/agent.sock)`)
    .option('--json', 'JSON output')
    .description('lock the key and end the agent')
    .action(async (options: AgentOptions, command: Command) => {
      const socketPath = socketOf(command, options);
      if (!checkAgentSocket(socketPath)) throw new CliExit(EXIT_CHECK_FAILED, `no key agent at ${socketPath}`, { ok: false, code: ErrorCode.NotFound, message: `no key agent at ${socketPath}` });
      try {
        agentAnswer(await agentRequest(socketPath, { op: 'stop' }));
      } catch (error) {
        if (!isNoListener(error)) throw error;
        const { unlinkSync } = await import('node:fs');
        unlinkSync(socketPath);
        emit(options.json === true, { stopped: false, removedStaleSocket: socketPath }, () => `no key agent listened at ${socketPath}; removed the stale socket`);
        return;
      }
      emit(options.json === true, { stopped: true, socketPath }, () => `key agent at ${socketPath} stopped`);
    });
  agent
    .command('status')
    .option('--socket <path>', `the agent's socket (default: ${AGENT_SOCKET_ENV}, else <data dir>/key-agent/agent.sock)`)
    .option('--json', 'JSON output')
    .description('which operator the key agent holds (exit 1 when none runs)')
    .action(async (options: AgentOptions, command: Command) => {
      const socketPath = socketOf(command, options);
      const none = (why: string): CliExit => new CliExit(EXIT_CHECK_FAILED, why, { running: false, socketPath, reason: why });
      if (!checkAgentSocket(socketPath)) throw none(`no key agent at ${socketPath}`);
      let hello: Record<string, unknown>;
      try {
        hello = agentAnswer(await agentRequest(socketPath, { op: 'hello' }));
      } catch (error) {
        if (isNoListener(error)) throw none(`no key agent listens at ${socketPath} (a stale socket)`);
        throw error;
      }
      const status = { running: true, socketPath, pid: hello.pid, operator: hello.operator };
      const operator = hello.operator as AgentOperator;
      emit(options.json === true, status, () => `key agent pid ${String(hello.pid)} at ${socketPath} holds ${operator.name} (${operator.role}, ${operator.keyId})`);
    });
}

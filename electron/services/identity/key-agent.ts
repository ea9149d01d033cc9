/**
 * The key agent: one unlocked operator key held by a small long-lived process, reached over a Unix socket,
 * so the CLI stretches a passphrase (scrypt, 128 MiB) once per session instead of once per command.
 *
 * The model is ssh-agent's. The agent signs the exact bytes a command sends it, for the one operator it
 * unlocked; the private key never leaves it. Only the user may reach the socket: it lives in a directory
 * the user owns with mode 0700, and is itself 0600. Both ends refuse a directory or socket that is not
 * the user's or that others may open. Node has no SO_PEERCRED, so the directory's permissions are what
 * keep other users out; the kernel checks them on every connect.
 *
 * **What it signs.** Any process of this user can reach the socket — including an AI agent running as the
 * same user — so the agent signs *operations*, never *decisions* (see {@link agentSigningRefusal}): its own
 * unlock proof, and repository records of kind `apply` and `audit-head`. Approvals, rejections, requests
 * for changes, revocations, DSSE envelopes and any other bytes are refused: a decision is signed only by a
 * process that stretched the operator's passphrase itself. The CLI does not offer the agent to decision
 * commands at all (electron/cli/access.ts `KEY_AGENT_COMMANDS`).
 *
 * Wire format: one JSON object per line each way, one request at a time per connection.
 * - `{"op":"hello"}` → `{"ok":true,"operator":{...},"pid":N}`
 * - `{"op":"sign","keyId":K,"data":BASE64}` → `{"ok":true,"signature":BASE64}` (refused for any other key id)
 * - `{"op":"stop"}` → `{"ok":true}`, then the agent ends
 * - any refusal → `{"ok":false,"code":ERROR_CODE,"message":TEXT}`
 */
import { lstatSync, mkdirSync, unlinkSync, chmodSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { Role } from '../../../shared/model/domain';
import type { OperatorSession } from './sessions';

/** What a client has the agent sign to prove it holds a key: domain-separated, never a JWS signing input. */
export const AGENT_PROOF_PREFIX = 'gatehouse-key-agent-proof:v1\0';

/** `typ` of a repository record (services/records/record.ts RECORD_TYP; a test keeps the two equal). */
const RECORD_TYP = 'gatehouse-record+jwt';

/** Record kinds the agent signs: operations, never decisions (decision, revocation, change-request). */
export const AGENT_SIGNABLE_RECORD_KINDS: ReadonlyArray<string> = ['apply', 'audit-head'];

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

function jsonObject(segment: string): Record<string, unknown> | null {
  if (!BASE64URL_SEGMENT.test(segment)) return null;
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Why the agent refuses to sign `data` for key `keyId`, or null when it may: the unlock proof, or the
 * signing input of a record (EdDSA, `gatehouse-record+jwt`, this key) of an operation kind. Everything
 * else — an approval or revocation token, a decision record, a DSSE envelope, arbitrary bytes — is a
 * decision or unknown, and needs the passphrase.
 */
export function agentSigningRefusal(data: Buffer, keyId: string): string | null {
  const decisionsNeedPassphrase = 'decisions (approvals, rejections, requests for changes, revocations) and anything but apply and audit-head records are signed only with the passphrase, never by the key agent';
  if (data.subarray(0, Buffer.byteLength(AGENT_PROOF_PREFIX)).equals(Buffer.from(AGENT_PROOF_PREFIX))) return null;
  const text = data.toString('latin1');
  const parts = text.split('.');
  if (parts.length !== 2) return decisionsNeedPassphrase;
  const header = jsonObject(parts[0] as string);
  const claims = jsonObject(parts[1] as string);
  if (header === null || claims === null) return decisionsNeedPassphrase;
  if (Object.keys(header).length !== 3 || header.alg !== 'EdDSA' || header.typ !== RECORD_TYP) return decisionsNeedPassphrase;
  if (header.kid !== keyId || claims.iss !== keyId) return `the record is not signed as this agent's key (${keyId})`;
  if (typeof claims.kind !== 'string' || !AGENT_SIGNABLE_RECORD_KINDS.includes(claims.kind)) return decisionsNeedPassphrase;
  if ('token' in claims) return decisionsNeedPassphrase;
  return null;
}

/**
 * Throws Refused when `session`'s key is held by a key agent: managing who may act (operators, AI agents)
 * is authority a process reaching the agent's socket must not have; it needs the passphrase.
 */
export function requireOwnKey(session: Pick<OperatorSession, 'keyAgent' | 'name'>, what: string): void {
  if (session.keyAgent !== undefined)
    throw new GatehouseError(ErrorCode.Refused, `${what} needs ${session.name}'s passphrase; a session unlocked through the key agent may not do it`);
}

/** The environment variable naming the agent's socket. */
export const AGENT_SOCKET_ENV = 'GATEHOUSE_AGENT_SOCK';

/** Largest request line the agent reads (a record token is at most 128 KiB; base64 adds a third). */
export const MAX_AGENT_LINE = 256 * 1024;

/** Longest Unix socket path the kernels accept (sun_path is 108 bytes on Linux, 104 on macOS, with the NUL). */
const MAX_SOCKET_PATH_BYTES = 103;

/** Who the agent holds, as it tells a client. */
export interface AgentOperator {
  readonly operatorId: string;
  readonly name: string;
  readonly role: Role;
  readonly keyId: string;
}

/** The default socket path of a data directory: `<data dir>/key-agent/agent.sock`. */
export function defaultAgentSocket(dataDir: string): string {
  return join(dataDir, 'key-agent', 'agent.sock');
}

/** The socket to use: an explicit path, then GATEHOUSE_AGENT_SOCK, then the data directory's default. */
export function resolveAgentSocket(dataDir: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit.length > 0) return explicit;
  const fromEnv = env[AGENT_SOCKET_ENV];
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  return defaultAgentSocket(dataDir);
}

function currentUid(): number {
  if (typeof process.getuid !== 'function')
    throw new GatehouseError(ErrorCode.Unavailable, 'the key agent needs Unix sockets and user ids; it is not available on this platform');
  return process.getuid();
}

function checkSocketPath(socketPath: string): void {
  if (!isAbsolute(socketPath)) throw new GatehouseError(ErrorCode.InvalidInput, `the key agent socket must be an absolute path: ${socketPath}`);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES)
    throw new GatehouseError(
      ErrorCode.InvalidInput,
      `the key agent socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket limit): ${socketPath}; choose a shorter one with --socket or ${AGENT_SOCKET_ENV}`,
    );
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/**
 * Throws Refused unless `dir` is a real directory (not a link) owned by this user that nobody else may
 * enter, list or write (no group or other permission bits).
 */
export function checkAgentDirectory(dir: string): void {
  const uid = currentUid();
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GatehouseError(ErrorCode.NotFound, `no key agent directory at ${dir}`);
    throw error;
  }
  if (!stat.isDirectory()) throw new GatehouseError(ErrorCode.Refused, `the key agent directory ${dir} is not a directory (a link or a file)`);
  if (stat.uid !== uid) throw new GatehouseError(ErrorCode.Refused, `the key agent directory ${dir} belongs to uid ${stat.uid}, not to this user (${uid})`);
  if ((stat.mode & 0o077) !== 0)
    throw new GatehouseError(ErrorCode.Refused, `the key agent directory ${dir} has mode ${octal(stat.mode)}: others may reach it; it must be 0700`);
}

/**
 * Whether a socket exists at `socketPath`, after checking it and its directory are only this user's.
 *
 * False when there is nothing there (or no directory); throws Refused for anything that is not this
 * user's socket with mode 0600 or stricter, or a directory others may reach.
 */
export function checkAgentSocket(socketPath: string): boolean {
  checkSocketPath(socketPath);
  try {
    checkAgentDirectory(dirname(socketPath));
  } catch (error) {
    if (error instanceof GatehouseError && error.code === ErrorCode.NotFound) return false;
    throw error;
  }
  let stat;
  try {
    stat = lstatSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (!stat.isSocket()) throw new GatehouseError(ErrorCode.Refused, `${socketPath} is not a socket`);
  if (stat.uid !== currentUid()) throw new GatehouseError(ErrorCode.Refused, `the key agent socket ${socketPath} belongs to uid ${stat.uid}, not to this user`);
  if ((stat.mode & 0o177) !== 0)
    throw new GatehouseError(ErrorCode.Refused, `the key agent socket ${socketPath} has mode ${octal(stat.mode)}; it must be 0600`);
  return true;
}

/** A refusal as the agent sends it. */
interface AgentRefusal {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

function refusal(code: string, message: string): AgentRefusal {
  return { ok: false, code, message };
}

/** Sends one request line on a fresh connection and reads one response line. */
export function agentRequest(socketPath: string, request: Readonly<Record<string, unknown>>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(socketPath);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new GatehouseError(ErrorCode.Unavailable, `the key agent at ${socketPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) {
        if (buffer.length > MAX_AGENT_LINE) socket.destroy(new Error('the key agent sent an over-long line'));
        return;
      }
      clearTimeout(timer);
      socket.end();
      try {
        const parsed = JSON.parse(buffer.slice(0, end)) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        resolvePromise(parsed as Record<string, unknown>);
      } catch {
        reject(new GatehouseError(ErrorCode.VerificationFailed, `the key agent at ${socketPath} sent an unreadable answer`));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new GatehouseError(ErrorCode.Unavailable, `the key agent at ${socketPath} closed the connection without an answer`));
    });
  });
}

/** Throws the agent's refusal as a GatehouseError; returns the answer when it is `ok`. */
export function agentAnswer(answer: Record<string, unknown>): Record<string, unknown> {
  if (answer.ok === true) return answer;
  const code = typeof answer.code === 'string' && Object.values(ErrorCode).includes(answer.code as never) ? (answer.code as ErrorCode) : ErrorCode.Internal;
  const message = typeof answer.message === 'string' ? answer.message.slice(0, 500) : 'the key agent refused';
  throw new GatehouseError(code, `key agent: ${message}`);
}

/** Whether an error from connecting means nobody listens on the socket (a stale socket file, or none). */
export function isNoListener(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT';
}

/** What {@link startKeyAgent} needs. */
export interface KeyAgentOptions {
  readonly socketPath: string;
  /** The agent's unlocked session; null once it has locked (idle time passed, or it was stopped). */
  readonly session: () => OperatorSession | null;
  /** Called once when the agent stops: on `stop`, or on the first request after the session locked. */
  readonly onStop?: (reason: 'stopped' | 'locked') => void;
}

/** A running key agent. */
export interface KeyAgent {
  readonly socketPath: string;
  /** Stops listening and removes the socket. */
  close(): Promise<void>;
}

/**
 * Creates the socket's directory (0700) when it is missing, then checks it. An existing directory with
 * wrong ownership or permissions is refused, never repaired: someone else may already have used it.
 */
export function prepareAgentDirectory(socketPath: string): void {
  checkSocketPath(socketPath);
  const dir = dirname(socketPath);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  checkAgentDirectory(dir);
}

/**
 * Starts serving `options.session` on `options.socketPath`.
 *
 * A socket file already there is checked like any other: one that answers is another agent (refused with
 * Conflict); one nobody listens on is stale and is replaced.
 */
export async function startKeyAgent(options: KeyAgentOptions): Promise<KeyAgent> {
  const { socketPath } = options;
  prepareAgentDirectory(socketPath);
  if (checkAgentSocket(socketPath)) {
    try {
      await agentRequest(socketPath, { op: 'hello' }, 2_000);
      throw new GatehouseError(ErrorCode.Conflict, `a key agent already listens at ${socketPath}; stop it first (gatehouse key-agent stop)`);
    } catch (error) {
      if (!isNoListener(error)) throw error;
      unlinkSync(socketPath);
    }
  }
  const sockets = new Set<Socket>();
  let stopped = false;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const { answer, then } = handle(line);
        socket.write(`${JSON.stringify(answer)}\n`);
        if (then !== null) stop(then);
      }
      if (buffer.length > MAX_AGENT_LINE) {
        socket.end(`${JSON.stringify(refusal(ErrorCode.InvalidInput, `a request is at most ${MAX_AGENT_LINE} bytes`))}\n`);
        buffer = '';
      }
    });
  });

  function stop(reason: 'stopped' | 'locked'): void {
    if (stopped) return;
    stopped = true;
    server.close();
    for (const socket of sockets) socket.end();
    options.onStop?.(reason);
  }

  function handle(line: string): { answer: unknown; then: 'stopped' | 'locked' | null } {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return { answer: refusal(ErrorCode.InvalidInput, 'a request is one JSON object per line'), then: null };
    }
    const op = typeof request === 'object' && request !== null ? (request as { op?: unknown }).op : undefined;
    if (op === 'stop') return { answer: { ok: true }, then: 'stopped' };
    const session = options.session();
    if (session === null) return { answer: refusal(ErrorCode.Locked, 'the agent has locked (idle time passed); unlock again with gatehouse key-agent start'), then: 'locked' };
    if (op === 'hello') {
      return {
        answer: { ok: true, operator: { operatorId: session.operatorId, name: session.name, role: session.role, keyId: session.keyId } satisfies AgentOperator, pid: process.pid },
        then: null,
      };
    }
    if (op === 'sign') {
      const { keyId, data } = request as { keyId?: unknown; data?: unknown };
      if (keyId !== session.keyId) return { answer: refusal(ErrorCode.Refused, `this agent signs only for ${session.name} (${session.keyId})`), then: null };
      if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data))
        return { answer: refusal(ErrorCode.InvalidInput, 'data must be base64'), then: null };
      const refused = agentSigningRefusal(Buffer.from(data, 'base64'), session.keyId);
      if (refused !== null) return { answer: refusal(ErrorCode.Refused, refused), then: null };
      try {
        return { answer: { ok: true, signature: session.sign(Buffer.from(data, 'base64')).toString('base64') }, then: null };
      } catch (error) {
        if (error instanceof GatehouseError && error.code === ErrorCode.Locked) return { answer: refusal(ErrorCode.Locked, error.message), then: 'locked' };
        return { answer: refusal(ErrorCode.Internal, 'signing failed'), then: null };
      }
    }
    return { answer: refusal(ErrorCode.InvalidInput, 'unknown request; expected hello, sign or stop'), then: null };
  }

  // Created 0600 (umask) and chmod'ed again, inside a 0700 directory: no window in which others could connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);
  checkAgentSocket(socketPath);
  server.on('close', () => {
    try {
      unlinkSync(socketPath);
    } catch {
      // deliberate: already gone (a stop raced a close, or the directory was removed)
    }
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolvePromise) => {
        if (!stopped) {
          stopped = true;
          for (const socket of sockets) socket.end();
        }
        if (!server.listening) {
          resolvePromise();
          return;
        }
        server.close(() => resolvePromise());
      }),
  };
}

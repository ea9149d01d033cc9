/**
 * The CLI's side of the key agent (key-agent.ts): find it, ask who it holds, and have it sign.
 *
 * Sessions sign synchronously (approvals and records are minted in one synchronous step), and Node has
 * no synchronous socket, so {@link RemoteSigner.signSync} hands the request to a worker thread that owns
 * the connection and waits on a shared flag (Atomics.wait) until the worker has the answer; the answer is
 * then read from the message port with `receiveMessageOnPort`. The worker starts on the first signature
 * only: a rollback, which signs nothing with the operator's key, never starts it. The worker's code is
 * inline so it runs the same from the bundled CLI and from the TypeScript sources under test.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { Role } from '../../../shared/model/domain';
import { agentAnswer, agentRequest, checkAgentSocket, isNoListener, MAX_AGENT_LINE, type AgentOperator } from './key-agent';

/** How long a signature may take before the agent counts as gone. */
const SIGN_TIMEOUT_MS = 30_000;

/** A signer in another process: the agent. */
export interface RemoteSigner {
  readonly socketPath: string;
  /** The agent's process id, for the audit record. */
  readonly pid: number;
  /** Who the agent holds, as it says (check the key id against the operator store before trusting it). */
  readonly operator: AgentOperator;
  /** An Ed25519 signature over `data`, by the agent. */
  signAsync(data: Uint8Array): Promise<Buffer>;
  /** The same, blocking this thread until the agent answers. */
  signSync(data: Uint8Array): Buffer;
  /** Ends the worker thread, if one was started. */
  close(): void;
}

function parseOperator(value: unknown): AgentOperator {
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const role = Role.safeParse(o.role);
  if (typeof o.operatorId !== 'string' || typeof o.name !== 'string' || typeof o.keyId !== 'string' || !role.success)
    throw new GatehouseError(ErrorCode.VerificationFailed, 'the key agent described its operator in an unknown form');
  return { operatorId: o.operatorId, name: o.name, role: role.data, keyId: o.keyId };
}

function signatureFrom(answer: Record<string, unknown>): Buffer {
  const ok = agentAnswer(answer);
  if (typeof ok.signature !== 'string') throw new GatehouseError(ErrorCode.VerificationFailed, 'the key agent sent no signature');
  return Buffer.from(ok.signature, 'base64');
}

// The worker: one connection to the agent, one request at a time; every answer (or failure) is posted on
// the port, then the flag is set and the waiting thread woken.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const { socketPath, flag, port, maxLine } = workerData;
let socket = null;
let buffer = '';
let waiting = false;
function answer(message) {
  waiting = false;
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
function fail(message) {
  if (socket !== null) socket.destroy();
  socket = null;
  buffer = '';
  if (waiting) answer({ ok: false, code: 'UNAVAILABLE', message });
}
function connect() {
  socket = net.createConnection(socketPath);
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffer += chunk;
    const end = buffer.indexOf('\\n');
    if (end < 0) {
      if (buffer.length > maxLine) fail('the agent sent an over-long line');
      return;
    }
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    let parsed;
    try { parsed = JSON.parse(line); } catch { parsed = { ok: false, code: 'VERIFICATION_FAILED', message: 'an unreadable answer' }; }
    answer(parsed);
  });
  socket.on('error', (error) => fail(error.message));
  socket.on('close', () => fail('the agent closed the connection'));
}
port.on('message', (request) => {
  waiting = true;
  if (socket === null) connect();
  socket.write(JSON.stringify(request) + '\\n');
});
`;

interface SyncBridge {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

/**
 * Connects to the agent at `socketPath` and asks who it holds.
 *
 * Null when there is no agent: no socket, a stale socket file nobody listens on, or a platform without
 * user ids. Throws Refused when
 * the socket or its directory is not only this user's, and the agent's own refusal (LOCKED once it has
 * idled out).
 */
export async function connectKeyAgent(socketPath: string): Promise<RemoteSigner | null> {
  // No user ids (Windows): there is no agent to find, and every command unlocks with the passphrase.
  if (typeof process.getuid !== 'function') return null;
  if (!checkAgentSocket(socketPath)) return null;
  let hello: Record<string, unknown>;
  try {
    hello = agentAnswer(await agentRequest(socketPath, { op: 'hello' }));
  } catch (error) {
    if (isNoListener(error)) return null;
    throw error;
  }
  const operator = parseOperator(hello.operator);
  const pid = typeof hello.pid === 'number' && Number.isInteger(hello.pid) ? hello.pid : 0;
  let bridge: SyncBridge | null = null;

  function startBridge(): SyncBridge {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { socketPath, flag, port: port2, maxLine: MAX_AGENT_LINE }, transferList: [port2] });
    worker.unref();
    return { worker, port: port1, flag };
  }

  return {
    socketPath,
    pid,
    operator,
    async signAsync(data) {
      return signatureFrom(await agentRequest(socketPath, { op: 'sign', keyId: operator.keyId, data: Buffer.from(data).toString('base64') }));
    },
    signSync(data) {
      bridge ??= startBridge();
      Atomics.store(bridge.flag, 0, 0);
      bridge.port.postMessage({ op: 'sign', keyId: operator.keyId, data: Buffer.from(data).toString('base64') });
      if (Atomics.wait(bridge.flag, 0, 0, SIGN_TIMEOUT_MS) === 'timed-out')
        throw new GatehouseError(ErrorCode.Unavailable, `the key agent at ${socketPath} did not sign within ${SIGN_TIMEOUT_MS / 1000} s`);
      const received = receiveMessageOnPort(bridge.port);
      if (received === undefined) throw new GatehouseError(ErrorCode.Internal, 'the key agent worker woke without an answer');
      return signatureFrom(received.message as Record<string, unknown>);
    },
    close() {
      if (bridge === null) return;
      void bridge.worker.terminate(); // deliberate: nothing waits on the worker's end
      bridge.port.close();
      bridge = null;
    },
  };
}

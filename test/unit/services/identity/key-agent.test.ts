/**
 * The key agent (electron/services/identity/key-agent.ts) on real Unix sockets, with a real operator
 * store on a SQLite file: who may reach it, stale sockets, idle expiry, and that a session adopted from
 * an agent signs exactly as the operator's own key would and refuses an agent that holds another key.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../../electron/services/db/sqlite';
import { mintApproval, mintRevocation, type ApprovalSigner } from '../../../../electron/services/approvals';
import { preAuthEncoding } from '../../../../electron/services/approvals/dsse';
import { mintRecord, type RecordBody } from '../../../../electron/services/records/record';
import {
  agentRequest,
  agentSigningRefusal,
  connectKeyAgent,
  createSessionManager,
  openOperatorStore,
  passphraseProtector,
  requireOwnKey,
  startKeyAgent,
  type KeyAgent,
  type Operator,
  type OperatorSession,
  type OperatorStore,
  type RemoteSigner,
  type SessionManager,
} from '../../../../electron/services/identity';
import type { Clock } from '../../../../shared/model/clock';
import { ErrorCode, GatehouseError } from '../../../../shared/model/result';
import { REPO_ROOT } from '../../../integration/audit/helpers';

const FAST = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
const PASS = 'correct horse battery staple';

interface MovableClock extends Clock {
  advance(ms: number): void;
}

function clockAt(start: Date): MovableClock {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

let dir: string;
let db: Db;
let store: OperatorStore;
let alice: Operator;
let bob: Operator;
let clock: MovableClock;
let agentSessions: SessionManager;
const running: KeyAgent[] = [];
const clients: RemoteSigner[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-ka-'));
  clock = clockAt(new Date('2025-01-01T09:00:00Z'));
  db = openDatabase({ file: join(dir, 'app.db') });
  store = openOperatorStore(db, { clock });
  alice = await store.create({ name: 'alice', role: 'lead', passphrase: PASS, protector: FAST });
  bob = await store.create({ name: 'bob', role: 'reviewer', passphrase: PASS, protector: FAST });
  // The agent process's own session manager: it unlocked alice with her passphrase; idle lock 1 minute.
  agentSessions = createSessionManager({ store, clock, protectors: [FAST], idleLockMinutes: 1 });
  await agentSessions.unlock('alice', PASS);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(running.splice(0).map((agent) => agent.close()));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(socketPath: string, session: () => OperatorSession | null = () => agentSessions.current(), onStop?: (reason: string) => void): Promise<KeyAgent> {
  const agent = await startKeyAgent({ socketPath, session, ...(onStop ? { onStop } : {}) });
  running.push(agent);
  return agent;
}

async function connect(socketPath: string): Promise<RemoteSigner | null> {
  const client = await connectKeyAgent(socketPath);
  if (client !== null) clients.push(client);
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatehouseError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

function publicKeyOf(operator: Operator) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: operator.publicKey }, format: 'jwk' });
}

const OID = 'a'.repeat(40);

/** The exact bytes `signer` is asked to sign when a record of `body` is minted (the signature is discarded). */
function signingInputOf(operator: Operator, mint: (signer: ApprovalSigner) => unknown): Buffer {
  let captured: Buffer | null = null;
  const signer: ApprovalSigner = {
    operatorId: operator.id,
    name: operator.name,
    role: 'lead',
    keyId: operator.keyId,
    sign: (data) => {
      captured = Buffer.from(data);
      return Buffer.alloc(64);
    },
  };
  mint(signer);
  if (captured === null) throw new Error('nothing was signed');
  return captured;
}

function recordInput(operator: Operator, body: RecordBody): Buffer {
  return signingInputOf(operator, (signer) => mintRecord(signer, { repository: 'repo-1', prev: null, now: new Date('2025-01-01T09:00:00Z'), body }));
}

/** An operation the agent signs: publishing an audit chain head. */
function auditHeadInput(operator: Operator): Buffer {
  return recordInput(operator, { kind: 'audit-head', auditHead: { seq: 7, hash: 'b'.repeat(64), at: '2025-01-01T09:00:00Z' } });
}

/** A socket file nobody listens on: its listener was killed before it could remove it. */
function staleSocket(socketPath: string): void {
  const code = `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', code]);
  expect(existsSync(socketPath)).toBe(true);
  chmodSync(socketPath, 0o600);
}

describe('who may reach the agent', () => {
  it('creates its directory 0700 and its socket 0600, and a client finds who it holds', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    expect(spawnSync('stat', ['-c', '%a %F', join(dir, 'agent')], { encoding: 'utf8' }).stdout.trim()).toBe('700 directory');
    expect(spawnSync('stat', ['-c', '%a %F', socketPath], { encoding: 'utf8' }).stdout.trim()).toBe('600 socket');
    const client = await connect(socketPath);
    expect(client?.operator).toEqual({ operatorId: alice.id, name: 'alice', role: 'lead', keyId: alice.keyId });
    expect(client?.pid).toBe(process.pid);
  });

  it('refuses a directory others may enter, on both ends, and never repairs it', async () => {
    const agentDir = join(dir, 'open');
    mkdirSync(agentDir, { mode: 0o755 });
    chmodSync(agentDir, 0o755);
    const socketPath = join(agentDir, 'agent.sock');
    expect(await refusal(serve(socketPath))).toBe(ErrorCode.Refused);
    // A socket someone else's agent left in it: the client refuses rather than talk to it.
    chmodSync(agentDir, 0o700);
    await serve(socketPath);
    chmodSync(agentDir, 0o750);
    expect(await refusal(connect(socketPath))).toBe(ErrorCode.Refused);
    expect(spawnSync('stat', ['-c', '%a', agentDir], { encoding: 'utf8' }).stdout.trim()).toBe('750');
  });

  it('refuses a socket others may open', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    chmodSync(socketPath, 0o666);
    expect(await refusal(connect(socketPath))).toBe(ErrorCode.Refused);
  });

  it('refuses a directory that is a link, and a socket path that is a plain file', async () => {
    const real = join(dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(dir, 'linked'));
    expect(await refusal(serve(join(dir, 'linked', 'agent.sock')))).toBe(ErrorCode.Refused);
    expect(await refusal(connect(join(dir, 'linked', 'agent.sock')))).toBe(ErrorCode.Refused);
    writeFileSync(join(real, 'agent.sock'), 'not a socket', { mode: 0o600 });
    expect(await refusal(connect(join(real, 'agent.sock')))).toBe(ErrorCode.Refused);
    expect(await refusal(serve(join(real, 'agent.sock')))).toBe(ErrorCode.Refused);
  });

  it('refuses a relative socket path and one too long for a Unix socket', async () => {
    expect(await refusal(serve('agent.sock'))).toBe(ErrorCode.InvalidInput);
    expect(await refusal(serve(join(dir, 'x'.repeat(120), 'agent.sock')))).toBe(ErrorCode.InvalidInput);
  });
});

describe('stale sockets and a second agent', () => {
  it('treats a socket nobody listens on as no agent, and a new agent replaces it', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    mkdirSync(join(dir, 'agent'), { mode: 0o700 });
    staleSocket(socketPath);
    expect(await connect(socketPath)).toBeNull();
    await serve(socketPath);
    expect((await connect(socketPath))?.operator.name).toBe('alice');
  });

  it('refuses to start a second agent on a socket another agent serves', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    expect(await refusal(serve(socketPath))).toBe(ErrorCode.Conflict);
    expect((await connect(socketPath))?.operator.name).toBe('alice');
  });

  it('is no agent when there is no directory or no socket', async () => {
    expect(await connect(join(dir, 'none', 'agent.sock'))).toBeNull();
    mkdirSync(join(dir, 'empty'), { mode: 0o700 });
    expect(await connect(join(dir, 'empty', 'agent.sock'))).toBeNull();
  });
});

describe('a session whose key the agent holds', () => {
  it('signs through the agent, with signatures that verify with the stored key', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    const client = await connect(socketPath);
    if (client === null) throw new Error('no agent');
    const cliSessions = createSessionManager({ store, clock, protectors: [FAST] });
    const session = await cliSessions.adoptKeyAgent('alice', client);
    expect(session.keyAgent).toEqual({ pid: process.pid, socketPath });
    expect(cliSessions.require(['lead']).name).toBe('alice');
    const input = auditHeadInput(alice);
    expect(verify(null, input, publicKeyOf(alice), await client.signAsync(input))).toBe(true);
    cliSessions.lock();
    expect(() => session.sign(input)).toThrow(/locked/);
  });

  it('signs synchronously (as approvals are minted) through an agent in another process', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/identity/key-agent-process.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, KA_DB: join(dir, 'app.db'), KA_NAME: 'alice', KA_PASSPHRASE: PASS, KA_SOCKET: socketPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await new Promise<void>((resolvePromise, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolvePromise());
        child.once('exit', (code) => reject(new Error(`the agent process exited ${code}: ${stderr}`)));
      });
      const client = await connect(socketPath);
      if (client === null) throw new Error('no agent');
      expect(client.pid).toBe(child.pid);
      const cliSessions = createSessionManager({ store, clock, protectors: [FAST] });
      const session = await cliSessions.adoptKeyAgent('alice', client);
      const data = auditHeadInput(alice);
      const signature = session.sign(data);
      expect(verify(null, data, publicKeyOf(alice), signature)).toBe(true);
      expect(verify(null, data, publicKeyOf(alice), session.sign(data))).toBe(true);
      // Once the agent is gone, a signature fails loudly instead of hanging or signing with anything else.
      await agentRequest(socketPath, { op: 'stop' });
      await new Promise((resolvePromise) => child.once('exit', resolvePromise));
      expect(() => session.sign(data)).toThrow(GatehouseError);
    } finally {
      child.kill();
    }
  }, 60_000);

  it("refuses an agent holding another operator's key", async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    const client = await connect(socketPath);
    if (client === null) throw new Error('no agent');
    const cliSessions = createSessionManager({ store, clock, protectors: [FAST] });
    expect(await refusal(cliSessions.adoptKeyAgent('bob', client))).toBe(ErrorCode.VerificationFailed);
    expect(cliSessions.current()).toBeNull();
  });

  it("refuses an agent that claims alice's key id but signs with bob's key", async () => {
    const bobSessions = createSessionManager({ store, clock, protectors: [FAST] });
    const bobSession = await bobSessions.unlock('bob', PASS);
    const liar: OperatorSession = { ...bobSession, operatorId: alice.id, name: 'alice', role: 'lead', keyId: alice.keyId, sign: (data) => bobSession.sign(data) };
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath, () => liar);
    const client = await connect(socketPath);
    if (client === null) throw new Error('no agent');
    const cliSessions = createSessionManager({ store, clock, protectors: [FAST] });
    expect(await refusal(cliSessions.adoptKeyAgent('alice', client))).toBe(ErrorCode.VerificationFailed);
    expect(cliSessions.current()).toBeNull();
    const input = auditHeadInput(alice);
    expect(verify(null, input, publicKeyOf(bob), await client.signAsync(input))).toBe(true);
  });

  it('signs only for the key it holds', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    const answer = await agentRequest(socketPath, { op: 'sign', keyId: bob.keyId, data: Buffer.from('x').toString('base64') });
    expect(answer).toMatchObject({ ok: false, code: ErrorCode.Refused });
    expect(await agentRequest(socketPath, { op: 'sign', keyId: alice.keyId, data: '***' })).toMatchObject({ ok: false, code: ErrorCode.InvalidInput });
    expect(await agentRequest(socketPath, { op: 'unlock' })).toMatchObject({ ok: false, code: ErrorCode.InvalidInput });
  });
});

describe('what the agent signs: operations, never decisions', () => {
  // Any process of this user reaches the socket (an AI agent running as the same user too), so each
  // attack asks the agent directly, as such a process would, not through the CLI.
  const approvalRequest = {
    repository: 'repo-1',
    proposal: 'feature',
    revision: { base: OID, head: OID, tree: OID },
    risk: 'LOW' as const,
    findingsDigest: `sha256:${'c'.repeat(64)}`,
    policyDigest: `sha256:${'d'.repeat(64)}`,
    reason: 'looks fine',
  };
  const now = new Date('2025-01-01T09:00:00Z');

  async function ask(socketPath: string, data: Buffer): Promise<Record<string, unknown>> {
    return agentRequest(socketPath, { op: 'sign', keyId: alice.keyId, data: data.toString('base64') });
  }

  it('refuses approvals, rejections, requests for changes, revocations, decision records, DSSE and arbitrary bytes', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    const token = 'aGVhZGVy.cGF5bG9hZA.c2ln';
    const attacks: Record<string, Buffer> = {
      approval: signingInputOf(alice, (signer) => mintApproval(signer, { ...approvalRequest, decision: 'approve' }, { now })),
      rejection: signingInputOf(alice, (signer) => mintApproval(signer, { ...approvalRequest, decision: 'reject' }, { now })),
      'request for changes': signingInputOf(alice, (signer) => mintApproval(signer, { ...approvalRequest, decision: 'request_changes' }, { now })),
      revocation: signingInputOf(alice, (signer) => mintRevocation(signer, { repository: 'repo-1', jti: 'abcdefghijklmnopqrstuvwx', reason: 'no' }, { now })),
      'decision record': recordInput(alice, { kind: 'decision', token }),
      'change-request record': recordInput(alice, { kind: 'change-request', token, comments: [] }),
      'revocation record': recordInput(alice, { kind: 'revocation', token }),
      'DSSE envelope': preAuthEncoding('application/vnd.in-toto+json', Buffer.from('{"predicate":{"decision":"approve"}}')),
      'arbitrary bytes': Buffer.from('x'),
      'a record naming another key': recordInput(bob, { kind: 'audit-head', auditHead: { seq: 1, hash: 'b'.repeat(64), at: 'now' } }),
    };
    for (const [what, data] of Object.entries(attacks)) {
      expect(agentSigningRefusal(data, alice.keyId), what).not.toBeNull();
      const answer = await ask(socketPath, data);
      expect(answer, what).toMatchObject({ ok: false, code: ErrorCode.Refused });
      expect(answer.signature, what).toBeUndefined();
    }
  });

  it('signs apply and audit-head records, and its own unlock proof, with the key it holds', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    const apply = recordInput(alice, {
      kind: 'apply',
      apply: { proposal: 'feature', from: OID, to: OID, base: OID, head: OID, tree: OID, approvals: ['aGVhZGVy.cGF5bG9hZA.c2ln'], authors: [], risk: 'LOW' },
    });
    for (const data of [apply, auditHeadInput(alice)]) {
      const answer = await ask(socketPath, data);
      expect(answer).toMatchObject({ ok: true });
      expect(verify(null, data, publicKeyOf(alice), Buffer.from(String(answer.signature), 'base64'))).toBe(true);
    }
    // The CLI's adoption proof goes through the same filter (adoptKeyAgent signs it).
    const client = await connect(socketPath);
    if (client === null) throw new Error('no agent');
    const adopted = await createSessionManager({ store, clock, protectors: [FAST] }).adoptKeyAgent('alice', client);
    expect(adopted.name).toBe('alice');
    // Managing who may act (operators, AI agents) needs the passphrase even in an adopted lead session.
    expect(() => requireOwnKey(adopted, 'creating an operator')).toThrow(/needs alice's passphrase/);
  });
});

describe('expiry and stop', () => {
  it('refuses once its session has idled out, and ends', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    const stops: string[] = [];
    await serve(socketPath, undefined, (reason) => stops.push(reason));
    const client = await connect(socketPath);
    if (client === null) throw new Error('no agent');
    const input = auditHeadInput(alice);
    expect(verify(null, input, publicKeyOf(alice), await client.signAsync(input))).toBe(true);
    clock.advance(61_000);
    expect(await refusal(client.signAsync(input))).toBe(ErrorCode.Locked);
    expect(stops).toEqual(['locked']);
    expect(await connect(socketPath)).toBeNull();
  });

  it('an expired agent refuses a new client too', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    await serve(socketPath);
    clock.advance(61_000);
    expect(await refusal(connect(socketPath))).toBe(ErrorCode.Locked);
  });

  it('stops on request and removes its socket', async () => {
    const socketPath = join(dir, 'agent', 'agent.sock');
    const stops: string[] = [];
    await serve(socketPath, undefined, (reason) => stops.push(reason));
    expect(await agentRequest(socketPath, { op: 'stop' })).toEqual({ ok: true });
    expect(stops).toEqual(['stopped']);
    expect(await connect(socketPath)).toBeNull();
  });
});

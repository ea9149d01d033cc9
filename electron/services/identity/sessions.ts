/**
 * Operator sessions: unlocking a private key with a passphrase, holding it in this process only, and
 * locking it again on request or after idle time.
 *
 * The private key never leaves this module: a session exposes `sign(data)` and who the operator is,
 * nothing else. Unlock failures are counted per operator name in the database (so the count survives
 * a restart), refused with RateLimited during an exponential back-off, and reported to
 * `onUnlockFailed` so the caller can write them to the audit log.
 */
import { createPrivateKey, createPublicKey, randomBytes, scrypt, sign, verify, type KeyObject } from 'node:crypto';
import type { Role } from '../../../shared/model/domain';
import type { Clock } from '../../../shared/model/clock';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { importPublicKey, keyIdFor } from './keys';
import type { RemoteSigner } from './key-agent-client';
import { AGENT_PROOF_PREFIX } from './key-agent';
import { MAX_PASSPHRASE_LENGTH, type KeyProtector } from './protector';
import type { Operator, OperatorStore } from './operator-store';
import { OperatorName } from './trust-list';

/** An unlocked operator. Held in the main process; hand out only its public fields. */
export interface OperatorSession {
  readonly operatorId: string;
  readonly name: string;
  readonly role: Role;
  readonly email: string | null;
  readonly keyId: string;
  readonly unlockedAt: Date;
  /** Set when the key is held by a key agent (key-agent.ts) rather than by this process. */
  readonly keyAgent?: { readonly pid: number; readonly socketPath: string };
  /** Ed25519 signature over `data`; throws Locked once the session has locked. Counts as activity. */
  sign(data: Uint8Array): Buffer;
}

/** The public view of a session (what IPC may return). */
export interface SessionInfo {
  readonly operatorId: string;
  readonly name: string;
  readonly role: Role;
  readonly keyId: string;
  readonly unlockedAt: string;
  /** When the session locks if nothing happens. */
  readonly locksAt: string;
}

/** Why an unlock failed, reported to `onUnlockFailed`. */
export interface UnlockFailure {
  /** The name as typed. */
  readonly name: string;
  /** The operator, when the name exists. */
  readonly operatorId: string | null;
  readonly reason: 'wrong-passphrase' | 'unknown-operator' | 'rate-limited';
  /** Consecutive failures for this name so far. */
  readonly failures: number;
  /** When the next attempt will be accepted, if it is held back. */
  readonly retryAt: Date | null;
  readonly at: Date;
}

/** Why a session ended, reported to `onLocked`. */
export interface SessionLocked {
  readonly operatorId: string;
  readonly name: string;
  readonly reason: 'manual' | 'idle' | 'replaced';
  readonly at: Date;
}

/** Back-off of failed unlocks. */
export interface UnlockBackoff {
  /** Failures allowed before waiting starts. */
  readonly freeAttempts: number;
  /** Wait after the first held-back failure; doubles with each further one. */
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/** Default back-off: 3 free attempts, then 30 s, 60 s, 120 s ... capped at 15 min. */
export const DEFAULT_UNLOCK_BACKOFF: UnlockBackoff = { freeAttempts: 3, baseSeconds: 30, maxSeconds: 900 };

/** Default idle lock, used until the policy says otherwise. */
export const DEFAULT_IDLE_LOCK_MINUTES = 15;

/** What {@link createSessionManager} needs. */
export interface SessionManagerOptions {
  readonly store: OperatorStore;
  readonly clock: Clock;
  /** Protectors able to open stored keys, by scheme (always include the passphrase one). */
  readonly protectors: ReadonlyArray<KeyProtector>;
  /** Policy `idleLockMinutes`; default 15. */
  readonly idleLockMinutes?: number;
  readonly backoff?: UnlockBackoff;
  /** Called for every failed or refused unlock; write it to the audit log. */
  readonly onUnlockFailed?: (failure: UnlockFailure) => void;
  /** Called when a session ends. */
  readonly onLocked?: (event: SessionLocked) => void;
}

/** The one place that holds an unlocked private key. */
export interface SessionManager {
  /** Unlocks an operator's key; replaces any current session. */
  unlock(name: string, passphrase: string): Promise<OperatorSession>;
  /**
   * Opens a session whose key a key agent holds; replaces any current session.
   *
   * The agent must hold exactly the key this store has for `name` and prove it by signing a fresh
   * challenge; every later signature is checked against the stored public key before it is used.
   */
  adoptKeyAgent(name: string, agent: RemoteSigner): Promise<OperatorSession>;
  /** Locks the current session, if any. */
  lock(): void;
  /** The current session, or null when none or when it has idled out (which locks it). Not activity. */
  current(): OperatorSession | null;
  /** The current session, or throws Locked; with roles, throws ForbiddenRole for another role. Counts as activity. */
  require(roles?: ReadonlyArray<Role>): OperatorSession;
  /** Records operator activity, postponing the idle lock. */
  touch(): void;
  /** Public view of the current session, or null. Not activity. */
  info(): SessionInfo | null;
  /** Applies a new idle lock time (from a reloaded policy). */
  setIdleLockMinutes(minutes: number): void;
  /** When the named operator may try again, or null if now. */
  retryAt(name: string): Date | null;
}

interface ActiveSession {
  readonly session: OperatorSession;
  lastActivity: number;
  /** Lets go of what holds the key (the key agent's connection). */
  readonly release?: () => void;
}


function checkIdleMinutes(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240)
    throw new GatehouseError(ErrorCode.InvalidInput, 'idleLockMinutes must be a whole number of minutes, 1..240');
  return minutes;
}

/** Creates the session manager of this process. */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { store, clock } = options;
  const backoff = options.backoff ?? DEFAULT_UNLOCK_BACKOFF;
  let idleMs = checkIdleMinutes(options.idleLockMinutes ?? DEFAULT_IDLE_LOCK_MINUTES) * 60_000;
  let active: ActiveSession | null = null;

  function end(reason: SessionLocked['reason']): void {
    if (!active) return;
    const ended = active;
    active = null;
    ended.release?.();
    options.onLocked?.({ operatorId: ended.session.operatorId, name: ended.session.name, reason, at: clock.now() });
  }

  /** The live session, after applying the idle lock. */
  function live(): ActiveSession | null {
    if (active && clock.now().getTime() - active.lastActivity >= idleMs) end('idle');
    return active;
  }

  function retryAt(name: string): Date | null {
    const record = store.unlockFailures(name);
    if (!record || record.failures < backoff.freeAttempts) return null;
    const waitSeconds = Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** (record.failures - backoff.freeAttempts));
    const at = new Date(record.lastFailureAt.getTime() + waitSeconds * 1000);
    return at.getTime() > clock.now().getTime() ? at : null;
  }

  function fail(name: string, operator: Operator | null, reason: 'wrong-passphrase' | 'unknown-operator'): never {
    const now = clock.now();
    const record = store.recordUnlockFailure(name, now);
    const waitUntil = retryAt(name);
    options.onUnlockFailed?.({ name, operatorId: operator?.id ?? null, reason, failures: record.failures, retryAt: waitUntil, at: now });
    // One message for both reasons: the unlock screen must not reveal which names exist (an unknown name
    // is counted and held back exactly like a known one, so the attempts left say nothing either).
    const attemptsLeft = Math.max(0, backoff.freeAttempts - record.failures);
    throw new GatehouseError(
      ErrorCode.VerificationFailed,
      `wrong operator name or passphrase; ${waitUntil !== null ? `the next attempt waits until ${waitUntil.toISOString()}` : `${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left before a wait`}`,
      { attemptsLeft, retryAt: waitUntil?.toISOString() ?? null },
    );
  }

  function protectorFor(scheme: string): KeyProtector {
    const protector = options.protectors.find((p) => p.scheme === scheme);
    if (!protector) throw new GatehouseError(ErrorCode.Unavailable, `this key is sealed with ${scheme}, which is not available here`);
    return protector;
  }

  function makeSession(operator: Operator, signWith: (data: Uint8Array) => Buffer, unlockedAt: Date, keyAgent?: OperatorSession['keyAgent']): OperatorSession {
    const session: OperatorSession = Object.freeze({
      operatorId: operator.id,
      name: operator.name,
      role: operator.role,
      email: operator.email,
      keyId: operator.keyId,
      unlockedAt,
      ...(keyAgent === undefined ? {} : { keyAgent }),
      sign(data: Uint8Array): Buffer {
        const current = live();
        if (current === null || current.session !== session)
          throw new GatehouseError(ErrorCode.Locked, `the session of ${operator.name} is locked; unlock again`);
        current.lastActivity = clock.now().getTime();
        return signWith(data);
      },
    });
    return session;
  }

  return {
    async unlock(name, passphrase) {
      if (!OperatorName.safeParse(name).success) throw new GatehouseError(ErrorCode.InvalidInput, 'not an operator name');
      if (typeof passphrase !== 'string' || passphrase.length === 0 || passphrase.length > MAX_PASSPHRASE_LENGTH)
        throw new GatehouseError(ErrorCode.InvalidInput, 'passphrase is empty or too long');
      const operator = store.findByName(name);
      const waitUntil = retryAt(name);
      if (waitUntil !== null) {
        const failures = store.unlockFailures(name)?.failures ?? 0;
        options.onUnlockFailed?.({ name, operatorId: operator?.id ?? null, reason: 'rate-limited', failures, retryAt: waitUntil, at: clock.now() });
        throw new GatehouseError(ErrorCode.RateLimited, `too many failed unlocks for ${name}; try again after ${waitUntil.toISOString()}`, {
          attemptsLeft: 0,
          retryAt: waitUntil.toISOString(),
        });
      }
      if (!operator) {
        // Spend the same scrypt work as a real unlock so timing does not reveal which names exist.
        await burnScrypt(passphrase);
        return fail(name, null, 'unknown-operator');
      }
      const sealed = store.sealedKeyOf(operator.id);
      if (!sealed) return fail(name, operator, 'unknown-operator');
      let pkcs8: Buffer;
      try {
        pkcs8 = await protectorFor(sealed.scheme).open(sealed.sealed, { operatorId: operator.id, keyId: operator.keyId }, passphrase);
      } catch (error) {
        if (error instanceof GatehouseError && error.code === ErrorCode.VerificationFailed) return fail(name, operator, 'wrong-passphrase');
        throw error;
      }
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      } finally {
        pkcs8.fill(0);
      }
      if (keyIdFor(createPublicKey(privateKey)) !== operator.keyId)
        throw new GatehouseError(ErrorCode.Internal, `the stored key of ${operator.name} does not match its public key`);
      store.clearUnlockFailures(name);
      end('replaced');
      const now = clock.now();
      const session = makeSession(operator, (data) => sign(null, data, privateKey), now);
      active = { session, lastActivity: now.getTime() };
      return session;
    },
    async adoptKeyAgent(name, agent) {
      if (!OperatorName.safeParse(name).success) throw new GatehouseError(ErrorCode.InvalidInput, 'not an operator name');
      const operator = store.findByName(name);
      if (!operator) throw new GatehouseError(ErrorCode.VerificationFailed, `no operator named ${name} in this workspace`);
      if (agent.operator.keyId !== operator.keyId)
        throw new GatehouseError(ErrorCode.VerificationFailed, `the key agent holds ${agent.operator.name} (${agent.operator.keyId}), not ${operator.name}'s key in this workspace`);
      const publicKey = importPublicKey(operator.publicKey);
      const challenge = Buffer.concat([Buffer.from(`${AGENT_PROOF_PREFIX}${operator.id}\0`, 'utf8'), randomBytes(32)]);
      if (!verify(null, challenge, publicKey, await agent.signAsync(challenge)))
        throw new GatehouseError(ErrorCode.VerificationFailed, `the key agent could not prove it holds ${operator.name}'s key`);
      end('replaced');
      const now = clock.now();
      const signWith = (data: Uint8Array): Buffer => {
        const signature = agent.signSync(data);
        if (!verify(null, data, publicKey, signature)) throw new GatehouseError(ErrorCode.VerificationFailed, `the key agent's signature does not verify with ${operator.name}'s key`);
        return signature;
      };
      const session = makeSession(operator, signWith, now, { pid: agent.pid, socketPath: agent.socketPath });
      active = { session, lastActivity: now.getTime(), release: () => agent.close() };
      return session;
    },
    lock() {
      end('manual');
    },
    current() {
      return live()?.session ?? null;
    },
    require(roles) {
      const current = live();
      if (!current) throw new GatehouseError(ErrorCode.Locked, 'no operator is unlocked');
      if (roles && !roles.includes(current.session.role))
        throw new GatehouseError(ErrorCode.ForbiddenRole, `${current.session.role} may not do this; needs ${roles.join(' or ')}`);
      current.lastActivity = clock.now().getTime();
      return current.session;
    },
    touch() {
      const current = live();
      if (current) current.lastActivity = clock.now().getTime();
    },
    info() {
      const current = live();
      if (!current) return null;
      const { session } = current;
      return {
        operatorId: session.operatorId,
        name: session.name,
        role: session.role,
        keyId: session.keyId,
        unlockedAt: session.unlockedAt.toISOString(),
        locksAt: new Date(current.lastActivity + idleMs).toISOString(),
      };
    },
    setIdleLockMinutes(minutes) {
      idleMs = checkIdleMinutes(minutes) * 60_000;
    },
    retryAt,
  };
}

function burnScrypt(passphrase: string): Promise<void> {
  return new Promise((resolve) => {
    scrypt(passphrase, randomBytes(16), 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 512 * 1024 * 1024 }, () => resolve());
  });
}

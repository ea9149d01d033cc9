import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../../electron/services/db/sqlite';
import {
  createSessionManager,
  type Operator,
  type OperatorStore,
  openOperatorStore,
  passphraseProtector,
  type SessionLocked,
  type UnlockFailure,
} from '../../../../electron/services/identity';
import type { Clock } from '../../../../shared/model/clock';
import { ErrorCode } from '../../../../shared/model/result';

const FAST = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
const PASS = 'correct horse battery staple';
const START = new Date('2025-01-01T09:00:00Z');

interface MovableClock extends Clock {
  advance(ms: number): void;
}

function clockAt(start: Date): MovableClock {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

let dir: string;
let file: string;
let db: Db;
let store: OperatorStore;
let alice: Operator;
let clock: MovableClock;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-'));
  file = join(dir, 'app.db');
  clock = clockAt(START);
  db = openDatabase({ file });
  store = openOperatorStore(db, { clock });
  alice = await store.create({ name: 'alice', role: 'reviewer', passphrase: PASS, protector: FAST });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('unlock', () => {
  it('unlocks with the right passphrase; the session signs with the operator key and exposes no key', async () => {
    const sessions = createSessionManager({ store, clock, protectors: [FAST] });
    const session = await sessions.unlock('alice', PASS);
    expect(sessions.current()).toBe(session);
    expect(Object.keys(session).sort()).toEqual(['email', 'keyId', 'name', 'operatorId', 'role', 'sign', 'unlockedAt']);
    const data = Buffer.from('approve revision aaaa');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: alice.publicKey }, format: 'jwk' });
    expect(verify(null, data, key, session.sign(data))).toBe(true);
    expect(sessions.info()).toMatchObject({ name: 'alice', role: 'reviewer', locksAt: '2025-01-01T09:15:00.000Z' });
  });

  it('fails on a wrong passphrase, reports it, and rate-limits with back-off that survives a restart', async () => {
    const failures: UnlockFailure[] = [];
    const sessions = createSessionManager({ store, clock, protectors: [FAST], onUnlockFailed: (f) => failures.push(f) });
    // Each refusal says how many attempts are left before a wait, then when the wait ends.
    for (const [attemptsLeft, retryAt] of [
      [2, null],
      [1, null],
      [0, '2025-01-01T09:00:30.000Z'],
    ] as const)
      await expect(sessions.unlock('alice', 'wrong passphrase!')).rejects.toMatchObject({ code: ErrorCode.VerificationFailed, details: { attemptsLeft, retryAt } });
    expect(failures.map((f) => [f.reason, f.failures])).toEqual([
      ['wrong-passphrase', 1],
      ['wrong-passphrase', 2],
      ['wrong-passphrase', 3],
    ]);
    expect(failures[2]?.operatorId).toBe(alice.id);
    expect(failures[2]?.retryAt?.toISOString()).toBe('2025-01-01T09:00:30.000Z');

    // Held back: even the right passphrase is refused, without being tried.
    await expect(sessions.unlock('alice', PASS)).rejects.toMatchObject({ code: ErrorCode.RateLimited, details: { attemptsLeft: 0, retryAt: '2025-01-01T09:00:30.000Z' } });
    expect(failures[3]).toMatchObject({ reason: 'rate-limited', failures: 3 });

    // Restart: a new database connection and session manager see the same count.
    db.close();
    db = openDatabase({ file });
    store = openOperatorStore(db, { clock });
    const restarted = createSessionManager({ store, clock, protectors: [FAST] });
    await expect(restarted.unlock('alice', PASS)).rejects.toMatchObject({ code: ErrorCode.RateLimited });

    clock.advance(30_000);
    await expect(restarted.unlock('alice', 'still wrong!!')).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
    // The fourth failure doubles the wait to 60 s.
    clock.advance(59_000);
    await expect(restarted.unlock('alice', PASS)).rejects.toMatchObject({ code: ErrorCode.RateLimited });
    clock.advance(1_000);
    await expect(restarted.unlock('alice', PASS)).resolves.toMatchObject({ name: 'alice' });
    // Success clears the count.
    expect(store.unlockFailures('alice')).toBeNull();
  });

  it('gives an unknown name the same answer as a wrong passphrase, and counts it', async () => {
    const failures: UnlockFailure[] = [];
    const sessions = createSessionManager({ store, clock, protectors: [FAST], onUnlockFailed: (f) => failures.push(f) });
    const unknown = await sessions.unlock('mallory', PASS).catch((e: unknown) => e);
    const wrong = await sessions.unlock('alice', 'nope nope nope').catch((e: unknown) => e);
    expect((unknown as Error).message).toBe((wrong as Error).message);
    expect(failures.map((f) => [f.name, f.reason, f.operatorId])).toEqual([
      ['mallory', 'unknown-operator', null],
      ['alice', 'wrong-passphrase', alice.id],
    ]);
    await expect(sessions.unlock("alice'; DROP TABLE operators; --", PASS)).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    expect(store.findByName('alice')).not.toBeNull();
  });

  it('refuses a key sealed with a protector this process does not have', async () => {
    const other = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
    const sessions = createSessionManager({ store, clock, protectors: [{ ...other, scheme: 'os-keystore' }] });
    await expect(sessions.unlock('alice', PASS)).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });
});

describe('idle lock', () => {
  it('locks after the configured idle minutes on a fixed clock, and reports it', async () => {
    const locked: SessionLocked[] = [];
    const sessions = createSessionManager({ store, clock, protectors: [FAST], idleLockMinutes: 5, onLocked: (e) => locked.push(e) });
    const session = await sessions.unlock('alice', PASS);
    clock.advance(4 * 60_000 + 59_000);
    expect(sessions.current()).toBe(session);
    clock.advance(1_000);
    expect(sessions.current()).toBeNull();
    expect(locked).toEqual([{ operatorId: alice.id, name: 'alice', reason: 'idle', at: new Date(START.getTime() + 5 * 60_000) }]);
    expect(() => session.sign(Buffer.from('x'))).toThrow(expect.objectContaining({ code: ErrorCode.Locked }));
  });

  it('counts signing and touch as activity, but not current()', async () => {
    const sessions = createSessionManager({ store, clock, protectors: [FAST] });
    const session = await sessions.unlock('alice', PASS);
    clock.advance(14 * 60_000);
    session.sign(Buffer.from('x'));
    clock.advance(14 * 60_000);
    sessions.touch();
    clock.advance(14 * 60_000);
    expect(sessions.current()).toBe(session);
    clock.advance(60_000);
    expect(sessions.current()).toBeNull();
  });

  it('follows a new idle time from a reloaded policy', async () => {
    const sessions = createSessionManager({ store, clock, protectors: [FAST] });
    await sessions.unlock('alice', PASS);
    sessions.setIdleLockMinutes(1);
    clock.advance(60_000);
    expect(sessions.current()).toBeNull();
    expect(() => sessions.setIdleLockMinutes(0)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
  });

  it('lock() ends the session; require() checks the role', async () => {
    await store.create({ name: 'carol', role: 'lead', passphrase: PASS, protector: FAST });
    const locked: SessionLocked[] = [];
    const sessions = createSessionManager({ store, clock, protectors: [FAST], onLocked: (e) => locked.push(e) });
    const aliceSession = await sessions.unlock('alice', PASS);
    expect(() => sessions.require(['lead'])).toThrow(expect.objectContaining({ code: ErrorCode.ForbiddenRole }));
    expect(sessions.require(['reviewer', 'lead'])).toBe(aliceSession);
    await sessions.unlock('carol', PASS);
    expect(() => aliceSession.sign(Buffer.from('x'))).toThrow(expect.objectContaining({ code: ErrorCode.Locked }));
    sessions.lock();
    expect(sessions.current()).toBeNull();
    expect(() => sessions.require()).toThrow(expect.objectContaining({ code: ErrorCode.Locked }));
    expect(locked.map((e) => [e.name, e.reason])).toEqual([
      ['alice', 'replaced'],
      ['carol', 'manual'],
    ]);
  });
});

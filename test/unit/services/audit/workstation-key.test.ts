import { createHash, sign, verify } from 'node:crypto';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/model/result';
import {
  keyIdOf,
  loadOrCreateWorkstationKey,
  readWorkstationPublicKey,
  WORKSTATION_KEY_FILE,
  WorkstationKeyError,
} from '../../../../electron/services/audit/workstation-key';
import { removeDir, tempDir } from './helpers';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

describe('workstation key', () => {
  it('is created on first use, owner-only, in an owner-only folder', () => {
    const keysDir = join(dir, 'keys');
    const key = loadOrCreateWorkstationKey(keysDir);
    expect(statSync(join(keysDir, WORKSTATION_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(keysDir)).toEqual([WORKSTATION_KEY_FILE]);
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(key.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(Buffer.from(key.publicKey, 'base64url')).toHaveLength(32);
  });

  it('is the same key on every later load', () => {
    const first = loadOrCreateWorkstationKey(dir);
    const second = loadOrCreateWorkstationKey(dir);
    expect(second.keyId).toBe(first.keyId);
    const message = Buffer.from('head');
    expect(verify(null, message, second.publicKeyObject, sign(null, message, first.privateKey))).toBe(true);
  });

  it('derives the key id from the raw public key', () => {
    const key = loadOrCreateWorkstationKey(dir);
    const raw = Buffer.from(key.publicKey, 'base64url');
    expect(keyIdOf(raw)).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 32));
    expect(key.keyId).toBe(keyIdOf(raw));
  });

  it('reads only the public half, and null when there is no key', () => {
    expect(readWorkstationPublicKey(dir)).toBeNull();
    const key = loadOrCreateWorkstationKey(dir);
    expect(readWorkstationPublicKey(dir)).toEqual({ keyId: key.keyId, publicKey: key.publicKey });
  });

  it('refuses a key file other users can read', () => {
    loadOrCreateWorkstationKey(dir);
    chmodSync(join(dir, WORKSTATION_KEY_FILE), 0o644);
    expect(() => loadOrCreateWorkstationKey(dir)).toThrow(WorkstationKeyError);
    expect(() => loadOrCreateWorkstationKey(dir)).toThrow(/readable by other users/);
  });

  it('refuses a key file that is not an Ed25519 PEM key, without replacing it', () => {
    const file = join(dir, WORKSTATION_KEY_FILE);
    writeFileSync(file, 'not a key', { mode: 0o600 });
    let caught: unknown;
    try {
      loadOrCreateWorkstationKey(dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WorkstationKeyError);
    expect((caught as WorkstationKeyError).code).toBe(ErrorCode.Refused);
    expect(readdirSync(dir)).toEqual([WORKSTATION_KEY_FILE]);
  });
});

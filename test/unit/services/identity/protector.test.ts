import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type OsKeystore,
  osKeystoreProtector,
  passphraseProtector,
  selectProtector,
} from '../../../../electron/services/identity';
import { ErrorCode } from '../../../../shared/model/result';

const FAST = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
const BINDING = { operatorId: 'op-1', keyId: 'ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
const PASS = 'correct horse battery staple';

/**
 * Stands in for Electron's safeStorage, which cannot run outside Electron: a real AES-GCM with a key
 * only this object knows, so "another machine" (another instance) cannot open what it sealed.
 */
function keystore(backend: string | undefined, available = true): OsKeystore & { calls: number } {
  const key = randomBytes(32);
  const store = {
    calls: 0,
    isEncryptionAvailable: () => available,
    ...(backend === undefined ? {} : { getSelectedStorageBackend: () => backend }),
    encryptString(plain: string): Buffer {
      store.calls += 1;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), ct]);
    },
    decryptString(sealed: Buffer): string {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
  return store;
}

function privateKeyDer(): Buffer {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
}

describe('passphrase protector', () => {
  it('seals and opens; the sealed text holds no key bytes and records its scrypt parameters', async () => {
    const secret = privateKeyDer();
    const sealed = await FAST.seal(secret, BINDING, PASS);
    expect(await FAST.open(sealed, BINDING, PASS)).toEqual(secret);
    const raw = secret.subarray(secret.length - 32);
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      expect(sealed).not.toContain(raw.toString(encoding));
      expect(sealed).not.toContain(secret.toString(encoding));
    }
    expect(JSON.parse(sealed)).toMatchObject({ kdf: 'scrypt', N: 32768, r: 8, p: 1, cipher: 'aes-256-gcm' });
  });

  it('uses a fresh salt and IV for every seal', async () => {
    const secret = privateKeyDer();
    const a = JSON.parse(await FAST.seal(secret, BINDING, PASS)) as { salt: string; iv: string };
    const b = JSON.parse(await FAST.seal(secret, BINDING, PASS)) as { salt: string; iv: string };
    expect(a.salt).not.toBe(b.salt);
    expect(a.iv).not.toBe(b.iv);
  });

  it('refuses a wrong passphrase, and a sealed key moved to another operator or key id (AAD)', async () => {
    const sealed = await FAST.seal(privateKeyDer(), BINDING, PASS);
    await expect(FAST.open(sealed, BINDING, `${PASS}!`)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
    await expect(FAST.open(sealed, { ...BINDING, operatorId: 'op-2' }, PASS)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
    await expect(FAST.open(sealed, { ...BINDING, keyId: 'ed25519:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' }, PASS)).rejects.toMatchObject({
      code: ErrorCode.VerificationFailed,
    });
  });

  it('refuses a cost below N = 2^15, and a stored cost that would exhaust memory', async () => {
    expect(() => passphraseProtector({ cost: { N: 2 ** 14, r: 8, p: 1 } })).toThrow(/2\^15/);
    const sealed = JSON.parse(await FAST.seal(privateKeyDer(), BINDING, PASS)) as Record<string, unknown>;
    await expect(FAST.open(JSON.stringify({ ...sealed, N: 2 ** 30 }), BINDING, PASS)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
    await expect(FAST.open(JSON.stringify({ ...sealed, N: 1024 }), BINDING, PASS)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
    await expect(FAST.open('not json', BINDING, PASS)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
  });

  it('defaults to N = 2^17 for new keys', async () => {
    const sealed = JSON.parse(await passphraseProtector().seal(Buffer.from('k'), BINDING, PASS)) as { N: number };
    expect(sealed.N).toBe(2 ** 17);
  });
});

describe('selectProtector', () => {
  it('refuses the Linux basic_text backend and falls back to the passphrase alone', () => {
    const ks = keystore('basic_text');
    const choice = selectProtector({ keystore: ks, platform: 'linux', passphrase: FAST });
    expect(choice.protector.scheme).toBe('passphrase');
    expect(choice.backend).toBe('passphrase');
    expect(choice.reason).toMatch(/basic_text refused/);
  });

  it.each([
    ['an unknown Linux backend', keystore('unknown'), 'linux'],
    ['a Linux keystore that does not name its backend', keystore(undefined), 'linux'],
    ['an unavailable keystore', keystore('gnome_libsecret', false), 'linux'],
    ['no keystore at all (CLI)', null, 'linux'],
    ['an unknown platform', keystore('gnome_libsecret'), 'freebsd'],
  ])('falls back to the passphrase with %s', (_what, ks, platform) => {
    expect(selectProtector({ keystore: ks, platform, passphrase: FAST }).protector.scheme).toBe('passphrase');
  });

  it.each([
    ['gnome_libsecret', 'linux'],
    ['kwallet5', 'linux'],
    [undefined, 'darwin'],
    [undefined, 'win32'],
  ])('uses the OS keystore backend %s on %s', (backend, platform) => {
    const choice = selectProtector({ keystore: keystore(backend), platform, passphrase: FAST });
    expect(choice.protector.scheme).toBe('os-keystore');
  });

  it('wraps the passphrase-sealed key: it needs both the keystore and the passphrase', async () => {
    const ks = keystore('gnome_libsecret');
    const protector = osKeystoreProtector(ks, FAST);
    const secret = privateKeyDer();
    const sealed = await protector.seal(secret, BINDING, PASS);
    expect(ks.calls).toBe(1);
    expect(await protector.open(sealed, BINDING, PASS)).toEqual(secret);
    await expect(protector.open(sealed, BINDING, 'wrong passphrase!!')).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
    // Another machine's keystore cannot open it.
    await expect(osKeystoreProtector(keystore('gnome_libsecret'), FAST).open(sealed, BINDING, PASS)).rejects.toMatchObject({
      code: ErrorCode.VerificationFailed,
    });
    // Nor can the passphrase protector alone.
    await expect(FAST.open(sealed, BINDING, PASS)).rejects.toMatchObject({ code: ErrorCode.VerificationFailed });
  });
});

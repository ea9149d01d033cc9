/**
 * Encryption of operator private keys at rest.
 *
 * Every private key is sealed with the operator's passphrase: scrypt (RFC 7914) derives a 256-bit key
 * from the passphrase and a per-key random salt, and AES-256-GCM encrypts the PKCS#8 key with the
 * operator id and key id as additional authenticated data, so a sealed key copied onto another
 * operator's row does not open. Default scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, the OWASP
 * password storage recommendation); never below N = 2^15. The parameters are stored with each key.
 *
 * In the desktop app the passphrase-sealed key can additionally be wrapped by the OS keystore
 * (Electron's `safeStorage`), binding it to this machine and user. {@link selectProtector} refuses
 * the Linux `basic_text` backend, whose "encryption" uses a hard-coded password, and falls back to
 * the passphrase alone. The passphrase is always needed to unlock, so unlock failures can be counted.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

/** Which protector sealed a key; stored beside it. */
export type ProtectionScheme = 'passphrase' | 'os-keystore';

/** What a sealed key is bound to; part of the AES-GCM additional data. */
export interface KeyBinding {
  readonly operatorId: string;
  readonly keyId: string;
}

/** Seals and opens operator private keys. */
export interface KeyProtector {
  readonly scheme: ProtectionScheme;
  /** Encrypts `secret` for `binding`; returns text to store. */
  seal(secret: Uint8Array, binding: KeyBinding, passphrase: string): Promise<string>;
  /** Decrypts what {@link seal} returned; throws VerificationFailed on a wrong passphrase or damaged data. */
  open(sealed: string, binding: KeyBinding, passphrase: string): Promise<Buffer>;
}

/** scrypt cost parameters (RFC 7914). */
export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The default scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
/** The lowest cost accepted when sealing or opening. */
export const MIN_SCRYPT_N = 2 ** 15;
/** The highest cost accepted when opening (a hostile row must not make unlock allocate gigabytes). */
export const MAX_SCRYPT_N = 2 ** 20;

/** Passphrase length bounds. */
export const MIN_PASSPHRASE_LENGTH = 12;
export const MAX_PASSPHRASE_LENGTH = 1024;

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/);

/** The stored form of a passphrase-sealed key. */
const PassphraseSealed = z
  .object({
    v: z.literal(1),
    kdf: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(MIN_SCRYPT_N)
      .max(MAX_SCRYPT_N)
      .refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
    r: z.literal(8),
    p: z.number().int().min(1).max(4),
    salt: b64u.length(22),
    cipher: z.literal('aes-256-gcm'),
    iv: b64u.length(16),
    tag: b64u.length(22),
    ct: b64u.min(1).max(4096),
  })
  .strict();

/** The stored form of an OS-keystore-wrapped key. */
const KeystoreSealed = z
  .object({
    v: z.literal(1),
    scheme: z.literal('os-keystore'),
    data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).max(65_536),
  })
  .strict();

function additionalData(binding: KeyBinding): Buffer {
  // Bind the ciphertext to its row: operator id and key id, NUL-separated (neither may contain NUL).
  if (binding.operatorId.includes('\0') || binding.keyId.includes('\0'))
    throw new GatehouseError(ErrorCode.InvalidInput, 'binding must not contain NUL');
  return Buffer.from(`gatehouse-operator-key:v1\0${binding.operatorId}\0${binding.keyId}`, 'utf8');
}

function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128 * N * r bytes; Node's default (32 MiB) is too small for N >= 2^15, r = 8.
    const maxmem = 128 * cost.N * cost.r * 2;
    scrypt(passphrase.normalize('NFC'), salt, 32, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (error, key) => {
      if (error) reject(new GatehouseError(ErrorCode.Internal, `scrypt failed: ${error.message}`));
      else resolve(key);
    });
  });
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.length === 0 || passphrase.length > MAX_PASSPHRASE_LENGTH)
    throw new GatehouseError(ErrorCode.InvalidInput, `passphrase must be 1..${MAX_PASSPHRASE_LENGTH} characters`);
}

function wrongPassphrase(): GatehouseError {
  return new GatehouseError(ErrorCode.VerificationFailed, 'wrong passphrase, or the sealed key is damaged');
}

/** Options for {@link passphraseProtector}. */
export interface PassphraseProtectorOptions {
  /** scrypt cost for newly sealed keys; N below 2^15 is refused. Defaults to {@link DEFAULT_SCRYPT_COST}. */
  readonly cost?: ScryptCost;
}

/** The passphrase protector: scrypt → AES-256-GCM, per-key salt, operator and key id as AAD. */
export function passphraseProtector(options: PassphraseProtectorOptions = {}): KeyProtector {
  const cost = options.cost ?? DEFAULT_SCRYPT_COST;
  if (cost.N < MIN_SCRYPT_N || cost.N > MAX_SCRYPT_N || (cost.N & (cost.N - 1)) !== 0 || cost.r !== 8 || cost.p < 1 || cost.p > 4)
    throw new GatehouseError(ErrorCode.InvalidInput, `scrypt cost must be N = 2^15..2^20 (power of two), r = 8, p = 1..4`);
  return {
    scheme: 'passphrase',
    async seal(secret, binding, passphrase) {
      checkPassphrase(passphrase);
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const key = await deriveKey(passphrase, salt, cost);
      try {
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        cipher.setAAD(additionalData(binding));
        const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
        const sealed: z.infer<typeof PassphraseSealed> = {
          v: 1,
          kdf: 'scrypt',
          N: cost.N,
          r: 8,
          p: cost.p,
          salt: salt.toString('base64url'),
          cipher: 'aes-256-gcm',
          iv: iv.toString('base64url'),
          tag: cipher.getAuthTag().toString('base64url'),
          ct: ct.toString('base64url'),
        };
        return JSON.stringify(sealed);
      } finally {
        key.fill(0);
      }
    },
    async open(sealedText, binding, passphrase) {
      checkPassphrase(passphrase);
      const sealed = parseSealed(PassphraseSealed, sealedText);
      const key = await deriveKey(passphrase, Buffer.from(sealed.salt, 'base64url'), sealed);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
        decipher.setAAD(additionalData(binding));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64url')), decipher.final()]);
      } catch {
        throw wrongPassphrase();
      } finally {
        key.fill(0);
      }
    },
  };
}

function parseSealed<T extends z.ZodType>(schema: T, text: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatehouseError(ErrorCode.VerificationFailed, 'sealed key is not readable');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new GatehouseError(ErrorCode.VerificationFailed, 'sealed key has an unknown or unsafe format');
  return parsed.data;
}

/**
 * An OS keystore, shaped like Electron's `safeStorage` so the app can pass `safeStorage` itself.
 *
 * Services never import `electron`; electron/main hands the object in.
 */
export interface OsKeystore {
  isEncryptionAvailable(): boolean;
  /** Linux only in Electron: `basic_text`, `gnome_libsecret`, `kwallet`, `kwallet5`, `kwallet6` or `unknown`. */
  getSelectedStorageBackend?(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * The OS keystore protector: the passphrase-sealed key, wrapped once more by the OS keystore.
 *
 * Use it only through {@link selectProtector}, which refuses keystores that protect nothing.
 */
export function osKeystoreProtector(keystore: OsKeystore, inner: KeyProtector = passphraseProtector()): KeyProtector {
  if (inner.scheme !== 'passphrase') throw new GatehouseError(ErrorCode.InvalidInput, 'the inner protector must be the passphrase one');
  return {
    scheme: 'os-keystore',
    async seal(secret, binding, passphrase) {
      const innerSealed = await inner.seal(secret, binding, passphrase);
      const sealed: z.infer<typeof KeystoreSealed> = {
        v: 1,
        scheme: 'os-keystore',
        data: keystore.encryptString(innerSealed).toString('base64'),
      };
      return JSON.stringify(sealed);
    },
    async open(sealedText, binding, passphrase) {
      const sealed = parseSealed(KeystoreSealed, sealedText);
      if (!keystore.isEncryptionAvailable())
        throw new GatehouseError(ErrorCode.Unavailable, 'the OS keystore that sealed this key is not available');
      let innerSealed: string;
      try {
        innerSealed = keystore.decryptString(Buffer.from(sealed.data, 'base64'));
      } catch {
        throw new GatehouseError(ErrorCode.VerificationFailed, 'the OS keystore could not open this key (another machine or user?)');
      }
      return inner.open(innerSealed, binding, passphrase);
    },
  };
}

/** Keystore backends that give no protection: `basic_text` encrypts with a hard-coded password. */
const WEAK_BACKENDS: ReadonlySet<string> = new Set(['basic_text', 'unknown']);

/** What {@link selectProtector} chose, and why (for the log and the settings screen). */
export interface ProtectorChoice {
  readonly protector: KeyProtector;
  /** The backend in use: `passphrase`, or the keystore's backend name (`gnome_libsecret`, `keychain`, `dpapi`...). */
  readonly backend: string;
  readonly reason: string;
}

/** Options for {@link selectProtector}. */
export interface SelectProtectorOptions {
  /** Electron's `safeStorage`, or null where there is none (CLI, Chromium bridge, tests). */
  readonly keystore: OsKeystore | null;
  /** `process.platform`. */
  readonly platform: string;
  /** The passphrase protector to use or wrap (lets callers set the scrypt cost). */
  readonly passphrase?: KeyProtector;
}

/**
 * Picks how new keys are sealed: the OS keystore when it really protects, the passphrase alone otherwise.
 *
 * Refuses the keystore when it is missing, when encryption is unavailable, and on Linux when the
 * selected backend is `basic_text` (a hard-coded password, see Chromium's os_crypt) or `unknown`.
 */
export function selectProtector(options: SelectProtectorOptions): ProtectorChoice {
  const inner = options.passphrase ?? passphraseProtector();
  const { keystore } = options;
  if (keystore === null) return { protector: inner, backend: 'passphrase', reason: 'no OS keystore in this process' };
  if (!keystore.isEncryptionAvailable())
    return { protector: inner, backend: 'passphrase', reason: 'OS keystore encryption is not available' };
  const backend =
    options.platform === 'darwin'
      ? 'keychain'
      : options.platform === 'win32'
        ? 'dpapi'
        : options.platform === 'linux'
          ? (keystore.getSelectedStorageBackend?.() ?? 'unknown')
          : 'unknown';
  if (WEAK_BACKENDS.has(backend))
    return {
      protector: inner,
      backend: 'passphrase',
      reason: `OS keystore backend ${backend} refused: it does not protect the key; using the passphrase alone`,
    };
  return { protector: osKeystoreProtector(keystore, inner), backend, reason: `OS keystore backend ${backend} wraps the passphrase-sealed key` };
}

/**
 * The workstation's Ed25519 key, which signs audit chain heads.
 *
 * One key per data directory, created on first use as a PKCS#8 PEM file readable only by its owner. It is
 * a machine key, not an operator's: it attests "this workstation saw the chain at seq N with hash H",
 * which is what lets an auditor catch a truncated or rolled-back database.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

/** File name of the workstation key inside its directory. */
export const WORKSTATION_KEY_FILE = 'workstation-ed25519.pem';

/** The public half of a workstation key, as heads and exports carry it. */
export interface WorkstationPublicKey {
  /** First 128 bits of SHA-256 over the raw 32-byte public key, hex. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key, base64url. */
  readonly publicKey: string;
}

/** A loaded workstation key pair. */
export interface WorkstationKey extends WorkstationPublicKey {
  /** Where the private key lives. */
  readonly file: string;
  readonly privateKey: KeyObject;
  readonly publicKeyObject: KeyObject;
}

/** Raised when the key file exists but cannot be trusted or read. */
export class WorkstationKeyError extends GatehouseError {
  constructor(message: string) {
    super(ErrorCode.Refused, message);
  }
}

/** The key id of a raw Ed25519 public key. */
export function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 32);
}

/** Builds a public KeyObject from a base64url raw Ed25519 key, or null when it is not one. */
export function publicKeyFromRaw(publicKey: string): KeyObject | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(publicKey)) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  } catch {
    return null;
  }
}

function describe(privateKey: KeyObject, file: string): WorkstationKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new WorkstationKeyError(`${file} is not an Ed25519 private key`);
  const publicKeyObject = createPublicKey(privateKey);
  const jwk = publicKeyObject.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new WorkstationKeyError(`${file}: cannot export the public key`);
  return { file, privateKey, publicKeyObject, publicKey: jwk.x, keyId: keyIdOf(Buffer.from(jwk.x, 'base64url')) };
}

function readKeyFile(file: string): WorkstationKey {
  // Like OpenSSH, refuse a private key others can read: it may already have leaked.
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new WorkstationKeyError(`${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it or remove it`);
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: readFileSync(file), format: 'pem' });
  } catch (error) {
    throw new WorkstationKeyError(`${file} is not a readable PEM private key: ${(error as Error).message}`);
  }
  return describe(privateKey, file);
}

/**
 * Loads the workstation key from `dir`, creating it (mode 0600, folder 0700) when there is none.
 *
 * Creation is atomic across processes: the key is written to a unique temporary file, synced, then
 * hard-linked into place, which fails if another process got there first; the loser then reads the
 * winner's key. So the app and the CLI starting together still end up with one key.
 */
export function loadOrCreateWorkstationKey(dir: string): WorkstationKey {
  const file = join(dir, WORKSTATION_KEY_FILE);
  try {
    return readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const temp = join(dir, `.${WORKSTATION_KEY_FILE}.${randomUUID()}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return readKeyFile(file);
}

/** Reads only the public half of the workstation key in `dir`, or null when there is no key there. */
export function readWorkstationPublicKey(dir: string): WorkstationPublicKey | null {
  try {
    const { keyId, publicKey } = readKeyFile(join(dir, WORKSTATION_KEY_FILE));
    return { keyId, publicKey };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Operator key pairs: Ed25519, identified by a digest of the raw public key.
 *
 * A key id is `ed25519:` + base64url(SHA-256(raw 32-byte public key)), so it names exactly one key and
 * is safe to show, log and put in a JWS `kid`: it cannot carry a path, SQL or anything but its 43
 * base64url characters.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

/** Prefix of every key id. */
export const KEY_ID_PREFIX = 'ed25519:';

/** The exact shape of a key id. */
export const KEY_ID_PATTERN = /^ed25519:[A-Za-z0-9_-]{43}$/;

/** Shape of a raw Ed25519 public key in base64url (32 bytes, no padding). */
const RAW_PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A freshly generated operator key pair. */
export interface OperatorKeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/** Generates an Ed25519 key pair. */
export function generateOperatorKeyPair(): OperatorKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey, privateKey };
}

/** The raw 32-byte public key of an Ed25519 public (or private) key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519')
    throw new GatehouseError(ErrorCode.InvalidInput, 'not an Ed25519 key');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new GatehouseError(ErrorCode.Internal, 'Ed25519 key without x');
  return Buffer.from(jwk.x, 'base64url');
}

/** The key id of a public key: `ed25519:` + base64url(SHA-256(raw public key)). */
export function keyIdFor(publicKey: KeyObject | Uint8Array): string {
  const raw = publicKey instanceof Uint8Array ? publicKey : rawPublicKey(publicKey);
  if (raw.length !== 32) throw new GatehouseError(ErrorCode.InvalidInput, 'an Ed25519 public key is 32 bytes');
  return KEY_ID_PREFIX + createHash('sha256').update(raw).digest('base64url');
}

/** A public key as Gatehouse stores and exchanges it: the raw 32 bytes in base64url. */
export function encodePublicKey(key: KeyObject): string {
  return rawPublicKey(key).toString('base64url');
}

/** The SPKI PEM form of a public key, for tools that want PEM. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * Reads an Ed25519 public key given as raw base64url (43 characters) or as an SPKI PEM block.
 *
 * Anything else (another key type, a private key, a certificate, junk) is refused with InvalidInput.
 */
export function importPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (RAW_PUBLIC_KEY_PATTERN.test(trimmed)) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: trimmed }, format: 'jwk' });
  }
  if (/^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/.test(trimmed)) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: trimmed, format: 'pem' });
    } catch {
      throw new GatehouseError(ErrorCode.InvalidInput, 'public key PEM could not be read');
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw new GatehouseError(ErrorCode.InvalidInput, `public key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
    return key;
  }
  throw new GatehouseError(ErrorCode.InvalidInput, 'public key must be raw Ed25519 in base64url or an SPKI PEM block');
}

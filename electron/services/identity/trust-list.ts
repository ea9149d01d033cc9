/**
 * The trust list: which public keys belong to which operators in which roles.
 *
 * It is the only place a verifier looks up a `kid`: by exact string equality over its entries, never as
 * a path, URL or query. It is exported from the workspace (`exportTrustList()`), committed on the
 * target branch as `.gatehouse/trust.json`, and passed to `gatehouse approval verify --trust FILE`.
 * Verification must use the workspace's copy or the target branch's, never the copy inside a proposal.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { encodePublicKey, importPublicKey, KEY_ID_PATTERN, keyIdFor } from './keys';

/** Operator names: a letter or digit, then letters, digits, `.`, `_`, `-`; at most 64. */
export const OperatorName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an operator name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** A key id: `ed25519:` + 43 base64url characters. */
export const KeyId = z.string().regex(KEY_ID_PATTERN, 'a key id is ed25519: followed by 43 base64url characters');

/** One operator as the trust list names them. */
export const TrustedOperator = z
  .object({
    id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'an operator id is letters, digits, "_" or "-"'),
    name: OperatorName,
    role: Role,
    /** The git author email this operator commits with, used to spot an author approving their own change. */
    email: z.string().min(3).max(320).regex(/^[^\s@]+@[^\s@]+$/, 'an email address').nullable(),
    keyId: KeyId,
    /** Raw Ed25519 public key in base64url (an SPKI PEM block is accepted on input and normalised). */
    publicKey: z.string().min(1).max(1024),
    createdAt: z.string().datetime({ offset: true }),
  })
  .strict();
export type TrustedOperator = Readonly<z.infer<typeof TrustedOperator>>;

/** The trust list document (the `--trust FILE` format and `.gatehouse/trust.json`). */
export const TrustList = z
  .object({
    type: z.literal('gatehouse-trust-list'),
    version: z.literal(1),
    operators: z.array(TrustedOperator).max(1000),
  })
  .strict();
export interface TrustList {
  readonly type: 'gatehouse-trust-list';
  readonly version: 1;
  readonly operators: ReadonlyArray<TrustedOperator>;
}

/** Largest trust list document accepted. */
export const MAX_TRUST_LIST_BYTES = 1024 * 1024;

/**
 * Validates a trust list (JSON text or an already-parsed value) and normalises its public keys.
 *
 * Refused with InvalidInput: bad JSON, unknown fields, a key id that is not the digest of its public
 * key, a repeated key id, operator id or name.
 */
export function parseTrustList(input: string | unknown): TrustList {
  let json: unknown = input;
  if (typeof input === 'string') {
    if (Buffer.byteLength(input, 'utf8') > MAX_TRUST_LIST_BYTES)
      throw new GatehouseError(ErrorCode.InvalidInput, `trust list is larger than ${MAX_TRUST_LIST_BYTES} bytes`);
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new GatehouseError(ErrorCode.InvalidInput, `trust list is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = TrustList.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    throw new GatehouseError(ErrorCode.InvalidInput, `trust list is invalid: ${where}${first?.message ?? 'unknown error'}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const seen = { keyIds: new Set<string>(), ids: new Set<string>(), names: new Set<string>() };
  const operators = parsed.data.operators.map((entry, index) => {
    const key = importPublicKey(entry.publicKey);
    const keyId = keyIdFor(key);
    if (keyId !== entry.keyId)
      throw new GatehouseError(ErrorCode.InvalidInput, `trust list operators.${index}: keyId is not the digest of publicKey`);
    const lowerName = entry.name.toLowerCase();
    if (seen.keyIds.has(keyId) || seen.ids.has(entry.id) || seen.names.has(lowerName))
      throw new GatehouseError(ErrorCode.InvalidInput, `trust list operators.${index}: repeats a key id, operator id or name`);
    seen.keyIds.add(keyId);
    seen.ids.add(entry.id);
    seen.names.add(lowerName);
    return { ...entry, publicKey: encodePublicKey(key) };
  });
  return { type: 'gatehouse-trust-list', version: 1, operators };
}

/** The trust list as the JSON text Gatehouse writes (stable key order, sorted by name, trailing newline). */
export function serializeTrustList(list: TrustList): string {
  const operators = [...list.operators]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((o) => ({
      id: o.id,
      name: o.name,
      role: o.role,
      email: o.email,
      keyId: o.keyId,
      publicKey: o.publicKey,
      createdAt: o.createdAt,
    }));
  return `${JSON.stringify({ type: list.type, version: list.version, operators }, null, 2)}\n`;
}

/**
 * The operator whose key id is exactly `keyId`, or null.
 *
 * RFC 8725 §3.10: the `kid` is untrusted input; it is compared, never used as a path, URL or query.
 */
export function findTrustedOperator(list: TrustList, keyId: unknown): TrustedOperator | null {
  if (typeof keyId !== 'string') return null;
  return list.operators.find((o) => o.keyId === keyId) ?? null;
}

/** The public key of a trusted operator. */
export function trustedPublicKey(operator: TrustedOperator): KeyObject {
  return importPublicKey(operator.publicKey);
}

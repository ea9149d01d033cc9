/**
 * Digests an approval binds to: of the findings the reviewer saw, and (in policy/) of the policy in force.
 *
 * Both hash RFC 8785 (JCS) canonical JSON, so the same content always gives the same digest
 * whatever the key order or number formatting of the producer.
 */
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import type { Finding } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

/**
 * RFC 8785 (JCS) canonical JSON of a JSON value, through the maintained `canonicalize` package.
 *
 * A value JSON cannot hold at all (a function, undefined) is refused rather than hashed as nothing.
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new GatehouseError(ErrorCode.InvalidInput, `canonical JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined) throw new GatehouseError(ErrorCode.InvalidInput, `canonical JSON cannot hold a ${typeof value}`);
  return text;
}

/** `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of `value`. */
export function canonicalDigest(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}

/**
 * Digest of a set of findings, independent of their order: the findings sorted by fingerprint, then
 * by rule, path and position.
 */
export function findingsDigest(findings: ReadonlyArray<Finding>): string {
  const key = (f: Finding): string => `${f.fingerprint}\0${f.ruleId}\0${f.path}\0${f.startLine}\0${f.startColumn}`;
  const sorted = [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return canonicalDigest({ type: 'gatehouse-findings', version: 1, findings: sorted });
}

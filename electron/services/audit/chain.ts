/**
 * The hash chain: how an event becomes the canonical bytes that are hashed, and how a stored record is
 * checked cheaply while streaming a million of them.
 *
 * hash(n) = SHA-256 hex of the RFC 8785 (JCS) canonical JSON of
 * `{ action, actor, payload, prevHash, role, seq, subject, ts }`, where prevHash is hash(n-1) and
 * seq 1 chains from {@link GENESIS_HASH}. The store keeps those exact canonical bytes (the `record`
 * column), so verifying needs one SHA-256 per row and no re-serialisation.
 */
import { hash as oneShotHash } from 'node:crypto';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { AuditRole, JsonObject } from './events';

/** The prevHash of the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** An RFC 8785 canonicaliser: the `canonicalize` package's default export. */
export type Canonicalize = (value: unknown) => string | undefined;

/**
 * Loads the `canonicalize` package (RFC 8785 JCS).
 *
 * It ships as an ES module only; a dynamic import works from every way Gatehouse runs (esbuild bundle,
 * vitest, `node --import tsx`), where a static import fails under tsx's CommonJS mode.
 */
export async function loadCanonicalize(): Promise<Canonicalize> {
  const mod = await import('canonicalize');
  return mod.default;
}

/** The fields a chain hash covers. */
export interface ChainFields {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly role: AuditRole;
  readonly action: string;
  readonly subject: string;
  readonly payload: JsonObject;
  readonly prevHash: string;
}

/** The RFC 8785 canonical JSON of an event's hashed fields: the exact text that is hashed and stored. */
export function canonicalRecord(canonicalize: Canonicalize, fields: ChainFields): string {
  const text = canonicalize({
    seq: fields.seq,
    ts: fields.ts,
    actor: fields.actor,
    role: fields.role,
    action: fields.action,
    subject: fields.subject,
    payload: fields.payload,
    prevHash: fields.prevHash,
  });
  if (text === undefined) throw new GatehouseError(ErrorCode.Internal, 'canonicalize returned nothing for an audit record');
  return text;
}

/** SHA-256 of a string's UTF-8 bytes, as lower-case hex. */
export function sha256Hex(text: string): string {
  // crypto.hash (Node >= 20.12) is a one-shot digest without the Hash object createHash builds, which
  // matters at a million rows per verify.
  return oneShotHash('sha256', text, 'hex');
}

/** Whether a string is 64 lower-case hex digits. */
export function isHashHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * The keys searched for, without their leading `,"`: V8's indexOf scans for a needle's first character
 * with memchr, and `,` and `"` are on every few characters of JSON where `p` and `s` are not. A match
 * counts only when `,"` stands before it.
 */
const PREV_HASH_KEY = 'prevHash":"';
const SEQ_KEY = 'seq":';

/** Whether `,"` stands right before `at`. */
function afterCommaQuote(text: string, at: number, from: number): boolean {
  return at - 2 >= from && text.charCodeAt(at - 2) === 44 /* , */ && text.charCodeAt(at - 1) === 34; /* " */
}

/**
 * How far from a record's end its top-level prevHash usually starts: the key, 64 hex digits, the role,
 * seq, ts and their keys take about 160 characters, which leaves about 90 for the subject.
 */
const TAIL_WINDOW = 256;

/**
 * The last index of `key` in `text` at or after `from`, or -1: what `lastIndexOf` gives when that is at
 * least `from`. Found with forward searches, which V8 runs several times faster than its backward one.
 */
function lastIndexFrom(text: string, key: string, from: number): number {
  let at = text.indexOf(key, from);
  if (at < 0) return -1;
  for (let next = text.indexOf(key, at + 1); next >= 0; next = text.indexOf(key, at + 1)) at = next;
  return at;
}

/**
 * Reads `seq` and `prevHash` out of a canonical record without parsing it.
 *
 * In canonical JSON the top-level keys after `payload` are `prevHash`, `role`, `seq`, `subject`, `ts`, in
 * that order, and inside any JSON string a `"` is always escaped. So the last unescaped `prevHash":"` and
 * `seq":` in the text are the top-level ones (and have `,"` before them), whatever the payload or subject
 * contain. Returns null
 * when the text does not have that shape (a tampered record). This is only sound on text whose SHA-256
 * matches the chain, which is how verification uses it.
 *
 * `from` is where the record starts in `text` when it is the tail of a longer string (the verification
 * workers read `hash record` as one string per row); whatever precedes it must not contain either key
 * (hex cannot), and `prevHashAt` is then an index into `text`.
 *
 * The top-level prevHash is searched for in the record's last {@link TAIL_WINDOW} characters first (only
 * role, seq, subject and ts follow it), and in the whole record only when it is not there: the last
 * occurrence in the tail, when there is one, is the last occurrence in the record.
 */
export function readChainLinks(text: string, from = 0): { readonly seq: number; readonly prevHashAt: number } | null {
  const tailAt = Math.max(from, text.length - TAIL_WINDOW);
  let prevAt = lastIndexFrom(text, PREV_HASH_KEY, tailAt);
  if (prevAt < 0 && tailAt > from) prevAt = lastIndexFrom(text, PREV_HASH_KEY, from);
  if (prevAt < 0 || !afterCommaQuote(text, prevAt, from)) return null;
  const hashStart = prevAt + PREV_HASH_KEY.length;
  if (text.charCodeAt(hashStart + 64) !== 34 /* " */) return null;
  const seqAt = lastIndexFrom(text, SEQ_KEY, hashStart);
  if (seqAt < 0 || !afterCommaQuote(text, seqAt, hashStart)) return null;
  let seq = 0;
  let i = seqAt + SEQ_KEY.length;
  const first = i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  if (i === first || text.charCodeAt(i) !== 44 /* , */ || seq > Number.MAX_SAFE_INTEGER) return null;
  return { seq, prevHashAt: hashStart };
}

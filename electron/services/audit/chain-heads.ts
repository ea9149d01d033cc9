/**
 * Signed chain heads: the workstation key's statement "the chain had hash H at seq N at time T".
 *
 * Heads live in the database and, one per line, in a JSON Lines file outside it (the auditor's copy).
 * Checking the chain against heads kept elsewhere is what catches a truncated tail, a database restored
 * from an older copy, and a chain re-forged with fresh hashes.
 */
import { sign as signBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { isHashHex, type Canonicalize } from './chain';
import { keyIdOf, publicKeyFromRaw, type WorkstationKey } from './workstation-key';

/** File name of the heads file inside the heads folder. */
export const HEADS_FILE = 'chain-heads.jsonl';

/** Domain separation for head signatures, so they can never be mistaken for any other signed message. */
export const HEAD_SIGNATURE_CONTEXT = 'gatehouse.audit.chain-head/v1';

/** One signed chain head. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  /** When it was signed (RFC 3339 UTC). */
  readonly ts: string;
  readonly keyId: string;
  /** Raw Ed25519 public key, base64url. */
  readonly publicKey: string;
  /** Ed25519 signature over {@link headSigningInput}, base64url. */
  readonly signature: string;
}

/** The exact bytes a head signature covers: canonical JSON of the context, seq, hash, time and key id. */
export function headSigningInput(
  canonicalize: Canonicalize,
  head: Pick<ChainHead, 'seq' | 'hash' | 'ts' | 'keyId'>,
): Buffer {
  const text = canonicalize({ context: HEAD_SIGNATURE_CONTEXT, seq: head.seq, hash: head.hash, ts: head.ts, keyId: head.keyId });
  if (text === undefined) throw new GatehouseError(ErrorCode.Internal, 'canonicalize returned nothing for a chain head');
  return Buffer.from(text, 'utf8');
}

/** Signs the chain position (seq, hash) at time ts with the workstation key. */
export function signChainHead(
  canonicalize: Canonicalize,
  key: WorkstationKey,
  at: { readonly seq: number; readonly hash: string; readonly ts: string },
): ChainHead {
  const unsigned = { seq: at.seq, hash: at.hash, ts: at.ts, keyId: key.keyId };
  const signature = signBytes(null, headSigningInput(canonicalize, unsigned), key.privateKey).toString('base64url');
  return { ...unsigned, publicKey: key.publicKey, signature };
}

/** Public keys already decoded during one verification run, by base64url text. */
export type PublicKeyCache = Map<string, KeyObject | null>;

/**
 * Why a head cannot be trusted, or null when it can.
 *
 * `trustedKeyIds` pins the keys an auditor accepts; null accepts any key whose signature verifies (the
 * report then lists the key ids seen, so the auditor can compare them with the workstation's).
 */
export function chainHeadProblem(
  canonicalize: Canonicalize,
  head: ChainHead,
  trustedKeyIds: ReadonlySet<string> | null,
  cache: PublicKeyCache,
): string | null {
  let key = cache.get(head.publicKey);
  if (key === undefined) {
    key = publicKeyFromRaw(head.publicKey);
    cache.set(head.publicKey, key);
  }
  if (key === null) return `head at seq ${head.seq} carries an invalid public key`;
  if (keyIdOf(Buffer.from(head.publicKey, 'base64url')) !== head.keyId) {
    return `head at seq ${head.seq} names key ${head.keyId}, which is not the key it carries`;
  }
  if (trustedKeyIds !== null && !trustedKeyIds.has(head.keyId)) {
    return `head at seq ${head.seq} is signed by key ${head.keyId}, which is not trusted`;
  }
  const signature = Buffer.from(head.signature, 'base64url');
  if (signature.length !== 64 || !verifySignature(null, headSigningInput(canonicalize, head), key, signature)) {
    return `head at seq ${head.seq}: signature does not verify`;
  }
  return null;
}

const HEAD_KEYS = ['hash', 'keyId', 'publicKey', 'seq', 'signature', 'ts', 'type'];

/** Reads a head from a parsed JSON line (`{"type":"head",...}`), or null when the shape is wrong. */
export function parseHeadLine(value: unknown): ChainHead | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.length !== HEAD_KEYS.length || keys.some((k, i) => k !== HEAD_KEYS[i])) return null;
  const { seq, hash, ts, keyId, publicKey, signature } = o;
  if (o['type'] !== 'head') return null;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (!isHashHex(hash) || typeof ts !== 'string' || typeof keyId !== 'string' || !/^[0-9a-f]{32}$/.test(keyId)) return null;
  if (typeof publicKey !== 'string' || typeof signature !== 'string' || !/^[A-Za-z0-9_-]+$/.test(signature)) return null;
  return { seq, hash, ts, keyId, publicKey, signature };
}

/** A head as one JSON line (no newline). */
export function headLine(head: ChainHead): string {
  return JSON.stringify({
    type: 'head',
    seq: head.seq,
    hash: head.hash,
    ts: head.ts,
    keyId: head.keyId,
    publicKey: head.publicKey,
    signature: head.signature,
  });
}

/** The heads read from a heads file. */
export interface HeadsFileContents {
  readonly heads: ReadonlyArray<ChainHead>;
  /** 1-based line numbers that are not a head. */
  readonly malformedLines: ReadonlyArray<number>;
}

/**
 * Reads every head in a heads file.
 *
 * An unterminated last line is an append that was cut off (a crash or power loss mid-write) and is
 * skipped: a head only exists once its newline is written. Any other unreadable line is reported.
 */
export function readHeadsFile(file: string): HeadsFileContents {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GatehouseError(ErrorCode.NotFound, `no heads file at ${file}`);
    throw error;
  }
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: empty, or a torn append
  const heads: ChainHead[] = [];
  const malformedLines: number[] = [];
  lines.forEach((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    const head = parseHeadLine(parsed);
    if (head) heads.push(head);
    else malformedLines.push(i + 1);
  });
  return { heads, malformedLines };
}

/**
 * The last complete head in a heads file, after cutting off a torn final fragment.
 *
 * Reads only the file's tail. Returns null when the file is missing, empty, or its last line is not a head.
 */
export function lastHeadInFile(file: string): ChainHead | null {
  if (!existsSync(file)) return null;
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return null;
    const length = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(length);
    readSync(fd, tail, 0, length, size - length);
    let end = tail.length;
    if (tail[end - 1] !== 0x0a) {
      // A crash mid-append left a fragment; drop it so the next append starts on a fresh line.
      const lastNewline = tail.lastIndexOf(0x0a);
      if (lastNewline < 0 && length < size) return null;
      ftruncateSync(fd, size - length + lastNewline + 1);
      fsyncSync(fd);
      end = lastNewline + 1;
    }
    if (end < 2) return null;
    const start = tail.lastIndexOf(0x0a, end - 2) + 1;
    try {
      return parseHeadLine(JSON.parse(tail.subarray(start, end - 1).toString('utf8')));
    } catch {
      return null;
    }
  } finally {
    closeSync(fd);
  }
}

/** Appends heads to a heads file (created 0600) in one write, then fsyncs it (and its folder when the file is new). */
export function appendHeadsToFile(file: string, heads: ReadonlyArray<ChainHead>): void {
  if (heads.length === 0) return;
  const dir = dirname(file);
  const created = !existsSync(file);
  if (created) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Owner only, like the database: the heads say how far the log reached.
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, heads.map((h) => `${headLine(h)}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created && process.platform !== 'win32') {
    // A new file's directory entry is only durable once the directory itself is synced.
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

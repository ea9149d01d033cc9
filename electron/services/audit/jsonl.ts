/**
 * The audit log as strict JSON Lines, for auditors: export from a database, verify with no database.
 *
 * Format (one JSON object per line, `\n` line ends, UTF-8, nothing else):
 * 1. `{"type":"header","format":"gatehouse-audit-log","version":1,"genesisHash":"0…0","exportedAt":"…"}`
 * 2. `{"type":"event","hash":…,"action":…,"actor":…,"payload":{…},"prevHash":…,"role":…,"seq":…,"subject":…,"ts":…}`
 *    for every event in seq order, each followed by the signed heads at its seq:
 *    `{"type":"head","seq":…,"hash":…,"ts":…,"keyId":…,"publicKey":…,"signature":…}`.
 * An export is sealed when its last event is followed by a head: lines appended after that are caught.
 *
 * What is attested is the export's exact bytes, not merely its JSON meaning: the verifier rebuilds each
 * line from its fields (the event line from the RFC 8785 canonical record that is hashed) and refuses as
 * `malformed` any line that differs by a byte: CRLF line ends, a BOM, whitespace, re-ordered keys, other
 * number or string escapes. So a file that verifies is byte-identical to what Gatehouse wrote, and a
 * `sha256sum` of it identifies exactly the attested log.
 */
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../../../shared/model/clock';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { Db } from '../db/sqlite';
import { canonicalRecord, GENESIS_HASH, isHashHex, loadCanonicalize, sha256Hex, type Canonicalize } from './chain';
import { parseHeadLine, headLine, readHeadsFile, type ChainHead } from './chain-heads';
import { AuditRole, MAX_PAYLOAD_BYTES, type AuditEvent, type JsonObject } from './events';
import {
  buildReport,
  HeadLedger,
  throwIfCancelled,
  yieldToEventLoop,
  type Fault,
  type VerifyCommonOptions,
  type VerifyProgress,
  type VerifyReport,
} from './report';
import { loadHeadsFiles } from './verify';

/** The `format` value of an export's header line. */
export const EXPORT_FORMAT = 'gatehouse-audit-log';
/** The export format version this code writes and reads. */
export const EXPORT_VERSION = 1;
/** Longest line the verifier reads before calling the file malformed (a payload is at most 64 KiB). */
export const MAX_LINE_BYTES = MAX_PAYLOAD_BYTES * 8;

/** Options for an export. */
export interface ExportOptions {
  /** Replace an existing file (default: refuse). */
  readonly overwrite?: boolean;
  readonly onProgress?: (progress: VerifyProgress) => void;
  readonly signal?: AbortSignal;
}

/** What an export wrote. */
export interface ExportSummary {
  readonly file: string;
  readonly events: number;
  readonly heads: number;
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Whether the last event is followed by a signed head. */
  readonly sealed: boolean;
}

/** The header line, exactly as written (no newline). */
function headerLine(exportedAt: unknown): string {
  return JSON.stringify({ type: 'header', format: EXPORT_FORMAT, version: EXPORT_VERSION, genesisHash: GENESIS_HASH, exportedAt });
}

/**
 * An event line, exactly as written (no newline): the stored canonical record with `type` and `hash`
 * spliced in front (the record is canonical JSON starting with "{", so the line stays one object).
 */
function eventLine(hash: string, record: string): string {
  return `{"type":"event","hash":${JSON.stringify(hash)},${record.slice(1)}`;
}

function headKey(head: ChainHead): string {
  return `${head.seq}:${head.hash}:${head.signature}`;
}

function fsyncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the events (and every head from the database and `headsFiles`) up to the current end to `out`.
 *
 * Written to a temporary file in the same folder, synced, then renamed into place, so `out` is either the
 * complete export or absent.
 */
export async function exportDatabase(
  db: Db,
  clock: Clock,
  headsFiles: ReadonlyArray<string>,
  out: string,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  if (existsSync(out) && !options.overwrite) throw new GatehouseError(ErrorCode.Conflict, `${out} already exists`);
  if (!existsSync(dirname(out))) throw new GatehouseError(ErrorCode.NotFound, `no folder ${dirname(out)} to export into`);
  const fileHeads = headsFiles.flatMap((f) => readHeadsFile(f).heads);
  const snapshot = db.transaction(() => ({
    maxSeq: Number((db.prepare('SELECT coalesce(max(seq), 0) AS m FROM events').get() as { m: number }).m),
    heads: db
      .prepare('SELECT seq, hash, ts, key_id AS keyId, public_key AS publicKey, signature FROM chain_heads ORDER BY seq, id')
      .all() as ChainHead[],
  }))();
  const byKey = new Map<string, ChainHead>();
  for (const head of [...snapshot.heads, ...fileHeads]) {
    if (head.seq <= snapshot.maxSeq && !byKey.has(headKey(head))) byKey.set(headKey(head), head);
  }
  const heads = [...byKey.values()].sort((a, b) => a.seq - b.seq);

  const temp = join(dirname(out), `.${basename(out)}.${randomUUID()}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  let lastSeq = 0;
  let lastHash = GENESIS_HASH;
  let headIndex = 0;
  try {
    writeSync(fd, `${headerLine(clock.now().toISOString())}\n`);
    const readChunk = db.prepare('SELECT seq, record, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 5000').raw(true);
    for (;;) {
      throwIfCancelled(options.signal);
      const rows = readChunk.all(lastSeq, snapshot.maxSeq) as Array<[number, string, string]>;
      if (rows.length === 0) break;
      const parts: string[] = [];
      for (const [seq, record, hash] of rows) {
        parts.push(`${eventLine(hash, String(record))}\n`);
        for (let h = heads[headIndex]; h !== undefined && h.seq <= seq; h = heads[++headIndex]) parts.push(`${headLine(h)}\n`);
        lastSeq = seq;
        lastHash = hash;
      }
      writeSync(fd, parts.join(''));
      options.onProgress?.({ checked: lastSeq, fraction: snapshot.maxSeq === 0 ? 1 : lastSeq / snapshot.maxSeq });
      await yieldToEventLoop();
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, out);
  fsyncDirectory(dirname(out));
  const last = heads[heads.length - 1];
  return { file: out, events: lastSeq, heads: heads.length, lastSeq, lastHash, sealed: lastSeq === 0 || last?.seq === lastSeq };
}

interface Line {
  /** The decoded line, or null when it is not valid UTF-8 or too long. */
  readonly text: string | null;
  readonly lineNo: number;
  readonly bytesRead: number;
}

/** Streams a file's lines with a length limit and strict UTF-8 (a BOM is kept, so it fails JSON parsing). */
async function* readLines(file: string, signal: AbortSignal | undefined): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decode = (bytes: Buffer): string | null => {
    try {
      return decoder.decode(bytes);
    } catch {
      return null;
    }
  };
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let tooLong = false;
  let lineNo = 0;
  let bytesRead = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    throwIfCancelled(signal);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      lineNo += 1;
      bytesRead += nl - start + 1;
      if (tooLong || carryBytes + (nl - start) > MAX_LINE_BYTES) yield { text: null, lineNo, bytesRead };
      else {
        const piece = chunk.subarray(start, nl);
        yield { text: decode(carry.length === 0 ? piece : Buffer.concat([...carry, piece])), lineNo, bytesRead };
      }
      carry = [];
      carryBytes = 0;
      tooLong = false;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      bytesRead += rest.length;
      if (carryBytes + rest.length > MAX_LINE_BYTES) {
        tooLong = true;
        carry = [];
      } else if (!tooLong) carry.push(Buffer.from(rest));
      carryBytes += rest.length;
    }
  }
  if (carryBytes > 0) {
    lineNo += 1;
    yield { text: tooLong ? null : decode(Buffer.concat(carry)), lineNo, bytesRead };
  }
}

const EVENT_KEYS = ['action', 'actor', 'hash', 'payload', 'prevHash', 'role', 'seq', 'subject', 'ts', 'type'];
const HEADER_KEYS = ['exportedAt', 'format', 'genesisHash', 'type', 'version'];

function hasExactKeys(o: Record<string, unknown>, keys: ReadonlyArray<string>): boolean {
  const own = Object.keys(o).sort();
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

// An exported event line carries exactly the stored event's fields.
type ExportedEvent = AuditEvent;

function parseEventLine(o: Record<string, unknown>): ExportedEvent | null {
  if (!hasExactKeys(o, EVENT_KEYS)) return null;
  const { seq, ts, actor, role, action, subject, payload, prevHash, hash } = o;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof ts !== 'string' || typeof actor !== 'string' || typeof action !== 'string' || typeof subject !== 'string') return null;
  const parsedRole = AuditRole.safeParse(role);
  if (!parsedRole.success) return null;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  if (!isHashHex(prevHash) || !isHashHex(hash)) return null;
  return { seq, ts, actor, role: parsedRole.data, action, subject, payload: payload as JsonObject, prevHash, hash };
}

function isEventLineWithSeq(text: string | null, seq: number): boolean {
  if (text === null) return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['type'] === 'event' && (value as Record<string, unknown>)['seq'] === seq;
  } catch {
    return false;
  }
}

/** Options for verifying an export. */
export interface VerifyJsonlOptions extends VerifyCommonOptions {
  /** Require the last event to be followed by a signed head (default true: exports are sealed). */
  readonly requireSealed?: boolean;
}

/**
 * Verifies an exported JSON Lines file with no database: every line strict, every hash recomputed from
 * the fields with the RFC 8785 canonicaliser, every link and head checked. Streams; memory stays flat.
 */
export async function verifyJsonl(file: string, options: VerifyJsonlOptions = {}): Promise<VerifyReport> {
  if (!existsSync(file)) throw new GatehouseError(ErrorCode.NotFound, `no export at ${file}`);
  const canonicalize: Canonicalize = await loadCanonicalize();
  const totalBytes = Math.max(1, statSync(file).size);
  const ledger = new HeadLedger(canonicalize, options.trustedKeyIds);
  const state = { checked: 0, lastSeq: 0, lastHash: GENESIS_HASH };
  const outside = loadHeadsFiles(options.headsFile ? [options.headsFile] : []);
  if (outside.fault) return buildReport(state, ledger, outside.fault);
  for (const head of outside.heads) ledger.add(head);

  // When a line skips ahead, the expected seq may still turn up later (lines moved) or never (removed).
  const lookahead: { skipped: { readonly expected: number; readonly found: number } | null } = { skipped: null };
  let sawHeader = false;
  let linesSinceYield = 0;
  const malformed = (lineNo: number, why: string): Fault => ({
    reason: 'malformed',
    firstBadSeq: state.lastSeq + 1,
    message: `line ${lineNo} ${why}`,
  });
  const notExact = (lineNo: number): Fault =>
    malformed(lineNo, "is not byte for byte the line Gatehouse writes (CRLF line ends, a BOM, or re-serialised JSON): an export's exact bytes are what is attested");

  const checkLine = (line: Line): Fault | null => {
    if (line.text === null) return malformed(line.lineNo, 'is not UTF-8 or is too long');
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      return malformed(line.lineNo, 'is not JSON');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return malformed(line.lineNo, 'is not a JSON object');
    const o = value as Record<string, unknown>;
    if (!sawHeader) {
      if (o['type'] !== 'header' || !hasExactKeys(o, HEADER_KEYS) || o['format'] !== EXPORT_FORMAT || o['version'] !== EXPORT_VERSION) {
        return malformed(line.lineNo, `is not a ${EXPORT_FORMAT} v${EXPORT_VERSION} header`);
      }
      if (o['genesisHash'] !== GENESIS_HASH) return malformed(line.lineNo, 'names an unknown genesis hash');
      if (line.text !== headerLine(o['exportedAt'])) return notExact(line.lineNo);
      sawHeader = true;
      return null;
    }
    if (o['type'] === 'head') {
      const head = parseHeadLine(o);
      if (head === null) return malformed(line.lineNo, 'is not a valid head');
      if (line.text !== headLine(head)) return notExact(line.lineNo);
      if (head.seq < state.lastSeq) return malformed(line.lineNo, `is a head for seq ${head.seq} after seq ${state.lastSeq}`);
      ledger.add(head);
      return head.seq === state.lastSeq ? ledger.reach(head.seq, state.lastHash) : null;
    }
    if (o['type'] !== 'event') return malformed(line.lineNo, `has an unknown type`);
    const event = parseEventLine(o);
    if (event === null) return malformed(line.lineNo, 'is not a valid event');
    const expected = state.lastSeq + 1;
    if (event.seq < expected) {
      return { reason: 'reordered', firstBadSeq: expected, message: `line ${line.lineNo} repeats or moves event ${event.seq} after event ${state.lastSeq}` };
    }
    if (event.seq > expected) {
      lookahead.skipped = { expected, found: event.seq };
      return null;
    }
    const record = canonicalRecord(canonicalize, event);
    if (line.text !== eventLine(event.hash, record)) return notExact(line.lineNo);
    const computed = sha256Hex(record);
    if (computed !== event.hash) {
      return { reason: 'modified', firstBadSeq: event.seq, message: `event ${event.seq} (line ${line.lineNo}) was modified: its fields no longer hash to its hash` };
    }
    if (event.prevHash !== state.lastHash) {
      return event.seq === 1
        ? { reason: 'modified', firstBadSeq: 1, message: 'event 1 does not chain from the genesis hash' }
        : {
            reason: 'modified',
            firstBadSeq: event.seq - 1,
            message: `event ${event.seq - 1} was rewritten and re-hashed: event ${event.seq} recorded a different hash for it`,
          };
    }
    const headFault = ledger.reach(event.seq, event.hash);
    if (headFault) return headFault;
    state.lastSeq = event.seq;
    state.lastHash = event.hash;
    state.checked += 1;
    return null;
  };

  let fault: Fault | null = null;
  for await (const line of readLines(file, options.signal)) {
    const skipped = lookahead.skipped;
    if (skipped !== null) {
      // The chain is already broken; only looking for the expected seq now.
      if (isEventLineWithSeq(line.text, skipped.expected)) {
        fault = { reason: 'reordered', firstBadSeq: skipped.expected, message: `event ${skipped.expected} appears after event ${skipped.found}: lines were moved` };
        break;
      }
      continue;
    }
    fault = checkLine(line);
    if (fault) break;
    if (++linesSinceYield >= 5000) {
      linesSinceYield = 0;
      options.onProgress?.({ checked: state.checked, fraction: Math.min(1, line.bytesRead / totalBytes) });
      await yieldToEventLoop();
    }
  }
  throwIfCancelled(options.signal);
  const gap = lookahead.skipped;
  if (!fault && gap !== null) {
    fault = { reason: 'missing', firstBadSeq: gap.expected, message: `event ${gap.expected} is missing (the next event is ${gap.found})` };
  }
  if (!fault && !sawHeader) fault = { reason: 'malformed', firstBadSeq: null, message: 'the file is empty: no header line' };
  if (!fault) fault = ledger.finish(state.lastSeq);
  if (!fault && (options.requireSealed ?? true) && ledger.lastAttestedSeq < state.lastSeq) {
    fault = {
      reason: 'unattested',
      firstBadSeq: ledger.lastAttestedSeq + 1,
      message: `events after seq ${ledger.lastAttestedSeq} are not covered by a signed head (lines appended after the seal, or the seal cut off)`,
    };
  }
  if (!fault) options.onProgress?.({ checked: state.checked, fraction: 1 });
  return buildReport(state, ledger, fault);
}

/**
 * Verifying the chain stored in an audit database: recompute every hash from genesis, check every link
 * and every signed head, and name the first fault.
 *
 * It streams in chunks of rows (flat memory at any size) and yields to the event loop between chunks, so
 * a UI can show progress and cancel. Per row it costs one SHA-256 over the stored canonical bytes and two
 * substring checks: the stored record IS the hashed text, so nothing is re-serialised. The bytes hashed are
 * the bytes stored: a record read as text holding U+FFFD is read again as bytes (see verify-worker.ts).
 */
import { hash as oneShotHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Db } from '../db/sqlite';
import { GENESIS_HASH, readChainLinks, type Canonicalize } from './chain';
import { readHeadsFile, type ChainHead } from './chain-heads';
import { AUDIT_ROLES, ACTION_PATTERN } from './events';
import {
  buildReport,
  HeadLedger,
  throwIfCancelled,
  yieldToEventLoop,
  type Fault,
  type VerifyCommonOptions,
  type VerifyReport,
} from './report';
import {
  defaultChainExtension,
  planRange,
  RangeVerifier,
  rangeCount,
  REPLACEMENT_CHARACTER,
  seqsWithin,
  VERIFY_WORKER_KIND,
  type VerifyPlan,
  type VerifyRange,
  type VerifyRangeResult,
  type VerifyWorkerData,
  type VerifyWorkerMessage,
} from './verify-worker';

/** Options for verifying a database. */
export interface VerifyDatabaseOptions extends VerifyCommonOptions {
  /**
   * Also parse every record and check it is exactly the canonical JSON of a well-formed event (what an
   * independent verifier re-serialising the fields would hash). Several times slower; for audits.
   */
  readonly deep?: boolean;
  /** Fail with `unattested` unless a signed head covers the last event. */
  readonly requireSealed?: boolean;
  /** Rows per chunk (default 5000). */
  readonly chunkSize?: number;
  /**
   * Verify in this many worker threads at once (default 1: in this thread, with progress and cancel).
   * Used for an intact log of at least {@link PARALLEL_MIN_EVENTS} events without `deep`; any anomaly
   * falls back to the sequential pass, so the report is the same either way.
   */
  readonly workers?: number;
  /** The worker entry (default: built `dist/workers/audit-verify-worker.cjs`, or the .ts from source). */
  readonly workerFile?: string;
  /**
   * Workers already started on this database by {@link startVerifyWorkers} (so they boot while the caller
   * opens the store); used instead of `workers`/`workerFile`, once, and closed when done with.
   */
  readonly startedWorkers?: VerifyWorkers | null;
  /**
   * The SQLite chain extension that checks ranges first (default: the built one, see
   * {@link defaultChainExtension}); null checks in JavaScript alone. Either gives the same report.
   */
  readonly chainExtension?: string | null;
}

/** Smallest log worth splitting across worker threads. */
export const PARALLEL_MIN_EVENTS = 50_000;

/** Ranges per thread: small ranges keep every core busy to the end when one thread is slowed. */
const RANGES_PER_THREAD = 20;

/**
 * Where the verification worker entry is: next to this file when running from TypeScript source,
 * otherwise `../workers/audit-verify-worker.cjs` from the bundle this code was built into.
 */
export function defaultVerifyWorkerFile(): string {
  if (__filename.endsWith('.ts')) return join(__dirname, 'verify-worker.ts');
  return join(__dirname, '..', 'workers', 'audit-verify-worker.cjs');
}

/** Verification worker threads, each with its own read-only connection to one database file. */
export interface VerifyWorkers {
  /** The database file they read. */
  readonly file: string;
  /** Worker threads. */
  readonly size: number;
  /**
   * Checks every range of a plan and returns the results by range index. The workers claim ranges through
   * the plan's shared counter; `local`, when given, claims and checks ranges in the calling thread too,
   * letting the event loop run between them. After the first range that is not ok no more are claimed
   * (the later entries are then missing). Rejects when a worker cannot open the file or dies.
   */
  run(plan: Omit<VerifyPlan, 'counter'>, local?: (range: VerifyRange) => VerifyRangeResult): Promise<ReadonlyArray<VerifyRangeResult | undefined>>;
  /** Stops every worker (at once, even in the middle of a range). */
  close(): void;
}

interface WorkerSlot {
  /** Sends the plan; resolves when the worker has claimed its last range. */
  run(plan: VerifyPlan, report: (index: number, result: VerifyRangeResult) => void): Promise<void>;
  stop(): void;
}

function startWorkerSlot(workerFile: string, file: string, extension: string | null): WorkerSlot {
  const workerData: VerifyWorkerData = { kind: VERIFY_WORKER_KIND, file, extension };
  let worker: Worker;
  if (workerFile.endsWith('.ts')) {
    // From TypeScript source (vitest, tsx): register tsx's require hook in the worker first.
    const tsx = createRequire(__filename).resolve('tsx/cjs');
    worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(workerFile)});`, { eval: true, workerData });
  } else worker = new Worker(workerFile, { workerData });
  let report: ((index: number, result: VerifyRangeResult) => void) | null = null;
  let settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
  let dead: Error | null = null;
  const die = (error: Error): void => {
    dead ??= error;
    settle?.reject(dead);
    settle = null;
  };
  worker.on('message', (message: VerifyWorkerMessage) => {
    if (message.type === 'failed') die(new Error(message.message));
    else if (message.type === 'result') report?.(message.index, message.result);
    else {
      settle?.resolve();
      settle = null;
    }
  });
  worker.once('error', die);
  worker.once('exit', (code) => die(new Error(`audit verification worker exited with code ${code}`)));
  return {
    run(plan, onResult): Promise<void> {
      if (dead !== null) return Promise.reject(dead);
      report = onResult;
      return new Promise((resolve, reject) => {
        settle = { resolve, reject };
        worker.postMessage(plan);
      });
    },
    stop(): void {
      die(new Error('audit verification workers were closed'));
      void worker.terminate();
    },
  };
}

/**
 * Starts `count` verification worker threads on a database file, before the store is opened and its heads
 * are read, so their start-up (a thread, a Node environment, the SQLite addon) overlaps the caller's.
 * Returns null when fewer than 1 is asked for or there is no worker entry. Closing them twice is harmless.
 */
export function startVerifyWorkers(
  file: string,
  count: number,
  workerFile: string = defaultVerifyWorkerFile(),
  extension: string | null = defaultChainExtension(),
): VerifyWorkers | null {
  const size = Math.min(Math.floor(count), 15);
  if (!(size >= 1) || file === ':memory:' || !existsSync(workerFile)) return null;
  const slots = Array.from({ length: size }, () => startWorkerSlot(workerFile, file, extension));
  return {
    file,
    size,
    async run(layout, local) {
      const plan: VerifyPlan = { ...layout, counter: new SharedArrayBuffer(4) };
      const results = new Array<VerifyRangeResult | undefined>(rangeCount(plan));
      const keep = (index: number, result: VerifyRangeResult): void => {
        results[index] = result;
      };
      // The plan is posted before the first await, so the workers start on it while this thread goes on.
      const running = slots.map((slot) => slot.run(plan, keep));
      running.forEach((done) => done.catch(() => undefined)); // observed below, after this thread's share
      if (local !== undefined) {
        await yieldToEventLoop();
        const claims = new Int32Array(plan.counter);
        const count = rangeCount(plan);
        for (let index = Atomics.add(claims, 0, 1); index < count; index = Atomics.add(claims, 0, 1)) {
          const result = local(planRange(plan, index));
          keep(index, result);
          if (!result.ok) Atomics.store(claims, 0, count);
          await yieldToEventLoop();
        }
      }
      await Promise.all(running);
      return results;
    },
    close(): void {
      for (const slot of slots) slot.stop();
    },
  };
}

/** Smallest database file for which {@link prestartVerifyWorkers} starts workers (50,000 events take more). */
const PRESTART_MIN_BYTES = 8 << 20;

/**
 * Starts the worker threads of a verification in `threads` threads (this one and `threads - 1` workers)
 * before the database is opened, when the file is large enough to hold a log worth splitting
 * ({@link PARALLEL_MIN_EVENTS}); otherwise (or for a file that is not there) returns null. What the CLI
 * calls first thing, so the threads boot on the other cores meanwhile.
 */
export function prestartVerifyWorkers(file: string, threads: number): VerifyWorkers | null {
  let bytes = 0;
  try {
    bytes = statSync(file).size;
  } catch {
    return null;
  }
  return bytes >= PRESTART_MIN_BYTES ? startVerifyWorkers(file, threads - 1) : null;
}

/**
 * The fast path for an intact log: ranges verified in worker threads, joined at their edges, heads
 * checked against the hashes the workers report. Returns null on any anomaly (or no worker entry), and
 * the caller then runs the sequential pass, which names the first fault.
 */
async function verifyInParallel(
  db: Db,
  ledger: HeadLedger,
  addHeads: () => void,
  total: number,
  headSeqs: ReadonlyArray<number>,
  options: VerifyDatabaseOptions,
): Promise<VerifyReport | null> {
  if (total < PARALLEL_MIN_EVENTS || options.deep || db.name === ':memory:') return null;
  const given = options.startedWorkers ?? null;
  const usable = given !== null && resolve(given.file) === resolve(db.name);
  // This thread checks ranges too, so N threads are this one and N - 1 workers.
  const extension = chainExtensionOf(options);
  const workers = usable ? given : startVerifyWorkers(db.name, Math.min(options.workers ?? 1, 16) - 1, options.workerFile, extension);
  if (workers === null) return null;
  const size = Math.max(5000, Math.ceil(total / ((workers.size + 1) * RANGES_PER_THREAD)));
  let results: ReadonlyArray<VerifyRangeResult | undefined>;
  let local: RangeVerifier | null = null;
  try {
    local = rangeVerifierFor(db, extension);
    const here = local;
    const running = workers.run({ total, size, headSeqs }, (range) => here.verify(range));
    // The heads' signatures (one Ed25519 check each, a thousand at a million events) are checked here
    // while the workers start and hash their ranges; then this thread takes ranges too.
    addHeads();
    results = await running;
  } catch {
    return null;
  } finally {
    workers.close();
    local?.close();
  }
  throwIfCancelled(options.signal);
  const hashes = new Map<number, string>();
  let prev = GENESIS_HASH;
  for (const result of results) {
    if (result === undefined || !result.ok || result.firstPrevHash !== prev) return null;
    for (const [seq, hash] of result.headHashes) hashes.set(seq, hash);
    prev = result.lastHash;
  }
  for (const seq of headSeqs) {
    const hash = hashes.get(seq);
    if (hash === undefined || ledger.reach(seq, hash) !== null) return null;
  }
  const state = { checked: total, lastSeq: total, lastHash: prev };
  if (ledger.finish(total) !== null) return null;
  if (options.requireSealed && ledger.lastAttestedSeq < total) return null;
  options.onProgress?.({ checked: total, fraction: 1 });
  return buildReport(state, ledger, null);
}

/** The chain extension a verification uses: the one given, or the built one. */
function chainExtensionOf(options: VerifyDatabaseOptions): string | null {
  return options.chainExtension === undefined ? defaultChainExtension() : options.chainExtension;
}

/**
 * The range checker for this thread (the parallel pass's share, the one-pass verifier's quick path): over a
 * read-only connection of its own with the chain extension when there is one and the file opens that way,
 * otherwise over the caller's connection.
 */
function rangeVerifierFor(db: Db, extension: string | null): RangeVerifier {
  if (extension !== null && db.name !== ':memory:' && existsSync(db.name)) {
    try {
      return new RangeVerifier(db.name, extension);
    } catch {
      // A second connection may be refused (a file locked exclusively, one readable through this handle only).
    }
  }
  return new RangeVerifier(db);
}

type Row = [seq: unknown, record: unknown, hash: unknown];

const RECORD_KEYS = ['action', 'actor', 'payload', 'prevHash', 'role', 'seq', 'subject', 'ts'];
const TS_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whether a record parses to a well-formed event whose canonical JSON is exactly the record. */
export function isCanonicalEventRecord(canonicalize: Canonicalize, record: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(record);
  } catch {
    return false;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.length !== RECORD_KEYS.length || keys.some((k, i) => k !== RECORD_KEYS[i])) return false;
  const payload = o['payload'];
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return false;
  if (typeof o['seq'] !== 'number' || typeof o['ts'] !== 'string' || !TS_PATTERN.test(o['ts'])) return false;
  if (typeof o['actor'] !== 'string' || typeof o['subject'] !== 'string') return false;
  if (typeof o['role'] !== 'string' || !(AUDIT_ROLES as ReadonlyArray<string>).includes(o['role'])) return false;
  if (typeof o['action'] !== 'string' || !ACTION_PATTERN.test(o['action'])) return false;
  return canonicalize(value) === record;
}

/** Reads the heads of every given heads file; a file with an unreadable line yields a `malformed` fault. */
export function loadHeadsFiles(files: ReadonlyArray<string>): { heads: ReadonlyArray<ChainHead>; fault: Fault | null } {
  const heads: ChainHead[] = [];
  for (const file of files) {
    const contents = readHeadsFile(file);
    const bad = contents.malformedLines[0];
    if (bad !== undefined) {
      return { heads, fault: { reason: 'malformed', firstBadSeq: null, message: `${file} line ${bad} is not a signed chain head` } };
    }
    heads.push(...contents.heads);
  }
  return { heads, fault: null };
}

function headRows(db: Db): ChainHead[] {
  const rows = db
    .prepare('SELECT seq, hash, ts, key_id AS keyId, public_key AS publicKey, signature FROM chain_heads ORDER BY seq, id')
    .all() as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    seq: Number(r['seq']),
    hash: String(r['hash']),
    ts: String(r['ts']),
    keyId: String(r['keyId']),
    publicKey: String(r['publicKey']),
    signature: String(r['signature']),
  }));
}

/**
 * Verifies the chain in `db` against its own heads and those in `headsFiles`.
 *
 * The heads files are read before the database snapshot is taken, so a head another process signs while
 * this runs can never look like a truncation; rows up to the snapshot's last seq never change (triggers),
 * so later chunks may be read outside that snapshot.
 */
export async function verifyDatabase(
  db: Db,
  canonicalize: Canonicalize,
  headsFiles: ReadonlyArray<string>,
  options: VerifyDatabaseOptions = {},
): Promise<VerifyReport> {
  try {
    return await verifyDatabaseOnce(db, canonicalize, headsFiles, options);
  } finally {
    options.startedWorkers?.close();
  }
}

async function verifyDatabaseOnce(
  db: Db,
  canonicalize: Canonicalize,
  headsFiles: ReadonlyArray<string>,
  options: VerifyDatabaseOptions,
): Promise<VerifyReport> {
  const ledger = new HeadLedger(canonicalize, options.trustedKeyIds);
  const state = { checked: 0, lastSeq: 0, lastHash: GENESIS_HASH };
  const outside = loadHeadsFiles(headsFiles);
  if (outside.fault) return buildReport(state, ledger, outside.fault);

  const snapshot = db.transaction(() => ({
    maxSeq: Number((db.prepare('SELECT coalesce(max(seq), 0) AS m FROM events').get() as { m: number }).m),
    heads: headRows(db),
  }))();
  const addHeads = (): void => {
    for (const head of snapshot.heads) ledger.add(head);
    for (const head of outside.heads) ledger.add(head);
  };

  const headSeqs = [...new Set([...snapshot.heads, ...outside.heads].map((h) => h.seq))].filter((s) => s <= snapshot.maxSeq).sort((a, b) => a - b);
  if ((options.workers ?? 1) > 1 || options.startedWorkers) {
    const fast = await verifyInParallel(db, ledger, addHeads, snapshot.maxSeq, headSeqs, options);
    if (fast !== null) return fast;
    // Something is off: start again in one pass, with a fresh ledger, to name the first fault exactly.
    return verifyDatabaseOnce(db, canonicalize, headsFiles, { ...options, workers: 1, startedWorkers: null });
  }
  addHeads();

  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? 5000, 100_000));
  const readChunk = db.prepare('SELECT seq, record, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?').raw(true);
  const storedBytes = db.prepare('SELECT CAST(record AS BLOB) FROM events WHERE seq = ?').pluck();
  const hashAt = db.prepare('SELECT hash FROM events WHERE seq = ?').pluck();
  const total = snapshot.maxSeq;

  const classifyMisplaced = (seq: number, claimedSeq: number, computed: string, storedHash: unknown): Fault => {
    // A record claiming another seq is a genuine event moved here when its bytes hash to the hash stored
    // with it, or to the hash stored at the seq it claims (rows swapped with or without their hashes).
    const genuine = computed === storedHash || (claimedSeq >= 1 && computed === hashAt.get(claimedSeq));
    return genuine
      ? { reason: 'reordered', firstBadSeq: seq, message: `seq ${seq} holds event ${claimedSeq}: events were moved` }
      : { reason: 'modified', firstBadSeq: seq, message: `event ${seq} was modified (it claims seq ${claimedSeq})` };
  };

  const checkRow = (row: Row): Fault | null => {
    const [seq, record, hash] = row;
    const expected = state.lastSeq + 1;
    if (seq !== expected) {
      return { reason: 'missing', firstBadSeq: expected, message: `event ${expected} is missing (the next stored event is ${String(seq)})` };
    }
    if (typeof record !== 'string' || typeof hash !== 'string') {
      return { reason: 'modified', firstBadSeq: expected, message: `event ${expected} is not stored as text` };
    }
    const links = readChainLinks(record);
    // The stored bytes are what was hashed. Text without U+FFFD was decoded from valid UTF-8 and re-encodes
    // to them; text with it may have been decoded from bytes that are not UTF-8, so those are read and hashed.
    const bytes: unknown = record.includes(REPLACEMENT_CHARACTER) ? storedBytes.get(seq) : record;
    const computed = typeof bytes === 'string' || Buffer.isBuffer(bytes) ? oneShotHash('sha256', bytes, 'hex') : '';
    if (links === null) return { reason: 'modified', firstBadSeq: expected, message: `event ${expected} is not a chain record` };
    if (links.seq !== expected) return classifyMisplaced(expected, links.seq, computed, hash);
    if (computed !== hash) {
      return { reason: 'modified', firstBadSeq: expected, message: `event ${expected} was modified: its bytes no longer hash to its stored hash` };
    }
    if (record.slice(links.prevHashAt, links.prevHashAt + 64) !== state.lastHash) {
      return expected === 1
        ? { reason: 'modified', firstBadSeq: 1, message: 'event 1 does not chain from the genesis hash' }
        : {
            reason: 'modified',
            firstBadSeq: expected - 1,
            message: `event ${expected - 1} was rewritten and re-hashed: event ${expected} recorded a different hash for it`,
          };
    }
    if (options.deep && !isCanonicalEventRecord(canonicalize, record)) {
      return { reason: 'modified', firstBadSeq: expected, message: `event ${expected} is not the canonical JSON of a well-formed event` };
    }
    const headFault = ledger.reach(expected, hash);
    if (headFault) return headFault;
    state.lastSeq = expected;
    state.lastHash = hash;
    state.checked += 1;
    return null;
  };

  // Each chunk is first checked the way the workers check a range (inside SQLite where the chain extension
  // loads, which takes a connection of its own; else one string per row), with no per-row reports; only a
  // chunk that fails that is read again row by row, to name its first fault exactly.
  const quick = options.deep ? null : rangeVerifierFor(db, chainExtensionOf(options));
  try {
    const quickChunk = (checker: RangeVerifier): boolean => {
      const last = Math.min(total, state.lastSeq + chunkSize);
      const result = checker.verify({ after: state.lastSeq, last, headSeqs: seqsWithin(headSeqs, state.lastSeq, last) });
      if (!result.ok || result.firstPrevHash !== state.lastHash) return false;
      const saved = ledger.save();
      for (const [seq, hash] of result.headHashes) {
        if (ledger.reach(seq, hash) !== null) {
          ledger.restore(saved);
          return false;
        }
      }
      state.checked += last - state.lastSeq;
      state.lastSeq = last;
      state.lastHash = result.lastHash;
      return true;
    };

    while (state.lastSeq < total) {
      throwIfCancelled(options.signal);
      if (quick !== null && quickChunk(quick)) {
        options.onProgress?.({ checked: state.checked, fraction: state.lastSeq / total });
        await yieldToEventLoop();
        continue;
      }
      const rows = readChunk.all(state.lastSeq, total, chunkSize) as Row[];
      if (rows.length === 0) {
        // Rows the snapshot counted are gone: every seq from here to the snapshot's end is missing.
        const fault: Fault = { reason: 'missing', firstBadSeq: state.lastSeq + 1, message: `event ${state.lastSeq + 1} is missing` };
        return buildReport(state, ledger, fault);
      }
      for (const row of rows) {
        const fault = checkRow(row);
        if (fault) return buildReport(state, ledger, fault);
      }
      options.onProgress?.({ checked: state.checked, fraction: total === 0 ? 1 : state.lastSeq / total });
      await yieldToEventLoop();
    }
    throwIfCancelled(options.signal);
    const endFault = ledger.finish(state.lastSeq);
    if (endFault) return buildReport(state, ledger, endFault);
    if (options.requireSealed && ledger.lastAttestedSeq < state.lastSeq) {
      return buildReport(state, ledger, {
        reason: 'unattested',
        firstBadSeq: ledger.lastAttestedSeq + 1,
        message: `${state.lastSeq - ledger.lastAttestedSeq} events after seq ${ledger.lastAttestedSeq} are not covered by a signed head: nothing proves they were not added, nor that later events were not cut (a crash between an append and its seal leaves this too)`,
      });
    }
    options.onProgress?.({ checked: state.checked, fraction: 1 });
    return buildReport(state, ledger, null);
  } finally {
    quick?.close();
  }
}

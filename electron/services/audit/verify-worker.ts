/**
 * Worker thread of the parallel audit verification: checks ranges of the chain in its own read-only
 * connection and reports the links at each range's edges and the hashes at the signed heads' seqs.
 *
 * Per row it does what the sequential verifier does on its fast path: the row is the next seq (every
 * seq of a chunk is there, and the record names it), the stored record is a chain record, SHA-256 of
 * its bytes is the stored hash, and its prevHash is the previous row's hash. The main thread joins the ranges (each range's first prevHash must be the hash
 * that ends the range before it) and checks the heads; on any anomaly it re-runs the sequential
 * verifier, which names the first fault exactly.
 *
 * Where the SQLite extension native/audit-chain.c is built (dist/native/audit-chain.so), a range is first
 * checked inside SQLite by its `gatehouse_chain_range` aggregate: the same checks, about three times faster,
 * with no row crossing into JavaScript. The extension accepts a subset of what the checks below accept;
 * a range it does not accept is checked again here, so the result is the same either way.
 *
 * A worker starts with the database file only (so it can boot while the main thread is still opening the
 * store), then is sent a plan and claims ranges from it until none is left; `null` stops it.
 */
import Database from 'better-sqlite3';
import { hash as oneShotHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { GENESIS_HASH, readChainLinks } from './chain';

/** One range for a worker to check. */
export interface VerifyRange {
  /** Check seqs after this one... */
  readonly after: number;
  /** ...up to and including this one. */
  readonly last: number;
  /** Seqs in the range whose hash the main thread needs (signed heads), ascending. */
  readonly headSeqs: ReadonlyArray<number>;
}

/** What {@link verifyRange} checks: a range of one database file. */
export interface VerifyRangeRequest extends VerifyRange {
  readonly file: string;
  /** The chain extension to check ranges with first (default {@link defaultChainExtension}; null: none). */
  readonly extension?: string | null;
}

/**
 * The built SQLite extension of native/audit-chain.c: `../native/audit-chain.so` from a bundle in dist/,
 * `dist/native/audit-chain.so` from TypeScript source; null where it was not built (not Linux, no compiler:
 * see build/native.mjs), and verification then runs in JavaScript alone.
 */
export function defaultChainExtension(): string | null {
  const file = __filename.endsWith('.ts')
    ? join(__dirname, '..', '..', '..', 'dist', 'native', 'audit-chain.so')
    : // In the packaged app the bundles are read from app.asar, and the extension is unpacked beside it
      // (build/electron-builder.config.cjs): SQLite opens it with dlopen(), which cannot read an archive.
      join(__dirname, '..', 'native', 'audit-chain.so').replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
  return existsSync(file) ? file : null;
}

/**
 * The range checked inside SQLite: the range's first prevHash and last hash (128 characters), or NULL.
 * No ORDER BY: a rowid range is scanned in order, and rows met out of order would only make it NULL.
 */
const NATIVE_RANGE_SQL = 'SELECT gatehouse_chain_range(?, ?, seq, record, hash) FROM events WHERE seq > ? AND seq <= ?';

/** A stored hash, for the heads' seqs of a range the extension accepted (so every stored hash was recomputed). */
const HASH_AT_SQL = 'SELECT hash FROM events WHERE seq = ?';

/** What one range held. */
export type VerifyRangeResult =
  | {
      readonly ok: true;
      /** The prevHash recorded by the range's first event. */
      readonly firstPrevHash: string;
      /** The hash of the range's last event. */
      readonly lastHash: string;
      readonly headHashes: ReadonlyArray<readonly [number, string]>;
    }
  | { readonly ok: false; readonly atSeq: number };

/** Rows per query. */
const CHUNK_ROWS = 5000;

/**
 * One string per row, `hash record`: one value crossing from SQLite instead of three (measured: half the
 * read cost of a three-column row array). A row whose record or hash is not text, or whose hash is not 64
 * bytes long, reads as NULL, so where the hash ends and the record starts is never in doubt (a 64-byte hash
 * with a multi-byte character is shorter than 64 characters, so its first 64 characters are not hex and
 * never equal a digest). `octet_length` reads the length from the row header without loading the text.
 *
 * The seq is not read: a chunk of `n` rows with seqs in (after, after + n] holds every seq there once, in
 * order, so the i-th row's seq is after + i, and each record must name that seq.
 */
const CHUNK_SQL = `SELECT CASE WHEN typeof(record) = 'text' AND typeof(hash) = 'text' AND octet_length(hash) = 64
  THEN hash || record END
  FROM events WHERE seq > ? AND seq <= ? ORDER BY seq`;

/** Where the record starts in a chunk row: after the 64 hex digits of its stored hash. */
const RECORD_AT = 64;

/**
 * One row again, as its chunk text and as the record's stored bytes: for a row whose text holds U+FFFD.
 * SQLite hands text over as UTF-8 and V8 decodes bytes that are not valid UTF-8 to U+FFFD, so only a text
 * holding U+FFFD can re-encode to other bytes than those stored (and hashed when the event was appended).
 */
const ROW_BYTES_SQL = 'SELECT hash || record, CAST(record AS BLOB) FROM events WHERE seq = ?';

/** U+FFFD, what a UTF-8 decoder puts where bytes are not valid UTF-8. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Checks ranges of one database over one read-only connection. */
export class RangeVerifier {
  private readonly db: Database.Database;
  private readonly owned: boolean;
  private readonly chunk: Database.Statement;
  private readonly rowBytes: Database.Statement;
  private readonly native: { readonly range: Database.Statement; readonly hashAt: Database.Statement } | null;

  /**
   * Opens `file` read-only (closed by close()), or reads over a connection the caller owns. On a file it
   * opens, loads `extension` (the chain extension) when given; one that does not load (built for another
   * Node, or in a host that does not export OpenSSL's symbols) leaves the JavaScript checks alone.
   */
  constructor(source: string | Database.Database, extension: string | null = null) {
    this.owned = typeof source === 'string';
    this.db = typeof source === 'string' ? new Database(source, { readonly: true, fileMustExist: true }) : source;
    try {
      this.chunk = this.db.prepare(CHUNK_SQL).pluck();
      this.rowBytes = this.db.prepare(ROW_BYTES_SQL).raw(true);
    } catch (error) {
      if (this.owned) this.db.close();
      throw error;
    }
    this.native = this.owned && extension !== null ? loadChainExtension(this.db, extension) : null;
  }

  /** Whether ranges are checked inside SQLite first. */
  get usesExtension(): boolean {
    return this.native !== null;
  }

  /**
   * Checks one range: every row's seq, SHA-256 and link to the row before it within the range. Inside
   * SQLite first when the extension is loaded; a range it does not pass is checked again in JavaScript,
   * which names where it breaks.
   */
  verify(range: VerifyRange): VerifyRangeResult {
    const inSqlite = this.checkInSqlite(range);
    return inSqlite !== null && inSqlite.ok ? inSqlite : this.checkInJs(range);
  }

  /**
   * The range checked by the extension alone: ok, or not ok at the range's first seq (it does not say
   * where); null without the extension. One read transaction, so the heads' hashes are read from the rows
   * that were checked.
   */
  checkInSqlite(range: VerifyRange): VerifyRangeResult | null {
    const native = this.native;
    if (native === null) return null;
    return this.db.transaction((): VerifyRangeResult => {
      const edges: unknown = native.range.get(range.after, range.last, range.after, range.last);
      if (typeof edges !== 'string' || edges.length !== 128) return { ok: false, atSeq: range.after + 1 };
      const headHashes: Array<readonly [number, string]> = [];
      for (const seq of range.headSeqs) {
        // As the row-by-row check: each head seq of the range once (the list is ascending).
        if (seq <= range.after || seq > range.last || headHashes[headHashes.length - 1]?.[0] === seq) continue;
        const hash: unknown = native.hashAt.get(seq);
        if (typeof hash !== 'string') return { ok: false, atSeq: seq };
        headHashes.push([seq, hash]);
      }
      return { ok: true, firstPrevHash: edges.slice(0, 64), lastHash: edges.slice(64), headHashes };
    })();
  }

  /** The range checked in JavaScript, row by row. */
  checkInJs(range: VerifyRange): VerifyRangeResult {
    const headSeqs = range.headSeqs;
    let nextHead = 0;
    const headHashes: Array<readonly [number, string]> = [];
    let expected = range.after + 1;
    let firstPrevHash: string | null = null;
    let prevHash = '';
    for (let after = range.after; after < range.last; after += CHUNK_ROWS) {
      const rows = this.chunk.all(after, Math.min(range.last, after + CHUNK_ROWS)) as unknown[];
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        if (typeof row !== 'string') return { ok: false, atSeq: expected };
        // The hash is over the stored bytes. A text without U+FFFD was valid UTF-8, so its UTF-8 is those
        // bytes (V8 finds no U+FFFD in a one-byte string without scanning it); one with U+FFFD is read again.
        const computed = row.includes(REPLACEMENT_CHARACTER, RECORD_AT)
          ? this.storedBytesHash(expected, row)
          : oneShotHash('sha256', row.slice(RECORD_AT), 'hex');
        // slice + === rather than startsWith(x, at): V8 compares the former with memcmp (measured 3-5x faster).
        if (row.slice(0, RECORD_AT) !== computed) return { ok: false, atSeq: expected };
        const links = readChainLinks(row, RECORD_AT);
        if (links === null || links.seq !== expected) return { ok: false, atSeq: expected };
        const linked = row.slice(links.prevHashAt, links.prevHashAt + 64);
        if (firstPrevHash === null) firstPrevHash = linked;
        else if (linked !== prevHash) return { ok: false, atSeq: expected };
        if (headSeqs[nextHead] === expected) {
          headHashes.push([expected, computed]);
          while (headSeqs[nextHead] === expected) nextHead += 1;
        }
        prevHash = computed;
        expected += 1;
      }
      // A chunk short of rows ends the range early: the check below names the first missing seq.
      if (expected !== Math.min(range.last, after + CHUNK_ROWS) + 1) break;
    }
    if (expected !== range.last + 1 || firstPrevHash === null) return { ok: false, atSeq: expected };
    return { ok: true, firstPrevHash, lastHash: prevHash, headHashes };
  }

  /**
   * The hex SHA-256 of the bytes stored as the record of `seq`, whose `hash || record` text must be `row`
   * (the chunk row being checked); '' (which equals no stored hash) when it is not.
   */
  private storedBytesHash(seq: number, row: string): string {
    const again = this.rowBytes.get(seq) as [unknown, unknown] | undefined;
    if (again === undefined || again[0] !== row || !Buffer.isBuffer(again[1])) return '';
    return oneShotHash('sha256', again[1], 'hex');
  }

  close(): void {
    if (this.owned) this.db.close();
  }
}

/** A one-event chain the extension must pass before it is used: its SHA-256 comes from the host's OpenSSL. */
const PROBE_RECORD = `{"action":"audit.probe","actor":"gatehouse","payload":{},"prevHash":"${GENESIS_HASH}","role":"system","seq":1,"subject":"probe","ts":"2026-01-01T00:00:00.000Z"}`;

/**
 * Loads the chain extension into a connection; null when it does not load, or when it does not pass a
 * one-event chain hashed here (a host whose SHA-256 symbols are not OpenSSL's would make it refuse every
 * range: correct, but slower than not using it).
 */
function loadChainExtension(db: Database.Database, extension: string): { range: Database.Statement; hashAt: Database.Statement } | null {
  try {
    // SQLite calls the entry point it names after the file: sqlite3_auditchain_init for audit-chain.so.
    db.loadExtension(extension);
    const probeHash = oneShotHash('sha256', PROBE_RECORD, 'hex');
    const probe: unknown = db.prepare('SELECT gatehouse_chain_range(0, 1, 1, ?, ?)').pluck().get(PROBE_RECORD, probeHash);
    if (probe !== GENESIS_HASH + probeHash) return null;
    return { range: db.prepare(NATIVE_RANGE_SQL).pluck(), hashAt: db.prepare(HASH_AT_SQL).pluck() };
  } catch {
    return null;
  }
}

/** Checks one range of a database file in its own connection; exported for tests. */
export function verifyRange(request: VerifyRangeRequest): VerifyRangeResult {
  const verifier = new RangeVerifier(request.file, request.extension === undefined ? defaultChainExtension() : request.extension);
  try {
    return verifier.verify({ ...request, headSeqs: [...request.headSeqs].sort((a, b) => a - b) });
  } finally {
    verifier.close();
  }
}

/**
 * How a verification splits a log: ranges of `size` seqs from 1 to `total`, claimed one at a time by
 * whichever thread is free, through a shared counter (so no thread waits on another to be handed work).
 */
export interface VerifyPlan {
  readonly total: number;
  readonly size: number;
  /** Every seq with a signed head, ascending. */
  readonly headSeqs: ReadonlyArray<number>;
  /** An Int32Array's buffer: the index of the next range to claim. */
  readonly counter: SharedArrayBuffer;
}

/** How many ranges a plan has. */
export function rangeCount(plan: Pick<VerifyPlan, 'total' | 'size'>): number {
  return Math.ceil(plan.total / plan.size);
}

/** The index-th range of a plan, with the head seqs that fall in it. */
export function planRange(plan: Omit<VerifyPlan, 'counter'>, index: number): VerifyRange {
  const after = index * plan.size;
  const last = Math.min(plan.total, after + plan.size);
  return { after, last, headSeqs: seqsWithin(plan.headSeqs, after, last) };
}

/** The seqs of an ascending list that are after `after` and at most `last`. */
export function seqsWithin(seqs: ReadonlyArray<number>, after: number, last: number): number[] {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((seqs[mid] as number) <= after) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < seqs.length && (seqs[end] as number) <= last) end += 1;
  return seqs.slice(lo, end);
}

/**
 * Claims and checks ranges of a plan until none is left, handing each result to `report`. The first range
 * that is not ok ends the claiming for every thread (the sequential pass takes over from there).
 */
export function claimRanges(plan: VerifyPlan, check: (range: VerifyRange) => VerifyRangeResult, report: (index: number, result: VerifyRangeResult) => void): void {
  const claims = new Int32Array(plan.counter);
  const count = rangeCount(plan);
  for (let index = Atomics.add(claims, 0, 1); index < count; index = Atomics.add(claims, 0, 1)) {
    const result = check(planRange(plan, index));
    report(index, result);
    if (!result.ok) Atomics.store(claims, 0, count);
  }
}

/** Marks the workerData of a verification worker (a test runner's own worker threads carry other data). */
export const VERIFY_WORKER_KIND = 'gatehouse-audit-verify-range';

/** The workerData a verification worker starts with. */
export interface VerifyWorkerData {
  readonly kind: typeof VERIFY_WORKER_KIND;
  readonly file: string;
  /** The chain extension to load, or null. */
  readonly extension: string | null;
}

/** What a worker posts: the error that stopped it, or one result per range it claimed, then done. */
export type VerifyWorkerMessage =
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'result'; readonly index: number; readonly result: VerifyRangeResult }
  | { readonly type: 'done' };

function serve(port: NonNullable<typeof parentPort>, data: VerifyWorkerData): void {
  let verifier: RangeVerifier;
  try {
    verifier = new RangeVerifier(data.file, data.extension);
  } catch (error) {
    port.postMessage({ type: 'failed', message: (error as Error).message } satisfies VerifyWorkerMessage);
    port.close();
    return;
  }
  port.on('message', (plan: VerifyPlan | null) => {
    if (plan === null) {
      verifier.close();
      port.close();
      return;
    }
    const check = (range: VerifyRange): VerifyRangeResult => {
      try {
        return verifier.verify(range);
      } catch {
        // A read error (a corrupt page, a file cut short) is an anomaly like any other: the sequential pass names it.
        return { ok: false, atSeq: range.after + 1 };
      }
    };
    claimRanges(plan, check, (index, result) => port.postMessage({ type: 'result', index, result } satisfies VerifyWorkerMessage));
    port.postMessage({ type: 'done' } satisfies VerifyWorkerMessage);
  });
}

if (parentPort !== null && (workerData as { kind?: unknown } | null)?.kind === VERIFY_WORKER_KIND) {
  serve(parentPort, workerData as VerifyWorkerData);
}

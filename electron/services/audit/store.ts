/**
 * The audit store: a tamper-evident, append-only event log in its own SQLite file.
 *
 * Appends run in `BEGIN IMMEDIATE`, so every writer (the app, the CLI, another tool) takes the write lock
 * before reading the chain's tail, and together they form one linear chain. Every `headEvery` events, and
 * on demand, the workstation key signs the chain head; heads go to the database and to a JSON Lines file
 * outside it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../../shared/model/clock';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { migrate, openDatabase, schemaVersion, type Db } from '../db/sqlite';
import { canonicalRecord, GENESIS_HASH, loadCanonicalize, sha256Hex, type Canonicalize } from './chain';
import { appendHeadsToFile, HEADS_FILE, lastHeadInFile, signChainHead, type ChainHead } from './chain-heads';
import {
  AuditInputError,
  checkEventInput,
  MAX_PAYLOAD_BYTES,
  type AuditEvent,
  type AuditEventInput,
} from './events';
import { exportDatabase, type ExportOptions, type ExportSummary } from './jsonl';
import {
  countByAction,
  countEvents,
  eventFromRow,
  searchEvents,
  type ActionCount,
  type AuditFilter,
  type AuditPage,
  type AuditSearchRequest,
  type StatementCache,
} from './query';
import type { VerifyReport } from './report';
import { AUDIT_MIGRATIONS, AUDIT_SCHEMA_DOMAIN, AUDIT_SCHEMA_VERSION, featuresOf, type AuditFeatures } from './schema';
import { verifyDatabase, type VerifyDatabaseOptions } from './verify';
import type { WorkstationKey, WorkstationPublicKey } from './workstation-key';

/** Default number of events between automatically signed heads. */
export const DEFAULT_HEAD_EVERY = 1000;

/** Most events one appendMany call takes. */
export const MAX_BATCH = 100_000;

/** Dependencies and settings of an audit store. */
export interface OpenAuditStoreOptions {
  /** The audit SQLite file (its own file, not the app database). */
  readonly file: string;
  /** Source of event and head times. */
  readonly clock: Clock;
  /** Signs heads; without it no heads are signed (an auditor's read-only copy). */
  readonly workstationKey?: WorkstationKey | null;
  /** Folder of the heads file kept outside the database; without it heads stay in the database only. */
  readonly headsDir?: string;
  /** Sign a head whenever an append crosses a multiple of this many events (default 1000; 0 = never). */
  readonly headEvery?: number;
  /** Open without writing (no migrations, no appends, no signing): for verifying a copied file. */
  readonly readonly?: boolean;
  /** More key ids whose heads verify() accepts, besides the workstation key (e.g. a previous key). */
  readonly trustedKeyIds?: ReadonlyArray<string>;
  /** Told when writing the outside heads file failed; the events are committed regardless. */
  readonly warn?: (message: string, error: unknown) => void;
  /** Milliseconds to wait for another writer's lock (default 10 s). */
  readonly busyTimeoutMs?: number;
}

/** Options for {@link AuditStore.verify}. */
export type AuditVerifyOptions = VerifyDatabaseOptions;

/** Options for {@link AuditStore.exportJsonl}. */
export interface AuditExportOptions extends ExportOptions {
  /** Sign a head at the last event first when none is there, sealing the export (default true; needs the key). */
  readonly seal?: boolean;
}

/** An open audit log. */
export interface AuditStore {
  readonly file: string;
  readonly readonly: boolean;
  /** The outside heads file, when there is one. */
  readonly headsFile: string | null;
  /** The key that signs heads here, when there is one. */
  readonly workstationKey: WorkstationPublicKey | null;
  /** Records one event durably; returns it with its seq, time and hashes. */
  append(input: AuditEventInput): AuditEvent;
  /** Records several events in one transaction: all or none. */
  appendMany(inputs: ReadonlyArray<AuditEventInput>): ReadonlyArray<AuditEvent>;
  /** The event at seq, or null. */
  get(seq: number): AuditEvent | null;
  /** The newest event, or null for an empty log. */
  latest(): AuditEvent | null;
  /** How many events the log holds (its last seq: seqs have no gaps). */
  count(): number;
  /** Signs the current chain head now and stores it in the database and the heads file. */
  signHead(): ChainHead;
  /**
   * Seals what this store appended: signs a head at the tail when the tail is the last event this store
   * appended and no head of this key covers it yet. Never signs another writer's rows. Returns the new
   * head, or null when there was nothing of ours to seal (or no key, or read-only).
   *
   * Called after every decision, apply and rollback, on a timer, and by close().
   */
  sealOwnTail(): ChainHead | null;
  /**
   * The newest head this workstation's key signed, after sealing our own tail: what the repository's
   * records and the auditor's heads copy should carry. Null when nothing was ever signed here.
   */
  currentSignedHead(): ChainHead | null;
  /**
   * Events that were already past the last signed head when this store opened (a crash between an append
   * and its seal, or rows added or cut while no Gatehouse ran), or null. The core records it.
   */
  readonly unsealedAtOpen: { readonly fromSeq: number; readonly toSeq: number; readonly lastSignedSeq: number } | null;
  /** Every head in the database, by seq. */
  heads(): ReadonlyArray<ChainHead>;
  /** Recomputes the chain and checks every head (the database's, the heads file's, options.headsFile's). */
  verify(options?: AuditVerifyOptions): Promise<VerifyReport>;
  /** Writes the log as strict JSON Lines. */
  exportJsonl(out: string, options?: AuditExportOptions): Promise<ExportSummary>;
  /** One page of events matching a filter. */
  search(request?: AuditSearchRequest): AuditPage;
  /** How many events match a filter. */
  countMatching(filter?: AuditFilter): number;
  /** Matches per action, most frequent first. */
  countsByAction(filter?: AuditFilter): ReadonlyArray<ActionCount>;
  /**
   * Seals our own tail (shutdown), then closes the database. `seal: false` closes as a crash would
   * leave the file, with the tail unsealed (for tests and for tools that must not sign).
   */
  close(options?: { readonly seal?: boolean }): void;
}

const TS_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function openFile(options: OpenAuditStoreOptions): Db {
  try {
    const db = openDatabase({ file: options.file, readonly: options.readonly ?? false, busyTimeoutMs: options.busyTimeoutMs });
    db.prepare('SELECT count(*) FROM sqlite_master').get(); // fails here on a file that is not SQLite
    return db;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw new AuditInputError(`${options.file} is not a SQLite database`);
    if (code === 'SQLITE_CANTOPEN') throw new GatehouseError(ErrorCode.NotFound, `cannot open ${options.file}`);
    throw error;
  }
}

function prepareSchema(db: Db, options: OpenAuditStoreOptions): AuditFeatures {
  if (!options.readonly) migrate(db, AUDIT_SCHEMA_DOMAIN, AUDIT_MIGRATIONS);
  const version = schemaVersion(db, AUDIT_SCHEMA_DOMAIN);
  if (version === 0) throw new AuditInputError(`${options.file} is not a Gatehouse audit database`);
  if (version > AUDIT_SCHEMA_VERSION) {
    throw new AuditInputError(`${options.file} has audit schema v${version}; this Gatehouse reads up to v${AUDIT_SCHEMA_VERSION}`);
  }
  return featuresOf(version);
}

/**
 * Keeps the query planner's statistics for `events` current, and keeps none for the FTS index.
 *
 * Statistics are gathered (cheaply, with analysis_limit) when the log has at least doubled since they
 * were last taken. The FTS5 shadow tables are never analysed: statistics taken while they were small make
 * SQLite plan FTS5's internal segment lookups as scans, and appends then slow down in proportion to the
 * index size (measured: 5x slower per batch at 100,000 events). So neither `ANALYZE` nor
 * `PRAGMA optimize` is run on the whole file, and stale FTS statistics left by other tools are dropped.
 */
function refreshStatistics(db: Db): void {
  const hasStats = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").get() !== undefined;
  const rows = Number((db.prepare('SELECT coalesce(max(seq), 0) AS n FROM events').get() as { n: number }).n);
  let analysed = 0;
  if (hasStats) {
    db.prepare("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'events_fts%'").run();
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'").get() !== undefined) {
      db.prepare("DELETE FROM sqlite_stat4 WHERE tbl LIKE 'events_fts%'").run();
    }
    const stat = db.prepare("SELECT stat FROM sqlite_stat1 WHERE tbl = 'events' AND idx = 'events_action'").pluck().get() as string | undefined;
    analysed = stat === undefined ? 0 : Number.parseInt(stat, 10) || 0;
  }
  if (rows >= 1000 && rows >= analysed * 2) {
    db.pragma('analysis_limit = 1000');
    db.exec('ANALYZE events');
  }
}

/**
 * Opens (creating and migrating if needed) an audit log.
 *
 * Async only because the RFC 8785 canonicaliser is an ES module; every method but verify and export is
 * synchronous, like better-sqlite3 itself.
 */
export async function openAuditStore(options: OpenAuditStoreOptions): Promise<AuditStore> {
  const canonicalize: Canonicalize = await loadCanonicalize();
  const headEvery = options.headEvery ?? DEFAULT_HEAD_EVERY;
  if (!Number.isSafeInteger(headEvery) || headEvery < 0) throw new AuditInputError('headEvery must be a whole number >= 0');
  const isReadonly = options.readonly ?? false;
  const key = isReadonly ? null : (options.workstationKey ?? null);
  const headsFile = options.headsDir === undefined ? null : join(options.headsDir, HEADS_FILE);

  const db = openFile(options);
  let features: AuditFeatures;
  try {
    features = prepareSchema(db, options);
  } catch (error) {
    db.close();
    throw error;
  }
  if (!isReadonly) refreshStatistics(db);

  const statements: StatementCache = new Map();
  const tailStatement = db.prepare('SELECT seq, hash, ts FROM events ORDER BY seq DESC LIMIT 1').raw(true);
  const rowStatement = db.prepare('SELECT seq, record, hash FROM events WHERE seq = ?').raw(true);
  const latestStatement = db.prepare('SELECT seq, record, hash FROM events ORDER BY seq DESC LIMIT 1').raw(true);
  const headAtStatement = db.prepare('SELECT 1 FROM chain_heads WHERE seq = ? AND key_id = ? LIMIT 1').pluck();
  const headsStatement = db.prepare(
    'SELECT id, seq, hash, ts, key_id AS keyId, public_key AS publicKey, signature FROM chain_heads ORDER BY seq, id',
  );
  const insertEvent = isReadonly ? null : db.prepare('INSERT INTO events (seq, record, hash) VALUES (?, ?, ?)');
  const insertHead = isReadonly
    ? null
    : db.prepare('INSERT INTO chain_heads (seq, hash, ts, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)');
  let closed = false;
  // The last event this store appended, so sealing never vouches for another writer's rows.
  let ownTail: { seq: number; hash: string } | null = null;
  const lastHeadOfKey = key === null ? null : db.prepare('SELECT max(seq) FROM chain_heads WHERE key_id = ?').pluck();
  const lastHeadAny = db.prepare('SELECT coalesce(max(seq), 0) FROM chain_heads').pluck();

  const tail = (): { seq: number; hash: string; ts: string } => {
    const row = tailStatement.get() as [number, string, string] | undefined;
    return row ? { seq: row[0], hash: row[1], ts: row[2] } : { seq: 0, hash: GENESIS_HASH, ts: '' };
  };

  const now = (): string => {
    const ts = options.clock.now().toISOString();
    if (!TS_PATTERN.test(ts)) throw new GatehouseError(ErrorCode.Internal, `the clock returned ${ts}, outside years 0000..9999`);
    return ts;
  };

  const ensureOpen = (): void => {
    if (closed) throw new GatehouseError(ErrorCode.Unavailable, 'the audit store is closed');
  };

  const writable = (what: string): { insertEvent: NonNullable<typeof insertEvent>; insertHead: NonNullable<typeof insertHead> } => {
    ensureOpen();
    if (insertEvent === null || insertHead === null) throw new GatehouseError(ErrorCode.Refused, `cannot ${what}: the audit log is open read-only`);
    return { insertEvent, insertHead };
  };

  const signAndStoreHead = (at: { seq: number; hash: string }): ChainHead => {
    if (key === null) throw new GatehouseError(ErrorCode.Refused, 'no workstation key to sign chain heads with');
    const head = signChainHead(canonicalize, key, { seq: at.seq, hash: at.hash, ts: now() });
    writable('sign a head').insertHead.run(head.seq, head.hash, head.ts, head.keyId, head.publicKey, head.signature);
    return head;
  };

  const appendLocked = db.transaction((inputs: ReadonlyArray<ReturnType<typeof checkEventInput>>): { events: AuditEvent[]; signed: boolean } => {
    const { insertEvent: insert } = writable('append');
    const start = tail();
    // A clock that stepped back (NTP, another writer's skew) is held at the last recorded time.
    const clockTs = now();
    const ts = clockTs < start.ts ? start.ts : clockTs;
    const events: AuditEvent[] = [];
    let prevHash = start.hash;
    let seq = start.seq;
    for (const input of inputs) {
      seq += 1;
      const fields = { seq, ts, actor: input.actor, role: input.role, action: input.action, subject: input.subject, payload: input.payload, prevHash };
      const record = canonicalRecord(canonicalize, fields);
      const hash = sha256Hex(record);
      insert.run(seq, record, hash);
      events.push({ ...fields, hash });
      prevHash = hash;
    }
    const crossed = headEvery > 0 && Math.floor(start.seq / headEvery) < Math.floor(seq / headEvery);
    if (crossed && key !== null) signAndStoreHead({ seq, hash: prevHash });
    ownTail = { seq, hash: prevHash };
    return { events, signed: crossed && key !== null };
  });

  // Brings the outside heads file up to date with the database, under the write lock so two processes
  // never append the same heads at once. Runs after the events commit: a failure here loses no event, and
  // the next signing or opening catches up.
  const syncHeadsFile = (): void => {
    if (headsFile === null || isReadonly) return;
    try {
      db.transaction(() => {
        const all = headsStatement.all() as Array<ChainHead & { id: number }>;
        const inFile = lastHeadInFile(headsFile);
        let missing: ChainHead[] = all;
        if (inFile !== null) {
          const at = all.findIndex((h) => h.seq === inFile.seq && h.signature === inFile.signature);
          missing = at >= 0 ? all.slice(at + 1) : all.filter((h) => h.seq > inFile.seq);
        }
        appendHeadsToFile(
          headsFile,
          missing.map(({ seq, hash, ts, keyId, publicKey, signature }) => ({ seq, hash, ts, keyId, publicKey, signature })),
        );
      }).immediate();
    } catch (error) {
      options.warn?.(`could not update the audit heads file ${headsFile}`, error);
    }
  };

  const validated = (input: AuditEventInput): ReturnType<typeof checkEventInput> => {
    const event = checkEventInput(input);
    const payloadText = canonicalize(event.payload) ?? '';
    if (Buffer.byteLength(payloadText, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new AuditInputError(`payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    return event;
  };

  const readRow = (row: [number, string, string] | undefined): AuditEvent | null => (row ? eventFromRow(row[0], row[1], row[2]) : null);

  const trustedKeyIds = (extra: ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
    const ids = [...(options.trustedKeyIds ?? []), ...(extra ?? [])];
    if (options.workstationKey) ids.push(options.workstationKey.keyId);
    return ids;
  };

  const headsFilesToCheck = (extra: string | undefined): string[] => {
    const files: string[] = [];
    if (headsFile !== null && existsSync(headsFile)) files.push(headsFile);
    if (extra !== undefined && extra !== headsFile) files.push(extra);
    return files;
  };

  if (!isReadonly) syncHeadsFile();

  const unsealedAtOpen = ((): AuditStore['unsealedAtOpen'] => {
    const at = tail();
    const signed = Number(lastHeadAny.get() ?? 0);
    return at.seq > signed ? { fromSeq: signed + 1, toSeq: at.seq, lastSignedSeq: signed } : null;
  })();

  const sealOwnTail = (): ChainHead | null => {
    if (closed || key === null || isReadonly || ownTail === null) return null;
    const mine = ownTail;
    const head = db
      .transaction((): ChainHead | null => {
        const at = tail();
        if (at.seq !== mine.seq || at.hash !== mine.hash) return null;
        if (headAtStatement.get(at.seq, key.keyId) !== undefined) return null;
        return signAndStoreHead(at);
      })
      .immediate();
    if (head !== null) syncHeadsFile();
    return head;
  };

  return {
    unsealedAtOpen,
    sealOwnTail,

    currentSignedHead(): ChainHead | null {
      ensureOpen();
      sealOwnTail();
      if (key === null || lastHeadOfKey === null) return null;
      const seq = lastHeadOfKey.get(key.keyId) as number | null;
      if (seq === null || seq === undefined) return null;
      const rows = headsStatement.all() as Array<ChainHead & { id: number }>;
      const mine = rows.filter((h) => h.seq === seq && h.keyId === key.keyId).pop();
      if (!mine) return null;
      return { seq: mine.seq, hash: mine.hash, ts: mine.ts, keyId: mine.keyId, publicKey: mine.publicKey, signature: mine.signature };
    },

    file: options.file,
    readonly: isReadonly,
    headsFile,
    workstationKey: options.workstationKey ? { keyId: options.workstationKey.keyId, publicKey: options.workstationKey.publicKey } : null,

    append(input: AuditEventInput): AuditEvent {
      ensureOpen();
      const checked = validated(input);
      const result = appendLocked.immediate([checked]);
      if (result.signed) syncHeadsFile();
      const event = result.events[0];
      if (!event) throw new GatehouseError(ErrorCode.Internal, 'append recorded nothing');
      return event;
    },

    appendMany(inputs: ReadonlyArray<AuditEventInput>): ReadonlyArray<AuditEvent> {
      ensureOpen();
      if (!Array.isArray(inputs)) throw new AuditInputError('appendMany takes an array of events');
      if (inputs.length > MAX_BATCH) throw new AuditInputError(`appendMany takes at most ${MAX_BATCH} events`);
      if (inputs.length === 0) return [];
      const checked = inputs.map((input, i) => {
        try {
          return validated(input);
        } catch (error) {
          if (error instanceof AuditInputError) throw new AuditInputError(`event ${i}: ${error.message}`);
          throw error;
        }
      });
      const result = appendLocked.immediate(checked);
      if (result.signed) syncHeadsFile();
      return result.events;
    },

    get(seq: number): AuditEvent | null {
      ensureOpen();
      if (!Number.isSafeInteger(seq) || seq < 1) return null;
      return readRow(rowStatement.get(seq) as [number, string, string] | undefined);
    },

    latest(): AuditEvent | null {
      ensureOpen();
      return readRow(latestStatement.get() as [number, string, string] | undefined);
    },

    count(): number {
      ensureOpen();
      return tail().seq;
    },

    signHead(): ChainHead {
      writable('sign a head');
      const head = db
        .transaction(() => {
          const at = tail();
          if (at.seq === 0) throw new GatehouseError(ErrorCode.Conflict, 'the audit log is empty: no head to sign');
          return signAndStoreHead(at);
        })
        .immediate();
      syncHeadsFile();
      return head;
    },

    heads(): ReadonlyArray<ChainHead> {
      ensureOpen();
      return (headsStatement.all() as Array<ChainHead & { id: number }>).map(({ seq, hash, ts, keyId, publicKey, signature }) => ({
        seq,
        hash,
        ts,
        keyId,
        publicKey,
        signature,
      }));
    },

    async verify(verifyOptions: AuditVerifyOptions = {}): Promise<VerifyReport> {
      ensureOpen();
      return verifyDatabase(db, canonicalize, headsFilesToCheck(verifyOptions.headsFile), {
        ...verifyOptions,
        trustedKeyIds: trustedKeyIds(verifyOptions.trustedKeyIds),
      });
    },

    async exportJsonl(out: string, exportOptions: AuditExportOptions = {}): Promise<ExportSummary> {
      ensureOpen();
      if ((exportOptions.seal ?? true) && key !== null && !isReadonly) {
        const signed = db
          .transaction(() => {
            const at = tail();
            if (at.seq === 0 || headAtStatement.get(at.seq, key.keyId) !== undefined) return false;
            signAndStoreHead(at);
            return true;
          })
          .immediate();
        if (signed) syncHeadsFile();
      }
      return exportDatabase(db, options.clock, headsFilesToCheck(undefined), out, exportOptions);
    },

    search(request: AuditSearchRequest = {}): AuditPage {
      ensureOpen();
      return searchEvents(db, statements, features, request);
    },

    countMatching(filter: AuditFilter = {}): number {
      ensureOpen();
      return countEvents(db, statements, features, filter);
    },

    countsByAction(filter: AuditFilter = {}): ReadonlyArray<ActionCount> {
      ensureOpen();
      return countByAction(db, statements, features, filter);
    },

    close(closeOptions: { readonly seal?: boolean } = {}): void {
      if (closed) return;
      try {
        if (closeOptions.seal ?? true) sealOwnTail();
      } catch (error) {
        // Closing must not fail: the unsealed tail is reported at the next open and by verify.
        options.warn?.('could not seal the audit log at shutdown', error);
      }
      closed = true;
      db.close();
    },
  };
}

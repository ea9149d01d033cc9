/**
 * The audit database's schema, as versioned migrations of the `audit` domain.
 *
 * The audit log lives in a SQLite file of its own, so an auditor can copy that one file (and the heads
 * file) and verify it anywhere.
 */
import type { Db, Migration } from '../db/sqlite';
import { GENESIS_HASH } from './chain';

/** The migration domain name in `schema_migrations`. */
export const AUDIT_SCHEMA_DOMAIN = 'audit';

/**
 * v1: the chain and its heads.
 *
 * `record` holds the exact RFC 8785 bytes that were hashed; every other event column is generated from it,
 * so what a query shows can never drift from what the chain covers. The filter columns are STORED (a
 * filter reads them without parsing JSON); `payload` and `prev_hash` are VIRTUAL (read rarely, kept once).
 * Triggers make both tables append-only and refuse any insert that does not extend the chain by exactly
 * one linked event no earlier than the last one, whoever writes it. Times never going backwards is what
 * lets a time range be answered as a seq range.
 */
const v1: Migration = {
  version: 1,
  name: 'events-chain-and-heads',
  up(db: Db): void {
    db.exec(`
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        record TEXT NOT NULL,
        hash TEXT NOT NULL,
        ts TEXT GENERATED ALWAYS AS (json_extract(record, '$.ts')) STORED,
        actor TEXT GENERATED ALWAYS AS (json_extract(record, '$.actor')) STORED,
        role TEXT GENERATED ALWAYS AS (json_extract(record, '$.role')) STORED,
        action TEXT GENERATED ALWAYS AS (json_extract(record, '$.action')) STORED,
        subject TEXT GENERATED ALWAYS AS (json_extract(record, '$.subject')) STORED,
        payload TEXT GENERATED ALWAYS AS (json_extract(record, '$.payload')) VIRTUAL,
        prev_hash TEXT GENERATED ALWAYS AS (json_extract(record, '$.prevHash')) VIRTUAL
      ) STRICT;

      CREATE TRIGGER events_extend_chain BEFORE INSERT ON events
      WHEN new.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM events)
        OR json_extract(new.record, '$.seq') IS NOT new.seq
        OR json_extract(new.record, '$.prevHash')
           IS NOT coalesce((SELECT hash FROM events WHERE seq = new.seq - 1), '${GENESIS_HASH}')
        OR json_extract(new.record, '$.ts') < coalesce((SELECT ts FROM events WHERE seq = new.seq - 1), '')
      BEGIN
        SELECT RAISE(ABORT, 'audit: an event must extend the chain by one linked record, no earlier than the last');
      END;
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
      BEGIN
        SELECT RAISE(ABORT, 'audit: events are append-only');
      END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
      BEGIN
        SELECT RAISE(ABORT, 'audit: events are append-only');
      END;

      CREATE TABLE chain_heads (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        ts TEXT NOT NULL,
        key_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        signature TEXT NOT NULL
      ) STRICT;
      CREATE INDEX chain_heads_seq ON chain_heads (seq);
      CREATE TRIGGER chain_heads_no_update BEFORE UPDATE ON chain_heads
      BEGIN
        SELECT RAISE(ABORT, 'audit: chain heads are append-only');
      END;
      CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads
      BEGIN
        SELECT RAISE(ABORT, 'audit: chain heads are append-only');
      END;
    `);
  },
};

/**
 * v2: what the auditor view needs at a million events.
 *
 * One index per filter column (each entry also carries seq, so "filter, newest first, 50 rows" is an
 * index range walk), and an FTS5 index over the payload. The FTS table is external-content (the text stays
 * in `events`) and is fed by an INSERT trigger only: events are never updated or deleted, so no other
 * trigger is needed, and the rows that exist when this migration runs are indexed by 'rebuild'.
 */
const v2: Migration = {
  version: 2,
  name: 'search-indexes-and-fulltext',
  up(db: Db): void {
    db.exec(`
      CREATE INDEX events_ts ON events (ts);
      CREATE INDEX events_actor ON events (actor);
      CREATE INDEX events_role ON events (role);
      CREATE INDEX events_action ON events (action);
      CREATE INDEX events_subject ON events (subject);

      CREATE VIRTUAL TABLE events_fts USING fts5 (
        payload,
        content = 'events',
        content_rowid = 'seq',
        tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER events_fts_insert AFTER INSERT ON events
      BEGIN
        INSERT INTO events_fts (rowid, payload) VALUES (new.seq, new.payload);
      END;
      INSERT INTO events_fts (events_fts) VALUES ('rebuild');
    `);
  },
};

/**
 * v3: events per action, kept by an INSERT trigger, so the auditor view's action counts cost one row per
 * action instead of a scan of every event (1.2 s at a million events). Derived data: verification does
 * not depend on it.
 */
const v3: Migration = {
  version: 3,
  name: 'action-counts',
  up(db: Db): void {
    db.exec(`
      CREATE TABLE action_counts (
        action TEXT PRIMARY KEY,
        events INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      INSERT INTO action_counts (action, events) SELECT action, count(*) FROM events GROUP BY action;
      CREATE TRIGGER events_count_action AFTER INSERT ON events
      BEGIN
        INSERT INTO action_counts (action, events) VALUES (new.action, 1)
          ON CONFLICT (action) DO UPDATE SET events = events + 1;
      END;
    `);
  },
};

/** Every audit migration, oldest first. */
export const AUDIT_MIGRATIONS: ReadonlyArray<Migration> = [v1, v2, v3];

/** The schema version this code writes. */
export const AUDIT_SCHEMA_VERSION = 3;

/** What an opened audit database supports, by its schema version (a read-only copy is not migrated). */
export interface AuditFeatures {
  /** Full-text search and the filter indexes (v2). */
  readonly search: boolean;
  /** Kept counts per action (v3). */
  readonly actionCounts: boolean;
}

/** The features of a database at a schema version. */
export function featuresOf(version: number): AuditFeatures {
  return { search: version >= 2, actionCounts: version >= 3 };
}

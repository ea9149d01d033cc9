/**
 * Opening SQLite files the way Gatehouse needs them, and running versioned migrations.
 *
 * Every Gatehouse database is a better-sqlite3 file in WAL mode with `synchronous=FULL` set explicitly:
 * better-sqlite3 builds SQLite so that WAL defaults to NORMAL, which can lose the last committed
 * transaction (an approval, an audit event) on power loss.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** File path, or `:memory:`. Parent folders are created. */
  readonly file: string;
  /** Open read-only (for auditors verifying a copied file). */
  readonly readonly?: boolean;
  /** Milliseconds to wait on a locked database before SQLITE_BUSY; default 10 s. */
  readonly busyTimeoutMs?: number;
}

/** Opens (creating if needed) a SQLite file with WAL, synchronous=FULL, busy_timeout and foreign keys. */
export function openDatabase(options: OpenDatabaseOptions): Db {
  if (options.file !== ':memory:' && !options.readonly) mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    timeout: options.busyTimeoutMs ?? 10_000,
  });
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 10_000)}`);
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return db;
}

/** One schema step. `up` runs inside the migration's transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Db): void;
}

/**
 * Applies the given domain's pending migrations in version order, each in its own IMMEDIATE transaction.
 *
 * Several domains (audit, repositories, operators...) may share one file; each keeps its own version
 * line in `schema_migrations`. Returns the versions applied.
 */
export function migrate(db: Db, domain: string, migrations: ReadonlyArray<Migration>): ReadonlyArray<number> {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    domain TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (domain, version))`);
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const applied: number[] = [];
  for (const m of sorted) {
    const run = db.transaction(() => {
      const done = db
        .prepare('SELECT 1 FROM schema_migrations WHERE domain = ? AND version = ?')
        .get(domain, m.version);
      if (done) return false;
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (domain, version, name, applied_at) VALUES (?, ?, ?, ?)').run(
        domain,
        m.version,
        m.name,
        new Date().toISOString(),
      );
      return true;
    });
    if (run.immediate()) applied.push(m.version);
  }
  return applied;
}

/** The highest applied migration version of a domain, or 0. */
export function schemaVersion(db: Db, domain: string): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations WHERE domain = ?').get(domain) as
    | { v: number | null }
    | undefined;
  return row?.v ?? 0;
}

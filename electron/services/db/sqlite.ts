/**
 * Opening SQLite files the way Gatehouse needs them, and running versioned migrations.
 *
 * Every Gatehouse database is a better-sqlite3 file in WAL mode with `synchronous=FULL` set explicitly:
 * better-sqlite3 builds SQLite so that WAL defaults to NORMAL, which can lose the last committed
 * transaction (an approval, an audit event) on power loss.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Mode of every database file and its -wal/-shm companions: the owner only. */
export const DATABASE_FILE_MODE = 0o600;

/**
 * Creates `file` with mode 0600 when it does not exist, and takes group and other access away from it and
 * its -wal, -shm and -journal files when they have any (files made by an older Gatehouse were 0644).
 *
 * SQLite creates the -wal, -shm and -journal files with the main file's permissions, so a 0600 database
 * keeps them 0600 too. Windows has no such modes; there the data directory's ACL is what protects them.
 */
export function restrictDatabaseFiles(file: string): void {
  if (process.platform === 'win32') return;
  try {
    closeSync(openSync(file, 'wx', DATABASE_FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
  }
}

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

/** Opens (creating if needed, mode 0600) a SQLite file with WAL, synchronous=FULL, busy_timeout and foreign keys. */
export function openDatabase(options: OpenDatabaseOptions): Db {
  if (options.file !== ':memory:' && !options.readonly) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    restrictDatabaseFiles(options.file);
  }
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

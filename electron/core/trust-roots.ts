/**
 * Pinned trust roots: for each registered repository, the commit whose policy and trust list are
 * trusted without records (gittuf's root of trust, trust on first use at registration). `gatehouse
 * verify` starts from it unless `--root` names another; a CI machine passes `--root` explicitly.
 */
import type { Db } from '../services/db/sqlite';
import { migrate } from '../services/db/sqlite';

const MIGRATIONS = [
  {
    version: 1,
    name: 'trust roots',
    up(db: Db) {
      db.exec(`CREATE TABLE trust_roots (
        repository_id TEXT PRIMARY KEY,
        root_oid TEXT NOT NULL CHECK (length(root_oid) = 40),
        pinned_at TEXT NOT NULL,
        pinned_by TEXT NOT NULL
      ) STRICT`);
    },
  },
];

/** Reading and pinning roots in the app database. */
export interface TrustRoots {
  get(repositoryId: string): string | null;
  /** Pins a root; an existing pin is kept unless `replace` is set. */
  pin(repositoryId: string, rootOid: string, by: string, at: Date, replace?: boolean): void;
}

/** Opens the trust-root table (migration domain `trust-roots`). */
export function openTrustRoots(db: Db): TrustRoots {
  migrate(db, 'trust-roots', MIGRATIONS);
  const select = db.prepare<[string], { root_oid: string }>('SELECT root_oid FROM trust_roots WHERE repository_id = ?');
  const insert = db.prepare('INSERT INTO trust_roots (repository_id, root_oid, pinned_at, pinned_by) VALUES (?, ?, ?, ?) ON CONFLICT (repository_id) DO NOTHING');
  const replace = db.prepare('INSERT OR REPLACE INTO trust_roots (repository_id, root_oid, pinned_at, pinned_by) VALUES (?, ?, ?, ?)');
  return {
    get: (id) => select.get(id)?.root_oid ?? null,
    pin(id, oid, by, at, overwrite = false) {
      (overwrite ? replace : insert).run(id, oid, at.toISOString(), by);
    },
  };
}

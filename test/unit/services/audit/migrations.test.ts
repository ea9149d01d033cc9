import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, type Db } from '../../../../electron/services/db/sqlite';
import {
  AUDIT_MIGRATIONS,
  AUDIT_SCHEMA_DOMAIN,
  AUDIT_SCHEMA_VERSION,
  canonicalRecord,
  GENESIS_HASH,
  loadCanonicalize,
  openAuditStore,
  loadOrCreateWorkstationKey,
  sha256Hex,
} from '../../../../electron/services/audit';
import { signChainHead } from '../../../../electron/services/audit/chain-heads';
import { removeDir, sampleEvent, steppingClock, tempDir } from './helpers';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

function migration(version: number): (typeof AUDIT_MIGRATIONS)[number] {
  const found = AUDIT_MIGRATIONS.find((m) => m.version === version);
  if (!found) throw new Error(`no migration ${version}`);
  return found;
}

/** Appends n events with plain SQL, as the code of that schema version would have. */
async function insertChain(db: Db, n: number): Promise<void> {
  const canonicalize = await loadCanonicalize();
  const insert = db.prepare('INSERT INTO events (seq, record, hash) VALUES (?, ?, ?)');
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const input = sampleEvent(seq - 1);
    const record = canonicalRecord(canonicalize, {
      seq,
      ts: new Date(Date.UTC(2024, 11, 31, 23, 0, seq)).toISOString(),
      actor: input.actor,
      role: input.role,
      action: input.action,
      subject: input.subject,
      payload: input.payload ?? {},
      prevHash,
    });
    prevHash = sha256Hex(record);
    insert.run(seq, record, prevHash);
  }
}

const ROWS = 'SELECT seq, record, hash, ts, actor, role, action, subject, payload, prev_hash FROM events ORDER BY seq';

describe('audit migrations', () => {
  it('lists versions 1..current in order', () => {
    expect(AUDIT_MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: AUDIT_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('v1 (events-chain-and-heads): adds the chain beside another domain’s tables without touching them', async () => {
    const file = join(dir, 'shared.sqlite');
    const db = openDatabase({ file });
    try {
      migrate(db, 'other', [{ version: 1, name: 'things', up: (d) => d.exec('CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)') }]);
      db.prepare("INSERT INTO things (name) VALUES ('kept')").run();
      const before = db.prepare('SELECT * FROM things').all();

      expect(migrate(db, AUDIT_SCHEMA_DOMAIN, [migration(1)])).toEqual([1]);
      expect(schemaVersion(db, AUDIT_SCHEMA_DOMAIN)).toBe(1);
      expect(schemaVersion(db, 'other')).toBe(1);
      expect(db.prepare('SELECT * FROM things').all()).toEqual(before);

      await insertChain(db, 5);
      const row = db.prepare('SELECT ts, actor, role, action, subject, payload, prev_hash FROM events WHERE seq = 2').get() as Record<string, string>;
      const input = sampleEvent(1);
      expect(row).toMatchObject({ actor: input.actor, role: input.role, action: input.action, subject: input.subject });
      expect(JSON.parse(row['payload'] ?? '')).toEqual(input.payload);
      expect(row['prev_hash']).toBe((db.prepare('SELECT hash FROM events WHERE seq = 1').pluck().get() as string));
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
      // Running it again is a no-op.
      expect(migrate(db, AUDIT_SCHEMA_DOMAIN, [migration(1)])).toEqual([]);
    } finally {
      db.close();
    }
    // A read-only copy at v1 is not upgraded: it verifies and filters, and says why text search is missing.
    const copy = await openAuditStore({ file, clock: steppingClock(), readonly: true });
    try {
      expect(await copy.verify()).toMatchObject({ ok: true, checked: 5 });
      expect(copy.search({ actor: 'bob' }).events.map((e) => e.seq)).toEqual([2]);
      expect(() => copy.search({ text: 'event' })).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
      expect(copy.countsByAction().reduce((n, c) => n + c.count, 0)).toBe(5);
    } finally {
      copy.close();
    }
  });

  it('v2 (search-indexes-and-fulltext): keeps every v1 row and head, and indexes the existing rows for search', async () => {
    const file = join(dir, 'audit.sqlite');
    const db = openDatabase({ file });
    await insertChainAtV1(db);
    const rowsBefore = db.prepare(ROWS).all();
    const headsBefore = db.prepare('SELECT * FROM chain_heads ORDER BY id').all();

    expect(migrate(db, AUDIT_SCHEMA_DOMAIN, [migration(1), migration(2)])).toEqual([2]);
    expect(db.prepare(ROWS).all()).toEqual(rowsBefore);
    expect(db.prepare('SELECT * FROM chain_heads ORDER BY id').all()).toEqual(headsBefore);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['events_action', 'events_actor', 'events_role', 'events_subject', 'events_ts']);
    db.close();

    const store = await openAuditStore({ file, clock: steppingClock() });
    try {
      // Rows from before the migration are found by full-text search, and new ones too.
      expect(store.search({ text: 'number 7', order: 'asc' }).events.map((e) => e.seq)).toEqual([8]);
      const next = store.append({ ...sampleEvent(40), payload: { note: 'after migration' } });
      expect(next.seq).toBe(41);
      expect(store.search({ text: 'after migration' }).events.map((e) => e.seq)).toEqual([41]);
      expect(store.countMatching({ actor: 'alice' })).toBe(11);
      const report = await store.verify();
      expect(report).toMatchObject({ ok: true, checked: 41, headsChecked: 1, lastAttestedSeq: 40 });
    } finally {
      store.close();
    }
  });
  it('v3 (action-counts): counts the existing events per action, then keeps counting new ones', async () => {
    const file = join(dir, 'audit.sqlite');
    const db = openDatabase({ file });
    await insertChainAtV1(db);
    migrate(db, AUDIT_SCHEMA_DOMAIN, [migration(1), migration(2)]);
    const rowsBefore = db.prepare(ROWS).all();
    const grouped = db.prepare('SELECT action, count(*) AS events FROM events GROUP BY action ORDER BY action').all();

    expect(migrate(db, AUDIT_SCHEMA_DOMAIN, AUDIT_MIGRATIONS)).toEqual([3]);
    expect(db.prepare(ROWS).all()).toEqual(rowsBefore);
    expect(db.prepare('SELECT action, events FROM action_counts ORDER BY action').all()).toEqual(grouped);
    db.close();

    const store = await openAuditStore({ file, clock: steppingClock() });
    try {
      store.appendMany([sampleEvent(0), sampleEvent(1), { ...sampleEvent(2), action: 'policy.changed' }]);
      const kept = new Map(store.countsByAction().map((c) => [c.action, c.count]));
      const counted = new Map(store.countsByAction({ from: '2000-01-01T00:00:00Z' }).map((c) => [c.action, c.count]));
      expect(kept).toEqual(counted);
      expect(kept.get('policy.changed')).toBe(1);
      expect([...kept.values()].reduce((a, b) => a + b, 0)).toBe(43);
    } finally {
      store.close();
    }
  });
});

async function insertChainAtV1(db: Db): Promise<void> {
  migrate(db, AUDIT_SCHEMA_DOMAIN, [migration(1)]);
  await insertChain(db, 40);
  const canonicalize = await loadCanonicalize();
  const key = loadOrCreateWorkstationKey(join(dir, 'keys'));
  const hash = db.prepare('SELECT hash FROM events WHERE seq = 40').pluck().get() as string;
  const head = signChainHead(canonicalize, key, { seq: 40, hash, ts: '2025-01-01T00:00:00.000Z' });
  db.prepare('INSERT INTO chain_heads (seq, hash, ts, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)').run(
    head.seq,
    head.hash,
    head.ts,
    head.keyId,
    head.publicKey,
    head.signature,
  );
}

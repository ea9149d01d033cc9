import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, GatehouseError } from '../../../../shared/model/result';
import {
  canonicalRecord,
  GENESIS_HASH,
  headSigningInput,
  loadCanonicalize,
  openAuditStore,
  readHeadsFile,
  sha256Hex,
  type AuditStore,
} from '../../../../electron/services/audit';
import { appendSamples, openTestStore, rawDb, removeDir, sampleEvent, steppingClock, tempDir, type TestStore } from './helpers';
import { verify as verifySignature, createPublicKey } from 'node:crypto';

let dir: string;
let opened: AuditStore[] = [];
beforeEach(() => {
  dir = tempDir();
  opened = [];
});
afterEach(() => {
  for (const store of opened) store.close();
  removeDir(dir);
});

async function open(options: Parameters<typeof openTestStore>[1] = {}): Promise<TestStore> {
  const t = await openTestStore(dir, options);
  opened.push(t.store);
  return t;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof GatehouseError ? error.code : `not a GatehouseError: ${String(error)}`;
  }
  return undefined;
}

describe('appending', () => {
  it('numbers events from 1 without gaps, stamps the clock time and chains the hashes', async () => {
    const { store } = await open({ clock: steppingClock(Date.UTC(2025, 5, 1), 1000) });
    const canonicalize = await loadCanonicalize();
    const a = store.append(sampleEvent(0));
    const b = store.append(sampleEvent(1));
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(a.ts).toBe('2025-06-01T00:00:00.000Z');
    expect(b.ts).toBe('2025-06-01T00:00:01.000Z');
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    const { hash: _hash, ...fields } = b;
    expect(b.hash).toBe(sha256Hex(canonicalRecord(canonicalize, fields)));
    expect(store.get(2)).toEqual(b);
    expect(store.latest()).toEqual(b);
    expect(store.count()).toBe(2);
    expect(store.get(3)).toBeNull();
    expect(store.get(0)).toBeNull();
  });

  it('never records a time earlier than the previous event’s, even when the clock steps back', async () => {
    const times = [Date.UTC(2025, 0, 1, 12), Date.UTC(2025, 0, 1, 11), Date.UTC(2025, 0, 1, 13)];
    const { store } = await open({ clock: { now: () => new Date(times.shift() ?? 0) } });
    const stamped = [store.append(sampleEvent(0)), store.append(sampleEvent(1)), store.append(sampleEvent(2))].map((e) => e.ts);
    expect(stamped).toEqual(['2025-01-01T12:00:00.000Z', '2025-01-01T12:00:00.000Z', '2025-01-01T13:00:00.000Z']);
    expect(store.search({ to: '2025-01-01T12:30:00Z', order: 'asc' }).events.map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.verify()).ok).toBe(true);
  });

  it('refuses a clock outside years 0000..9999 with Internal', async () => {
    const { store } = await open({ clock: { now: () => new Date(Date.UTC(12000, 0, 1)) } });
    expect(codeOf(() => store.append(sampleEvent(0)))).toBe(ErrorCode.Internal);
    expect(store.count()).toBe(0);
  });

  it('keeps payloads exactly, unicode and control characters included', async () => {
    const { store } = await open();
    const payload = { emoji: '😀', nul: 'a\u0000b', sep: '\u2028', n: -0.5, big: 1e21, nested: { list: [1, 'two', null, false] } };
    const event = store.append({ ...sampleEvent(0), payload });
    expect(store.get(event.seq)?.payload).toEqual(payload);
    expect((await store.verify({ deep: true })).ok).toBe(true);
  });

  it('appends a batch in one transaction: all or none', async () => {
    const { store } = await open();
    const events = store.appendMany([sampleEvent(0), sampleEvent(1), sampleEvent(2)]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(new Set(events.map((e) => e.ts)).size).toBe(1);
    expect(codeOf(() => store.appendMany([sampleEvent(3), { ...sampleEvent(4), action: 'Bad' }]))).toBe(ErrorCode.InvalidInput);
    expect(store.count()).toBe(3);
    expect(store.appendMany([])).toEqual([]);
  });

  it('refuses bad events with InvalidInput and records nothing', async () => {
    const { store } = await open();
    expect(codeOf(() => store.append({ ...sampleEvent(0), role: 'root' as never }))).toBe(ErrorCode.InvalidInput);
    expect(codeOf(() => store.append({ ...sampleEvent(0), payload: { big: 'x'.repeat(70_000) } }))).toBe(ErrorCode.InvalidInput);
    expect(store.count()).toBe(0);
  });

  it('refuses writes to a read-only store and to a closed one', async () => {
    const { store, paths } = await open();
    store.append(sampleEvent(0));
    const reader = await openAuditStore({ file: paths.file, clock: steppingClock(), readonly: true });
    opened.push(reader);
    expect(codeOf(() => reader.append(sampleEvent(1)))).toBe(ErrorCode.Refused);
    expect(reader.count()).toBe(1);
    const other = await openAuditStore({ file: join(dir, 'other.sqlite'), clock: steppingClock() });
    other.close();
    expect(codeOf(() => other.append(sampleEvent(1)))).toBe(ErrorCode.Unavailable);
  });
});

describe('append-only guards in the database', () => {
  it('aborts every UPDATE and DELETE of events and heads, from any connection', async () => {
    const { store, paths } = await open({ headEvery: 2 });
    appendSamples(store, 3);
    const db = rawDb(paths.file);
    try {
      expect(() => db.prepare('UPDATE events SET hash = ? WHERE seq = 1').run('0'.repeat(64))).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE events SET record = record WHERE seq = 1').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events WHERE seq = 3').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM chain_heads').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE chain_heads SET hash = 'x'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(store.count()).toBe(3);
    expect((await store.verify()).ok).toBe(true);
  });

  it('refuses an insert that does not extend the chain by one linked record', async () => {
    const { store, paths } = await open();
    const canonicalize = await loadCanonicalize();
    const first = store.append(sampleEvent(0));
    const db = rawDb(paths.file);
    try {
      const insert = db.prepare('INSERT INTO events (seq, record, hash) VALUES (?, ?, ?)');
      const fields = { ...sampleEvent(1), payload: {}, seq: 2, ts: first.ts, prevHash: first.hash };
      const skipping = canonicalRecord(canonicalize, { ...fields, seq: 3 });
      expect(() => insert.run(3, skipping, sha256Hex(skipping))).toThrow(/extend the chain/);
      const unlinked = canonicalRecord(canonicalize, { ...fields, prevHash: 'f'.repeat(64) });
      expect(() => insert.run(2, unlinked, sha256Hex(unlinked))).toThrow(/extend the chain/);
      const earlier = canonicalRecord(canonicalize, { ...fields, ts: '2000-01-01T00:00:00.000Z' });
      expect(() => insert.run(2, earlier, sha256Hex(earlier))).toThrow(/no earlier than the last/);
      const lying = canonicalRecord(canonicalize, fields);
      expect(() => insert.run(1, lying, sha256Hex(lying))).toThrow(/extend the chain|UNIQUE/);
      expect(() => db.prepare('INSERT OR REPLACE INTO events (seq, record, hash) VALUES (1, ?, ?)').run(lying, 'x')).toThrow();
    } finally {
      db.close();
    }
    expect(store.count()).toBe(1);
  });
});

describe('chain heads', () => {
  it('signs a head whenever appends cross a multiple of headEvery, into the database and the heads file', async () => {
    const { store, key, paths } = await open({ headEvery: 3 });
    appendSamples(store, 7);
    store.appendMany([sampleEvent(7), sampleEvent(8), sampleEvent(9), sampleEvent(10)]);
    const heads = store.heads();
    expect(heads.map((h) => h.seq)).toEqual([3, 6, 11]);
    for (const head of heads) {
      expect(head.hash).toBe(store.get(head.seq)?.hash);
      expect(head.keyId).toBe(key.keyId);
    }
    const inFile = readHeadsFile(paths.headsFile);
    expect(inFile.malformedLines).toEqual([]);
    expect(inFile.heads).toEqual(heads);
  });

  it('signs (context, seq, hash, time, key id) with the workstation key', async () => {
    const { store, key } = await open({ headEvery: 0 });
    appendSamples(store, 2);
    const canonicalize = await loadCanonicalize();
    const head = store.signHead();
    expect(head.seq).toBe(2);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: head.publicKey }, format: 'jwk' });
    expect(verifySignature(null, headSigningInput(canonicalize, head), publicKey, Buffer.from(head.signature, 'base64url'))).toBe(true);
    expect(head.publicKey).toBe(key.publicKey);
    expect(JSON.parse(headSigningInput(canonicalize, head).toString())).toEqual({
      context: 'gatehouse.audit.chain-head/v1',
      seq: 2,
      hash: head.hash,
      ts: head.ts,
      keyId: key.keyId,
    });
  });

  it('refuses to sign an empty log, and signs nothing without a key', async () => {
    const { store } = await open();
    expect(codeOf(() => store.signHead())).toBe(ErrorCode.Conflict);
    const keyless = await openAuditStore({ file: join(dir, 'keyless.sqlite'), clock: steppingClock(), headEvery: 1 });
    opened.push(keyless);
    appendSamples(keyless, 3);
    expect(keyless.heads()).toEqual([]);
    expect(codeOf(() => keyless.signHead())).toBe(ErrorCode.Refused);
  });

  it('catches up the heads file when it fell behind (crash between commit and file write)', async () => {
    const first = await open({ headEvery: 2 });
    appendSamples(first.store, 4);
    first.store.close();
    opened = [];
    // Lose the file's last head and leave a torn fragment, as a crash mid-write would.
    const lines = readFileSync(first.paths.headsFile, 'utf8').split('\n');
    writeFileSync(first.paths.headsFile, `${lines[0]}\n{"type":"head","seq":4,"ha`);
    const second = await open({ headEvery: 2 });
    expect(readHeadsFile(first.paths.headsFile)).toEqual({ heads: second.store.heads(), malformedLines: [] });
    expect((await second.store.verify()).ok).toBe(true);
  });

  it('reports a heads file it cannot write through warn, keeping the event', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const warnings: string[] = [];
    const { store } = await open({ headEvery: 1, headsDir: join(blocker, 'heads'), warn: (message) => warnings.push(message) });
    const event = store.append(sampleEvent(0));
    expect(store.get(event.seq)).toEqual(event);
    expect(warnings.length).toBeGreaterThan(0);
    expect(existsSync(join(blocker, 'heads'))).toBe(false);
  });
});

describe('planner statistics', () => {
  it('keeps statistics for the events indexes and drops any for the full-text index', async () => {
    const first = await open();
    first.store.appendMany(Array.from({ length: 1200 }, (_, i) => sampleEvent(i)));
    first.store.close();
    opened = [];
    const db = rawDb(first.paths.file);
    db.exec('ANALYZE'); // what a curious auditor's sqlite3 shell might do
    expect(db.prepare("SELECT count(*) FROM sqlite_stat1 WHERE tbl LIKE 'events_fts%'").pluck().get()).toBeGreaterThan(0);
    db.close();
    await open();
    const after = rawDb(first.paths.file);
    try {
      expect(after.prepare("SELECT count(*) FROM sqlite_stat1 WHERE tbl LIKE 'events_fts%'").pluck().get()).toBe(0);
      expect(after.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'events_action'").pluck().get()).toMatch(/^1200 /);
    } finally {
      after.close();
    }
  });
});

describe('opening files', () => {
  it('refuses a file that is not SQLite with InvalidInput', async () => {
    const file = join(dir, 'junk.sqlite');
    writeFileSync(file, 'this is not a database, just some text that is long enough to have a header');
    await expect(openAuditStore({ file, clock: steppingClock() })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
  });

  it('refuses read-only opening of a missing file or a database without the audit schema', async () => {
    await expect(openAuditStore({ file: join(dir, 'none.sqlite'), clock: steppingClock(), readonly: true })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    const other = join(dir, 'other.sqlite');
    const db = rawDb(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    await expect(openAuditStore({ file: other, clock: steppingClock(), readonly: true })).rejects.toThrow(/not a Gatehouse audit database/);
  });

  it('refuses a database written by a newer schema', async () => {
    const { store, paths } = await open();
    store.close();
    opened = [];
    const db = rawDb(paths.file);
    db.prepare("INSERT INTO schema_migrations VALUES ('audit', 99, 'future', '2030-01-01')").run();
    db.close();
    await expect(openAuditStore({ file: paths.file, clock: steppingClock() })).rejects.toThrow(/schema v99/);
  });

  it('reopens an existing log and continues its chain', async () => {
    const first = await open();
    appendSamples(first.store, 3);
    const last = first.store.latest();
    first.store.close();
    opened = [];
    const second = await open();
    const next = second.store.append(sampleEvent(3));
    expect(next.seq).toBe(4);
    expect(next.prevHash).toBe(last?.hash);
    expect((await second.store.verify()).ok).toBe(true);
  });
});

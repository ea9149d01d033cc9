/**
 * The verification workers' range check never passes what the sequential verifier fails: each attack on a
 * real database file is run through both, and the range check must refuse every one (the sequential pass
 * then names the fault). The workers read each row as one `hash record` string (no seq), so the attacks
 * include the ones aimed at that: a hash column that swallowed the record's first byte, values stored as
 * blobs, a hash in capitals or with non-ASCII characters (64 bytes but fewer characters), rows shifted to
 * other seqs. Records are hashed as the bytes stored: one event holds U+FFFD itself, and the attacks
 * include bytes that are not valid UTF-8 put in its place, which SQLite hands over as the same text.
 *
 * Each attack goes through both range checks on their own: the JavaScript one (`extension: null`) and the
 * SQLite chain extension (native/audit-chain.c, `checkInSqlite`), which must refuse everything the former
 * refuses; a seeded run of random byte changes compares the two on many more tampered logs.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCanonicalize, openAuditStore, sha256Hex, type AuditPaths, type VerifyReport } from '../../../electron/services/audit';
import { verifyDatabase } from '../../../electron/services/audit/verify';
import { defaultChainExtension, RangeVerifier, verifyRange, type VerifyRangeResult } from '../../../electron/services/audit/verify-worker';
import { mulberry32 } from '../../support/prng';
import { appendSamples, dropGuards, openTestStore, rawDb, removeDir, sampleEvent, steppingClock, tempDir } from '../../unit/services/audit/helpers';

const EVENTS = 22;
/** The event whose payload holds U+FFFD, the character a UTF-8 decoder puts where bytes are not valid UTF-8. */
const LOSSY_SEQ = 3;
/** The event whose payload holds a `prevHash` and a `seq` of its own. */
const DECOY_SEQ = 12;

let dir: string;
let paths: AuditPaths;
let keyId: string;

beforeEach(async () => {
  dir = tempDir();
  const t = await openTestStore(dir, { headEvery: 5 });
  appendSamples(t.store, LOSSY_SEQ - 1);
  t.store.append({ ...sampleEvent(LOSSY_SEQ - 1), payload: { note: 'read from a lossy decode: \uFFFD' } });
  appendSamples(t.store, DECOY_SEQ - 1 - LOSSY_SEQ, LOSSY_SEQ);
  // Keys the links are read by, inside the payload (before the top-level ones): the last ones must be read.
  t.store.append({ ...sampleEvent(DECOY_SEQ - 1), payload: { prevHash: 'f'.repeat(64), role: 'tool', seq: DECOY_SEQ + 1, subject: 'x' } });
  appendSamples(t.store, EVENTS - DECOY_SEQ, DECOY_SEQ);
  t.store.close();
  paths = t.paths;
  keyId = t.key.keyId;
});
afterEach(() => removeDir(dir));

async function sequential(deep = false): Promise<VerifyReport> {
  const store = await openAuditStore({ file: paths.file, clock: steppingClock(), readonly: true, headsDir: paths.headsDir });
  try {
    return await store.verify({ trustedKeyIds: [keyId], workers: 1, deep });
  } finally {
    store.close();
  }
}

/**
 * Runs SQL on the file as an attacker with file access would: guards dropped, and `events` replaced by a
 * table with the same rows and no types, no generated columns, no checks (STRICT and the JSON-extracting
 * columns would otherwise refuse a blob or a record that is not JSON).
 */
function attack(sql: (db: ReturnType<typeof rawDb>) => void): void {
  const db = rawDb(paths.file);
  try {
    dropGuards(db);
    db.exec(`
      CREATE TABLE loose (seq INTEGER PRIMARY KEY, record, hash, ts);
      INSERT INTO loose SELECT seq, record, hash, ts FROM events;
      DROP TABLE events_fts;
      DROP TABLE events;
      ALTER TABLE loose RENAME TO events;
    `);
    sql(db);
  } finally {
    db.close();
  }
}

/** The range checked in JavaScript alone. */
const inJs = (after: number, last: number, headSeqs: ReadonlyArray<number> = []): VerifyRangeResult => verifyRange({ file: paths.file, after, last, headSeqs, extension: null });

/** The built chain extension (the build compiles it on Linux; the first test below fails where it did not). */
const EXTENSION = defaultChainExtension();

/** The range checked by the chain extension alone, in SQLite. */
function inSqlite(after: number, last: number, headSeqs: ReadonlyArray<number> = []): VerifyRangeResult | null {
  if (EXTENSION === null) return null;
  const verifier = new RangeVerifier(paths.file, EXTENSION);
  try {
    expect(verifier.usesExtension).toBe(true);
    return verifier.checkInSqlite({ after, last, headSeqs });
  } finally {
    verifier.close();
  }
}

const recordAt = (db: ReturnType<typeof rawDb>, seq: number): string => db.prepare('SELECT record FROM events WHERE seq = ?').pluck().get(seq) as string;
const hashAt = (db: ReturnType<typeof rawDb>, seq: number): string => db.prepare('SELECT hash FROM events WHERE seq = ?').pluck().get(seq) as string;

/** Rewrites the last event's record and stores the SHA-256 of the new text as its hash. */
const lastRehashed =
  (rewrite: (record: string) => string) =>
  (db: ReturnType<typeof rawDb>): void => {
    const record = rewrite(recordAt(db, EVENTS));
    db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = ?').run(record, sha256Hex(record), EVENTS);
  };

const ATTACKS: ReadonlyArray<readonly [string, (db: ReturnType<typeof rawDb>) => void]> = [
  ['one byte of a record changed', (db) => db.prepare('UPDATE events SET record = replace(record, ?, ?) WHERE seq = 9').run('"actor":"', '"actor":"x')],
  [
    'a record rewritten and re-hashed (its successor still names the old hash)',
    (db) => {
      const record = recordAt(db, 9).replace('"actor":"', '"actor":"x');
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 9').run(record, sha256Hex(record));
    },
  ],
  [
    "the hash column holding the record's first byte (the row still reads as the same `hash record` text)",
    (db) => {
      const record = recordAt(db, 9);
      db.prepare('UPDATE events SET hash = ?, record = ? WHERE seq = 9').run(hashAt(db, 9) + record.slice(0, 1), record.slice(1));
    },
  ],
  [
    "the record column holding the hash's last digit",
    (db) => {
      const hash = hashAt(db, 9);
      db.prepare('UPDATE events SET hash = ?, record = ? WHERE seq = 9').run(hash.slice(0, 63), hash.slice(63) + recordAt(db, 9));
    },
  ],
  ['a record stored as a blob of the same bytes', (db) => db.prepare('UPDATE events SET record = CAST(record AS BLOB) WHERE seq = 9').run()],
  ['a hash stored as a blob of the same bytes', (db) => db.prepare('UPDATE events SET hash = CAST(hash AS BLOB) WHERE seq = 9').run()],
  ['a hash with a character after its 64 digits', (db) => db.prepare("UPDATE events SET hash = hash || '0' WHERE seq = 9").run()],
  ['a hash in capitals', (db) => db.prepare('UPDATE events SET hash = upper(hash) WHERE seq = 9').run()],
  ['a hash with a non-ASCII character', (db) => db.prepare("UPDATE events SET hash = substr(hash, 1, 63) || 'é' WHERE seq = 9").run()],
  ['a 64-byte hash with a two-byte character (63 characters)', (db) => db.prepare("UPDATE events SET hash = substr(hash, 1, 62) || 'é' WHERE seq = 9").run()],
  ['a row deleted', (db) => db.prepare('DELETE FROM events WHERE seq = 9').run()],
  [
    'every row from seq 9 on moved up one seq (a gap at 9, each record one row off its seq)',
    (db) => {
      db.prepare('UPDATE events SET seq = seq + 1000 WHERE seq >= 9').run();
      db.prepare('UPDATE events SET seq = seq - 999 WHERE seq >= 1000').run();
    },
  ],
  ['the last row deleted', (db) => db.prepare('DELETE FROM events WHERE seq = ?').run(EVENTS)],
  [
    'two rows swapped, each with its hash',
    (db) => {
      const [r8, h8, r9, h9] = [recordAt(db, 8), hashAt(db, 8), recordAt(db, 9), hashAt(db, 9)];
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 8').run(r9, h9);
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 9').run(r8, h8);
    },
  ],
  [
    'the first five rows cut and the rest renumbered from 1 (each record still names its old seq; the chain holds from there)',
    (db) => {
      db.prepare('DELETE FROM events WHERE seq <= 5').run();
      db.prepare('UPDATE events SET seq = seq + 1000').run();
      db.prepare('UPDATE events SET seq = seq - 1005').run();
    },
  ],
  // The last event can be rewritten and re-hashed without breaking a link (the heads catch that): its links
  // must still be read only where canonical JSON puts them.
  ['the last record re-hashed with its top-level prevHash key bent (`,xprevHash":"`)', lastRehashed((record) => record.replace(',"prevHash":"', ',xprevHash":"'))],
  ['the last record re-hashed with a space after its seq', lastRehashed((record) => record.replace(`,"seq":${EVENTS},`, `,"seq":${EVENTS} ,`))],
  ['the last record re-hashed with its seq key bent (`"xseq":`)', lastRehashed((record) => record.replace(',"seq":', ',"xseq":'))],
  ['the last record re-hashed with a digit after its 64-digit prevHash', lastRehashed((record) => record.replace(/("prevHash":"[0-9a-f]{64})"/, '$10"'))],
  ['the last record re-hashed naming seq 2^64 + its seq (what a 64-bit reader that wraps would read as its seq)', lastRehashed((record) => record.replace(`,"seq":${EVENTS},`, `,"seq":${2n ** 64n + BigInt(EVENTS)},`))],
  ['a row moved to another seq', (db) => db.prepare('UPDATE events SET seq = 1009 WHERE seq = 9').run()],
  ['a record cut short', (db) => db.prepare('UPDATE events SET record = substr(record, 1, 100) WHERE seq = 9').run()],
  ['an empty record', (db) => db.prepare("UPDATE events SET record = '' WHERE seq = 9").run()],
  // A decoder that dropped a leading byte-order mark would hand over the genuine text for other bytes.
  ['a byte-order mark put before a record', (db) => db.prepare("UPDATE events SET record = CAST(x'EFBBBF' || record AS TEXT) WHERE seq = 9").run()],
];

describe("the verification workers' range check", () => {
  it('passes the intact log and reports its edges and the hashes at the heads', async () => {
    const report = await sequential();
    expect(report).toMatchObject({ ok: true, lastSeq: EVENTS });
    const whole = inJs(0, EVENTS, [10, 5]);
    expect(whole).toMatchObject({ ok: true, firstPrevHash: '0'.repeat(64), lastHash: report.lastHash });
    expect(whole.ok && whole.headHashes.map(([seq]) => seq)).toEqual([5, 10]);
    const db = rawDb(paths.file);
    try {
      expect(whole.ok && whole.headHashes).toEqual([
        [5, hashAt(db, 5)],
        [10, hashAt(db, 10)],
      ]);
      // A range that starts mid-log reports the prevHash its first event recorded, for the join.
      expect(inJs(7, 12)).toMatchObject({ ok: true, firstPrevHash: hashAt(db, 7), lastHash: hashAt(db, 12) });
    } finally {
      db.close();
    }
    // The extension reports exactly the same.
    expect(inSqlite(0, EVENTS, [5, 10])).toEqual(whole);
    expect(inSqlite(7, 12, [10])).toEqual(inJs(7, 12, [10]));
    expect(inSqlite(LOSSY_SEQ - 1, LOSSY_SEQ)).toEqual(inJs(LOSSY_SEQ - 1, LOSSY_SEQ));
  });

  it('passes the log moved into a table with no types (so what the attacks below change is what is caught)', async () => {
    attack(() => undefined);
    expect(await sequential()).toMatchObject({ ok: true, lastSeq: EVENTS });
    expect(inJs(0, EVENTS)).toMatchObject({ ok: true });
    expect(inSqlite(0, EVENTS)).toEqual(inJs(0, EVENTS));
  });

  for (const [name, sql] of ATTACKS) {
    it(`refuses ${name}, which the sequential verifier fails`, async () => {
      attack(sql);
      expect((await sequential()).ok).toBe(false);
      const result = inJs(0, EVENTS);
      expect(result.ok).toBe(false);
      // Every range that holds the bad row refuses it too, not only one starting at genesis.
      expect(inJs(6, EVENTS).ok).toBe(false);
      // And so does the extension.
      expect(inSqlite(0, EVENTS)).toMatchObject({ ok: false });
      expect(inSqlite(6, EVENTS)).toMatchObject({ ok: false });
      // Over the rows that are left (a cut log may chain intact up to its new end), the extension passes
      // only what the JavaScript check passes.
      const db = rawDb(paths.file);
      const left = Number(db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get());
      db.close();
      const js = inJs(0, left);
      if (js.ok) expect(inSqlite(0, left)).toEqual(js);
      else expect(inSqlite(0, left)).toMatchObject({ ok: false });
    });
  }
});

/** Byte sequences that are not valid UTF-8 and that a decoder turns into one U+FFFD, like the 3 bytes of U+FFFD itself. */
const LOSSY_BYTES: ReadonlyArray<readonly [string, ReadonlyArray<number>]> = [
  ['a lone 0xFF byte', [0xff]],
  ['a four-byte sequence cut short', [0xf0, 0x9f, 0x98]],
  ['a three-byte sequence cut short', [0xe2, 0x82]],
];

describe('records hashed as the bytes stored', () => {
  it('passes an event that holds U+FFFD itself, through both verifiers', async () => {
    expect(await sequential()).toMatchObject({ ok: true, lastSeq: EVENTS });
    expect(await sequential(true)).toMatchObject({ ok: true, lastSeq: EVENTS });
    expect(inJs(0, EVENTS)).toMatchObject({ ok: true });
    expect(inJs(LOSSY_SEQ - 1, LOSSY_SEQ)).toMatchObject({ ok: true });
    expect(inSqlite(0, EVENTS)).toEqual(inJs(0, EVENTS));
  });

  for (const [name, bytes] of LOSSY_BYTES) {
    it(`refuses ${name} stored in place of U+FFFD, which reads back as the same text`, async () => {
      attack((db) => {
        const text = recordAt(db, LOSSY_SEQ);
        const stored = db.prepare('SELECT CAST(record AS BLOB) FROM events WHERE seq = ?').pluck().get(LOSSY_SEQ) as Buffer;
        const at = stored.indexOf(Buffer.from('\uFFFD'));
        expect(at).toBeGreaterThan(0);
        const forged = Buffer.concat([stored.subarray(0, at), Buffer.from(bytes), stored.subarray(at + 3)]);
        db.prepare('UPDATE events SET record = CAST(? AS TEXT) WHERE seq = ?').run(forged, LOSSY_SEQ);
        // The attack's premise: other bytes are stored, and SQLite hands over the same text as before.
        expect(db.prepare('SELECT CAST(record AS BLOB) FROM events WHERE seq = ?').pluck().get(LOSSY_SEQ)).toEqual(forged);
        expect(recordAt(db, LOSSY_SEQ)).toBe(text);
      });
      expect(await sequential()).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: LOSSY_SEQ });
      expect(await sequential(true)).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: LOSSY_SEQ });
      expect(inJs(0, EVENTS)).toEqual({ ok: false, atSeq: LOSSY_SEQ });
      expect(inJs(LOSSY_SEQ - 1, EVENTS)).toEqual({ ok: false, atSeq: LOSSY_SEQ });
      expect(inSqlite(0, EVENTS)).toMatchObject({ ok: false });
      expect(inSqlite(LOSSY_SEQ - 1, EVENTS)).toMatchObject({ ok: false });
      // Where both run (the worker's default), the JavaScript check names where the range breaks.
      expect(verifyRange({ file: paths.file, after: 0, last: EVENTS, headSeqs: [] })).toEqual({ ok: false, atSeq: LOSSY_SEQ });
    });
  }

  it('refuses a chunk row whose stored bytes, read again, belong to other text', async () => {
    // The row at LOSSY_SEQ is read again by seq for its bytes: a record moved there from elsewhere must not
    // lend it another row's bytes. Swapping the lossy row with its neighbour, hashes and all, is refused.
    attack((db) => {
      const [r3, h3, r4, h4] = [recordAt(db, LOSSY_SEQ), hashAt(db, LOSSY_SEQ), recordAt(db, LOSSY_SEQ + 1), hashAt(db, LOSSY_SEQ + 1)];
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = ?').run(r4, h4, LOSSY_SEQ);
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = ?').run(r3, h3, LOSSY_SEQ + 1);
    });
    expect(await sequential()).toMatchObject({ ok: false, reason: 'reordered', firstBadSeq: LOSSY_SEQ });
    expect(inJs(0, EVENTS).ok).toBe(false);
    expect(inSqlite(0, EVENTS)).toMatchObject({ ok: false });
  });
});


/** A record's last 0-40 bytes, some replaced by random ones: shorter than the keys, or cut inside them. */
function randomTail(random: () => number, record: Buffer): Buffer {
  const tail = Buffer.from(record.subarray(record.length - Math.floor(random() * 41)));
  for (let i = 0; i < tail.length; i++) if (random() < 0.2) tail[i] = Math.floor(random() * 256);
  return tail;
}

/** Bytes a change is drawn from: the ones the record's structure hangs on, hex digits, and any byte at all. */
const TELLING_BYTES = Buffer.from('",:{}\\0123456789abcdefABCDEF \n');

describe('the chain extension (native/audit-chain.c)', () => {
  it.runIf(process.platform === 'linux')('is built and loads here', () => {
    expect(EXTENSION, 'the build did not compile native/audit-chain.c (its output says why)').not.toBeNull();
    const verifier = new RangeVerifier(paths.file, EXTENSION);
    try {
      expect(verifier.usesExtension).toBe(true);
    } finally {
      verifier.close();
    }
  });

  it('leaves the checks to JavaScript when it does not load', () => {
    const verifier = new RangeVerifier(paths.file, `${dir}/not-an-extension.so`);
    try {
      expect(verifier.usesExtension).toBe(false);
      expect(verifier.checkInSqlite({ after: 0, last: EVENTS, headSeqs: [] })).toBeNull();
      expect(verifier.verify({ after: 0, last: EVENTS, headSeqs: [] })).toEqual(inJs(0, EVENTS));
    } finally {
      verifier.close();
    }
  });

  it("verifies over the caller's connection when the file refuses a second one", async () => {
    const db = rawDb(paths.file);
    try {
      // Held exclusively from the first read (WAL without shared memory): no other connection can read it.
      db.pragma('locking_mode = EXCLUSIVE');
      db.prepare('SELECT count(*) FROM events').get();
      expect(() => new RangeVerifier(paths.file, EXTENSION).close()).toThrow();
      const report = await verifyDatabase(db, await loadCanonicalize(), [], { trustedKeyIds: [keyId], chainExtension: EXTENSION });
      expect(report).toMatchObject({ ok: true, lastSeq: EVENTS });
    } finally {
      db.close();
    }
  });

  it('never passes a range the JavaScript check refuses, over 1,000 random changes to stored bytes', () => {
    if (EXTENSION === null) return; // not built here: nothing to compare (the test above fails on Linux)
    const random = mulberry32(0x6a7e);
    let refused = 0;
    attack(() => undefined);
    const db = rawDb(paths.file);
    try {
      const read = db.prepare('SELECT CAST(record AS BLOB) AS record, CAST(hash AS BLOB) AS hash FROM events WHERE seq = ?');
      const write = db.prepare('UPDATE events SET record = CAST(? AS TEXT), hash = CAST(? AS TEXT) WHERE seq = ?');
      for (let round = 0; round < 1000; round++) {
        const seq = 1 + Math.floor(random() * EVENTS);
        const original = read.get(seq) as { record: Buffer; hash: Buffer };
        // Now and then the record is replaced by a short run of random bytes, re-hashed: the parser's edges.
        const record = random() < 0.1 ? randomTail(random, original.record) : Buffer.from(original.record);
        let hash = Buffer.from(original.hash);
        const inHash = random() < 0.2;
        const target = inHash ? hash : record;
        // Changes near the end of a record hit prevHash, role, seq, subject and ts, which the links are read from.
        const at = inHash || random() < 0.5 ? Math.floor(random() * target.length) : Math.max(0, target.length - 1 - Math.floor(random() * 200));
        target[at] = random() < 0.7 ? (TELLING_BYTES[Math.floor(random() * TELLING_BYTES.length)] as number) : Math.floor(random() * 256);
        // An attacker who rewrites a record usually re-hashes it too: then only the next link can tell.
        if (!inHash && random() < 0.4) hash = Buffer.from(createHash('sha256').update(record).digest('hex'));
        write.run(record, hash, seq);
        const js = inJs(0, EVENTS, [seq]);
        const native = inSqlite(0, EVENTS, [seq]);
        // The same verdict: never ok where JavaScript refuses, and (so the fast path stays fast) ok where it passes.
        if (js.ok) expect(native).toEqual(js);
        else expect(native).toMatchObject({ ok: false });
        if (!js.ok) refused += 1;
        write.run(original.record, original.hash, seq);
      }
    } finally {
      db.close();
    }
    // Most changes break the chain (a change to the last event, re-hashed, leaves a consistent range).
    expect(refused).toBeGreaterThan(800);
    expect(inSqlite(0, EVENTS)).toEqual(inJs(0, EVENTS));
  });
});

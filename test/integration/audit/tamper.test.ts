import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/model/result';
import {
  canonicalRecord,
  loadCanonicalize,
  loadOrCreateWorkstationKey,
  openAuditStore,
  sha256Hex,
  type AuditEvent,
  type AuditPaths,
  type VerifyProgress,
  type VerifyReport,
  type WorkstationKey,
} from '../../../electron/services/audit';
import { signChainHead } from '../../../electron/services/audit/chain-heads';
import { appendSamples, dropGuards, openTestStore, rawDb, removeDir, steppingClock, tempDir } from '../../unit/services/audit/helpers';

// The log every case starts from: 22 events, heads signed at 5, 10, 15 and 20 (so 21 and 22 are the
// unattested tail), in the database and in the heads file outside it.
const EVENTS = 22;
const HEAD_EVERY = 5;

let dir: string;
let paths: AuditPaths;
let key: WorkstationKey;
let events: ReadonlyArray<AuditEvent>;

beforeEach(async () => {
  dir = tempDir();
  const t = await openTestStore(dir, { headEvery: HEAD_EVERY });
  appendSamples(t.store, EVENTS);
  events = t.store.search({ order: 'asc', limit: 1000 }).events;
  // As a crash between the last appends and their seal leaves it.
  t.store.close({ seal: false });
  paths = t.paths;
  key = t.key;
});
afterEach(() => removeDir(dir));

/** Verifies as an auditor would: read-only, pinned to the workstation key, with or without the heads file. */
async function audit(options: { headsFile?: boolean; deep?: boolean; pinned?: boolean } = {}): Promise<VerifyReport> {
  const store = await openAuditStore({
    file: paths.file,
    clock: steppingClock(),
    readonly: true,
    headsDir: options.headsFile === false ? undefined : paths.headsDir,
  });
  try {
    return await store.verify({ trustedKeyIds: options.pinned === false ? [] : [key.keyId], deep: options.deep });
  } finally {
    store.close();
  }
}

/** Runs SQL on the file with the guards dropped, as an attacker with file access would. */
function attack(fn: (db: ReturnType<typeof rawDb>) => void): void {
  const db = rawDb(paths.file);
  try {
    dropGuards(db);
    fn(db);
  } finally {
    db.close();
  }
}

function recordOf(db: ReturnType<typeof rawDb>, seq: number): string {
  return db.prepare('SELECT record FROM events WHERE seq = ?').pluck().get(seq) as string;
}

/** Rewrites events from `from` on with new content and a freshly computed chain. */
async function reforge(db: ReturnType<typeof rawDb>, from: number): Promise<void> {
  const canonicalize = await loadCanonicalize();
  let prevHash = from === 1 ? '0'.repeat(64) : (db.prepare('SELECT hash FROM events WHERE seq = ?').pluck().get(from - 1) as string);
  for (const event of events.filter((e) => e.seq >= from)) {
    const record = canonicalRecord(canonicalize, { ...event, payload: { ...event.payload, note: 'forged' }, prevHash });
    prevHash = sha256Hex(record);
    db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = ?').run(record, prevHash, event.seq);
  }
}

describe('an intact log', () => {
  it('verifies, attested up to the last head, with or without the heads file', async () => {
    expect(await audit()).toMatchObject({ ok: true, checked: 22, lastSeq: 22, lastAttestedSeq: 20, headsChecked: 4, keyIds: [key.keyId] });
    expect(await audit({ headsFile: false })).toMatchObject({ ok: true, checked: 22 });
    expect(await audit({ deep: true })).toMatchObject({ ok: true, checked: 22 });
  });
});

describe('tampering with rows', () => {
  it('one byte of one record changed through SQL: modified at that seq', async () => {
    attack((db) => db.prepare('UPDATE events SET record = ? WHERE seq = 8').run(recordOf(db, 8).replace('event number 7', 'event number 9')));
    expect(await audit()).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 8, checked: 7 });
  });

  it('one byte changed in the file itself, no SQL at all: modified at that seq', async () => {
    const bytes = readFileSync(paths.file);
    const marker = Buffer.from('"event number 12"');
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    expect(bytes.indexOf(marker, at + 1)).toBe(-1);
    bytes[at + marker.length - 2] = '3'.charCodeAt(0);
    writeFileSync(paths.file, bytes);
    expect(await audit()).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 13 });
  });

  it('a stored hash changed: modified at that seq', async () => {
    attack((db) => db.prepare('UPDATE events SET hash = ? WHERE seq = 4').run('a'.repeat(64)));
    expect(await audit()).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 4 });
  });

  it('one event rewritten and re-hashed: modified at that seq (its successor still names the old hash)', async () => {
    const canonicalize = await loadCanonicalize();
    attack((db) => {
      const event = events[7] as AuditEvent;
      const record = canonicalRecord(canonicalize, { ...event, actor: 'mallory' });
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 8').run(record, sha256Hex(record));
    });
    expect(await audit()).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 8 });
  });

  it('a row deleted: missing at that seq', async () => {
    attack((db) => db.prepare('DELETE FROM events WHERE seq = 8').run());
    expect(await audit()).toMatchObject({ ok: false, reason: 'missing', firstBadSeq: 8, checked: 7 });
  });

  it('two rows swapped (with their hashes): reordered at the first', async () => {
    attack((db) => {
      const [a, b] = [3, 12].map((seq) => db.prepare('SELECT record, hash FROM events WHERE seq = ?').get(seq) as { record: string; hash: string });
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 3').run(b?.record, b?.hash);
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 12').run(a?.record, a?.hash);
    });
    expect(await audit()).toMatchObject({ ok: false, reason: 'reordered', firstBadSeq: 3 });
  });

  it('two adjacent records swapped, hashes left in place: reordered at the first', async () => {
    attack((db) => {
      const [a, b] = [16, 17].map((seq) => recordOf(db, seq));
      db.prepare('UPDATE events SET record = ? WHERE seq = 16').run(b);
      db.prepare('UPDATE events SET record = ? WHERE seq = 17').run(a);
    });
    expect(await audit()).toMatchObject({ ok: false, reason: 'reordered', firstBadSeq: 16 });
  });
});

describe('cutting and rolling back', () => {
  it('the tail truncated (heads left alone): truncated after the last remaining event', async () => {
    attack((db) => db.prepare('DELETE FROM events WHERE seq >= 18').run());
    const report = await audit({ headsFile: false });
    expect(report).toMatchObject({ ok: false, reason: 'truncated', firstBadSeq: 18, lastSeq: 17, lastAttestedSeq: 15 });
    expect(report.message).toMatch(/truncated after seq 17.*attests seq 20/);
  });

  it('the tail and its heads cut from the database: only the outside heads file shows it', async () => {
    attack((db) => {
      db.prepare('DELETE FROM events WHERE seq >= 18').run();
      db.prepare('DELETE FROM chain_heads WHERE seq >= 18').run();
    });
    expect(await audit({ headsFile: false })).toMatchObject({ ok: true, lastSeq: 17 });
    expect(await audit()).toMatchObject({ ok: false, reason: 'truncated', firstBadSeq: 18 });
  });

  it('an older copy of the file restored: truncated, caught by the heads file', async () => {
    const fresh = tempDir();
    try {
      // Build the same kind of log again, keeping a copy of the file after 12 events.
      const t = await openTestStore(fresh, { headEvery: HEAD_EVERY });
      appendSamples(t.store, 12);
      t.store.close();
      copyFileSync(t.paths.file, `${fresh}/old-copy.sqlite`);
      const again = await openTestStore(fresh, { headEvery: HEAD_EVERY });
      appendSamples(again.store, 10, 12);
      again.store.close();
      copyFileSync(`${fresh}/old-copy.sqlite`, t.paths.file);
      for (const suffix of ['-wal', '-shm']) if (existsSync(`${t.paths.file}${suffix}`)) rmSync(`${t.paths.file}${suffix}`);
      [paths, key] = [t.paths, t.key];
      expect(await audit({ headsFile: false })).toMatchObject({ ok: true, lastSeq: 12 });
      // Closing sealed the copy at 12, so the copy is attested that far and no further.
      expect(await audit()).toMatchObject({ ok: false, reason: 'truncated', firstBadSeq: 13, lastAttestedSeq: 12 });

      // The app carries on writing to the restored copy: the new events contradict the outside heads.
      const resumed = await openTestStore(fresh, { headEvery: HEAD_EVERY });
      appendSamples(resumed.store, 10, 100);
      resumed.store.close();
      expect(await audit()).toMatchObject({ ok: false, reason: 'head-mismatch', firstBadSeq: 13 });
    } finally {
      removeDir(fresh);
    }
  });
});

describe('re-forging the chain', () => {
  it('the whole chain re-hashed, database heads kept: head-mismatch from seq 1', async () => {
    await reforgeFrom(1);
    const report = await audit({ headsFile: false });
    expect(report).toMatchObject({ ok: false, reason: 'head-mismatch', firstBadSeq: 1, lastAttestedSeq: 0 });
  });

  it('the chain re-hashed from seq 12: head-mismatch after the last head that still holds', async () => {
    await reforgeFrom(12);
    expect(await audit({ headsFile: false })).toMatchObject({ ok: false, reason: 'head-mismatch', firstBadSeq: 11, lastAttestedSeq: 10 });
  });

  it('re-forged and re-signed with the attacker’s own key: the pinned key and the heads file catch it', async () => {
    const canonicalize = await loadCanonicalize();
    const attacker = loadOrCreateWorkstationKey(`${dir}/attacker-keys`);
    await reforgeFrom(1);
    attack((db) => {
      db.prepare('DELETE FROM chain_heads').run();
      for (const seq of [5, 10, 15, 20, 22]) {
        const hash = db.prepare('SELECT hash FROM events WHERE seq = ?').pluck().get(seq) as string;
        const head = signChainHead(canonicalize, attacker, { seq, hash, ts: '2025-02-01T00:00:00.000Z' });
        db.prepare('INSERT INTO chain_heads (seq, hash, ts, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)').run(
          head.seq,
          head.hash,
          head.ts,
          head.keyId,
          head.publicKey,
          head.signature,
        );
      }
    });
    expect(await audit({ headsFile: false })).toMatchObject({ ok: false, reason: 'head-signature-invalid', firstBadSeq: 5 });
    const unpinned = await audit({ pinned: false });
    expect(unpinned).toMatchObject({ ok: false, reason: 'head-mismatch', firstBadSeq: 1 });
    expect(unpinned.keyIds).toEqual([attacker.keyId, key.keyId].sort());
    // Without the pin or the outside heads, the forgery is self-consistent: which is why both exist.
    expect(await audit({ headsFile: false, pinned: false })).toMatchObject({ ok: true, keyIds: [attacker.keyId] });
  });

  it('a head signature altered in the heads file: head-signature-invalid at that head', async () => {
    const lines = readFileSync(paths.headsFile, 'utf8').trimEnd().split('\n');
    const head = JSON.parse(lines[1] ?? '') as { signature: string };
    const flipped = head.signature.startsWith('A') ? `B${head.signature.slice(1)}` : `A${head.signature.slice(1)}`;
    lines[1] = JSON.stringify({ ...head, signature: flipped });
    writeFileSync(paths.headsFile, `${lines.join('\n')}\n`);
    expect(await audit()).toMatchObject({ ok: false, reason: 'head-signature-invalid', firstBadSeq: 10 });
  });

  it('a garbage line in the heads file: malformed', async () => {
    writeFileSync(paths.headsFile, `${readFileSync(paths.headsFile, 'utf8')}not json\n`);
    expect(await audit()).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: null });
  });

  it('a non-canonical record re-hashed in the unattested tail: only the deep check sees it', async () => {
    attack((db) => {
      const record = recordOf(db, 22).replace('{"action"', '{ "action"');
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = 22').run(record, sha256Hex(record));
    });
    expect(await audit()).toMatchObject({ ok: true });
    expect(await audit({ deep: true })).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 22 });
  });
});

describe('progress and cancelling', () => {
  it('reports progress up to 1 and stops with Cancelled when the signal fires', async () => {
    const store = await openAuditStore({ file: paths.file, clock: steppingClock(), readonly: true });
    try {
      const seen: VerifyProgress[] = [];
      const report = await store.verify({ chunkSize: 5, onProgress: (p) => seen.push(p) });
      expect(report.ok).toBe(true);
      expect(seen.length).toBeGreaterThan(3);
      expect(seen.map((p) => p.fraction)).toEqual([...seen.map((p) => p.fraction)].sort((a, b) => a - b));
      expect(seen[seen.length - 1]).toEqual({ checked: 22, fraction: 1 });

      const controller = new AbortController();
      const cancelled = store.verify({ chunkSize: 5, signal: controller.signal, onProgress: () => controller.abort() });
      await expect(cancelled).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    } finally {
      store.close();
    }
  });
});

/** Re-forges every event from `from` on, with the guards dropped. */
async function reforgeFrom(from: number): Promise<void> {
  const db = rawDb(paths.file);
  try {
    dropGuards(db);
    await reforge(db, from);
  } finally {
    db.close();
  }
}

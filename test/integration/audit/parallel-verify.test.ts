/**
 * Verification in worker threads gives the sequential verifier's report: the same figures for an intact
 * log, and for a tampered one the same first fault (any anomaly falls back to the sequential pass).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore, prestartVerifyWorkers, type AuditPaths, type VerifyReport } from '../../../electron/services/audit';
import { PARALLEL_MIN_EVENTS } from '../../../electron/services/audit/verify';
import { verifyRange } from '../../../electron/services/audit/verify-worker';
import { dropGuards, openTestStore, rawDb, removeDir, sampleEvent, steppingClock, tempDir } from '../../unit/services/audit/helpers';

const EVENTS = PARALLEL_MIN_EVENTS + 1_234;
let dir: string;
let paths: AuditPaths;
let keyId: string;

beforeAll(async () => {
  dir = tempDir();
  const t = await openTestStore(dir, { headEvery: 10_000 });
  for (let i = 0; i < EVENTS; i += 1000) t.store.appendMany(Array.from({ length: Math.min(1000, EVENTS - i) }, (_, k) => sampleEvent(i + k)));
  t.store.close();
  paths = t.paths;
  keyId = t.key.keyId;
}, 300_000);
afterAll(() => removeDir(dir));

async function verify(workers: number, progress: number[] = []): Promise<VerifyReport> {
  const store = await openAuditStore({ file: paths.file, clock: steppingClock(), readonly: true, headsDir: paths.headsDir });
  try {
    return await store.verify({ trustedKeyIds: [keyId], requireSealed: true, workers, onProgress: (p) => progress.push(p.fraction) });
  } finally {
    store.close();
  }
}

describe('parallel audit verification', () => {
  it('checks a range the way the sequential pass does, and reports where a range breaks', () => {
    const whole = verifyRange({ file: paths.file, after: 0, last: 100, headSeqs: [50] });
    expect(whole).toMatchObject({ ok: true, firstPrevHash: '0'.repeat(64), headHashes: [[50, expect.stringMatching(/^[0-9a-f]{64}$/)]] });
    expect(verifyRange({ file: paths.file, after: 0, last: EVENTS + 5, headSeqs: [] })).toEqual({ ok: false, atSeq: EVENTS + 1 });
  });

  it('gives the same report for an intact log with two workers as with one', async () => {
    const sequentialProgress: number[] = [];
    const parallelProgress: number[] = [];
    const sequential = await verify(1, sequentialProgress);
    const parallel = await verify(2, parallelProgress);
    expect(sequential).toMatchObject({ ok: true, checked: EVENTS, lastAttestedSeq: EVENTS });
    expect(parallel).toEqual(sequential);
    // The sequential pass reports every chunk; the workers' pass reports once, at the end.
    expect(sequentialProgress.length).toBeGreaterThan(5);
    expect(parallelProgress).toEqual([1]);
  }, 300_000);

  it('gives the same report with workers started before the store was opened (as the CLI does)', async () => {
    const started = prestartVerifyWorkers(paths.file, 2);
    expect(started).toMatchObject({ size: 1 });
    const store = await openAuditStore({ file: paths.file, clock: steppingClock(), readonly: true, headsDir: paths.headsDir });
    try {
      const report = await store.verify({ trustedKeyIds: [keyId], requireSealed: true, workers: 2, startedWorkers: started });
      expect(report).toEqual(await verify(1));
    } finally {
      store.close();
      started?.close();
    }
  }, 300_000);

  it('names the same first fault when the first row of the second range was rewritten', async () => {
    const db = rawDb(paths.file);
    try {
      dropGuards(db);
      const at = Math.ceil(EVENTS / 2) + 1; // the first row of the second range: its link is what joins the ranges
      const record = db.prepare('SELECT record FROM events WHERE seq = ?').pluck().get(at) as string;
      db.prepare('UPDATE events SET record = ? WHERE seq = ?').run(record.replace('"actor":"', '"actor":"x'), at);
    } finally {
      db.close();
    }
    const sequential = await verify(1);
    expect(sequential).toMatchObject({ ok: false, reason: 'modified' });
    expect(await verify(2)).toEqual(sequential);
  }, 300_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { benchmarkAuditPayload, benchmarkSamples, migrateCore, recordBenchmark } from '../../../electron/core/sandbox-runs';
import { openDatabase, schemaVersion } from '../../../electron/services/db/sqlite';
import { benchmarkSummary } from '../../../electron/services/sandbox/sandbox';
import { pairedVerdict } from '../../../electron/services/sandbox/benchmark';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('benchmark samples', () => {
  it('are stored one row per pair, in a real SQLite file, under their own migration domain, and go into the audit payload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-bench-samples-'));
    dirs.push(dir);
    const db = openDatabase({ file: join(dir, 'app.sqlite') });
    migrateCore(db);
    expect(schemaVersion(db, 'sandbox-benchmarks')).toBe(1);
    const base = [1, 1.02, 0.98, 1.01, 0.99, 1, 1.03, 0.97, 1.01, 1];
    const head = base.map((b) => b * 1.3);
    const summary = benchmarkSummary(pairedVerdict(base, head, { minEffect: 0.1, significance: 0.01, pairsWanted: 10 }, undefined, 'stdout'));
    const clock = { now: () => new Date('2026-01-01T00:00:00Z') };
    recordBenchmark({ appDb: db, clock }, { runId: 'cmp-1', repositoryId: 'r', subject: 'proposal:r/p', kind: 'proposal', base: 'a'.repeat(40), head: 'b'.repeat(40) }, summary);
    const rows = benchmarkSamples({ appDb: db }, 'cmp-1');
    expect(rows).toHaveLength(10);
    expect(rows[1]).toEqual({ pair: 1, first: 'head', base: 1.02, head: 1.02 * 1.3 });
    expect(db.prepare('SELECT outcome, pairs_wanted FROM benchmark_comparisons WHERE run_id = ?').get('cmp-1')).toEqual({ outcome: 'regression', pairs_wanted: 10 });
    const payload = benchmarkAuditPayload(summary);
    expect(payload).toMatchObject({ outcome: 'regression', minEffect: 0.1, significance: 0.01 });
    expect(payload?.samples).toHaveLength(10);
    db.close();
  });
});

import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditPaths,
  loadOrCreateWorkstationKey,
  openAuditStore,
  readHeadsFile,
  type AuditEvent,
} from '../../../electron/services/audit';
import { systemClock } from '../../../shared/model/clock';
import { removeDir, tempDir } from '../../unit/services/audit/helpers';
import { bundleScript, finished, runNode, startScript } from './helpers';

let dir: string;
let appender: string;
let cli: string;
beforeAll(async () => {
  dir = tempDir();
  [appender, cli] = await Promise.all([
    bundleScript('test/integration/audit/fixtures/appender.ts', dir, 'appender'),
    bundleScript('test/integration/audit/cli-entry.ts', dir, 'gatehouse'),
  ]);
});
afterAll(() => removeDir(dir));

/** Checks that one writer's events appear in the order it wrote them, with nothing missing. */
function expectWriterInOrder(events: ReadonlyArray<AuditEvent>, writer: string, count: number): void {
  const mine = events.filter((e) => e.actor === writer).map((e) => e.payload['n']);
  expect(mine, writer).toEqual(Array.from({ length: count }, (_, n) => n));
}

describe('concurrent writers', () => {
  it('the app (in process), two writer processes and the CLI form one linear chain, losing nothing', { timeout: 120_000 }, async () => {
    const dataDir = `${dir}/shared`;
    const paths = auditPaths(dataDir);
    const key = loadOrCreateWorkstationKey(paths.keysDir);
    const app = await openAuditStore({ file: paths.file, clock: systemClock, workstationKey: key, headsDir: paths.headsDir, headEvery: 5 });
    try {
      const PER_WRITER = 150;
      const writers = ['proc-a', 'proc-b'].map((name) =>
        finished(startScript(appender, ['--data-dir', dataDir, '--writer', name, '--count', String(PER_WRITER), '--head-every', '5'])),
      );
      const clis = Array.from({ length: 3 }, (_, i) =>
        runNode([cli, 'audit', 'append', '--db', paths.file, '--actor', 'cli', '--action', 'ci.scan-finished', '--subject', `run-${i}`, '--payload', `{"n":${i}}`, '--json']),
      );
      // The app appends between yields, so its writes interleave with the others'.
      for (let n = 0; n < PER_WRITER; n++) {
        app.append({ actor: 'app', role: 'system', action: 'sandbox.run', subject: 'app', payload: { n } });
        await new Promise((resolve) => setImmediate(resolve));
      }
      const results = await Promise.all([...writers, ...clis]);
      for (const result of results) expect(result.code, result.stderr).toBe(0);
      const cliSeqs = results.slice(2).map((r) => (JSON.parse(r.stdout) as AuditEvent).seq);

      const total = 3 * PER_WRITER + 3;
      expect(app.count()).toBe(total);
      const events = app.search({ order: 'asc', limit: 1000 }).events;
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
      expectWriterInOrder(events, 'app', PER_WRITER);
      expectWriterInOrder(events, 'proc-a', PER_WRITER);
      expectWriterInOrder(events, 'proc-b', PER_WRITER);
      expect(new Set(cliSeqs).size).toBe(3);
      for (const seq of cliSeqs) expect(app.get(seq)?.actor).toBe('cli');

      const report = await app.verify({ headsFile: paths.headsFile });
      expect(report).toMatchObject({ ok: true, checked: total, keyIds: [key.keyId] });
      expect(readHeadsFile(paths.headsFile).malformedLines).toEqual([]);
    } finally {
      app.close();
    }
  });

  it('writers starting together on an empty folder agree on one key, one schema and one chain', { timeout: 60_000 }, async () => {
    const dataDir = `${dir}/fresh`;
    const runs = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        finished(startScript(appender, ['--data-dir', dataDir, '--writer', name, '--count', '25', '--head-every', '10'])),
      ),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const paths = auditPaths(dataDir);
    expect(readdirSync(paths.keysDir)).toEqual(['workstation-ed25519.pem']);
    const key = loadOrCreateWorkstationKey(paths.keysDir);
    const store = await openAuditStore({ file: paths.file, clock: systemClock, workstationKey: key, headsDir: paths.headsDir });
    try {
      expect(store.count()).toBe(100);
      const report = await store.verify({ headsFile: paths.headsFile });
      expect(report).toMatchObject({ ok: true, checked: 100, keyIds: [key.keyId] });
      expect(report.headsChecked).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });
});

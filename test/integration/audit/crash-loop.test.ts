import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPaths, openAuditStore, readHeadsFile, readWorkstationPublicKey } from '../../../electron/services/audit';
import { systemClock } from '../../../shared/model/clock';
import { removeDir, tempDir } from '../../unit/services/audit/helpers';
import { bundleScript, startScript } from './helpers';

const ITERATIONS = 120;

let dir: string;
let appender: string;
beforeAll(async () => {
  dir = tempDir();
  appender = await bundleScript('test/integration/audit/fixtures/appender.ts', dir, 'appender');
});
afterAll(() => removeDir(dir));

/** Seeded so a failing run can be replayed: the seed is in every assertion message. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Life {
  readonly printed: ReadonlyArray<readonly [seq: number, hash: string]>;
  readonly killed: boolean;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs one appender until it has printed `lines` commits (or, for 0, until `ms` pass), then kill -9s it. */
function liveAndDie(dataDir: string, writer: string, lines: number, ms: number): Promise<Life> {
  const child = startScript(appender, ['--data-dir', dataDir, '--writer', writer, '--head-every', '3']);
  const printed: Array<readonly [number, string]> = [];
  let buffer = '';
  let stderr = '';
  let killed = false;
  const kill = (): void => {
    if (!killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const [seq, hash] = buffer.slice(0, nl).split(' ');
      buffer = buffer.slice(nl + 1);
      printed.push([Number(seq), hash ?? '']);
      if (lines > 0 && printed.length >= lines) kill();
    }
  });
  // A kill at a random moment, often while the process is still loading, opening or migrating.
  if (lines === 0) setTimeout(kill, ms);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ printed, killed, stderr, code }));
  });
}

describe('crash loop', () => {
  it(`keeps a verifiable chain and every committed event through ${ITERATIONS} kill -9s`, { timeout: 170_000 }, async () => {
    const seed = Date.now();
    const rand = prng(seed);
    const dataDir = `${dir}/data`;
    const committed = new Map<number, string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const lines = rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 12);
      const life = await liveAndDie(dataDir, `w${i}`, lines, Math.floor(rand() * 80));
      // Every life must end by our kill, never by an error of its own.
      expect(life.killed, `seed ${seed}, iteration ${i}: exited ${life.code} by itself: ${life.stderr}`).toBe(true);
      for (const [seq, hash] of life.printed) {
        expect(committed.has(seq), `seed ${seed}: seq ${seq} printed twice`).toBe(false);
        committed.set(seq, hash);
      }
    }

    const paths = auditPaths(dataDir);
    const db = new Database(paths.file);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const key = readWorkstationPublicKey(paths.keysDir);
    expect(key).not.toBeNull();
    const store = await openAuditStore({ file: paths.file, clock: systemClock, headsDir: paths.headsDir, trustedKeyIds: [key?.keyId ?? ''] });
    try {
      const report = await store.verify({ headsFile: paths.headsFile });
      expect(report, `seed ${seed}`).toMatchObject({ ok: true, reason: null });
      expect(report.headsChecked).toBeGreaterThan(0);
      expect(committed.size).toBeGreaterThan(0);
      for (const [seq, hash] of committed) expect(store.get(seq)?.hash, `seed ${seed}: seq ${seq}`).toBe(hash);
      expect(store.count()).toBeGreaterThanOrEqual(Math.max(...committed.keys()));
      expect(readHeadsFile(paths.headsFile).malformedLines).toEqual([]);
    } finally {
      store.close();
    }
  });
});

/**
 * Audit store benchmarks: `node --import tsx test/bench/audit.bench.ts` (BENCH_QUICK=1 for 100,000 events).
 *
 * Prints one JSON line per figure on stdout (progress on stderr):
 * - durable single-event appends/s (synchronous=FULL) and batched appends/s, each with the peer (plain
 *   inserts of the same rows into a table with the same indexes and full-text index, no chain) and the
 *   chain's overhead as a ratio;
 * - verify throughput at 1,000,000 events and peak RSS of the verifying process, with SQLite's bare read
 *   speed of the same rows as the peer;
 * - search latency p50/p99 at 1,000,000 events for filter queries and for full-text queries.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../shared/model/clock';
import { systemClock } from '../../shared/model/clock';
import { openDatabase, type Db } from '../../electron/services/db/sqlite';
import {
  auditPaths,
  loadOrCreateWorkstationKey,
  openAuditStore,
  type AuditEventInput,
  type AuditSearchRequest,
  type AuditStore,
} from '../../electron/services/audit';

const QUICK = process.env['BENCH_QUICK'] === '1';
const LOG_EVENTS = QUICK ? 100_000 : 1_000_000;
const SINGLE_APPENDS = QUICK ? 300 : 2000;
const BATCHED_EVENTS = QUICK ? 20_000 : 100_000;
const BATCH = 1000;
const QUERIES = QUICK ? 100 : 300;

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ bench: `audit.${bench}`, value: Number(value.toPrecision(6)), unit, ...extra })}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[audit bench] ${message}\n`);
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const ACTORS = ['alice', 'bob', 'carol', 'dave', 'erin', 'gatehouse', 'ci-bot', 'agent-7'];
const ROLES = ['reviewer', 'reviewer', 'lead', 'auditor', 'system', 'system', 'tool', 'agent'] as const;
const ACTIONS = [
  'proposal.discovered',
  'analysis.completed',
  'sandbox.run',
  'sandbox.run',
  'approval.minted',
  'decision.rejected',
  'apply.completed',
  'checkpoint.created',
  'rollback.completed',
  'policy.changed',
  'unlock.failed',
];
const WORDS = ['timeout', 'exit', 'findings', 'critical', 'sql', 'injection', 'path', 'traversal', 'token', 'leak', 'docker', 'oom', 'retry', 'green', 'flaky'];

/** A deterministic pseudo-random stream, so every run benchmarks the same data. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function pick<T>(rand: () => number, list: ReadonlyArray<T>): T {
  return list[Math.floor(rand() * list.length)] as T;
}

/** The i-th benchmark event: realistic field spread and a payload of ~200 bytes. */
function benchEvent(rand: () => number, i: number): AuditEventInput {
  const who = Math.floor(rand() * ACTORS.length);
  return {
    actor: ACTORS[who] ?? 'alice',
    role: ROLES[who] ?? 'system',
    action: pick(rand, ACTIONS),
    subject: `repo-${i % 20}/proposal-${i % 5000}`,
    payload: {
      revision: (i * 2654435761).toString(16).padStart(8, '0').repeat(5),
      risk: pick(rand, ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
      findings: Math.floor(rand() * 12),
      note: `${pick(rand, WORDS)} ${pick(rand, WORDS)} after ${Math.floor(rand() * 9000)} ms, ticket GH-${i}`,
    },
  };
}

/** A clock that moves 10 minutes per read: a million events in batches of 1000 span about a week. */
function benchClock(): Clock {
  let t = Date.UTC(2025, 0, 1);
  return {
    now: () => {
      const at = new Date(t);
      t += 600_000;
      return at;
    },
  };
}

const PLAIN_SCHEMA = `
  CREATE TABLE plain (seq INTEGER PRIMARY KEY, ts TEXT, actor TEXT, role TEXT, action TEXT, subject TEXT, payload TEXT);
  CREATE INDEX plain_ts ON plain (ts);
  CREATE INDEX plain_actor ON plain (actor);
  CREATE INDEX plain_role ON plain (role);
  CREATE INDEX plain_action ON plain (action);
  CREATE INDEX plain_subject ON plain (subject);
  CREATE VIRTUAL TABLE plain_fts USING fts5 (payload, content = 'plain', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2');
  CREATE TRIGGER plain_fts_insert AFTER INSERT ON plain BEGIN INSERT INTO plain_fts (rowid, payload) VALUES (new.seq, new.payload); END;
`;

/** The peer: the same rows into a table with the same indexes and FTS, but no canonical JSON, hashes or triggers. */
function plainInserter(db: Db): (events: ReadonlyArray<AuditEventInput>) => void {
  db.exec(PLAIN_SCHEMA);
  const insert = db.prepare('INSERT INTO plain (seq, ts, actor, role, action, subject, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const last = db.prepare('SELECT coalesce(max(seq), 0) FROM plain').pluck();
  const insertAll = db.transaction((events: ReadonlyArray<AuditEventInput>) => {
    let seq = last.get() as number;
    const ts = new Date().toISOString();
    for (const e of events) insert.run(++seq, ts, e.actor, e.role, e.action, e.subject, JSON.stringify(e.payload ?? {}));
  });
  return (events) => {
    insertAll.immediate(events);
  };
}

async function benchAppends(dir: string): Promise<void> {
  const rand = prng(7);
  const single = Array.from({ length: SINGLE_APPENDS }, (_, i) => benchEvent(rand, i));
  const batched = Array.from({ length: BATCHED_EVENTS }, (_, i) => benchEvent(rand, i));
  const paths = auditPaths(join(dir, 'appends'));
  const store = await openAuditStore({ file: paths.file, clock: systemClock, workstationKey: loadOrCreateWorkstationKey(paths.keysDir), headsDir: paths.headsDir });
  const plainDb = openDatabase({ file: join(dir, 'appends', 'plain.sqlite') });
  const plain = plainInserter(plainDb);
  try {
    // Chain and plain run in alternating blocks, so both see the same disk and machine load.
    progress(`${SINGLE_APPENDS} durable single appends, chain and plain, alternating blocks of 100`);
    let chainSeconds = 0;
    let plainSeconds = 0;
    for (let i = 0; i < single.length; i += 100) {
      const block = single.slice(i, i + 100);
      let start = process.hrtime.bigint();
      for (const event of block) store.append(event);
      chainSeconds += seconds(start);
      start = process.hrtime.bigint();
      for (const event of block) plain([event]);
      plainSeconds += seconds(start);
    }
    const chainSingle = SINGLE_APPENDS / chainSeconds;
    const plainSingle = SINGLE_APPENDS / plainSeconds;
    emit('append.durable', chainSingle, 'events/s', { events: SINGLE_APPENDS, synchronous: 'FULL', transaction: 'one per event' });
    emit('append.durable.peer-plain-insert', plainSingle, 'events/s', { events: SINGLE_APPENDS, synchronous: 'FULL' });
    emit('append.durable.chain-overhead', plainSingle / chainSingle, 'ratio', { meaning: 'plain events/s ÷ chained events/s' });

    progress(`${BATCHED_EVENTS} batched appends (${BATCH} per transaction), chain and plain, alternating`);
    chainSeconds = 0;
    plainSeconds = 0;
    for (let i = 0; i < batched.length; i += BATCH) {
      const batch = batched.slice(i, i + BATCH);
      let start = process.hrtime.bigint();
      store.appendMany(batch);
      chainSeconds += seconds(start);
      start = process.hrtime.bigint();
      plain(batch);
      plainSeconds += seconds(start);
    }
    const chainBatched = BATCHED_EVENTS / chainSeconds;
    const plainBatched = BATCHED_EVENTS / plainSeconds;
    emit('append.batched', chainBatched, 'events/s', { events: BATCHED_EVENTS, batch: BATCH, synchronous: 'FULL' });
    emit('append.batched.peer-plain-insert', plainBatched, 'events/s', { events: BATCHED_EVENTS, batch: BATCH });
    emit('append.batched.chain-overhead', plainBatched / chainBatched, 'ratio', { meaning: 'plain events/s ÷ chained events/s' });
  } finally {
    store.close();
    plainDb.close();
  }
}

async function buildLog(dir: string): Promise<{ store: AuditStore; file: string; headsFile: string; keyId: string }> {
  const paths = auditPaths(join(dir, 'log'));
  const key = loadOrCreateWorkstationKey(paths.keysDir);
  const store = await openAuditStore({ file: paths.file, clock: benchClock(), workstationKey: key, headsDir: paths.headsDir });
  const rand = prng(11);
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOG_EVENTS; i += 5000) {
    for (let j = i; j < Math.min(i + 5000, LOG_EVENTS); j += BATCH) {
      store.appendMany(Array.from({ length: Math.min(BATCH, LOG_EVENTS - j) }, (_, k) => benchEvent(rand, j + k)));
    }
    if ((i / 5000) % 20 === 0) progress(`built ${i + 5000} of ${LOG_EVENTS} events`);
  }
  progress(`built ${LOG_EVENTS} events in ${seconds(start).toFixed(1)} s`);
  store.close(); // runs PRAGMA optimize so the planner has statistics, as after any long session
  const reopened = await openAuditStore({ file: paths.file, clock: benchClock(), workstationKey: key, headsDir: paths.headsDir });
  return { store: reopened, file: paths.file, headsFile: paths.headsFile, keyId: key.keyId };
}

/** Runs the verify measurement in a fresh process, so its peak RSS is the verifier's own. */
function measureVerify(file: string, headsFile: string, keyId: string): void {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--verify-child', file, headsFile, keyId], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`verify child failed: ${child.stderr}`);
  process.stderr.write(child.stderr);
  const result = JSON.parse(child.stdout) as {
    ok: boolean;
    checked: number;
    seconds: number;
    readSeconds: number;
    baselineRssMb: number;
    peakRssMb: number;
    rssSamplesMb: number[];
  };
  if (!result.ok || result.checked !== LOG_EVENTS) throw new Error(`verify did not pass: ${child.stdout}`);
  emit('verify.throughput', result.checked / result.seconds, 'events/s', { events: result.checked, seconds: result.seconds, goalSeconds: 2 });
  emit('verify.peer-sqlite-read', result.checked / result.readSeconds, 'rows/s', { rows: result.checked, seconds: result.readSeconds, what: 'SELECT seq, record, hash in the same chunks, no hashing' });
  emit('verify.vs-bare-read', result.seconds / result.readSeconds, 'ratio', { meaning: 'verify time ÷ bare read time' });
  emit('verify.peak-rss', result.peakRssMb, 'MB', { baselineMb: result.baselineRssMb, events: result.checked, goalMb: 200, what: 'maxRSS of the verifying process' });
  emit('verify.rss-growth', Math.max(...result.rssSamplesMb) - result.baselineRssMb, 'MB', { what: 'RSS during verify minus RSS just before' });
}

async function verifyChild(file: string, headsFile: string, keyId: string): Promise<void> {
  const store = await openAuditStore({ file, clock: systemClock, readonly: true });
  try {
    // The peer: SQLite reading the same rows in the same chunks, nothing else.
    const db = openDatabase({ file, readonly: true });
    const read = db.prepare('SELECT seq, record, hash FROM events WHERE seq > ? ORDER BY seq LIMIT 5000').raw(true);
    let start = process.hrtime.bigint();
    for (let last = 0; ; ) {
      const rows = read.all(last) as Array<[number, string, string]>;
      if (rows.length === 0) break;
      last = rows[rows.length - 1]?.[0] ?? last;
    }
    const readSeconds = seconds(start);
    db.close();
    global.gc?.();
    const baselineRssMb = process.memoryUsage().rss / 1e6;
    const rssSamplesMb: number[] = [];
    start = process.hrtime.bigint();
    const report = await store.verify({ headsFile, trustedKeyIds: [keyId], onProgress: () => rssSamplesMb.push(process.memoryUsage().rss / 1e6) });
    const elapsed = seconds(start);
    process.stderr.write(`[audit bench] verify: ${report.message}\n`);
    process.stdout.write(
      JSON.stringify({
        ok: report.ok,
        checked: report.checked,
        seconds: elapsed,
        readSeconds,
        baselineRssMb,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        rssSamplesMb: rssSamplesMb.filter((_, i) => i % 10 === 0),
      }),
    );
  } finally {
    store.close();
  }
}

function percentile(sorted: ReadonlyArray<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function latencies(store: AuditStore, requests: ReadonlyArray<AuditSearchRequest>): number[] {
  for (const request of requests.slice(0, 10)) store.search(request); // warm the statement cache
  const times = requests.map((request) => {
    const start = process.hrtime.bigint();
    store.search(request);
    return seconds(start) * 1000;
  });
  return times.sort((a, b) => a - b);
}

function benchSearch(store: AuditStore): void {
  const rand = prng(23);
  const cursor = (): Partial<AuditSearchRequest> => {
    const r = rand();
    const seq = 1 + Math.floor(rand() * LOG_EVENTS);
    return r < 0.4 ? {} : r < 0.6 ? { atSeq: seq } : r < 0.8 ? { beforeSeq: seq } : { afterSeq: seq };
  };
  const hourStart = (): string => new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * (LOG_EVENTS / BATCH) * 600) * 1000).toISOString();
  const filters: Array<() => AuditSearchRequest> = [
    () => ({ actor: pick(rand, ACTORS) }),
    () => ({ action: pick(rand, ACTIONS) }),
    () => ({ action: pick(rand, ['approval.*', 'sandbox.*', 'apply.*', 'rollback.*']) }),
    () => ({ role: pick(rand, ROLES) }),
    () => ({ subject: `repo-${Math.floor(rand() * 20)}/proposal-${Math.floor(rand() * 5000)}` }),
    () => {
      const from = hourStart();
      return { from, to: new Date(Date.parse(from) + 3_600_000).toISOString() };
    },
    () => ({ from: hourStart() }),
    () => ({ actor: pick(rand, ACTORS), action: pick(rand, ACTIONS) }),
    () => ({ role: 'lead', action: 'rollback.completed' }),
    () => ({ actor: 'carol', action: 'unlock.failed', from: hourStart() }),
  ];
  const texts: Array<() => AuditSearchRequest> = [
    () => ({ text: pick(rand, WORDS) }),
    () => ({ text: `${pick(rand, WORDS)} ${pick(rand, WORDS)}` }),
    () => ({ text: `GH-${Math.floor(rand() * LOG_EVENTS)}` }),
    () => ({ text: pick(rand, ['CRITICAL', 'MINIMAL', 'HIGH']) }),
    () => ({ text: pick(rand, WORDS), actor: pick(rand, ACTORS) }),
    () => ({ text: pick(rand, WORDS), action: pick(rand, ACTIONS) }),
    () => ({ text: pick(rand, WORDS), from: hourStart() }),
  ];
  // Prefix words ("crit*") are measured apart: FTS5 merges every matching term's whole doclist for them.
  const prefixes: Array<() => AuditSearchRequest> = [() => ({ text: pick(rand, ['crit*', 'trav*', 'inj*', 'tok*', 'doc*', 'ret*']) })];
  const build = (kinds: Array<() => AuditSearchRequest>): AuditSearchRequest[] =>
    Array.from({ length: QUERIES }, (_, i) => ({ ...(kinds[i % kinds.length] as () => AuditSearchRequest)(), ...cursor(), limit: 50 }));

  progress(`${QUERIES} filter, ${QUERIES} full-text and ${QUERIES} prefix queries at ${LOG_EVENTS} events`);
  const filterTimes = latencies(store, build(filters));
  emit('search.filter.p50', percentile(filterTimes, 50), 'ms', { events: LOG_EVENTS, queries: QUERIES, page: 50 });
  emit('search.filter.p99', percentile(filterTimes, 99), 'ms', { events: LOG_EVENTS, queries: QUERIES, page: 50, goalMs: 50 });
  const textTimes = latencies(store, build(texts));
  emit('search.fts.p50', percentile(textTimes, 50), 'ms', { events: LOG_EVENTS, queries: QUERIES, page: 50 });
  emit('search.fts.p99', percentile(textTimes, 99), 'ms', { events: LOG_EVENTS, queries: QUERIES, page: 50, goalMs: 50 });
  const prefixTimes = latencies(store, build(prefixes));
  emit('search.fts-prefix.p50', percentile(prefixTimes, 50), 'ms', { events: LOG_EVENTS, queries: QUERIES, page: 50 });
  emit('search.fts-prefix.p99', percentile(prefixTimes, 99), 'ms', { events: LOG_EVENTS, queries: QUERIES, page: 50 });

  let start = process.hrtime.bigint();
  const counts = store.countsByAction();
  emit('counts-by-action', seconds(start) * 1000, 'ms', { events: LOG_EVENTS, actions: counts.length });
  start = process.hrtime.bigint();
  const weekCounts = store.countsByAction({ from: hourStart() });
  emit('counts-by-action.filtered', seconds(start) * 1000, 'ms', { events: LOG_EVENTS, actions: weekCounts.length, filter: 'from a random time' });
  start = process.hrtime.bigint();
  const matches = store.countMatching({ actor: 'alice' });
  emit('count.filter', seconds(start) * 1000, 'ms', { events: LOG_EVENTS, matches, filter: 'actor' });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--verify-child') {
    const [file, headsFile, keyId] = process.argv.slice(3);
    if (!file || !headsFile || !keyId) throw new Error('usage: --verify-child FILE HEADS KEYID');
    await verifyChild(file, headsFile, keyId);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'gh-audit-bench-'));
  try {
    await benchAppends(dir);
    progress(`building a log of ${LOG_EVENTS} events`);
    const log = await buildLog(dir);
    try {
      benchSearch(log.store);
    } finally {
      log.store.close();
    }
    progress('verifying in a fresh process');
    measureVerify(log.file, log.headsFile, log.keyId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[audit bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

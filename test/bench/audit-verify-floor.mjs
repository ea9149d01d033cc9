#!/usr/bin/env node
// The floors beside the `audit verify` row of cli.bench.ts: the least a Node process can do with the same
// rows, so the verifier's figure can be read against what reading and hashing alone cost on this machine.
//
//   node test/bench/audit-verify-floor.mjs read  FILE THREADS   reads every row as the verifier does
//                                                                (one `hash || record` string per row,
//                                                                5000 rows per query), nothing else
//   node test/bench/audit-verify-floor.mjs hash  FILE THREADS   the same, plus one crypto.hash() per record
//                                                                compared with its stored hash, after the
//                                                                verifier's U+FFFD check (which picks the rows
//                                                                whose stored bytes it reads again): the
//                                                                minimal verifier, no links, no heads, no
//                                                                type guards
//   node test/bench/audit-verify-floor.mjs sha   RECORDS_FILE   SHA-256 of the records' bytes in one
//                                                                node:crypto call (OpenSSL, SHA-NI where the
//                                                                CPU has it): the hashing throughput alone
//
// THREADS splits the seqs into that many contiguous parts, this thread taking the first and one worker
// thread (this same file) each of the rest. Plain JavaScript, so no TypeScript loader's start-up is timed.
// Prints one JSON line: { rows, bytes, seconds } (seconds from the start of the process's own code).
import Database from 'better-sqlite3';
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const CHUNK_ROWS = 5000;
const SQL = 'SELECT hash || record FROM events WHERE seq > ? AND seq <= ? ORDER BY seq';

/** Reads (and with `withHash`, hashes and compares) the rows with seqs in (after, last]. */
function pass(file, after, last, withHash) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let rows = 0;
  let bad = 0;
  try {
    const read = db.prepare(SQL).pluck();
    for (let from = after; from < last; from += CHUNK_ROWS) {
      const chunk = read.all(from, Math.min(last, from + CHUNK_ROWS));
      rows += chunk.length;
      if (!withHash) continue;
      // As the verifier: a row holding U+FFFD may decode bytes that are not valid UTF-8, and is read again
      // as bytes there (here it counts as bad: the bench's log has none); every other row's text is hashed.
      for (const row of chunk) if ((row.includes('\uFFFD', 64) ? '' : hash('sha256', row.slice(64), 'hex')) !== row.slice(0, 64)) bad += 1;
    }
  } finally {
    db.close();
  }
  return { rows, bad };
}

async function main() {
  const [mode, file, threadsArg] = process.argv.slice(2);
  const start = process.hrtime.bigint();
  if (mode === 'sha') {
    const bytes = readFileSync(file);
    const hashStart = process.hrtime.bigint();
    hash('sha256', bytes, 'hex');
    const seconds = Number(process.hrtime.bigint() - hashStart) / 1e9;
    process.stdout.write(`${JSON.stringify({ bytes: bytes.length, seconds })}\n`);
    return;
  }
  if ((mode !== 'read' && mode !== 'hash') || file === undefined) throw new Error('usage: audit-verify-floor.mjs read|hash FILE THREADS, or sha RECORDS_FILE');
  const threads = Math.max(1, Number(threadsArg ?? 1));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const total = Number(db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get());
  db.close();
  const size = Math.ceil(total / threads);
  const workers = Array.from({ length: threads - 1 }, (_, i) => {
    const after = (i + 1) * size;
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { file, after, last: Math.min(total, after + size), withHash: mode === 'hash' } });
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  });
  const mine = pass(file, 0, Math.min(total, size), mode === 'hash');
  const theirs = await Promise.all(workers);
  const rows = mine.rows + theirs.reduce((sum, r) => sum + r.rows, 0);
  const bad = mine.bad + theirs.reduce((sum, r) => sum + r.bad, 0);
  if (rows !== total || bad !== 0) throw new Error(`read ${rows} of ${total} rows, ${bad} whose hash differs`);
  process.stdout.write(`${JSON.stringify({ rows, threads, seconds: Number(process.hrtime.bigint() - start) / 1e9 })}\n`);
}

if (isMainThread) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
} else {
  const { file, after, last, withHash } = workerData;
  parentPort.postMessage(pass(file, after, last, withHash));
}

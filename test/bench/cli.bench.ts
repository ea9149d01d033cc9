/**
 * CLI benchmarks (issue 16): `node --import tsx test/bench/cli.bench.ts` after `node build/build.mjs`
 * (`npm run bench` does both); BENCH_QUICK=1 verifies 100,000 events instead of 1,000,000.
 *
 * Runs the built `dist/cli/gatehouse.cjs` directly, through its sh launcher, as `node_modules/.bin/gatehouse`
 * does (never through npx, which pays a second Node start). Each figure is the median of alternating rounds with its peer
 * measured in the same run, and prints its goal beside it:
 * - `gatehouse --version` cold start and peak RSS, against `git --version` (and the floors: `node -e 0`, and
 *   a one-line executable Node script that prints a version);
 * - `gatehouse audit append` of one event, against one durable `sqlite3` INSERT;
 * - `gatehouse audit verify` of the whole log (both cores, and `--jobs 1`), against a `sqlite3` read of
 *   the same rows and `sha256sum` of the same record bytes, with the Node floors beside it
 *   (test/bench/audit-verify-floor.mjs: the rows read, read and hashed in 1 and 2 threads, and one
 *   node:crypto SHA-256 over all the record bytes). Those floors are the JavaScript path's: where the build
 *   compiled the chain extension (native/audit-chain.c), ranges are checked inside SQLite and the CLI goes
 *   below them; the line says which path ran (`rangeCheck`);
 * - `gatehouse verify REF` (the CI gate) on an approved, applied head of a 10,000-file repository, against
 *   `git verify-commit` of a GPG-signed commit in the same repository; also without the V8 code cache
 *   (GATEHOUSE_CODE_CACHE=off: what a first run pays).
 *
 * Beside each wall-clock median it prints the median CPU time (user + system of the child and its threads,
 * 10 ms resolution) and the load average before and after: on a shared 2-core machine the CPU time and the
 * ratio to the same-run peer are the figures that survive the load. Node 20 parses the NODE_EXTRA_CA_CERTS
 * bundle before it runs any script; the launcher defers it to the CLI's first TLS connection
 * (electron/services/records/deferred-ca-certs.ts), so `--version` is also timed as `node gatehouse.cjs`
 * (no launcher: what Node alone pays) and without the variable.
 *
 * CLI_BENCH=version,append,verify-ref,audit-verify runs only the named parts; CLI_BENCH_KEEP=1 keeps the
 * fixtures (for profiling) and prints where they are.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditPaths, loadOrCreateWorkstationKey, openAuditStore } from '../../electron/services/audit';
import { openDatabase } from '../../electron/services/db/sqlite';
import { systemClock } from '../../shared/model/clock';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'gatehouse.cjs');
const QUICK = process.env['BENCH_QUICK'] === '1';
const LOG_EVENTS = QUICK ? 100_000 : 1_000_000;
const START_ROUNDS = QUICK ? 7 : 15;
const VERIFY_ROUNDS = 3;

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ bench: `cli.${bench}`, value: Number(value.toPrecision(4)), unit, ...extra })}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[cli bench] ${message}\n`);
}

function median(values: ReadonlyArray<number>): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** CPU milliseconds (user + system) of every child process waited for so far, from getrusage(RUSAGE_CHILDREN). */
function childrenCpuMs(): number {
  // process.resourceUsage() covers this process only; /proc/self/stat fields 16 and 17 are the waited-for
  // children's user and system clock ticks (USER_HZ, 100 on Linux).
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** CPU milliseconds of the last {@link timed} run (user + system of the child and its threads). */
let lastCpuMs = 0;

/** Runs a command to completion; returns wall milliseconds (and sets lastCpuMs). Throws when it fails. */
function timed(command: string, args: ReadonlyArray<string>, options: SpawnSyncOptions = {}): number {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, [...args], { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  lastCpuMs = childrenCpuMs() - cpuBefore;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(result.status ?? result.signal)}: ${String(result.stderr)}`);
  return ms;
}

/** The 1-minute load average, rounded: with 2 cores, anything above 2 means the figures waited for a CPU. */
function load(): number {
  return Math.round((loadavg()[0] ?? 0) * 10) / 10;
}

/** Peak RSS in MB of one run, from GNU time. */
function peakRssMb(command: string, args: ReadonlyArray<string>): number | null {
  if (!existsSync('/usr/bin/time')) return null;
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8' });
  const kb = Number.parseInt(result.stderr.trim().split('\n').at(-1) ?? '', 10);
  return Number.isFinite(kb) ? round1(kb / 1024) : null;
}

/** Medians of alternating rounds: wall and CPU milliseconds per command, and the load average around them. */
interface Alternated {
  readonly wall: Record<string, number>;
  readonly cpu: Record<string, number>;
  readonly loadBefore: number;
  readonly loadAfter: number;
}

/** Runs each named command once per round, alternating, and returns each one's median wall and CPU milliseconds. */
function alternate(rounds: number, commands: Record<string, () => number>): Alternated {
  const loadBefore = load();
  const wall: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(commands)) {
      wall[name]?.push(run());
      cpu[name]?.push(lastCpuMs);
    }
  }
  const medians = (m: Record<string, number[]>): Record<string, number> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round1(median(v))]));
  return { wall: medians(wall), cpu: medians(cpu), loadBefore, loadAfter: load() };
}

const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100);

/** The environment without NODE_EXTRA_CA_CERTS: Node 20 reads and parses that bundle before running any script. */
function withoutExtraCaCerts(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  return env;
}

function benchVersion(dir: string): void {
  progress(`--version cold start, ${START_ROUNDS} alternating rounds`);
  const bare = { env: withoutExtraCaCerts() };
  // The least any Node CLI can be: an executable one-line script that prints a version, started the way
  // `gatehouse` is (through its #! line), so Node's loading of a main file is counted as it is for ours.
  const script = join(dir, 'print-version');
  writeFileSync(script, "#!/usr/bin/env node\nprocess.stdout.write('0.1.0\\n');\n", { mode: 0o755 });
  const t = alternate(START_ROUNDS, {
    gatehouse: () => timed(CLI, ['--version']),
    git: () => timed('git', ['--version']),
    node: () => timed(process.execPath, ['-e', '0']),
    script: () => timed(script, []),
    gatehouseThroughNode: () => timed(process.execPath, [CLI, '--version']),
    gatehouseBare: () => timed(CLI, ['--version'], bare),
    nodeBare: () => timed(process.execPath, ['-e', '0'], bare),
  });
  emit('version.cold-start', t.wall['gatehouse'] as number, 'ms', {
    goalMs: 80,
    peer: 'git --version',
    peerMs: t.wall['git'],
    nodeFloorMs: t.wall['node'],
    overNodeFloorMs: round1((t.wall['gatehouse'] as number) - (t.wall['node'] as number)),
    ratioToNodeFloor: ratio(t.wall['gatehouse'], t.wall['node']),
    oneLineScriptMs: t.wall['script'],
    overOneLineScriptMs: round1((t.wall['gatehouse'] as number) - (t.wall['script'] as number)),
    cpuMs: t.cpu['gatehouse'],
    nodeFloorCpuMs: t.cpu['node'],
    extraCaCerts: process.env['NODE_EXTRA_CA_CERTS'] === undefined ? 'unset' : 'set (the launcher defers it; Node alone parses it at every start)',
    throughNodeWithoutLauncherMs: t.wall['gatehouseThroughNode'],
    withoutExtraCaCertsMs: t.wall['gatehouseBare'],
    nodeFloorWithoutExtraCaCertsMs: t.wall['nodeBare'],
    rssMb: peakRssMb(CLI, ['--version']),
    peerRssMb: peakRssMb('git', ['--version']),
    rounds: START_ROUNDS,
    load: [t.loadBefore, t.loadAfter],
  });
}

function benchAppend(dir: string): void {
  const db = join(dir, 'append', 'audit.sqlite');
  const peerDb = join(dir, 'append-peer.sqlite');
  timed(CLI, ['audit', 'append', '--db', db, '--actor', 'ci', '--action', 'ci.warm-up', '--subject', 's']);
  timed('sqlite3', [peerDb, 'PRAGMA journal_mode=WAL; CREATE TABLE t (seq INTEGER PRIMARY KEY, record TEXT, hash TEXT);']);
  progress(`audit append of one event, ${START_ROUNDS} alternating rounds`);
  let n = 0;
  const t = alternate(START_ROUNDS, {
    gatehouse: () =>
      timed(CLI, ['audit', 'append', '--db', db, '--actor', 'ci', '--action', 'ci.scan-finished', '--subject', `run-${n++}`, '--payload', '{"result":"green"}']),
    sqlite3: () => timed('sqlite3', [peerDb, "PRAGMA synchronous=FULL; INSERT INTO t (record, hash) VALUES ('{\"result\":\"green\"}', 'x');"]),
    node: () => timed(process.execPath, ['-e', '0']),
  });
  emit('audit-append', t.wall['gatehouse'] as number, 'ms', {
    goalMs: 150,
    peer: 'sqlite3 CLI: one durable INSERT',
    peerMs: t.wall['sqlite3'],
    nodeFloorMs: t.wall['node'],
    ratioToNodeFloor: ratio(t.wall['gatehouse'], t.wall['node']),
    oneLineScriptMs: t.wall['script'],
    overOneLineScriptMs: round1((t.wall['gatehouse'] as number) - (t.wall['script'] as number)),
    cpuMs: t.cpu['gatehouse'],
    peerCpuMs: t.cpu['sqlite3'],
    nodeFloorCpuMs: t.cpu['node'],
    includes: 'Node start, open + migrate check, append, seal (sign a head, fsync heads file), close',
    rounds: START_ROUNDS,
    load: [t.loadBefore, t.loadAfter],
  });
}

async function buildLog(dir: string): Promise<{ file: string; headsFile: string; keyId: string; recordsFile: string }> {
  const paths = auditPaths(join(dir, 'log'));
  const key = loadOrCreateWorkstationKey(paths.keysDir);
  const store = await openAuditStore({ file: paths.file, clock: systemClock, workstationKey: key, headsDir: paths.headsDir });
  const start = Date.now();
  for (let i = 0; i < LOG_EVENTS; i += 1000) {
    store.appendMany(
      Array.from({ length: Math.min(1000, LOG_EVENTS - i) }, (_, k) => ({
        actor: ['alice', 'bob', 'ci-bot', 'gatehouse'][(i + k) % 4] as string,
        role: 'tool' as const,
        action: ['proposal.discovered', 'analysis.completed', 'sandbox.run', 'approval.minted'][(i + k) % 4] as string,
        subject: `repo-a/proposal-${(i + k) % 97}`,
        payload: { index: i + k, note: `event number ${i + k}`, files: (i + k) % 13 },
      })),
    );
    if (i % 200_000 === 0) progress(`built ${i + 1000} of ${LOG_EVENTS} events`);
  }
  store.close();
  progress(`built ${LOG_EVENTS} events in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  // The same bytes the verifier hashes, for the sha256sum peer.
  const recordsFile = join(dir, 'records.bin');
  const db = openDatabase({ file: paths.file, readonly: true });
  const fd = openSync(recordsFile, 'w');
  try {
    for (const record of db.prepare('SELECT record FROM events ORDER BY seq').pluck().iterate() as IterableIterator<string>) writeSync(fd, record);
  } finally {
    closeSync(fd);
    db.close();
  }
  return { file: paths.file, headsFile: paths.headsFile, keyId: key.keyId, recordsFile };
}

/** The floor script beside this bench: the least a Node process does with the same rows (see its header). */
const FLOOR = join(ROOT, 'test', 'bench', 'audit-verify-floor.mjs');

async function benchVerify(dir: string): Promise<void> {
  progress(`building a log of ${LOG_EVENTS} events`);
  const log = await buildLog(dir);
  const verifyArgs = ['audit', 'verify', '--db', log.file, '--heads', log.headsFile, '--trust-key', log.keyId];
  progress(`audit verify via the CLI, its peers and the Node floors, ${VERIFY_ROUNDS} alternating rounds`);
  const shaInside: number[] = [];
  const t = alternate(VERIFY_ROUNDS, {
    both: () => timed(CLI, verifyArgs),
    one: () => timed(CLI, [...verifyArgs, '--jobs', '1']),
    sqlite3: () => timed('sqlite3', [log.file, 'SELECT seq, record, hash FROM events ORDER BY seq']),
    sha256: () => timed('sha256sum', [log.recordsFile]),
    floorRead: () => timed(process.execPath, [FLOOR, 'read', log.file, '1']),
    floorHash: () => timed(process.execPath, [FLOOR, 'hash', log.file, '1']),
    floorHash2: () => timed(process.execPath, [FLOOR, 'hash', log.file, '2']),
    nodeSha: () => {
      const started = process.hrtime.bigint();
      const out = spawnSync(process.execPath, [FLOOR, 'sha', log.recordsFile], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`the sha floor failed: ${out.stderr}`);
      shaInside.push((JSON.parse(out.stdout) as { seconds: number }).seconds * 1000);
      return Number(process.hrtime.bigint() - started) / 1e6;
    },
  });
  const goalSeconds = 1.0;
  const s = (ms: number | undefined): number | null => (ms === undefined ? null : Math.round(ms) / 1000);
  emit('audit-verify', (t.wall['both'] as number) / 1000, 's', {
    events: LOG_EVENTS,
    goalSeconds,
    threads: 'default: the cores, at most 4 (the CLI thread and one worker per other core)',
    rangeCheck: existsSync(join(ROOT, 'dist', 'native', 'audit-chain.so')) ? 'in SQLite (native/audit-chain.c)' : 'in JavaScript (the chain extension was not built)',
    cpuSeconds: s(t.cpu['both']),
    oneWorkerSeconds: s(t.wall['one']),
    oneWorkerCpuSeconds: s(t.cpu['one']),
    peer: 'sqlite3 read of the same rows; sha256sum of the same record bytes',
    peerSqliteReadSeconds: s(t.wall['sqlite3']),
    peerSqliteReadCpuSeconds: s(t.cpu['sqlite3']),
    peerSha256Seconds: s(t.wall['sha256']),
    peerSha256CpuSeconds: s(t.cpu['sha256']),
    // The floors: node test/bench/audit-verify-floor.mjs read|hash FILE THREADS, and sha RECORDS_FILE.
    floorNodeReadSeconds: s(t.wall['floorRead']),
    floorNodeReadCpuSeconds: s(t.cpu['floorRead']),
    floorNodeReadHashSeconds: s(t.wall['floorHash']),
    floorNodeReadHashCpuSeconds: s(t.cpu['floorHash']),
    floorNodeReadHash2ThreadsSeconds: s(t.wall['floorHash2']),
    floorNodeReadHash2ThreadsCpuSeconds: s(t.cpu['floorHash2']),
    floorNodeSha256OneCallSeconds: s(median(shaInside)),
    floors: 'node: rows read as the verifier reads them; + crypto.hash per record compared with its hash (1 and 2 threads); one crypto.hash over all record bytes (OpenSSL)',
    ratioToSqliteRead: ratio(t.wall['both'], t.wall['sqlite3']),
    ratioToNodeReadHashFloor2Threads: ratio(t.wall['both'], t.wall['floorHash2']),
    cpuRatioToNodeReadHashFloor: ratio(t.cpu['both'], t.cpu['floorHash']),
    cpuRatioToSqlitePlusSha256: ratio(t.cpu['both'], (t.cpu['sqlite3'] ?? 0) + (t.cpu['sha256'] ?? 0)),
    rounds: VERIFY_ROUNDS,
    load: [t.loadBefore, t.loadAfter],
  });
}

const REF_FILES = 10_000;

/** Runs a command and returns its stdout; throws when it fails. */
function run(command: string, args: ReadonlyArray<string>, options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, [...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(result.status ?? result.signal)}: ${String(result.stderr)}${String(result.stdout)}`);
  return String(result.stdout);
}

function benchVerifyRef(dir: string): void {
  const dataDir = join(dir, 'ref-data');
  const as = (name: string, passphrase: string) => ({ env: { ...process.env, GATEHOUSE_PASSPHRASE: passphrase } });
  const gh = (args: ReadonlyArray<string>, options: SpawnSyncOptions = {}) => run(CLI, ['--data-dir', dataDir, ...args], options);
  progress(`verify REF: a ${REF_FILES}-file repository with an approved, applied change`);
  const demo = JSON.parse(gh(['demo', '--json'])) as { path: string };
  const repo = join(dir, 'big');
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'pricing-agent', GIT_AUTHOR_EMAIL: 'agent@agents.gatehouse.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@bench.invalid' };
  const git = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = gitEnv) => run('git', ['-C', repo, ...args], { env });
  run('git', ['init', '-q', '-b', 'main', repo]);
  for (let d = 0; d < 100; d++) {
    const folder = join(repo, 'src', `d${d}`);
    mkdirSync(folder, { recursive: true });
    for (let f = 0; f < REF_FILES / 100; f++) writeFileSync(join(folder, `f${f}.txt`), `file ${d}/${f}\n`);
  }
  mkdirSync(join(repo, '.gatehouse'));
  for (const name of ['policy.yaml', 'trust.json']) copyFileSync(join(demo.path, '.gatehouse', name), join(repo, '.gatehouse', name));
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'base']);
  git(['checkout', '-q', '-b', 'proposals/bench-change']);
  writeFileSync(join(repo, 'src', 'd0', 'f0.txt'), 'file 0/0, changed\n');
  git(['commit', '-q', '-am', 'a small change']);
  // The approved revision: what the CI gate is asked about (as test/integration/core/cli-flow.test.ts does).
  const approvedHead = git(['rev-parse', 'HEAD']).trim();
  git(['checkout', '-q', 'main']);
  const id = (JSON.parse(gh(['repo', 'add', repo, '--as', 'lee', '--json'], as('lee', 'lee-demo-passphrase'))) as { id: string }).id;
  gh(['approve', '--repo', id, '--proposal', 'bench-change', '--as', 'rita', '--reason', 'bench', '--all-files-reviewed-outside'], as('rita', 'rita-demo-passphrase'));
  gh(['apply', '--repo', id, '--proposal', 'bench-change', '--as', 'rita'], as('rita', 'rita-demo-passphrase'));

  // The peer: a GPG-signed commit in the same repository, checked by git.
  const gnupg = join(dir, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const gpgEnv = { ...gitEnv, GNUPGHOME: gnupg };
  run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Bench <bench@bench.invalid>', 'ed25519', 'sign', 'never'], { env: gpgEnv });
  git(['branch', 'signed', 'main'], gpgEnv);
  git(['checkout', '-q', 'signed'], gpgEnv);
  git(['-c', 'user.signingkey=bench@bench.invalid', 'commit', '-q', '--allow-empty', '-S', '-m', 'signed'], gpgEnv);
  git(['checkout', '-q', 'main'], gpgEnv);

  // The gate must pass (exit 0) on the approved head before it is timed.
  const first = spawnSync(CLI, ['--data-dir', dataDir, 'verify', '--repo', id, approvedHead, '--json'], { encoding: 'utf8' });
  if (first.status !== 0) throw new Error(`verify refused the approved head: ${first.stdout}${first.stderr}`);
  const t = alternate(START_ROUNDS, {
    gatehouse: () => timed(CLI, ['--data-dir', dataDir, 'verify', '--repo', id, approvedHead]),
    git: () => timed('git', ['-C', repo, 'verify-commit', 'signed'], { env: gpgEnv }),
    node: () => timed(process.execPath, ['-e', '0']),
    // What a run pays without the V8 code cache (a first run, or a CI runner that does not keep the data directory).
    gatehouseNoCache: () => timed(CLI, ['--data-dir', dataDir, 'verify', '--repo', id, approvedHead], { env: { ...process.env, GATEHOUSE_CODE_CACHE: 'off' } }),
  });
  emit('verify-ref', t.wall['gatehouse'] as number, 'ms', {
    goalMs: 300,
    files: REF_FILES + 2,
    ref: 'the approved and applied revision',
    peer: 'git verify-commit of a GPG-signed commit in the same repository',
    peerMs: t.wall['git'],
    nodeFloorMs: t.wall['node'],
    ratioToNodeFloor: ratio(t.wall['gatehouse'], t.wall['node']),
    oneLineScriptMs: t.wall['script'],
    overOneLineScriptMs: round1((t.wall['gatehouse'] as number) - (t.wall['script'] as number)),
    cpuMs: t.cpu['gatehouse'],
    peerCpuMs: t.cpu['git'],
    nodeFloorCpuMs: t.cpu['node'],
    codeCache: `${dataDir}/code-cache (made by the first run)`,
    withoutCodeCacheMs: t.wall['gatehouseNoCache'],
    withoutCodeCacheCpuMs: t.cpu['gatehouseNoCache'],
    rounds: START_ROUNDS,
    load: [t.loadBefore, t.loadAfter],
  });
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`no ${CLI}: run node build/build.mjs first (npm run bench does)`);
  const parts = (process.env['CLI_BENCH'] ?? 'version,append,verify-ref,audit-verify').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'gh-cli-bench-'));
  try {
    if (parts.includes('version')) benchVersion(dir);
    if (parts.includes('append')) benchAppend(dir);
    if (parts.includes('verify-ref')) benchVerifyRef(dir);
    if (parts.includes('audit-verify')) await benchVerify(dir);
  } finally {
    if (process.env['CLI_BENCH_KEEP'] === '1') progress(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[cli bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

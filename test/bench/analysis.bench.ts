/**
 * Threat analysis benchmarks (issue 5, "Quality and speed, measured"), next to Bandit on the same files.
 *
 * - A generated Python corpus (≥ 50,000 lines, a mix of vulnerable and safe code): files per second for
 *   Gatehouse (in-process from a cold start, as the CLI runs; and the 2-thread worker pool warm, as the
 *   app runs it) and for `bandit -r DIR -f json -q`, and the ratios (wall clock; CPU-time ratios as extra
 *   fields, steadier on a busy machine); then, per category both tools cover, what each found (goal: every category Bandit
 *   flags, Gatehouse flags too).
 * - A 10,000-line file and a 1,000-file proposal: time and peak memory (RSS), each measured in a fresh
 *   child process so the peak belongs to that scan alone, next to the baseline of a process that only
 *   loaded the analyser.
 *
 * - The Python standard library against Bandit, per file: in-process on one thread and a cold 2-thread pool
 *   (BENCH_ANALYSIS_ONLY=stdlib runs only this; GATEHOUSE_BENCH_STDLIB points at another tree).
 *
 * Prints one JSON line per figure on stdout; progress goes to stderr. BENCH_QUICK=1 shrinks the sizes.
 * Run: node --import tsx test/bench/analysis.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Finding } from '../../shared/model/domain';
import { createAnalyzer } from '../../electron/services/analysis/engine';
import { createAnalysisPool } from '../../electron/services/analysis/pool';
import { decodeSource } from '../../electron/services/analysis/encoding';
import type { AnalysisFile } from '../../electron/services/analysis/types';
import { loadCorpus, scoreByLanguage } from '../integration/analysis/corpus';
import { measureOwaspPython, rates } from './owasp-python';
import { measureRuleSuites, ORIGINAL_CATEGORIES, totals } from './rule-suites';
import { mulberry32 as prng } from '../support/prng';

const QUICK = process.env['BENCH_QUICK'] === '1';
const CORPUS_FILES = QUICK ? 60 : 500;
const BIG_FILE_LINES = QUICK ? 2_000 : 10_000;
const PROPOSAL_FILES = QUICK ? 200 : 1_000;
const ROOT = join(__dirname, '../..');
const BUILT_WORKER = join(ROOT, 'dist/workers/analysis-worker.cjs');

function log(message: string): void {
  process.stderr.write(`[analysis.bench] ${message}\n`);
}

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra })}\n`);
}

// ---------------------------------------------------------------- corpus generation (deterministic)


type Block = (name: string, r: () => number) => string;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomWord(r: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[Math.floor(r() * ALNUM.length)];
  return out;
}

/** Code both tools should flag, one category each (the key is our category). */
const VULNERABLE: ReadonlyArray<[string, Block]> = [
  ['code-execution', (n) => `def evaluate_${n}(expression):\n    """Evaluate a user expression."""\n    result = eval(expression)\n    return result\n`],
  ['code-execution', (n) => `def run_plugin_${n}(source):\n    scope = {}\n    exec(source, scope)\n    return scope.get("main")\n`],
  ['command-injection', (n) => `def ping_${n}(host):\n    status = os.system("ping -c 1 " + host)\n    return status == 0\n`],
  ['command-injection', (n) => `def convert_${n}(filename):\n    cmd = "convert %s out.png" % filename\n    return subprocess.call(cmd, shell=True)\n`],
  ['sql-injection', (n) => `def find_user_${n}(conn, name):\n    cur = conn.cursor()\n    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)\n    return cur.fetchall()\n`],
  ['sql-injection', (n) => `def delete_${n}(conn, table, key):\n    query = "DELETE FROM " + table + " WHERE id = " + key\n    conn.execute(query)\n`],
  ['deserialization', (n) => `def load_session_${n}(blob):\n    return pickle.loads(blob)\n`],
  ['deserialization', (n) => `def load_config_${n}(text):\n    return yaml.load(text)\n`],
  ['deserialization', (n) => `def load_code_${n}(blob):\n    return marshal.loads(blob)\n`],
  ['weak-hash', (n) => `def hash_password_${n}(password):\n    return hashlib.md5(password.encode()).hexdigest()\n`],
  ['insecure-randomness', (n) => `def make_token_${n}():\n    reset_token = "".join(random.choice(string.ascii_letters) for _ in range(32))\n    return reset_token\n`],
  ['tls-verification', (n) => `def fetch_${n}(url):\n    return requests.get(url, verify=False, timeout=10)\n`],
  ['tls-verification', (n) => `def context_${n}():\n    return ssl._create_unverified_context()\n`],
  ['secrets', (n, r) => `def connect_${n}(driver):\n    db_password = "${randomWord(r, 6)}#${randomWord(r, 9)}!"\n    return driver.connect(user="app", password=db_password)\n`],
  ['dom-injection', (n) => `def render_bio_${n}(user):\n    return mark_safe("<p>" + user.bio + "</p>")\n`],
  ['dom-injection', (n) => `def environment_${n}():\n    return jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))\n`],
];

/** Ordinary code: most of the corpus. */
const SAFE: ReadonlyArray<Block> = [
  (n) => `def parse_${n}(text):\n    data = json.loads(text)\n    return {key: value for key, value in data.items() if value is not None}\n`,
  (n) => `def list_dir_${n}(path):\n    result = subprocess.run(["ls", "-la", path], capture_output=True, check=True)\n    return result.stdout.decode()\n`,
  (n) => `def find_${n}(conn, name):\n    cur = conn.cursor()\n    cur.execute("SELECT id, name FROM users WHERE name = %s", (name,))\n    return cur.fetchone()\n`,
  (n) => `def digest_${n}(data):\n    return hashlib.sha256(data).hexdigest()\n`,
  (n) => `def token_${n}():\n    return secrets.token_urlsafe(32)\n`,
  (n) => `def config_${n}(text):\n    return yaml.safe_load(text)\n`,
  (n) => `def roll_${n}(sides=6):\n    return random.randint(1, sides)\n`,
  (n) => `def total_${n}(items):\n    total = 0\n    for item in items:\n        if item.price > 0:\n            total += item.price * item.quantity\n    return round(total, 2)\n`,
  (n) => `class Account${n}:\n    def __init__(self, owner, balance=0):\n        self.owner = owner\n        self.balance = balance\n\n    def deposit(self, amount):\n        if amount <= 0:\n            raise ValueError("amount must be positive")\n        self.balance += amount\n        return self.balance\n`,
  (n) => `def read_settings_${n}(path):\n    with open(path, encoding="utf-8") as handle:\n        lines = [line.strip() for line in handle if line.strip()]\n    return dict(line.split("=", 1) for line in lines)\n`,
  (n) => `def retry_${n}(fn, attempts=3):\n    for attempt in range(attempts):\n        try:\n            return fn()\n        except OSError:\n            logging.warning("attempt %d failed", attempt)\n    return None\n`,
  (n) => `def password_from_env_${n}():\n    return os.environ.get("DB_PASSWORD", "")\n`,
];

const HEADER = [
  'import hashlib',
  'import json',
  'import logging',
  'import marshal',
  'import os',
  'import pickle',
  'import random',
  'import secrets',
  'import ssl',
  'import string',
  'import subprocess',
  '',
  'import jinja2',
  'import requests',
  'import yaml',
  'from django.utils.safestring import mark_safe',
  '',
  '',
].join('\n');

/** One generated module of about `targetLines` lines; about one block in six is vulnerable. */
function pythonModule(r: () => number, index: number, targetLines: number): string {
  const parts = [`"""Generated module ${index}."""\n${HEADER}`];
  let lines = parts[0]?.split('\n').length ?? 0;
  let block = 0;
  while (lines < targetLines) {
    const name = `${index}_${block++}`;
    const vulnerable = r() < 0.17;
    const chosen = vulnerable ? VULNERABLE[Math.floor(r() * VULNERABLE.length)] : undefined;
    const text = chosen !== undefined ? chosen[1](name, r) : (SAFE[Math.floor(r() * SAFE.length)] as Block)(name, r);
    parts.push(`${text}\n\n`);
    lines += text.split('\n').length + 1;
  }
  return parts.join('');
}

function countLines(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function writeCorpus(dir: string): { files: number; lines: number } {
  const r = prng(5);
  let lines = 0;
  for (let i = 0; i < CORPUS_FILES; i++) {
    const sub = join(dir, `pkg${i % 10}`);
    mkdirSync(sub, { recursive: true });
    const text = pythonModule(r, i, 100 + Math.floor(r() * 20));
    lines += countLines(text);
    writeFileSync(join(sub, `module_${i}.py`), text);
  }
  return { files: CORPUS_FILES, lines };
}

function readTree(dir: string): AnalysisFile[] {
  const out: AnalysisFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, name.name);
      if (name.isDirectory()) walk(p);
      else out.push({ path: relative(dir, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

// ---------------------------------------------------------------- Bandit

/** Bandit test ids → our categories (tests with no counterpart, like B101 assert_used, are left out). */
const BANDIT_CATEGORY: Readonly<Record<string, string>> = {
  B102: 'code-execution',
  B307: 'code-execution',
  B602: 'command-injection',
  B604: 'command-injection',
  B605: 'command-injection',
  B609: 'command-injection',
  B608: 'sql-injection',
  B301: 'deserialization',
  B302: 'deserialization',
  B506: 'deserialization',
  B303: 'weak-hash',
  B324: 'weak-hash',
  B311: 'insecure-randomness',
  B501: 'tls-verification',
  B323: 'tls-verification',
  B502: 'tls-verification',
  B503: 'tls-verification',
  B504: 'tls-verification',
  B105: 'secrets',
  B106: 'secrets',
  B107: 'secrets',
  B308: 'dom-injection',
  B701: 'dom-injection',
  B703: 'dom-injection',
};

function banditCommand(): [string, string[]] {
  const onPath = spawnSync('bandit', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return ['bandit', []];
  if (existsSync('/usr/bin/bandit')) return ['/usr/bin/bandit', []];
  return ['/usr/bin/python3', ['-m', 'bandit']];
}

/** CPU seconds used by this process's reaped children (cutime + cstime from /proc, Linux only). */
function childCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // fields after the parenthesised command name; cutime and cstime are fields 16 and 17
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

interface BanditRun {
  readonly seconds: number;
  readonly cpuSeconds: number | undefined;
  readonly results: ReadonlyArray<{ test_id: string; filename: string; line_number: number }>;
  readonly version: string;
}

function runBandit(dir: string, out: string): BanditRun {
  const [command, prefix] = banditCommand();
  const version = spawnSync(command, [...prefix, '--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? '?';
  const cpuBefore = childCpuSeconds();
  const started = performance.now();
  const run = spawnSync(command, [...prefix, '-r', dir, '-f', 'json', '-q', '-o', out], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = childCpuSeconds();
  const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  // Bandit exits 1 when it found issues; anything else is a failure to run
  if (run.status !== 0 && run.status !== 1) throw new Error(`bandit failed (${run.status ?? run.signal}): ${run.stderr}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { results: BanditRun['results']; errors: unknown[] };
  if (report.errors.length > 0) log(`bandit reported ${report.errors.length} errors`);
  return { seconds, cpuSeconds, results: report.results, version };
}

// ---------------------------------------------------------------- scenarios in child processes (peak RSS)

interface ScenarioResult {
  readonly ms: number;
  readonly maxRssMb: number;
  readonly findings: number;
  readonly files: number;
  readonly lines: number;
}

function bigFile(lines: number): AnalysisFile {
  return { path: 'src/big_module.py', text: pythonModule(prng(11), 0, lines) };
}

function proposal(count: number): AnalysisFile[] {
  const r = prng(13);
  const files: AnalysisFile[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 3) {
      // a TypeScript module with an occasional problem
      const body = Array.from({ length: 30 }, (_, j) => `export function f${i}_${j}(x: number): number {\n  return x * ${j} + ${i};\n}`).join('\n');
      const extra = r() < 0.2 ? `\nexport function run${i}(cmd: string) {\n  require('child_process').exec('sh -c ' + cmd);\n}\n` : '\n';
      files.push({ path: `web/src/m${i}.ts`, text: `${body}${extra}` });
    } else files.push({ path: `svc/pkg${i % 20}/mod_${i}.py`, text: pythonModule(r, i, 40 + Math.floor(r() * 40)), addedLines: [] });
  }
  return files;
}

async function scenario(name: string): Promise<void> {
  const analyzer = await createAnalyzer({ deniedImports: ['telnetlib'] });
  let files: AnalysisFile[] = [];
  if (name === 'big-file') files = [bigFile(BIG_FILE_LINES)];
  else if (name === 'proposal') files = proposal(PROPOSAL_FILES);
  // warm the compiled queries for the languages in play, so the time is the scan's own
  analyzer.analyzeFiles([{ path: 'w.py', text: 'x = 1\n' }, { path: 'w.ts', text: 'const x = 1;\n' }]);
  const started = performance.now();
  const report = name === 'baseline' ? analyzer.analyzeFiles([]) : analyzer.analyzeFiles(files);
  const ms = performance.now() - started;
  analyzer.close();
  const result: ScenarioResult = {
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    findings: report.findings.length,
    files: report.stats.files,
    lines: report.stats.lines,
  };
  process.stdout.write(JSON.stringify(result));
}

function runScenario(name: string): ScenarioResult {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--scenario', name], { encoding: 'utf8', env: process.env, maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`scenario ${name} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as ScenarioResult;
}

// ---------------------------------------------------------------- main

function categoryOf(f: Finding): string {
  // rule ids are `<language>.<category>.<name>`, secret detectors `secrets.<kind>`
  return f.ruleId.startsWith('secrets.') ? 'secrets' : (f.ruleId.split('.')[1] ?? f.ruleId);
}

function twoDecimals(n: number): number {
  return Math.round(n * 100) / 100;
}

// ---------------------------------------------------------------- quality per category, speed on a real code base

/** Recall and false positives per category and language on our own labelled corpus (test/fixtures/threats). */
async function labelledCorpusFigures(): Promise<void> {
  const corpus = loadCorpus();
  const analyzer = await createAnalyzer({ deniedImports: corpus.deniedImports });
  const report = analyzer.analyzeFiles(corpus.files);
  analyzer.close();
  for (const score of scoreByLanguage(corpus, report.findings)) {
    emit(`analysis.labelled.${score.language}.${score.category}.recall`, score.labelled === 0 ? 0 : (100 * score.found) / score.labelled, '%', {
      found: score.found,
      labelled: score.labelled,
      false_positives: score.falsePositives,
      safe_files: score.safeFiles,
    });
  }
}

/** The 1-minute load average: with 2 cores, above 2 means every figure also waited for a CPU. */
function load(): number {
  return twoDecimals(loadavg()[0] ?? 0);
}

/**
 * Python standard library: Gatehouse (cold, with data flow) against Bandit, per file. Two Gatehouse runs:
 * in-process on one thread (as `gatehouse scan` runs), and a cold 2-thread worker pool (as the app and the
 * review commands run: thread start and grammar loading included). Bandit is one process on one core, so the
 * single-thread CPU ratio compares like with like; the pool's wall ratio is what a user waits for per file.
 */
async function stdlibAgainstBandit(dir: string): Promise<void> {
  const root = process.env['GATEHOUSE_BENCH_STDLIB'] ?? '/usr/lib/python3.11';
  if (!existsSync(root)) {
    log(`${root} not found; the standard-library comparison is skipped`);
    return;
  }
  const paths = listPython(root);
  const loadBefore = load();
  const cpuStarted = ownCpuSeconds();
  const started = performance.now();
  const files = paths.map((path) => ({ path, text: decodeSource(path, readFileSync(path)) }));
  const analyzer = await createAnalyzer();
  const report = analyzer.analyzeFiles(files);
  const ourSeconds = (performance.now() - started) / 1000;
  const ourCpu = ownCpuSeconds() - cpuStarted;
  analyzer.close();
  log(`stdlib: gatehouse ${ourSeconds.toFixed(1)} s (${ourCpu.toFixed(1)} s CPU) on ${files.length} files, ${report.findings.length} findings, ${report.parseErrors.length} with syntax errors`);
  // the pool, cold: a fresh pool whose threads start, load grammars and compile rules inside the timing
  const workerFile = existsSync(BUILT_WORKER) ? BUILT_WORKER : undefined;
  const poolCpuStarted = ownCpuSeconds();
  const poolStarted = performance.now();
  const poolFiles = paths.map((path) => ({ path, text: decodeSource(path, readFileSync(path)) }));
  const pool = createAnalysisPool({ ...(workerFile === undefined ? {} : { workerFile }), size: 2 });
  const pooled = await pool.analyze(poolFiles);
  const poolSeconds = (performance.now() - poolStarted) / 1000;
  const poolCpu = ownCpuSeconds() - poolCpuStarted;
  await pool.close();
  log(`stdlib: gatehouse pool ${poolSeconds.toFixed(1)} s (${poolCpu.toFixed(1)} s CPU, both threads), ${pooled.findings.length} findings`);
  if (pooled.findings.length !== report.findings.length) log(`warning: the pool found ${pooled.findings.length}, in-process ${report.findings.length}`);
  const bandit = runBandit(root, join(dir, 'bandit-stdlib.json'));
  const loadAfter = load();
  log(`stdlib: ${bandit.version} ${bandit.seconds.toFixed(1)} s (${bandit.cpuSeconds?.toFixed(1) ?? '?'} s CPU), ${bandit.results.length} results`);
  const lines = files.reduce((n, f) => n + countLines(f.text), 0);
  emit('analysis.stdlib.gatehouse_ms_per_file', (1000 * ourSeconds) / files.length, 'ms/file', { files: files.length, lines, seconds: twoDecimals(ourSeconds), cpu_seconds: twoDecimals(ourCpu), findings: report.findings.length, parse_errors: report.parseErrors.length, root, mode: 'in-process, 1 thread, cold' });
  emit('analysis.stdlib.gatehouse_pool_ms_per_file', (1000 * poolSeconds) / files.length, 'ms/file', { seconds: twoDecimals(poolSeconds), cpu_seconds: twoDecimals(poolCpu), findings: pooled.findings.length, mode: `worker pool, 2 threads, cold, ${workerFile === undefined ? 'worker from source' : 'built worker'}` });
  emit('analysis.stdlib.bandit_ms_per_file', (1000 * bandit.seconds) / files.length, 'ms/file', { seconds: twoDecimals(bandit.seconds), cpu_seconds: bandit.cpuSeconds === undefined ? undefined : twoDecimals(bandit.cpuSeconds), results: bandit.results.length, version: bandit.version });
  emit('analysis.stdlib.speedup_vs_bandit', bandit.seconds / ourSeconds, 'ratio', {
    goal: '>= 5',
    cpu_ratio: bandit.cpuSeconds === undefined ? undefined : twoDecimals(bandit.cpuSeconds / ourCpu),
    mode: 'wall clock, cold in-process Gatehouse on one thread (grammars, rules, data flow) vs bandit -r (one process); cpu_ratio: CPU time, one core each',
    load: [loadBefore, loadAfter],
  });
  emit('analysis.stdlib.speedup_vs_bandit_pool', bandit.seconds / poolSeconds, 'ratio', {
    goal: '>= 5',
    cpu_ratio: bandit.cpuSeconds === undefined ? undefined : twoDecimals(bandit.cpuSeconds / poolCpu),
    mode: 'wall clock, cold 2-thread worker pool vs bandit -r (one process); cpu_ratio: CPU time of both threads vs Bandit\'s',
    load: [loadBefore, loadAfter],
  });
}

/** Recall / false positives per language on public rule test suites, when GATEHOUSE_RULE_SUITES points at them. */
async function ruleSuiteFigures(): Promise<void> {
  const root = process.env['GATEHOUSE_RULE_SUITES'];
  if (root === undefined || !existsSync(root)) {
    log('GATEHOUSE_RULE_SUITES not set; public rule-suite figures skipped');
    return;
  }
  const { scores } = await measureRuleSuites(root);
  for (const s of scores) {
    emit(`analysis.rule_suites.${s.language}.${s.category}.recall`, s.positives === 0 ? 0 : (100 * s.found) / s.positives, '%', {
      found: s.found,
      positives: s.positives,
      fp_rate: s.negatives === 0 ? 0 : twoDecimals((100 * s.falsePositives) / s.negatives),
      false_positives: s.falsePositives,
      negatives: s.negatives,
    });
  }
  for (const language of ['python', 'js'] as const) {
    const t = totals(scores.filter((s) => s.language === language && ORIGINAL_CATEGORIES.has(s.category)));
    emit(`analysis.rule_suites.${language}.recall`, 100 * t.recall, '%', { fp_rate: twoDecimals(100 * t.fpRate), found: t.found, positives: t.positives, false_positives: t.falsePositives, negatives: t.negatives, goal: 'recall >= 80, fp_rate <= 5' });
  }
}

/** Per-category TPR/FPR/Youden on the OWASP Benchmark for Python, when GATEHOUSE_OWASP_PYTHON points at a copy of it. */
async function owaspFigures(): Promise<void> {
  const root = process.env['GATEHOUSE_OWASP_PYTHON'];
  if (root === undefined || !existsSync(join(root, 'testcode'))) {
    log('GATEHOUSE_OWASP_PYTHON not set; OWASP Benchmark figures skipped');
    return;
  }
  const { scores } = await measureOwaspPython(root);
  let sum = 0;
  for (const s of scores) {
    const r = rates(s);
    sum += r.youden;
    emit(`analysis.owasp_python.${s.category}.youden`, r.youden, 'points', { cwe: s.cwe, tpr: twoDecimals(r.tpr), fpr: twoDecimals(r.fpr), tp: s.tp, fn: s.fn, fp: s.fp, tn: s.tn });
  }
  emit('analysis.owasp_python.mean_youden', scores.length === 0 ? 0 : sum / scores.length, 'points', { categories: scores.length, goal: '>= 50' });
}

function listPython(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.py')) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-analysis-bench-'));
  if (process.env['BENCH_ANALYSIS_ONLY'] === 'stdlib') {
    try {
      await stdlibAgainstBandit(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  try {
    const corpusDir = join(dir, 'corpus');
    const corpus = writeCorpus(corpusDir);
    log(`corpus: ${corpus.files} Python files, ${corpus.lines} lines in ${corpusDir}`);
    emit('analysis.corpus_lines', corpus.lines, 'lines', { files: corpus.files, language: 'python' });

    // Gatehouse in-process, from a cold start: read the files, load grammars, compile rules, analyse.
    const cpuStarted = ownCpuSeconds();
    const started = performance.now();
    const files = readTree(corpusDir);
    const analyzer = await createAnalyzer();
    const report = analyzer.analyzeFiles(files);
    const ourSeconds = (performance.now() - started) / 1000;
    const ourCpuSeconds = ownCpuSeconds() - cpuStarted;
    analyzer.close();
    log(`gatehouse (in-process, cold): ${ourSeconds.toFixed(2)} s, ${report.findings.length} findings`);

    // Gatehouse worker pool as the app runs it: long-lived, so thread start-up and JIT/wasm warm-up were
    // paid on an earlier proposal (here: one analysis of a different generated module set).
    const workerFile = existsSync(BUILT_WORKER) ? BUILT_WORKER : undefined;
    const pool = createAnalysisPool({ ...(workerFile === undefined ? {} : { workerFile }), size: 2 });
    const warmUp = prng(99);
    await pool.analyze([
      ...Array.from({ length: Math.ceil(CORPUS_FILES / 5) }, (_, i) => ({ path: `warm/m${i}.py`, text: pythonModule(warmUp, i, 110) })),
      ...proposal(20).filter((f) => f.path.endsWith('.ts')),
    ]);
    const poolFiles = readTree(corpusDir);
    const poolCpuStarted = ownCpuSeconds();
    const poolStarted = performance.now();
    const pooled = await pool.analyze(poolFiles);
    const poolSeconds = (performance.now() - poolStarted) / 1000;
    const poolCpuSeconds = ownCpuSeconds() - poolCpuStarted;
    // the same pool on the two proposal shapes (time only: the pool shares this process's memory)
    const bigFileFiles = [bigFile(BIG_FILE_LINES)];
    let t = performance.now();
    await pool.analyze(bigFileFiles);
    const bigPoolMs = performance.now() - t;
    const proposalFiles = proposal(PROPOSAL_FILES);
    t = performance.now();
    await pool.analyze(proposalFiles);
    const proposalPoolMs = performance.now() - t;
    await pool.close();
    log(`gatehouse (2-thread pool, warm): ${poolSeconds.toFixed(2)} s`);

    const bandit = runBandit(corpusDir, join(dir, 'bandit.json'));
    log(`${bandit.version}: ${bandit.seconds.toFixed(2)} s, ${bandit.results.length} results`);

    const oursPerSecond = corpus.files / ourSeconds;
    const poolPerSecond = corpus.files / poolSeconds;
    const banditPerSecond = corpus.files / bandit.seconds;
    const round2 = (n: number | undefined): number | undefined => (n === undefined ? undefined : Math.round(n * 100) / 100);
    emit('analysis.gatehouse_files_per_s', oursPerSecond, 'files/s', {
      lines_per_s: Math.round(corpus.lines / ourSeconds),
      seconds: round2(ourSeconds),
      cpu_seconds: round2(ourCpuSeconds),
      mode: 'in-process, cold start (CLI), 1 thread',
    });
    emit('analysis.bandit_files_per_s', banditPerSecond, 'files/s', {
      lines_per_s: Math.round(corpus.lines / bandit.seconds),
      seconds: round2(bandit.seconds),
      cpu_seconds: round2(bandit.cpuSeconds),
      version: bandit.version,
    });
    emit('analysis.speedup_vs_bandit', oursPerSecond / banditPerSecond, 'ratio', {
      goal: 10,
      mode: 'in-process, cold start (CLI), 1 thread',
      cpu_ratio: bandit.cpuSeconds === undefined ? undefined : round2(bandit.cpuSeconds / ourCpuSeconds),
    });
    emit('analysis.gatehouse_pool_files_per_s', poolPerSecond, 'files/s', {
      lines_per_s: Math.round(corpus.lines / poolSeconds),
      seconds: round2(poolSeconds),
      cpu_seconds: round2(poolCpuSeconds),
      mode: `worker pool (app), 2 threads, warm, ${workerFile === undefined ? 'worker from source' : 'built worker'}`,
    });
    emit('analysis.speedup_vs_bandit_pool', poolPerSecond / banditPerSecond, 'ratio', {
      goal: 10,
      mode: 'worker pool (app), 2 threads, warm',
      cpu_ratio: bandit.cpuSeconds === undefined ? undefined : round2(bandit.cpuSeconds / poolCpuSeconds),
    });
    if (pooled.findings.length !== report.findings.length) log(`warning: pool found ${pooled.findings.length}, in-process ${report.findings.length}`);

    // What each found, per category both cover.
    const ours = new Map<string, number>();
    for (const f of report.findings) ours.set(categoryOf(f), (ours.get(categoryOf(f)) ?? 0) + 1);
    const theirs = new Map<string, number>();
    const unmapped = new Map<string, number>();
    for (const r of bandit.results) {
      const category = BANDIT_CATEGORY[r.test_id];
      if (category === undefined) unmapped.set(r.test_id, (unmapped.get(r.test_id) ?? 0) + 1);
      else theirs.set(category, (theirs.get(category) ?? 0) + 1);
    }
    const categories = [...new Set([...theirs.keys(), ...ours.keys()])].sort();
    let flaggedByBandit = 0;
    let alsoFlaggedByUs = 0;
    for (const category of categories) {
      const b = theirs.get(category) ?? 0;
      const g = ours.get(category) ?? 0;
      if (b > 0) {
        flaggedByBandit++;
        if (g > 0) alsoFlaggedByUs++;
      }
      emit(`analysis.category.${category}`, g, 'findings', { bandit: b, covered: b === 0 || g > 0 });
    }
    emit('analysis.categories_covered', alsoFlaggedByUs, 'categories', { of: flaggedByBandit, goal: 'every category Bandit flags' });
    log(`bandit results outside the shared categories: ${JSON.stringify(Object.fromEntries(unmapped))}`);

    await labelledCorpusFigures();
    await stdlibAgainstBandit(dir);
    await ruleSuiteFigures();
    await owaspFigures();

    // A 10,000-line file and a 1,000-file proposal, each in its own process for a clean peak RSS.
    const baseline = runScenario('baseline');
    const big = runScenario('big-file');
    const prop = runScenario('proposal');
    emit('analysis.big_file_ms', big.ms, 'ms', { lines: big.lines, findings: big.findings, mode: 'in-process, fresh process (CLI)' });
    emit('analysis.big_file_pool_ms', bigPoolMs, 'ms', { lines: big.lines, mode: 'worker pool (app), warm' });
    emit('analysis.big_file_peak_rss_mb', big.maxRssMb, 'MB', { baseline_mb: Math.round(baseline.maxRssMb), mode: 'whole process, in-process scan' });
    emit('analysis.proposal_1000_files_ms', prop.ms, 'ms', { files: prop.files, lines: prop.lines, findings: prop.findings, mode: 'in-process, fresh process (CLI)' });
    emit('analysis.proposal_1000_files_pool_ms', proposalPoolMs, 'ms', { files: prop.files, mode: 'worker pool (app), 2 threads, warm' });
    emit('analysis.proposal_1000_files_peak_rss_mb', prop.maxRssMb, 'MB', { baseline_mb: Math.round(baseline.maxRssMb), mode: 'whole process, in-process scan' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const scenarioIndex = process.argv.indexOf('--scenario');
if (scenarioIndex !== -1) void scenario(process.argv[scenarioIndex + 1] ?? 'baseline');
else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

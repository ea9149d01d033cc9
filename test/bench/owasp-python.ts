/**
 * The OWASP Benchmark for Python (v0.1: 1,230 Flask test cases, each a true or a false vulnerability of one
 * CWE), scored the way the benchmark's own scorecards score every tool: a test case counts as flagged when
 * the tool reports, anywhere in that test case's file, a finding whose CWE is the test case's CWE. Per
 * category: true-positive rate on the real vulnerabilities, false-positive rate on the fake ones, and
 * Youden's index (TPR − FPR); the headline is the mean over the categories.
 *
 * CWE matching is the benchmark's: a finding's CWEs are the rule's `external/cwe/cwe-N` tags, and a few
 * CWEs the benchmark treats as the same weakness are folded into its number (as BenchmarkUtils' tool
 * readers do: 327/916 → 328 for weak hashes, 338 → 330 for weak randomness, 95/96 → 94 for code injection,
 * 776 → 611 for XML entities, 1004 → 614 for cookies).
 *
 * The corpus stays out of the repository: point GATEHOUSE_OWASP_PYTHON at a copy of the benchmark's
 * `testcode/` folder and `expectedresults-*.csv`, e.g. from the OWASP-Benchmark/BenchmarkPython repository.
 *
 * Run: GATEHOUSE_OWASP_PYTHON=/path/to/BenchmarkPython node --import tsx test/bench/owasp-python.ts [--misses]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAnalyzer } from '../../electron/services/analysis/engine';
import type { AnalysisFile } from '../../electron/services/analysis/types';

/** CWEs the benchmark scores as one: finding CWE → benchmark CWE. */
const CWE_ALIASES: ReadonlyMap<number, number> = new Map([
  [327, 328],
  [916, 328],
  [338, 330],
  [95, 94],
  [96, 94],
  [776, 611],
  [1004, 614],
]);

/** One test case of the benchmark. */
export interface OwaspCase {
  readonly name: string;
  readonly category: string;
  readonly real: boolean;
  readonly cwe: number;
}

/** The score of one category. */
export interface OwaspScore {
  readonly category: string;
  readonly cwe: number;
  tp: number;
  fn: number;
  fp: number;
  tn: number;
}

/** Reads `expectedresults-*.csv`: `# header`, then `BenchmarkTest00001,pathtraver,true,22`. */
export function readExpectedResults(root: string): OwaspCase[] {
  const csv = readdirSync(root).find((f) => /^expectedresults.*\.csv$/.test(f));
  if (csv === undefined) throw new Error(`no expectedresults-*.csv in ${root}`);
  const out: OwaspCase[] = [];
  for (const line of readFileSync(join(root, csv), 'utf8').split(/\r?\n/)) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, category, real, cwe] = line.split(',').map((s) => s.trim());
    if (name === undefined || category === undefined || real === undefined || cwe === undefined) throw new Error(`bad line in ${csv}: ${line}`);
    out.push({ name, category, real: real === 'true', cwe: Number(cwe) });
  }
  return out;
}

/** Analyses every test case and scores it per category. */
export async function measureOwaspPython(root: string, options: { listMisses?: boolean } = {}): Promise<{ scores: OwaspScore[]; files: number; ms: number }> {
  const cases = readExpectedResults(root);
  const dir = join(root, 'testcode');
  const files: AnalysisFile[] = cases.map((c) => ({ path: `${c.name}.py`, text: readFileSync(join(dir, `${c.name}.py`), 'utf8') }));
  const analyzer = await createAnalyzer();
  const cweOf = new Map(analyzer.rules.map((r) => [r.id, r.cwe.map((t) => Number(/(\d+)$/.exec(t)?.[1])).map((n) => CWE_ALIASES.get(n) ?? n)]));
  const started = performance.now();
  const report = analyzer.analyzeFiles(files);
  const ms = performance.now() - started;
  analyzer.close();
  const reported = new Map<string, Set<number>>();
  for (const f of report.findings) {
    const set = reported.get(f.path) ?? new Set<number>();
    for (const n of cweOf.get(f.ruleId) ?? []) set.add(n);
    reported.set(f.path, set);
  }
  const scores = new Map<string, OwaspScore>();
  for (const c of cases) {
    const s = scores.get(c.category) ?? { category: c.category, cwe: c.cwe, tp: 0, fn: 0, fp: 0, tn: 0 };
    scores.set(c.category, s);
    const flagged = reported.get(`${c.name}.py`)?.has(c.cwe) ?? false;
    if (c.real) {
      if (flagged) s.tp++;
      else {
        s.fn++;
        if (options.listMisses) process.stderr.write(`MISS ${c.category} ${c.name}\n`);
      }
    } else if (flagged) {
      s.fp++;
      if (options.listMisses) process.stderr.write(`FP   ${c.category} ${c.name}\n`);
    } else s.tn++;
  }
  return { scores: [...scores.values()].sort((a, b) => a.category.localeCompare(b.category)), files: files.length, ms };
}

/** TPR, FPR and Youden's index of one category, in percent. */
export function rates(s: OwaspScore): { tpr: number; fpr: number; youden: number } {
  const tpr = s.tp + s.fn === 0 ? 0 : (100 * s.tp) / (s.tp + s.fn);
  const fpr = s.fp + s.tn === 0 ? 0 : (100 * s.fp) / (s.fp + s.tn);
  return { tpr, fpr, youden: tpr - fpr };
}

async function main(): Promise<void> {
  const root = process.env['GATEHOUSE_OWASP_PYTHON'];
  if (root === undefined || !existsSync(join(root, 'testcode'))) {
    process.stderr.write('GATEHOUSE_OWASP_PYTHON is not set to a copy of the OWASP Benchmark for Python (testcode/ and expectedresults-*.csv); nothing measured\n');
    return;
  }
  const { scores, files, ms } = await measureOwaspPython(root, { listMisses: process.argv.includes('--misses') });
  let sum = 0;
  for (const s of scores) {
    const r = rates(s);
    sum += r.youden;
    process.stdout.write(
      `${s.category.padEnd(16)} CWE-${String(s.cwe).padEnd(4)} TP ${String(s.tp).padStart(3)}/${String(s.tp + s.fn).padEnd(3)} TPR ${r.tpr.toFixed(1).padStart(5)}%   FP ${String(s.fp).padStart(3)}/${String(s.fp + s.tn).padEnd(3)} FPR ${r.fpr.toFixed(1).padStart(5)}%   Youden ${r.youden >= 0 ? '+' : ''}${r.youden.toFixed(1)}\n`,
    );
  }
  const mean = scores.length === 0 ? 0 : sum / scores.length;
  process.stdout.write(`mean Youden over ${scores.length} categories: ${mean >= 0 ? '+' : ''}${mean.toFixed(1)}   (${files} files analysed in ${Math.round(ms)} ms)\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'owasp-python-youden', value: Math.round(mean * 10) / 10, unit: 'points', categories: scores.length, files })}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

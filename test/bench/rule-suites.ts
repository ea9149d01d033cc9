/**
 * Recall and false-positive rate on public, independently labelled rule test suites (semgrep-rules'
 * annotated test files: `# ruleid: <id>` marks a line a rule must flag, `# ok: <id>` a line it must not).
 * The suites stay out of the repository: point GATEHOUSE_RULE_SUITES at a checkout of semgrep-rules.
 *
 * Each annotated rule is mapped to a Gatehouse category by the CWE in its YAML metadata (the table below,
 * fixed before measuring); rules with other CWEs are not counted. A labelled line counts as found when a
 * Gatehouse finding of that category covers it (start line ≤ line ≤ end line, or a step of the finding's
 * source → sink flow is on it: taint rules in the suites often mark the source line); an `ok` line counts
 * as a false positive when one covers it the same way.
 *
 * Run alone: GATEHOUSE_RULE_SUITES=/path/to/semgrep-rules node --import tsx test/bench/rule-suites.ts
 * (add `--misses` to list missed and falsely flagged lines). analysis.bench.ts calls {@link measureRuleSuites}.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createAnalyzer } from '../../electron/services/analysis/engine';
import { languageForPath } from '../../electron/services/analysis/languages';
import type { AnalysisFile } from '../../electron/services/analysis/types';

/** CWE number → Gatehouse category (the categories Gatehouse covers). */
export const CWE_CATEGORY: ReadonlyMap<number, string> = new Map([
  [94, 'code-execution'],
  [95, 'code-execution'],
  [96, 'code-execution'],
  [78, 'command-injection'],
  [89, 'sql-injection'],
  [502, 'deserialization'],
  [22, 'path-traversal'],
  [73, 'path-traversal'],
  [295, 'tls-verification'],
  [327, 'weak-hash'],
  [328, 'weak-hash'],
  [916, 'weak-hash'],
  [326, 'weak-hash'],
  [330, 'insecure-randomness'],
  [338, 'insecure-randomness'],
  [79, 'dom-injection'],
  [80, 'dom-injection'],
  [798, 'secrets'],
  [259, 'secrets'],
  [321, 'secrets'],
  [918, 'ssrf'],
  [601, 'open-redirect'],
  [611, 'xxe'],
  [90, 'ldap-injection'],
  [643, 'xpath-injection'],
]);

/** The ten categories Gatehouse covered when issue 13 was filed (the first table). */
export const ORIGINAL_CATEGORIES: ReadonlySet<string> = new Set([
  'code-execution',
  'command-injection',
  'sql-injection',
  'deserialization',
  'path-traversal',
  'tls-verification',
  'weak-hash',
  'insecure-randomness',
  'dom-injection',
  'secrets',
]);

/** Counts for one language and category. */
export interface SuiteScore {
  readonly language: 'python' | 'js';
  readonly category: string;
  positives: number;
  found: number;
  negatives: number;
  falsePositives: number;
}

interface Annotated {
  readonly file: string;
  readonly line: number;
  readonly kind: 'ruleid' | 'ok';
  readonly category: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function cwesOf(value: unknown): number[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.flatMap((v) => [...String(v).matchAll(/CWE-(\d+)/g)].map((m) => Number(m[1])));
}

/** Rule id → category, from a rule file's metadata. */
function ruleCategories(yamlPath: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const doc of parseAllDocuments(readFileSync(yamlPath, 'utf8'))) {
    const data = doc.toJS() as { rules?: Array<{ id?: string; metadata?: { cwe?: unknown; category?: string } }> } | null;
    for (const rule of data?.rules ?? []) {
      if (rule.id === undefined || rule.metadata?.category !== 'security') continue;
      const category = cwesOf(rule.metadata.cwe).map((c) => CWE_CATEGORY.get(c)).find((c) => c !== undefined);
      if (category !== undefined) out.set(rule.id, category);
    }
  }
  return out;
}

const ANNOTATION = /(?:#|\/\/|\/\*|<!--)\s*(ruleid|ok|todoruleid|todook)\s*:\s*([\w.,\s-]+)/;

function annotations(file: string, text: string, categories: ReadonlyMap<string, string>): Annotated[] {
  const lines = text.split('\n');
  const out: Annotated[] = [];
  lines.forEach((line, i) => {
    const m = ANNOTATION.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) return;
    // semgrep's convention: an annotation alone on its line is about the next code line
    let target = i;
    if (line.trim().startsWith(m[0].slice(0, 2)) || /^\s*(#|\/\/|\/\*|<!--)/.test(line)) {
      target = i + 1;
      while (target < lines.length && ANNOTATION.test(lines[target] ?? '')) target++;
    }
    const kind = m[1] === 'ruleid' || m[1] === 'todoruleid' ? 'ruleid' : 'ok';
    for (const id of m[2].split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
      const category = categories.get(id);
      if (category !== undefined) out.push({ file, line: target + 1, kind, category });
    }
  });
  // one line labelled twice for one category counts once (positive wins)
  const byKey = new Map<string, Annotated>();
  for (const a of out) {
    const key = `${a.line}\0${a.category}`;
    const prior = byKey.get(key);
    if (prior === undefined || (prior.kind === 'ok' && a.kind === 'ruleid')) byKey.set(key, a);
  }
  return [...byKey.values()];
}

/** The measurement: per language and category, labelled lines found and safe lines flagged. */
export async function measureRuleSuites(root: string, options: { listMisses?: boolean } = {}): Promise<{ scores: SuiteScore[]; files: number; ms: number }> {
  const files: AnalysisFile[] = [];
  const labels: Annotated[] = [];
  for (const top of ['python', 'javascript', 'typescript']) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const path of walk(dir)) {
      if (languageForPath(path) === undefined || path.endsWith('.d.ts')) continue;
      const stem = path.replace(/\.[^./]+$/, '');
      const yamlPath = [`${stem}.yaml`, `${stem}.yml`].find((p) => existsSync(p));
      if (yamlPath === undefined) continue;
      const categories = ruleCategories(yamlPath);
      if (categories.size === 0) continue;
      const rel = relative(root, path);
      const text = readFileSync(path, 'utf8');
      const found = annotations(rel, text, categories);
      if (found.length === 0) continue;
      files.push({ path: rel, text });
      labels.push(...found);
    }
  }
  const analyzer = await createAnalyzer();
  // a finding speaks for its rule's category and for the categories its CWEs map to (CWE is the shared language)
  const categoriesOf = new Map(
    analyzer.rules.map((r) => [r.id, new Set<string>([r.category, ...r.cwe.map((c) => CWE_CATEGORY.get(Number(/(\d+)$/.exec(c)?.[1]))).filter((c): c is string => c !== undefined)])]),
  );
  const started = performance.now();
  const report = analyzer.analyzeFiles(files);
  const ms = performance.now() - started;
  analyzer.close();
  const covering = new Map<string, Set<string>>();
  for (const f of report.findings) {
    const categories = categoriesOf.get(f.ruleId);
    if (categories === undefined) continue;
    // a taint finding also covers the lines of its flow (a rule suite may mark the source line of a flow)
    const lines = new Set<number>();
    for (let line = f.startLine; line <= f.endLine; line++) lines.add(line);
    for (const step of f.flow ?? []) lines.add(step.line);
    for (const line of lines) {
      const key = `${f.path}:${line}`;
      const set = covering.get(key) ?? new Set<string>();
      for (const category of categories) set.add(category);
      covering.set(key, set);
    }
  }
  const scores = new Map<string, SuiteScore>();
  for (const label of labels) {
    const language = label.file.startsWith('python/') ? 'python' : 'js';
    const key = `${language}\0${label.category}`;
    const score = scores.get(key) ?? { language, category: label.category, positives: 0, found: 0, negatives: 0, falsePositives: 0 };
    scores.set(key, score);
    const hit = covering.get(`${label.file}:${label.line}`)?.has(label.category) ?? false;
    if (label.kind === 'ruleid') {
      score.positives++;
      if (hit) score.found++;
      else if (options.listMisses) process.stderr.write(`MISS ${label.category} ${label.file}:${label.line}\n`);
    } else {
      score.negatives++;
      if (hit) {
        score.falsePositives++;
        if (options.listMisses) process.stderr.write(`FP   ${label.category} ${label.file}:${label.line}\n`);
      }
    }
  }
  const sorted = [...scores.values()].sort((a, b) => a.language.localeCompare(b.language) || a.category.localeCompare(b.category));
  return { scores: sorted, files: files.length, ms };
}

/** Totals over a set of scores. */
export function totals(scores: ReadonlyArray<SuiteScore>): { positives: number; found: number; negatives: number; falsePositives: number; recall: number; fpRate: number } {
  const sum = (k: 'positives' | 'found' | 'negatives' | 'falsePositives'): number => scores.reduce((n, s) => n + s[k], 0);
  const positives = sum('positives');
  const negatives = sum('negatives');
  return {
    positives,
    found: sum('found'),
    negatives,
    falsePositives: sum('falsePositives'),
    recall: positives === 0 ? 0 : sum('found') / positives,
    fpRate: negatives === 0 ? 0 : sum('falsePositives') / negatives,
  };
}

async function main(): Promise<void> {
  const root = process.env['GATEHOUSE_RULE_SUITES'];
  if (root === undefined || !existsSync(root)) {
    process.stderr.write('GATEHOUSE_RULE_SUITES is not set to a semgrep-rules checkout; nothing measured\n');
    return;
  }
  const { scores, files, ms } = await measureRuleSuites(root, { listMisses: process.argv.includes('--misses') });
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  for (const s of scores) {
    process.stdout.write(
      `${s.language.padEnd(7)} ${s.category.padEnd(20)} recall ${s.found}/${s.positives} ${pct(s.positives === 0 ? 0 : s.found / s.positives).padStart(6)}   FP ${s.falsePositives}/${s.negatives} ${pct(s.negatives === 0 ? 0 : s.falsePositives / s.negatives).padStart(6)}\n`,
    );
  }
  for (const language of ['python', 'js'] as const) {
    for (const [label, filter] of [
      ['original 10 categories', (s: SuiteScore) => ORIGINAL_CATEGORIES.has(s.category)],
      ['all mapped categories', () => true],
    ] as const) {
      const t = totals(scores.filter((s) => s.language === language && filter(s)));
      process.stdout.write(`${language.padEnd(7)} ${label.padEnd(24)} recall ${t.found}/${t.positives} ${pct(t.recall)}   FP ${t.falsePositives}/${t.negatives} ${pct(t.fpRate)}\n`);
    }
  }
  process.stdout.write(`${files} files analysed in ${Math.round(ms)} ms\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

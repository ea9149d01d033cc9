/**
 * Reads the labelled threat corpus (test/fixtures/threats) and scores an analysis report against it:
 * per category, labelled lines found (recall), labelled lines missed, findings on safe files and
 * findings on unlabelled lines of vulnerable files (false positives).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Finding } from '../../../shared/model/domain';
import type { AnalysisFile } from '../../../electron/services/analysis/types';

/** Root of the corpus. */
export const CORPUS_ROOT = join(__dirname, '../../fixtures/threats');

/** One labelled line. */
export interface Label {
  readonly path: string;
  readonly line: number;
  readonly rule: string;
}

/** The corpus as files plus labels. */
export interface Corpus {
  readonly categories: ReadonlyArray<string>;
  readonly files: ReadonlyArray<AnalysisFile & { readonly category: string; readonly kind: 'vulnerable' | 'safe' }>;
  readonly labels: ReadonlyArray<Label>;
  readonly deniedImports: ReadonlyArray<string>;
}

/** Scores for one category. */
export interface CategoryScore {
  readonly category: string;
  readonly labelled: number;
  readonly found: number;
  readonly missed: ReadonlyArray<Label>;
  readonly safeFindings: ReadonlyArray<Finding>;
  readonly unlabelledFindings: ReadonlyArray<Finding>;
  readonly vulnerableFiles: number;
  readonly safeFiles: number;
  readonly languages: ReadonlyArray<string>;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Loads every corpus file and its labels. */
export function loadCorpus(): Corpus {
  const policy = JSON.parse(readFileSync(join(CORPUS_ROOT, 'policy.json'), 'utf8')) as { deniedImports: string[] };
  // a category is a folder with vulnerable/ and safe/ (`_sarif/` holds other scanners' samples)
  const categories = readdirSync(CORPUS_ROOT)
    .filter((n) => statSync(join(CORPUS_ROOT, n)).isDirectory() && existsSync(join(CORPUS_ROOT, n, 'vulnerable')))
    .sort();
  const files: Array<AnalysisFile & { category: string; kind: 'vulnerable' | 'safe' }> = [];
  const labels: Label[] = [];
  for (const category of categories) {
    const dir = join(CORPUS_ROOT, category);
    for (const kind of ['vulnerable', 'safe'] as const) {
      for (const file of walk(join(dir, kind))) {
        const path = relative(CORPUS_ROOT, file).split('\\').join('/');
        const text = readFileSync(file, 'utf8');
        files.push({ path, text, category, kind });
        if (kind !== 'vulnerable') continue;
        text.split('\n').forEach((line, i) => {
          const marker = /expect:\s*([a-z0-9.,\s-]+)$/.exec(line);
          if (marker === null || marker[1] === undefined) return;
          for (const rule of marker[1].split(',').map((r) => r.trim()).filter((r) => r.length > 0)) {
            labels.push({ path, line: i + 1, rule });
          }
        });
      }
    }
    let expected: Record<string, Array<{ line: number; rule: string }>> = {};
    try {
      expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as typeof expected;
    } catch {
      // most categories label inline only
    }
    for (const [file, entries] of Object.entries(expected)) {
      for (const entry of entries) labels.push({ path: `${category}/${file}`, line: entry.line, rule: entry.rule });
    }
  }
  return { categories, files, labels, deniedImports: policy.deniedImports };
}

/** Scores findings against the corpus labels, per category. */
export function scoreCorpus(corpus: Corpus, findings: ReadonlyArray<Finding>): ReadonlyArray<CategoryScore> {
  const byPathLine = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.path}:${f.startLine}`;
    byPathLine.set(key, [...(byPathLine.get(key) ?? []), f]);
  }
  const labelled = new Set(corpus.labels.map((l) => `${l.path}:${l.line}:${l.rule}`));
  return corpus.categories.map((category) => {
    const labels = corpus.labels.filter((l) => l.path.startsWith(`${category}/`));
    const missed = labels.filter((l) => !(byPathLine.get(`${l.path}:${l.line}`) ?? []).some((f) => f.ruleId === l.rule));
    const files = corpus.files.filter((f) => f.category === category);
    const safePaths = new Set(files.filter((f) => f.kind === 'safe').map((f) => f.path));
    const vulnerablePaths = new Set(files.filter((f) => f.kind === 'vulnerable').map((f) => f.path));
    return {
      category,
      labelled: labels.length,
      found: labels.length - missed.length,
      missed,
      safeFindings: findings.filter((f) => safePaths.has(f.path)),
      unlabelledFindings: findings.filter((f) => vulnerablePaths.has(f.path) && !labelled.has(`${f.path}:${f.startLine}:${f.ruleId}`)),
      vulnerableFiles: vulnerablePaths.size,
      safeFiles: safePaths.size,
      languages: [...new Set(files.map((f) => f.path.slice(f.path.lastIndexOf('.') + 1)))].sort(),
    };
  });
}

/** Scores for one category in one language family (Python, or JavaScript/TypeScript). */
export interface LanguageScore {
  readonly category: string;
  readonly language: 'python' | 'js';
  readonly labelled: number;
  readonly found: number;
  /** Findings on safe files plus findings on unlabelled lines of vulnerable files. */
  readonly falsePositives: number;
  readonly safeFiles: number;
}

function familyOf(path: string): 'python' | 'js' | undefined {
  if (/\.(py|pyw|pyi)$/.test(path)) return 'python';
  if (/\.(js|mjs|cjs|jsx|ts|mts|cts|tsx)$/.test(path)) return 'js';
  return undefined;
}

/** Recall and false positives per category and per language family. */
export function scoreByLanguage(corpus: Corpus, findings: ReadonlyArray<Finding>): ReadonlyArray<LanguageScore> {
  const out: LanguageScore[] = [];
  for (const score of scoreCorpus(corpus, findings)) {
    for (const language of ['python', 'js'] as const) {
      const inLanguage = (path: string): boolean => familyOf(path) === language;
      const labels = corpus.labels.filter((l) => l.path.startsWith(`${score.category}/`) && inLanguage(l.path));
      const safeFiles = corpus.files.filter((f) => f.category === score.category && f.kind === 'safe' && inLanguage(f.path)).length;
      if (labels.length === 0 && safeFiles === 0) continue;
      const missed = score.missed.filter((l) => inLanguage(l.path)).length;
      const falsePositives = [...score.safeFindings, ...score.unlabelledFindings].filter((f) => inLanguage(f.path)).length;
      out.push({ category: score.category, language, labelled: labels.length, found: labels.length - missed, falsePositives, safeFiles });
    }
  }
  return out;
}

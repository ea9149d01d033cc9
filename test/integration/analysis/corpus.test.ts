import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../../electron/services/analysis/engine';
import { RULE_CATEGORIES } from '../../../electron/services/analysis/types';
import { loadCorpus, scoreByLanguage, scoreCorpus } from './corpus';

describe('labelled threat corpus', () => {
  it('has vulnerable and safe files in Python and JavaScript/TypeScript for every category', () => {
    const corpus = loadCorpus();
    expect(corpus.categories).toEqual([...RULE_CATEGORIES].sort());
    for (const category of RULE_CATEGORIES) {
      for (const kind of ['vulnerable', 'safe'] as const) {
        const files = corpus.files.filter((f) => f.category === category && f.kind === kind).map((f) => f.path);
        if (category === 'secrets') {
          expect(files.length, `${category}/${kind}`).toBeGreaterThanOrEqual(3);
          continue;
        }
        expect(files.some((p) => p.endsWith('.py')), `${category}/${kind} python`).toBe(true);
        expect(files.some((p) => /\.(js|ts|tsx)$/.test(p)), `${category}/${kind} js/ts`).toBe(true);
      }
      expect(corpus.labels.some((l) => l.path.startsWith(`${category}/`)), `${category} labels`).toBe(true);
    }
  });

  it('finds every labelled line (recall 100 %) with no false positives', async () => {
    const corpus = loadCorpus();
    const analyzer = await createAnalyzer({ deniedImports: corpus.deniedImports });
    const report = analyzer.analyzeFiles(corpus.files);
    analyzer.close();
    expect(report.skipped).toEqual([]);
    const scores = scoreCorpus(corpus, report.findings);
    const table = scores.map((s) => ({
      category: s.category,
      labelled: s.labelled,
      found: s.found,
      recall: `${((100 * s.found) / Math.max(1, s.labelled)).toFixed(1)} %`,
      'FP safe files': s.safeFindings.length,
      'FP unlabelled lines': s.unlabelledFindings.length,
      files: `${s.vulnerableFiles} vulnerable / ${s.safeFiles} safe (${s.languages.join(' ')})`,
    }));
    const total = scores.reduce((t, s) => ({ labelled: t.labelled + s.labelled, found: t.found + s.found, fp: t.fp + s.safeFindings.length + s.unlabelledFindings.length }), { labelled: 0, found: 0, fp: 0 });
    // the counts are the point of this test: print them
    console.table(table);
    console.log(`corpus: ${total.found}/${total.labelled} labelled lines found, ${total.fp} false positives`);
    // and per category, per language: recall and false positives
    console.table(
      scoreByLanguage(corpus, report.findings).map((s) => ({
        category: s.category,
        language: s.language,
        recall: `${s.found}/${s.labelled} (${((100 * s.found) / Math.max(1, s.labelled)).toFixed(1)} %)`,
        'false positives': s.falsePositives,
        'safe files': s.safeFiles,
      })),
    );
    for (const s of scores) {
      expect(s.missed.map((m) => `${m.path}:${m.line} ${m.rule}`), `${s.category} missed`).toEqual([]);
      expect(s.safeFindings.map((f) => `${f.path}:${f.startLine} ${f.ruleId}`), `${s.category} safe`).toEqual([]);
      expect(s.unlabelledFindings.map((f) => `${f.path}:${f.startLine} ${f.ruleId}`), `${s.category} unlabelled`).toEqual([]);
    }
    expect(total.labelled).toBeGreaterThan(150);
  });
});

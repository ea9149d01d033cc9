import { afterAll, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../../../electron/services/analysis/engine';
import { languagesOf } from '../../../../electron/services/analysis/languages';
import { createAnalysisPool } from '../../../../electron/services/analysis/pool';

// A credential in a text file (a key id made up here, not AWS's documented placeholder, which is ignored):
// the secret scan finds it without any grammar.
const NOTES = 'deploy notes\naws_access_key_id = AKIAQ7R2XK4MZP3WB6TD\n';

describe('grammars load per language, on demand', () => {
  it('an analyser with no grammars scans text for secrets and lists a code file as not analysed until its grammar is loaded', async () => {
    const analyzer = await createAnalyzer({ languages: [] });
    try {
      const before = analyzer.analyzeFiles([
        { path: 'notes.txt', text: NOTES },
        { path: 'run.py', text: 'import os\nos.system(cmd)\n' },
      ]);
      expect(before.findings.map((f) => [f.path, f.ruleId.split('.')[0]])).toEqual([['notes.txt', 'secrets']]);
      expect(before.skipped).toEqual([{ path: 'run.py', reason: 'error', note: expect.stringMatching(/python grammar is not loaded/) }]);
      expect(before.stats.parsedFiles).toBe(0);

      await analyzer.load(['python']);
      await analyzer.load(['python']);
      const after = analyzer.analyzeFiles([{ path: 'run.py', text: 'import os\nos.system(cmd)\n' }]);
      expect(after.skipped).toEqual([]);
      expect(after.findings.map((f) => f.ruleId)).toEqual(['python.command-injection.os-system']);
      // TypeScript was never loaded
      expect(analyzer.analyzeFiles([{ path: 'a.ts', text: 'eval(x);\n' }]).skipped.map((s) => s.reason)).toEqual(['error']);
    } finally {
      analyzer.close();
    }
  });

  it('names the languages a request needs', () => {
    expect(languagesOf([{ path: 'a.py', text: '' }, { path: 'b.tsx', text: '' }, { path: 'c.py', text: '' }, { path: 'README.md', text: '' }, { path: 'tool', text: '#!/usr/bin/env node\n' }])).toEqual([
      'python',
      'tsx',
      'javascript',
    ]);
    expect(languagesOf([{ path: 'notes.txt', text: NOTES }])).toEqual([]);
  });
});

describe('the pool scans text-only requests in the calling thread', () => {
  // a worker file that does not exist: any request that needs a thread fails, so a result proves none was started
  const pool = createAnalysisPool({ size: 1, workerFile: '/nonexistent/analysis-worker.cjs' });
  afterAll(() => pool.close());

  it('finds the secret in a text file without a worker, and still sends code to a worker', async () => {
    const report = await pool.analyze([{ path: 'notes.txt', text: NOTES, addedLines: [2] }]);
    expect(report.findings.map((f) => [f.path, f.startLine, f.introduced])).toEqual([['notes.txt', 2, true]]);
    expect(report.stats).toMatchObject({ files: 1, parsedFiles: 0 });
    await expect(pool.analyze([{ path: 'notes.txt', text: NOTES }, { path: 'run.py', text: 'eval(x)\n' }])).rejects.toThrow(/analysis worker not found/);
  });

  it('sends large text to a worker rather than blocking the calling thread', async () => {
    await expect(pool.analyze([{ path: 'dump.txt', text: 'x'.repeat(2 * 1024 * 1024) }])).rejects.toThrow(/analysis worker not found/);
  });

  it('refuses text-only work after close', async () => {
    const closed = createAnalysisPool({ size: 1 });
    await closed.close();
    await expect(closed.analyze([{ path: 'notes.txt', text: NOTES }])).rejects.toThrow(/closed/);
  });
});

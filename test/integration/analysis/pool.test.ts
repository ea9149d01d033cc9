import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/model/result';
import { createAnalyzer } from '../../../electron/services/analysis/engine';
import { AnalysisCancelledError } from '../../../electron/services/analysis/errors';
import { createAnalysisPool, defaultWorkerFile } from '../../../electron/services/analysis/pool';
import { loadCorpus } from './corpus';

const ROOT = join(__dirname, '../../..');

describe('analysis in worker threads (from TypeScript source)', () => {
  const corpus = loadCorpus();
  const pool = createAnalysisPool({ deniedImports: corpus.deniedImports, size: 2 });
  afterAll(() => pool.close());

  it('finds what the in-process analyser finds', async () => {
    expect(defaultWorkerFile()).toBe(join(ROOT, 'electron/services/analysis/worker.ts'));
    const analyzer = await createAnalyzer({ deniedImports: corpus.deniedImports });
    const inProcess = analyzer.analyzeFiles(corpus.files);
    analyzer.close();
    const threaded = await pool.analyze(corpus.files);
    expect(threaded.findings).toEqual(inProcess.findings);
    expect(threaded.stats).toMatchObject({ files: inProcess.stats.files, lines: inProcess.stats.lines, parsedFiles: inProcess.stats.parsedFiles });
  });

  it('cancels a running analysis and keeps serving later ones', async () => {
    const big = Array.from({ length: 40 }, (_, i) => ({ path: `gen/m${i}.py`, text: 'import os\ndef f(x):\n    os.system(x)\n'.repeat(400) }));
    const controller = new AbortController();
    const running = pool.analyze(big, { signal: controller.signal });
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(AnalysisCancelledError);
    await expect(running).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    const after = await pool.analyze([{ path: 'x.py', text: 'eval(s)\n' }]);
    expect(after.findings.map((f) => f.ruleId)).toEqual(['python.code-execution.eval']);
  });

  it('refuses work after close, and a missing worker file is a clear error', async () => {
    const closed = createAnalysisPool({ size: 1 });
    await closed.close();
    await expect(closed.analyze([{ path: 'x.py', text: 'eval(s)\n' }])).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    const missing = createAnalysisPool({ size: 1, workerFile: join(ROOT, 'no/such/worker.cjs') });
    await expect(missing.analyze([{ path: 'x.py', text: 'eval(s)\n' }])).rejects.toThrow(/analysis worker not found/);
    await missing.close();
  });
});

describe('analysis in worker threads (from the esbuild CommonJS bundles)', () => {
  // Laid out like dist/: <dir>/cli/entry.cjs finds <dir>/workers/analysis-worker.cjs by default. The
  // directory sits inside the checkout so bundles resolve node_modules the way dist/ does.
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(__dirname, '.bundle-'));
    mkdirSync(join(dir, 'cli'));
    writeFileSync(
      join(dir, 'entry.ts'),
      [
        `import { createAnalysisPool, defaultWorkerFile } from ${JSON.stringify(join(ROOT, 'electron/services/analysis/pool'))};`,
        'async function main(): Promise<void> {',
        "  const pool = createAnalysisPool({ size: 1, deniedImports: ['telnetlib'] });",
        "  const report = await pool.analyze([{ path: 'a.py', text: 'import telnetlib\\nimport os\\nos.system(cmd)\\n' }, { path: 'b.tsx', text: 'const e = <p dangerouslySetInnerHTML={{ __html: h }} />;\\n' }]);",
        '  await pool.close();',
        '  process.stdout.write(JSON.stringify({ worker: defaultWorkerFile(), rules: report.findings.map((f) => f.ruleId) }));',
        '}',
        'void main();',
      ].join('\n'),
    );
    const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', packages: 'external' as const, logLevel: 'silent' as const };
    await build({ ...common, entryPoints: [join(ROOT, 'electron/services/analysis/worker.ts')], outfile: join(dir, 'workers/analysis-worker.cjs') });
    await build({ ...common, entryPoints: [join(dir, 'entry.ts')], outfile: join(dir, 'cli/entry.cjs') });
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('runs the bundled worker, loading the wasm runtime and grammars from node_modules', () => {
    const run = spawnSync(process.execPath, [join(dir, 'cli/entry.cjs')], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { worker: string; rules: string[] };
    expect(out.worker).toBe(join(dir, 'workers/analysis-worker.cjs'));
    expect(out.rules.sort()).toEqual(['js.dom-injection.dangerously-set-inner-html', 'python.command-injection.os-system', 'python.denied-import.import']);
  });
});

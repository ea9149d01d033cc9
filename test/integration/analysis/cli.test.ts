import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../../electron/services/analysis/engine';
import { importSarif, parseSarif } from '../../../electron/services/analysis/sarif';

const ENTRY = join(__dirname, 'cli-entry.ts');
// absolute, so the CLI can run with any working directory
const TSX = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
const SAMPLES = join(__dirname, '../../fixtures/threats/_sarif');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function gatehouse(args: ReadonlyArray<string>, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('gatehouse scan', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-'));
    mkdirSync(join(dir, 'repo/src'), { recursive: true });
    mkdirSync(join(dir, 'repo/node_modules/dep'), { recursive: true });
    mkdirSync(join(dir, 'clean'));
    writeFileSync(join(dir, 'repo/src/run.py'), 'import os\nimport hashlib\n\ndef run(cmd):\n    os.system(cmd)\n\nh = hashlib.md5(b"x")\n');
    writeFileSync(join(dir, 'repo/src/util.js'), "const net = require('net');\nmodule.exports = net;\n");
    writeFileSync(join(dir, 'repo/node_modules/dep/index.js'), 'eval(x);\n');
    writeFileSync(join(dir, 'clean/ok.py'), 'print("hello")\n');
    writeFileSync(join(dir, 'clean/weak.py'), 'import hashlib\nh = hashlib.sha1(b"x")\n');
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('prints findings as text and exits 0 without --fail-on', async () => {
    const run = await gatehouse(['scan', 'repo'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('repo/src/run.py:5:5 high python.command-injection.os-system');
    expect(run.stdout).toContain('repo/src/run.py:7:5 medium python.weak-hash.md5-sha1');
    // dependency folders are not part of a change under review
    expect(run.stdout).not.toContain('node_modules');
    expect(run.stdout.trim().split('\n').pop()).toBe('2 findings (1 high, 1 medium) in 2 files');
  });

  it('reports a file that does not parse (path, first error line) in text, JSON and SARIF, with the findings of the parts that parse', async () => {
    mkdirSync(join(dir, 'mixed'), { recursive: true });
    writeFileSync(join(dir, 'mixed/broken.py'), 'import os\n\nos.system(cmd)\n\ndef (:\n    pass\n');
    // PEP 263: a Latin-1 file is decoded as declared, not called binary
    writeFileSync(join(dir, 'mixed/latin.py'), Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\nimport os\nname = "'), Buffer.from([0xe9, 0xe8, 0xe0, 0xf9]), Buffer.from('"\nos.system("echo " + name + cmd)\n')]));
    const text = await gatehouse(['scan', 'mixed'], dir);
    expect(text.stdout).toContain('syntax error mixed/broken.py:5:');
    expect(text.stdout).toContain('mixed/broken.py:3:1 high python.command-injection.os-system');
    expect(text.stdout).toContain('mixed/latin.py:4:1 high python.command-injection.os-system');
    expect(text.stdout).not.toContain('skipped mixed/latin.py');
    expect(text.stdout.trim().split('\n').pop()).toBe('2 findings (2 high) in 2 files, 1 with syntax errors');
    const json = JSON.parse((await gatehouse(['scan', 'mixed', '--format', 'json'], dir)).stdout) as { parseErrors: Array<{ path: string; line: number }>; stats: { parsedFiles: number } };
    expect(json.parseErrors).toEqual([expect.objectContaining({ path: 'mixed/broken.py', line: 5 })]);
    expect(json.stats.parsedFiles).toBe(1);
    const sarif = JSON.parse((await gatehouse(['scan', 'mixed', '--format', 'sarif'], dir)).stdout) as {
      runs: Array<{ invocations: Array<{ toolExecutionNotifications: Array<{ level: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> }>;
    };
    const notes = sarif.runs[0]?.invocations[0]?.toolExecutionNotifications ?? [];
    expect(notes.map((n) => [n.level, n.locations[0]?.physicalLocation.artifactLocation.uri, n.locations[0]?.physicalLocation.region.startLine])).toEqual([['error', 'mixed/broken.py', 5]]);
  });

  it('exits 1 with --fail-on when a finding at or above the severity exists, 0 otherwise', async () => {
    expect((await gatehouse(['scan', 'repo', '--fail-on', 'high'], dir)).code).toBe(1);
    expect((await gatehouse(['scan', 'clean', '--fail-on', 'high'], dir)).code).toBe(0);
    expect((await gatehouse(['scan', 'clean', '--fail-on', 'MEDIUM'], dir)).code).toBe(1);
  });

  it('exits 2 on bad usage or input', async () => {
    const badFormat = await gatehouse(['scan', 'repo', '--format', 'xml'], dir);
    expect([badFormat.code, badFormat.stderr.trim()]).toEqual([2, 'gatehouse: --format must be one of text, json, sarif (got "xml")']);
    const badSeverity = await gatehouse(['scan', 'repo', '--fail-on', 'severe'], dir);
    expect(badSeverity.code).toBe(2);
    expect(badSeverity.stderr).toContain('--fail-on must be one of info, low, medium, high, critical');
    const missing = await gatehouse(['scan', 'does-not-exist', '--json'], dir);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((await gatehouse(['scan'], dir)).code).toBe(2);
    expect((await gatehouse(['scan', 'repo', '--no-such-option'], dir)).code).toBe(2);
    writeFileSync(join(dir, 'bad.sarif'), '{"version":"1.0"}');
    const badSarif = await gatehouse(['scan', 'clean', '--sarif-in', 'bad.sarif'], dir);
    expect(badSarif.code).toBe(2);
    expect(badSarif.stderr).toContain('not a SARIF 2.1.0 log');
  });

  it('prints JSON with --json and honours --deny-import', async () => {
    const run = await gatehouse(['scan', 'repo', '--json', '--deny-import', 'net', '--deny-import', 'telnetlib'], dir);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { findings: Array<{ ruleId: string; path: string }>; summary: Record<string, number>; stats: { files: number } };
    expect(out.findings.map((f) => f.ruleId).sort()).toEqual(['js.denied-import.import', 'python.command-injection.os-system', 'python.weak-hash.md5-sha1']);
    expect(out.summary).toEqual({ critical: 0, high: 2, medium: 1, low: 0, info: 0 });
    expect(out.stats.files).toBe(2);
  });

  it('scans a large tree on the worker pool (one thread per core) with the findings the in-process analyser reports', async () => {
    // over 2 MB of Python: the scan runs on the worker pool; each file has its own findings (and one a syntax error)
    const big = join(dir, 'big');
    mkdirSync(big);
    const files: Array<{ path: string; text: string }> = [];
    for (let i = 0; i < 24; i++) {
      const blocks = [`import os\nimport pickle\nimport subprocess\n\n`];
      for (let j = 0; blocks.join('').length < 90_000; j++) {
        blocks.push(
          j % 40 === 7
            ? `def run_${j}(cmd):\n    os.system("ls " + cmd)\n    return pickle.loads(cmd)\n\n`
            : `def total_${j}(items):\n    total = 0\n    for item in items:\n        total += item.price * ${j}\n    return subprocess.run(["echo", str(total)], check=True)\n\n`,
        );
      }
      if (i === 5) blocks.push('def broken(:\n    pass\n');
      const text = blocks.join('');
      writeFileSync(join(big, `m${i}.py`), text);
      files.push({ path: `big/m${i}.py`, text });
    }
    const run = await gatehouse(['scan', 'big', '--json'], dir);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { findings: Array<{ fingerprint: string; startLine: number; ruleId: string }>; parseErrors: Array<{ path: string }>; threads: number };
    expect(out.threads).toBe(Math.min(4, availableParallelism()));
    const analyzer = await createAnalyzer();
    try {
      const inProcess = analyzer.analyzeFiles(files);
      expect(inProcess.findings.length).toBeGreaterThan(24);
      expect(out.findings.map((f) => [f.fingerprint, f.startLine, f.ruleId])).toEqual(inProcess.findings.map((f) => [f.fingerprint, f.startLine, f.ruleId]));
      expect(out.parseErrors.map((e) => e.path)).toEqual(['big/m5.py']);
    } finally {
      analyzer.close();
    }
  }, 240_000);

  it('writes SARIF with --out, merges other scanners with --sarif-in, and the file re-imports', async () => {
    const project = join(SAMPLES, 'project');
    const out = join(dir, 'report.sarif');
    const run = await gatehouse(['scan', '.', '--format', 'sarif', '--out', out, '--sarif-in', join(SAMPLES, 'bandit.sarif'), '--sarif-in', join(SAMPLES, 'gitleaks.sarif'), '--json'], project);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ out, format: 'sarif', findings: 4 });
    const log = parseSarif(readFileSync(out, 'utf8'));
    expect(log.runs.map((r) => r.tool.driver.name)).toEqual(['gatehouse', 'Bandit']);
    const findings = importSarif(readFileSync(out, 'utf8'));
    expect(findings.map((f) => [f.path, f.startLine, f.tool]).sort()).toEqual([
      ['app/views.py', 14, 'gatehouse, Bandit'],
      ['app/views.py', 21, 'gatehouse, Bandit'],
      ['app/views.py', 6, 'Bandit'],
      ['config/settings.py', 4, 'gatehouse, gitleaks'],
    ]);
    expect(readFileSync(out, 'utf8')).not.toContain('ghp_uaOHZ');
  });
});

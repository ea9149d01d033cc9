import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../../../electron/services/analysis/engine';
import { languageForPath } from '../../../../electron/services/analysis/languages';
import { analyseQuery, splitQuery } from '../../../../electron/services/analysis/query-text';
import { sharedAnalyzer } from './analyzer';

const VULNERABLE = ['import os', '', 'def run(cmd):', '    os.system(cmd)', '', 'def calc(x):', '    return eval(x)', ''].join('\n');

describe('analysis engine', () => {
  it('marks findings on added lines as introduced and others as pre-existing', async () => {
    const analyzer = await sharedAnalyzer();
    const { findings } = analyzer.analyzeFiles([{ path: 'a.py', text: VULNERABLE, addedLines: [7] }]);
    expect(findings.map((f) => [f.ruleId, f.startLine, f.introduced])).toEqual([
      ['python.code-execution.eval', 7, true],
      ['python.command-injection.os-system', 4, false],
    ]);
    const plain = analyzer.analyzeFiles([{ path: 'a.py', text: VULNERABLE }]);
    expect(plain.findings.every((f) => f.introduced)).toBe(true);
    const asSet = analyzer.analyzeFiles([{ path: 'a.py', text: VULNERABLE, addedLines: new Set([4]) }]);
    expect(asSet.findings.filter((f) => f.introduced).map((f) => f.startLine)).toEqual([4]);
  });

  it('keeps fingerprints when code moves and tells repeated lines apart', async () => {
    const analyzer = await sharedAnalyzer();
    const before = analyzer.analyzeFiles([{ path: 'a.py', text: VULNERABLE }]).findings;
    const moved = analyzer.analyzeFiles([{ path: 'a.py', text: `# a comment\n\n${VULNERABLE}` }]).findings;
    expect(moved.map((f) => f.startLine)).toEqual(before.map((f) => f.startLine + 2));
    expect(moved.map((f) => f.fingerprint)).toEqual(before.map((f) => f.fingerprint));
    for (const f of before) expect(f.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const twice = analyzer.analyzeFiles([{ path: 'b.py', text: 'eval(x)\neval(x)\n' }]).findings;
    expect(new Set(twice.map((f) => f.fingerprint)).size).toBe(2);
    const otherPath = analyzer.analyzeFiles([{ path: 'c.py', text: VULNERABLE }]).findings;
    expect(otherPath[0]?.fingerprint).not.toBe(before[0]?.fingerprint);
  });

  it('reports columns in UTF-16 code units after non-ASCII text', async () => {
    const analyzer = await sharedAnalyzer();
    const { findings } = analyzer.analyzeFiles([{ path: 'a.js', text: 'const s = "héllo 😀"; eval(x);\n' }]);
    expect(findings.map((f) => [f.startColumn, f.endColumn])).toEqual([[23, 30]]);
  });

  it('skips binary and oversized files with a note, and still scans other text for secrets', async () => {
    const analyzer = await createAnalyzer({ maxFileBytes: 1000 });
    const report = analyzer.analyzeFiles([
      { path: 'logo.png', text: '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR' },
      { path: 'big.py', text: 'x = 1\n'.repeat(500) },
      { path: 'notes.txt', text: 'nothing here\n' },
    ]);
    analyzer.close();
    expect(report.skipped.map((s) => [s.path, s.reason])).toEqual([
      ['logo.png', 'binary'],
      ['big.py', 'too-large'],
    ]);
    expect(report.skipped.every((s) => s.note.length > 0)).toBe(true);
    expect(report.stats).toMatchObject({ files: 3, parsedFiles: 0, lines: 1 });
  });

  it('survives hostile input: syntax errors, deep nesting, empty files', async () => {
    const analyzer = await sharedAnalyzer();
    const deep = `x = ${'('.repeat(3000)}1${')'.repeat(3000)}\neval(y)\n`;
    // one nesting level per term / per attribute: the data-flow and naming walks must not blow the stack
    const concatenation = `import os\nx = ${Array.from({ length: 10_000 }, () => '"a" + y').join(' + ')}\nos.system(x)\n`;
    const chain = `v = a${'.b'.repeat(20_000)}(1);\neval(q);\n`;
    const report = analyzer.analyzeFiles([
      { path: 'broken.py', text: 'def (:\n    pass\n\nx = [1, 2\neval(x)\n' },
      { path: 'deep.py', text: deep },
      { path: 'concat.py', text: concatenation },
      { path: 'chain.js', text: chain },
      { path: 'empty.ts', text: '' },
    ]);
    expect(report.findings.map((f) => [f.path, f.ruleId])).toEqual(
      expect.arrayContaining([
        ['broken.py', 'python.code-execution.eval'],
        ['deep.py', 'python.code-execution.eval'],
        ['concat.py', 'python.command-injection.os-system'],
        ['chain.js', 'js.code-execution.eval'],
      ]),
    );
  });

  it('lists findings introduced first, then by severity, path and line', async () => {
    const analyzer = await sharedAnalyzer();
    const { findings } = analyzer.analyzeFiles([
      { path: 'b.py', text: 'import hashlib\nhashlib.md5(x)\neval(y)\n', addedLines: [2] },
      { path: 'a.py', text: 'eval(z)\n', addedLines: [] },
    ]);
    expect(findings.map((f) => `${f.path}:${f.startLine}:${f.severity}:${f.introduced}`)).toEqual([
      'b.py:2:medium:true',
      'a.py:1:high:false',
      'b.py:3:high:false',
    ]);
  });

  it('picks the language from the extension or a shebang', () => {
    expect(languageForPath('src/app.py')).toBe('python');
    expect(languageForPath('web/App.TSX')).toBe('tsx');
    expect(languageForPath('lib/x.mjs')).toBe('javascript');
    expect(languageForPath('lib/x.d.ts')).toBe('typescript');
    expect(languageForPath('bin/tool', '#!/usr/bin/env python3\nprint(1)\n')).toBe('python');
    expect(languageForPath('bin/tool', '#!/usr/bin/env node\n')).toBe('javascript');
    expect(languageForPath('README.md')).toBeUndefined();
    expect(languageForPath('.env')).toBeUndefined();
  });
});

describe('query text', () => {
  it('splits a query into patterns with their captures and finds required words', () => {
    const source = `; comment (not a pattern)
      (call function: (identifier) @f (#any-of? @f "eval" "exec")) @finding
      ((identifier) @x (#eq? @x "__builtins__"))
      [(a) (b)] @alt
      (binary_operator operator: "/" right: (_) @r) @finding`;
    expect(splitQuery(source)).toHaveLength(4);
    expect(analyseQuery(source).map((p) => p.needles)).toEqual([['eval', 'exec'], ['__builtins__'], [], []]);
  });
});

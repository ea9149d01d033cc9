import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { Finding } from '../../../../shared/model/domain';
import { ErrorCode } from '../../../../shared/model/result';
import { compareFindings } from '../../../../electron/services/analysis/engine';
import { SarifInputError } from '../../../../electron/services/analysis/errors';
import { mergeFindings } from '../../../../electron/services/analysis/merge';
import { importSarif, normaliseCwe, parseSarif, toSarif } from '../../../../electron/services/analysis/sarif';
import { sharedAnalyzer } from './analyzer';

const SAMPLES = join(__dirname, '../../../fixtures/threats/_sarif');
const sample = (name: string): string => readFileSync(join(SAMPLES, `${name}.sarif`), 'utf8');

async function projectFindings(): Promise<ReadonlyArray<Finding>> {
  const analyzer = await sharedAnalyzer();
  const files = ['app/views.py', 'config/settings.py'].map((path) => ({ path, text: readFileSync(join(SAMPLES, 'project', path), 'utf8') }));
  return analyzer.analyzeFiles(files).findings;
}

async function variedFindings(): Promise<ReadonlyArray<Finding>> {
  const analyzer = await sharedAnalyzer(['telnetlib']);
  return analyzer.analyzeFiles([
    { path: 'src/app.py', text: 'import os, telnetlib\nos.system(cmd)\nk = "AKIAVQJXXVBOTHD2WTFL"\n', addedLines: [2] },
    { path: 'web/dir with space/ü.js', text: 'el.innerHTML = `<b>${x}</b>`;\n' },
  ]).findings;
}

describe('SARIF out', () => {
  it('writes rules with CodeQL-style CWE tags, results with regions, fingerprints and baseline state', async () => {
    const analyzer = await sharedAnalyzer();
    const findings = await variedFindings();
    const log = toSarif(findings, { rules: analyzer.rules, toolVersion: '0.1.0', root: '/repo' });
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    const driver = run?.tool.driver;
    expect(driver?.name).toBe('gatehouse');
    expect(driver?.version).toBe('0.1.0');
    const rules = driver?.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual(expect.arrayContaining(analyzer.rules.map((r) => r.id)));
    for (const rule of rules) {
      const tags = rule.properties?.['tags'] as string[];
      // the primary CWE first, then the other CWEs, then 'security'
      expect(tags[tags.length - 1]).toBe('security');
      for (const tag of tags.slice(0, -1)) expect(tag).toMatch(/^external\/cwe\/cwe-[1-9]\d*$/);
      expect(rule.name).toBeTruthy();
      expect(rule.name).not.toBe(rule.id);
      expect(Number(rule.properties?.['security-severity'])).toBeGreaterThanOrEqual(0);
      expect(rule.shortDescription?.text).toBeTruthy();
      expect(rule.help?.text).toBeTruthy();
    }
    const results = run?.results ?? [];
    expect(results).toHaveLength(findings.length);
    for (const [i, result] of results.entries()) {
      const f = findings[i];
      expect(rules[result.ruleIndex ?? -1]?.id).toBe(result.ruleId);
      const region = result.locations?.[0]?.physicalLocation?.region;
      expect(region).toMatchObject({ startLine: f?.startLine, startColumn: f?.startColumn, endLine: f?.endLine, endColumn: f?.endColumn });
      expect(result.partialFingerprints?.['gatehouse/v1']).toBe(f?.fingerprint);
      expect(result.baselineState).toBe(f?.introduced ? 'new' : 'unchanged');
    }
    const uris = results.map((r) => r.locations?.[0]?.physicalLocation?.artifactLocation?.uri);
    expect(uris).toContain('web/dir%20with%20space/%C3%BC.js');
    // plain JSON that any SARIF consumer can read
    expect(JSON.parse(JSON.stringify(log))).toEqual(log);
  });

  it('round-trips: our SARIF re-imported gives the same findings', async () => {
    const findings = [...(await variedFindings()), ...(await projectFindings())];
    const text = JSON.stringify(toSarif(findings, { root: '/repo' }));
    const back = importSarif(text, { root: '/repo' });
    expect(back).toEqual(findings);
    for (const f of back) expect(Finding.safeParse(f).success).toBe(true);
  });
});

describe('SARIF in', () => {
  it('imports Semgrep: CWE from free-text tags, level as severity', () => {
    const findings = importSarif(sample('semgrep'));
    expect(findings.map((f) => [f.tool, f.ruleId.split('.').pop(), f.severity, f.cwe, f.path, f.startLine, f.startColumn])).toEqual([
      ['Semgrep OSS', 'subprocess-shell-true', 'high', ['external/cwe/cwe-78'], 'app/views.py', 14, 12],
      ['Semgrep OSS', 'debug-enabled', 'medium', ['external/cwe/cwe-489'], 'app/views.py', 12, 5],
    ]);
    expect(findings[0]?.remediation).toContain("shell=False");
  });

  it('imports CodeQL: rules in extensions, rule by index or by rule object, zero-padded CWE, security-severity', () => {
    const findings = importSarif(sample('codeql'));
    expect(findings.map((f) => [f.ruleId, f.title, f.severity, f.cwe, f.path, f.startLine, f.endLine, f.startColumn, f.endColumn])).toEqual([
      ['py/command-line-injection', 'Uncontrolled command line', 'critical', ['external/cwe/cwe-78', 'external/cwe/cwe-88'], 'app/views.py', 14, 14, 36, 39],
      ['py/sql-injection', 'SQL query built from user-controlled sources', 'high', ['external/cwe/cwe-89'], 'app/views.py', 21, 21, 20, 63],
    ]);
    expect(findings.every((f) => f.tool === 'CodeQL' && f.introduced)).toBe(true);
  });

  it("imports Bandit: rule index, CWE in tags, Bandit's issue_severity", () => {
    const findings = importSarif(sample('bandit'));
    expect(findings.map((f) => [f.ruleId, f.title, f.severity, f.cwe[0], f.startLine])).toEqual([
      ['B602', 'subprocess_popen_with_shell_equals_true', 'high', 'external/cwe/cwe-78', 14],
      ['B608', 'hardcoded_sql_expressions', 'medium', 'external/cwe/cwe-89', 21],
      ['B201', 'flask_debug_true', 'high', 'external/cwe/cwe-94', 6],
    ]);
    expect(findings[0]?.snippet).toBe('    return subprocess.check_output(cmd, shell=True)');
  });

  it('imports gitleaks: no CWE or level in the log, CWE-798 assigned, the secret redacted', () => {
    const findings = importSarif(sample('gitleaks'));
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect([f?.tool, f?.ruleId, f?.title, f?.cwe, f?.path, f?.startLine, f?.startColumn]).toEqual([
      'gitleaks',
      'github-pat',
      'GitHub Personal Access Token',
      ['external/cwe/cwe-798'],
      'config/settings.py',
      4,
      17,
    ]);
    expect(f?.snippet).toMatch(/^ghp_\*+$/);
  });

  it('lets the caller decide introduced from the diff', () => {
    const findings = importSarif(sample('bandit'), { introduced: (_path, start) => start === 14 });
    expect(findings.map((f) => f.introduced)).toEqual([true, false, false]);
  });

  it('reads file URIs relative to the repository root', () => {
    const log = {
      version: '2.1.0',
      runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'file:///repo/src/a%20b.py' }, region: { startLine: 3 } } }] }] }],
    };
    expect(importSarif(log, { root: '/repo' })[0]).toMatchObject({ path: 'src/a b.py', startLine: 3, startColumn: 1, endLine: 3, severity: 'medium' });
  });

  it('refuses input that is not SARIF 2.1.0, with a clear typed error', () => {
    const cases: ReadonlyArray<[unknown, RegExp]> = [
      ['{not json', /not JSON/],
      [{ version: '2.0.0', runs: [] }, /not a SARIF 2\.1\.0 log at version/],
      [{ version: '2.1.0' }, /at runs/],
      [{ version: '2.1.0', runs: [{ tool: { driver: {} } }] }, /at runs\.0\.tool\.driver\.name/],
      [{ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { region: { startLine: -1 } } }] }] }] }, /startLine/],
      [[], /not a SARIF/],
    ];
    for (const [input, message] of cases) {
      let caught: unknown;
      try {
        parseSarif(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, String(message)).toBeInstanceOf(SarifInputError);
      expect((caught as SarifInputError).code).toBe(ErrorCode.InvalidInput);
      expect((caught as Error).message).toMatch(message);
    }
    const many = { version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: Array.from({ length: 3 }, () => ({ message: { text: 'm' } })) }] };
    expect(() => importSarif(many, { maxResults: 2 })).toThrow(/more than the 2 accepted/);
  });

  it('normalises CWE spellings', () => {
    expect(['external/cwe/cwe-078', 'CWE-78: OS Command Injection', 'cwe_78', 'CWE:78'].map(normaliseCwe)).toEqual(Array(4).fill('external/cwe/cwe-78'));
    expect(normaliseCwe('OWASP-A03:2021 - Injection')).toBeUndefined();
  });
});

describe('de-duplication', () => {
  it('shows one finding per problem across tools, keeping every tool name and the highest severity', async () => {
    const ours = await projectFindings();
    const merged = mergeFindings(ours, ...['semgrep', 'codeql', 'bandit', 'gitleaks'].map((n) => importSarif(sample(n))));
    expect(merged.map((f) => [f.path, f.startLine, f.ruleId, f.tool, f.severity])).toEqual([
      ['app/views.py', 14, 'python.command-injection.subprocess-shell', 'gatehouse, Semgrep OSS, CodeQL, Bandit', 'critical'],
      ['config/settings.py', 4, 'secrets.github-token', 'gatehouse, gitleaks', 'critical'],
      ['app/views.py', 6, 'B201', 'Bandit', 'high'],
      ['app/views.py', 21, 'python.sql-injection.built-query', 'gatehouse, CodeQL, Bandit', 'high'],
      ['app/views.py', 12, 'python.flask.security.audit.debug-enabled.debug-enabled', 'Semgrep OSS', 'medium'],
    ]);
  });

  it('collapses exact repeats and never merges two results of the same tool', async () => {
    const bandit = importSarif(sample('bandit'));
    expect(mergeFindings(bandit, bandit)).toHaveLength(3);
    const sameTool = bandit.map((f) => ({ ...f, fingerprint: `${f.fingerprint}-2`, ruleId: `${f.ruleId}-copy` }));
    expect(mergeFindings(bandit, sameTool)).toHaveLength(6);
  });

  it('round-trips merged findings with their tool list', async () => {
    const merged = mergeFindings(await projectFindings(), importSarif(sample('bandit')));
    // runs are per tool, so the order comes back grouped; the findings are the same
    expect([...importSarif(JSON.stringify(toSarif(merged, { root: '/repo' })), { root: '/repo' })].sort(compareFindings)).toEqual(merged);
  });
});

describe('SARIF against the OASIS SARIF 2.1.0 JSON Schema', () => {
  const schema = JSON.parse(readFileSync(join(SAMPLES, 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  async function flowFindings(): Promise<ReadonlyArray<Finding>> {
    const analyzer = await sharedAnalyzer();
    return analyzer.analyzeFiles([
      { path: 'app/run.py', text: 'import os\nfrom flask import request\ndef f():\n    cmd = request.args["c"]\n    os.system("ls " + cmd)\n' },
      { path: 'app/broken.py', text: 'def (:\n    pass\nimport os\nos.system(x)\n' },
    ]).findings;
  }

  it('validates a log with rules, code flows, invocations, notifications and relative URIs', async () => {
    const analyzer = await sharedAnalyzer();
    const findings = [...(await variedFindings()), ...(await flowFindings()), ...(await projectFindings())];
    expect(findings.some((f) => (f.flow?.length ?? 0) > 1)).toBe(true);
    const log = toSarif(findings, {
      rules: analyzer.rules,
      toolVersion: '1.2.3',
      informationUri: 'https://gatehouse.invalid/docs',
      root: '/repo',
      invocation: {
        startTime: new Date('2026-01-01T00:00:00Z'),
        endTime: new Date('2026-01-01T00:00:01Z'),
        parseErrors: [{ path: 'app/broken.py', line: 1, column: 1, message: 'syntax error at line 1, column 1' }],
        skipped: [{ path: 'logo.png', reason: 'binary', note: 'binary content (NUL byte); not analysed' }],
      },
    });
    const ok = validate(JSON.parse(JSON.stringify(log)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const run = log.runs[0] as Record<string, unknown> & { invocations?: Array<Record<string, unknown>>; results?: Array<Record<string, unknown>> };
    expect(run.invocations?.[0]?.['toolExecutionNotifications']).toHaveLength(2);
    expect(run.results?.some((r) => Array.isArray(r['codeFlows']))).toBe(true);
  });

  it('validates a log with absolute file URIs when no root is given, and a log of imported tools', async () => {
    const findings = [...(await flowFindings()), ...importSarif(sample('bandit')), ...importSarif(sample('gitleaks'))];
    const log = toSarif(findings);
    expect(validate(JSON.parse(JSON.stringify(log)))).toBe(true);
    const uri = log.runs[0]?.results?.[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '';
    expect(uri.startsWith('file:///')).toBe(true);
  });

  it('catches a log that breaks the schema (the validation can fail)', () => {
    const broken = { version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: {}, level: 'fatal' }] }] };
    expect(validate(broken)).toBe(false);
  });

  it('carries a finding’s flow through SARIF codeFlows and back', async () => {
    const findings = await flowFindings();
    const flowing = findings.find((f) => f.flow !== undefined);
    expect(flowing?.flow?.map((s) => s.line)).toEqual([4, 5]);
    const back = importSarif(JSON.stringify(toSarif(findings, { root: '/repo' })), { root: '/repo' });
    expect(back.find((f) => f.fingerprint === flowing?.fingerprint)?.flow).toEqual(flowing?.flow);
  });
});

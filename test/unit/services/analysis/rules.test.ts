import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../../../electron/services/analysis/engine';
import { builtinRules } from '../../../../electron/services/analysis/rules';
import { cwe, type Rule } from '../../../../electron/services/analysis/rules/rule';
import { LANGUAGE_IDS, RULE_CATEGORIES } from '../../../../electron/services/analysis/types';
import { findingsIn } from './analyzer';

interface Vulnerable {
  readonly path: string;
  readonly code: ReadonlyArray<string>;
  readonly rule: string;
  readonly line: number;
  readonly column: number;
}

interface Safe {
  readonly path: string;
  readonly code: ReadonlyArray<string>;
}

/** Per category: code that must be reported (at this line and column) and code that must not. */
const CASES: Record<string, { readonly vulnerable: ReadonlyArray<Vulnerable>; readonly safe: ReadonlyArray<Safe> }> = {
  'code-execution': {
    vulnerable: [
      { path: 'a.py', code: ['def f(s):', '    return eval(s)'], rule: 'python.code-execution.eval', line: 2, column: 12 },
      { path: 'a.py', code: ['import builtins as b', 'b.exec(payload)'], rule: 'python.code-execution.exec', line: 2, column: 1 },
      { path: 'a.py', code: ['code = compile(src, "x", "exec")'], rule: 'python.code-execution.compile', line: 1, column: 8 },
      { path: 'a.js', code: ['const x = 1;', 'eval(input);'], rule: 'js.code-execution.eval', line: 2, column: 1 },
      { path: 'a.ts', code: ['const f = new Function("a", body);'], rule: 'js.code-execution.function-constructor', line: 1, column: 11 },
      { path: 'a.js', code: ['setTimeout("tick(" + n + ")", 5);'], rule: 'js.code-execution.string-timer', line: 1, column: 1 },
      { path: 'a.js', code: ["const { runInNewContext: run } = require('vm');", 'run(code, {});'], rule: 'js.code-execution.vm', line: 2, column: 1 },
    ],
    safe: [
      { path: 'a.py', code: ['import ast', 'v = ast.literal_eval(text)', 'm = model.eval()', 'c = compile("1", "x", "eval")'] },
      { path: 'a.js', code: ['setTimeout(() => tick(), 5);', 'const v = JSON.parse(s);', 'obj.eval();'] },
    ],
  },
  'command-injection': {
    vulnerable: [
      { path: 'a.py', code: ['import os', 'os.system("rm " + path)'], rule: 'python.command-injection.os-system', line: 2, column: 1 },
      { path: 'a.py', code: ['from subprocess import Popen as P', 'P(cmd, shell=True)'], rule: 'python.command-injection.subprocess-shell', line: 2, column: 1 },
      { path: 'a.js', code: ["const cp = require('child_process');", 'cp.execSync(`git ${args}`);'], rule: 'js.command-injection.exec', line: 2, column: 1 },
      { path: 'a.ts', code: ["import { spawn } from 'node:child_process';", "spawn('sh', [arg], { shell: true });"], rule: 'js.command-injection.spawn-shell', line: 2, column: 1 },
      { path: 'a.py', code: ['import subprocess', 'subprocess.run(cmd, shell=False)'], rule: 'python.command-injection.program-from-data', line: 2, column: 1 },
      { path: 'a.py', code: ['import os, sys', 'os.execl("/bin/bash", "bash", "-c", sys.argv[1])'], rule: 'python.command-injection.program-from-data', line: 2, column: 1 },
      { path: 'a.js', code: ["const { spawn } = require('child_process');", "spawn('bash', ['-c', process.argv[2]]);"], rule: 'js.command-injection.program-from-data', line: 2, column: 1 },
    ],
    safe: [
      { path: 'a.py', code: ['import subprocess', 'subprocess.run(["ls", path])', 'subprocess.run("ls", shell=True)', 'subprocess.run(["git", "status"], shell=False)'] },
      { path: 'a.js', code: ["const { execFile, exec } = require('child_process');", "execFile('ls', [dir]);", "exec('uptime');", 're.exec(s);'] },
    ],
  },
  'sql-injection': {
    vulnerable: [
      { path: 'a.py', code: ['def q(c, n):', '    c.execute(f"SELECT * FROM t WHERE n = {n}")'], rule: 'python.sql-injection.built-query', line: 2, column: 5 },
      { path: 'a.ts', code: ['await pool.query("DELETE FROM t WHERE id = " + id);'], rule: 'js.sql-injection.built-query', line: 1, column: 7 },
    ],
    safe: [
      { path: 'a.py', code: ['c.execute("SELECT * FROM t WHERE n = %s", (n,))', 'runner.execute(f"deploy {n}")'] },
      { path: 'a.ts', code: ['await pool.query("DELETE FROM t WHERE id = $1", [id]);', 'cache.get(`k:${id}`);'] },
    ],
  },
  deserialization: {
    vulnerable: [
      { path: 'a.py', code: ['import pickle', 'obj = pickle.loads(data)'], rule: 'python.deserialization.pickle', line: 2, column: 7 },
      { path: 'a.py', code: ['import yaml', 'cfg = yaml.load(text, Loader=yaml.FullLoader)'], rule: 'python.deserialization.yaml-load', line: 2, column: 7 },
      { path: 'a.py', code: ['import marshal', 'marshal.load(f)'], rule: 'python.deserialization.marshal', line: 2, column: 1 },
      { path: 'a.js', code: ["const s = require('node-serialize');", 's.unserialize(cookie);'], rule: 'js.deserialization.unsafe-unserialize', line: 2, column: 1 },
    ],
    safe: [
      { path: 'a.py', code: ['import yaml, json, pickle', 'a = yaml.safe_load(t)', 'b = json.loads(t)', 'c = pickle.dumps(o)'] },
      { path: 'a.js', code: ['const v = JSON.parse(cookie);'] },
    ],
  },
  'sandbox-escape': {
    vulnerable: [
      { path: 'a.py', code: ['import sys', 'g = sys._getframe(2).f_globals'], rule: 'python.sandbox-escape.frame-attributes', line: 2, column: 5 },
      { path: 'a.py', code: ['x = [].__class__.__base__.__subclasses__()'], rule: 'python.sandbox-escape.class-traversal', line: 1, column: 5 },
      { path: 'a.py', code: ['e = __builtins__.eval'], rule: 'python.sandbox-escape.builtins-access', line: 1, column: 5 },
      { path: 'a.py', code: ['os = __import__("os")'], rule: 'python.sandbox-escape.dunder-import', line: 1, column: 6 },
      { path: 'a.py', code: ['g = fn.__globals__'], rule: 'python.sandbox-escape.globals-access', line: 1, column: 5 },
      { path: 'a.js', code: ['const F = x.constructor.constructor;'], rule: 'js.sandbox-escape.constructor-chain', line: 1, column: 11 },
      { path: 'a.js', code: ['a.__proto__.polluted = 1;'], rule: 'js.sandbox-escape.proto-access', line: 1, column: 1 },
      { path: 'a.js', code: ["const b = process.binding('fs');"], rule: 'js.sandbox-escape.process-internals', line: 1, column: 11 },
    ],
    safe: [
      { path: 'a.py', code: ['name = self.__class__.__name__', 'ok = isinstance(x, Base)', 'v = getattr(o, "name", None)'] },
      { path: 'a.js', code: ['const n = obj.constructor.name;', 'const p = Object.getPrototypeOf(o);', "if (key === '__proto__') throw new Error('bad key');"] },
    ],
  },
  'path-traversal': {
    vulnerable: [
      {
        path: 'a.py',
        code: ['from flask import request', 'def f():', '    return open("/data/" + request.args["f"]).read()'],
        rule: 'python.path-traversal.user-path',
        line: 3,
        column: 12,
      },
      {
        path: 'a.js',
        code: ["const fs = require('fs');", 'app.get("/x", (req, res) => {', '  const p = "/data/" + req.params.name;', '  res.send(fs.readFileSync(p));', '});'],
        rule: 'js.path-traversal.user-path',
        line: 4,
        column: 12,
      },
    ],
    safe: [
      {
        path: 'a.py',
        code: ['import os', 'from flask import request', 'def f():', '    return open(os.path.join("/data", os.path.basename(request.args["f"]))).read()'],
      },
      { path: 'a.js', code: ["const fs = require('fs');", "const path = require('path');", 'app.get("/x", (req, res) => res.send(fs.readFileSync(path.basename(req.params.name))));'] },
    ],
  },
  'tls-verification': {
    vulnerable: [
      { path: 'a.py', code: ['import requests', 'r = requests.get(u, verify=False)'], rule: 'python.tls-verification.verify-false', line: 2, column: 21 },
      { path: 'a.py', code: ['import ssl', 'ctx = ssl._create_unverified_context()'], rule: 'python.tls-verification.unverified-context', line: 1 + 1, column: 7 },
      { path: 'a.ts', code: ['const agent = new Agent({', '  rejectUnauthorized: false,', '});'], rule: 'js.tls-verification.reject-unauthorized', line: 2, column: 3 },
    ],
    safe: [
      { path: 'a.py', code: ['import requests', 'r = requests.get(u, verify=True)', 's = requests.get(u, verify="/ca.pem")'] },
      { path: 'a.ts', code: ['const agent = new Agent({ rejectUnauthorized: true });'] },
    ],
  },
  'weak-hash': {
    vulnerable: [
      { path: 'a.py', code: ['import hashlib', 'h = hashlib.sha1(pw).hexdigest()'], rule: 'python.weak-hash.md5-sha1', line: 2, column: 5 },
      { path: 'a.js', code: ["const { createHash } = require('crypto');", "const h = createHash('md5');"], rule: 'js.weak-hash.create-hash', line: 2, column: 11 },
    ],
    safe: [
      { path: 'a.py', code: ['import hashlib', 'h = hashlib.sha256(pw).hexdigest()', 'c = hashlib.md5(blob, usedforsecurity=False)'] },
      { path: 'a.js', code: ["const { createHash } = require('crypto');", "const h = createHash('sha256').update(x).digest('hex');"] },
    ],
  },
  'insecure-randomness': {
    vulnerable: [
      { path: 'a.py', code: ['import random', 'reset_token = random.getrandbits(64)'], rule: 'python.insecure-randomness.random-token', line: 2, column: 15 },
      { path: 'a.ts', code: ['function makeSessionKey(): number {', '  return Math.random();', '}'], rule: 'js.insecure-randomness.math-random', line: 2, column: 10 },
    ],
    safe: [
      { path: 'a.py', code: ['import random, secrets', 'dice = random.randint(1, 6)', 'token = secrets.token_hex(16)'] },
      { path: 'a.ts', code: ['const delay = 100 + Math.random() * 50;'] },
    ],
  },
  'dom-injection': {
    vulnerable: [
      { path: 'a.js', code: ['el.innerHTML = `<p>${msg}</p>`;'], rule: 'js.dom-injection.inner-html', line: 1, column: 1 },
      { path: 'a.tsx', code: ['export const A = ({ h }: { h: string }) => <div dangerouslySetInnerHTML={{ __html: h }} />;'], rule: 'js.dom-injection.dangerously-set-inner-html', line: 1, column: 49 },
      { path: 'a.py', code: ['from markupsafe import Markup', 'html = Markup("<b>" + name + "</b>")'], rule: 'python.dom-injection.mark-safe', line: 2, column: 8 },
    ],
    safe: [
      { path: 'a.js', code: ['el.textContent = msg;', 'el.innerHTML = "";', 'el.innerHTML = DOMPurify.sanitize(msg);'] },
      { path: 'a.py', code: ['from markupsafe import Markup, escape', 'html = Markup("<b>{}</b>").format(name)'] },
    ],
  },
  'denied-import': {
    vulnerable: [
      { path: 'a.py', code: ['import os', 'import telnetlib'], rule: 'python.denied-import.import', line: 2, column: 1 },
      { path: 'a.ts', code: ["import x from 'left-pad/index.js';"], rule: 'js.denied-import.import', line: 1, column: 1 },
    ],
    safe: [
      { path: 'a.py', code: ['import telnetlib3', 'from os import path'] },
      { path: 'a.ts', code: ["import x from 'left-padding';"] },
    ],
  },
};

const DENIED = ['telnetlib', 'left-pad'];

describe('AST rules', () => {
  it('cover every category in Python and JavaScript/TypeScript', () => {
    for (const category of RULE_CATEGORIES) {
      if (category === 'secrets') continue;
      const rules = builtinRules.filter((r) => r.category === category);
      expect(rules.some((r) => r.languages.includes('python')), `${category} python`).toBe(true);
      expect(rules.some((r) => r.languages.includes('javascript') && r.languages.includes('typescript')), `${category} js/ts`).toBe(true);
    }
  });

  it('are well-formed data: unique ids, CWE tags in CodeQL form, a query or calls', () => {
    const ids = new Set<string>();
    for (const rule of builtinRules) {
      expect(ids.has(rule.id), rule.id).toBe(false);
      ids.add(rule.id);
      expect(rule.id.startsWith(rule.languages.includes('python') ? 'python.' : 'js.'), rule.id).toBe(true);
      expect(rule.id.split('.')[1], rule.id).toBe(rule.category);
      expect(rule.cwe.length, rule.id).toBeGreaterThan(0);
      for (const tag of rule.cwe) expect(tag, rule.id).toMatch(/^external\/cwe\/cwe-[1-9]\d*$/);
      expect(rule.query !== undefined || (rule.calls?.length ?? 0) > 0, rule.id).toBe(true);
      expect(rule.message.length > 0 && rule.remediation.length > 0, rule.id).toBe(true);
    }
  });

  it('compile for every language they name', async () => {
    const analyzer = await createAnalyzer();
    expect(() => analyzer.precompile(LANGUAGE_IDS)).not.toThrow();
    analyzer.close();
  });

  for (const [category, { vulnerable, safe }] of Object.entries(CASES)) {
    describe(category, () => {
      for (const c of vulnerable) {
        it(`reports ${c.rule} at ${c.line}:${c.column} in ${c.path}`, async () => {
          const findings = await findingsIn(c.path, c.code, DENIED);
          const hit = findings.find((f) => f.ruleId === c.rule);
          expect(hit, JSON.stringify(findings.map((f) => f.ruleId))).toBeDefined();
          expect([hit?.startLine, hit?.startColumn]).toEqual([c.line, c.column]);
          expect(hit?.severity).toBe(builtinRules.find((r) => r.id === c.rule)?.severity);
        });
      }
      for (const [i, c] of safe.entries()) {
        it(`does not report the safe form #${i + 1} in ${c.path}`, async () => {
          const findings = await findingsIn(c.path, c.code, DENIED);
          expect(findings.map((f) => `${f.ruleId}@${f.startLine}`)).toEqual([]);
        });
      }
    });
  }

  it('resolves aliases through imports (import x as y, from x import y as z, destructured require)', async () => {
    const py = await findingsIn('a.py', ['import subprocess as sp', 'from os import popen as run', 'sp.call(c, shell=True)', 'run(c)']);
    expect(py.map((f) => [f.ruleId, f.startLine])).toEqual(
      expect.arrayContaining([
        ['python.command-injection.subprocess-shell', 3],
        ['python.command-injection.os-system', 4],
      ]),
    );
    const js = await findingsIn('a.js', ["const { exec: sh } = require('node:child_process');", 'sh(cmd);']);
    expect(js.map((f) => f.ruleId)).toEqual(['js.command-injection.exec']);
  });

  it('treats a name bound to a constant as constant and a parameter as input', async () => {
    const constant = await findingsIn('a.py', ['import os', 'CMD = "uptime"', 'def f():', '    os.system(CMD)']);
    expect(constant).toEqual([]);
    const parameter = await findingsIn('a.py', ['import os', 'CMD = "uptime"', 'def f(CMD):', '    os.system(CMD)']);
    expect(parameter.map((f) => f.ruleId)).toEqual(['python.command-injection.os-system']);
  });

  it('takes the deny list as input', async () => {
    const code = ['import ftplib'];
    expect(await findingsIn('a.py', code, [])).toEqual([]);
    expect((await findingsIn('a.py', code, ['ftplib'])).map((f) => f.ruleId)).toEqual(['python.denied-import.import']);
    expect((await findingsIn('a.js', ["require('node:fs');"], ['fs'])).map((f) => f.ruleId)).toEqual(['js.denied-import.import']);
  });

  it('accepts a new rule as data without engine changes', async () => {
    const rule: Rule = {
      id: 'python.code-execution.pickle-in-tests',
      title: 'Custom: os.execv',
      category: 'code-execution',
      severity: 'low',
      cwe: [cwe(78)],
      languages: ['python'],
      calls: ['os.execv'],
      message: 'custom',
      remediation: 'custom',
    };
    const queryRule: Rule = {
      id: 'js.code-execution.with-statement',
      title: 'Custom: with statement',
      category: 'code-execution',
      severity: 'info',
      cwe: [cwe(710)],
      languages: ['javascript'],
      query: '(with_statement) @finding',
      message: 'custom',
      remediation: 'custom',
    };
    const analyzer = await createAnalyzer({ rules: [rule, queryRule] });
    const report = analyzer.analyzeFiles([
      { path: 'x.py', text: 'import os\nos.execv("/bin/ls", ["ls"])\n' },
      { path: 'x.js', text: 'with (o) { f(); }\n' },
    ]);
    analyzer.close();
    expect(report.findings.map((f) => [f.ruleId, f.startLine, f.startColumn])).toEqual([
      ['python.code-execution.pickle-in-tests', 2, 1],
      ['js.code-execution.with-statement', 1, 1],
    ]);
  });

  it('lists a file a rule fails on as not analysed and keeps every other file', async () => {
    const throwing: Rule = {
      id: 'python.code-execution.throws',
      title: 'throws',
      category: 'code-execution',
      severity: 'low',
      cwe: [cwe(94)],
      languages: ['python'],
      calls: ['boom'],
      predicate: () => {
        throw new Error('predicate bug');
      },
      message: 'x',
      remediation: 'x',
    };
    const analyzer = await createAnalyzer({ rules: [throwing, ...builtinRules] });
    const report = analyzer.analyzeFiles([
      { path: 'bad.py', text: 'boom()\n' },
      { path: 'good.py', text: 'eval(x)\n' },
    ]);
    analyzer.close();
    expect(report.skipped).toEqual([{ path: 'bad.py', reason: 'error', note: expect.stringContaining('python.code-execution.throws failed on bad.py: predicate bug') }]);
    expect(report.findings.map((f) => [f.path, f.ruleId])).toEqual([['good.py', 'python.code-execution.eval']]);
  });

  it('refuses a rule whose query does not compile, naming it', async () => {
    const broken: Rule = {
      id: 'python.code-execution.broken',
      title: 'broken',
      category: 'code-execution',
      severity: 'low',
      cwe: [cwe(94)],
      languages: ['python'],
      query: '(no_such_node) @finding',
      message: 'x',
      remediation: 'x',
    };
    const analyzer = await createAnalyzer({ rules: [broken] });
    expect(() => analyzer.precompile(['python'])).toThrow(/python\.code-execution\.broken/);
    analyzer.close();
  });
});

describe('AST rules on hostile input', () => {
  it('stay linear on a huge SQL-looking literal without FROM', async () => {
    const literal = 'select '.repeat(150_000);
    const findings = await findingsIn('a.py', [`cur.execute("${literal}" + x)`]);
    expect(findings).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { findingsIn } from './analyzer';

/** `rule@line` of every finding, for compact expectations. */
async function hits(path: string, lines: ReadonlyArray<string>): Promise<string[]> {
  return (await findingsIn(path, lines)).map((f) => `${f.ruleId}@${f.startLine}`);
}

describe('data flow: branches', () => {
  it('keeps "maybe tainted" across an if that only sometimes overwrites the value', async () => {
    const found = await hits('a.py', [
      'import os',
      'from flask import request',
      'def f():',
      '    x = request.args.get("x")',
      '    if not x:',
      '        x = "default"',
      '    os.system("ls " + x)',
    ]);
    expect(found).toContain('python.command-injection.os-system@7');
  });

  it('knows a value assigned a constant on every path is constant', async () => {
    const found = await hits('a.py', ['import os', 'def f(flag):', '    if flag:', '        cmd = "ls"', '    else:', '        cmd = "ls -la"', '    os.system(cmd)']);
    expect(found).toEqual([]);
  });

  it('does not let a branch that returns spill into the code after it', async () => {
    const found = await hits('a.py', [
      'import os',
      'from flask import request',
      'def f():',
      '    x = "safe"',
      '    if request.args.get("raw"):',
      '        x = request.args["raw"]',
      '        return "no"',
      '    os.system("ls " + x)',
    ]);
    expect(found).toEqual([]);
  });
});

describe('data flow: constants and dead branches', () => {
  it('does not flag eval/exec of constants, or .format() of a constant', async () => {
    const found = await hits('a.py', [
      'import sqlite3',
      'CODE = "print(1)"',
      'def f(conn):',
      '    eval("this is safe")',
      '    exec(CODE)',
      '    conn.execute("SELECT 1 WHERE {}".format("x"))',
    ]);
    expect(found).toEqual([]);
  });

  it('skips a branch whose condition folds to false, and keeps the one that folds to true', async () => {
    const found = await hits('a.py', [
      'import subprocess',
      'def f(cmd):',
      '    if 7*42 - 86 > 300:',
      '        subprocess.call(cmd, shell=True)',
      '    if 7*42 - 86 > 200:',
      '        subprocess.call(cmd, shell=True)',
    ]);
    expect(found).toEqual(['python.command-injection.subprocess-shell@6']);
  });

  it('folds JavaScript conditions too', async () => {
    const found = await hits('a.js', ['const cp = require("child_process");', 'function f(c) {', '  if (false) { cp.exec(c); }', '  if (1 + 1 === 2) { cp.exec(c); }', '}']);
    expect(found).toEqual(['js.command-injection.exec@4']);
  });
});

describe('data flow: sanitisers', () => {
  it('treats int(), shlex.quote, html.escape and allow-lists as sanitising', async () => {
    const found = await hits('a.py', [
      'import os, shlex, html',
      'from flask import request, make_response',
      'def f():',
      '    n = int(request.args["n"])',
      '    os.system("head -n %d log" % n)',
      '    name = shlex.quote(request.args["name"])',
      '    os.system("ls " + name)',
      '    mode = request.args["mode"]',
      '    if mode not in ("fast", "slow"):',
      '        return "bad"',
      '    os.system("run --" + mode)',
      '    return make_response("<b>" + html.escape(request.args["q"]) + "</b>")',
    ]);
    expect(found).toEqual([]);
  });

  it('a sanitiser for one sink is not one for another', async () => {
    const found = await hits('a.py', ['import shlex', 'from flask import request, make_response', 'def f():', '    return make_response("<b>" + shlex.quote(request.args["q"]) + "</b>")']);
    expect(found).toContain('python.dom-injection.response-from-data@4');
  });
});

describe('data flow: containers, string building and calls', () => {
  it('follows data through lists, dicts, join, format and f-strings', async () => {
    const found = await hits('a.py', [
      'import os',
      'from flask import request',
      'def f():',
      '    parts = ["ls"]',
      '    parts.append(request.args["dir"])',
      '    os.system(" ".join(parts))',
      '    opts = {}',
      '    opts["x"] = request.form["x"]',
      '    os.system("run {}".format(opts["x"]))',
      '    os.system(f"echo {request.args[\'y\']}")',
    ]);
    expect(found).toEqual(['python.command-injection.os-system@6', 'python.command-injection.os-system@9', 'python.command-injection.os-system@10']);
  });

  it('follows Express request data through template literals, spread and array joins into a path', async () => {
    const found = await hits('a.js', [
      "const fs = require('fs');",
      "const path = require('path');",
      'app.get("/f", (req, res) => {',
      '  const parts = ["/srv", ...[req.query.name]];',
      '  res.send(fs.readFileSync(parts.join("/")));',
      '});',
    ]);
    expect(found).toContain('js.path-traversal.user-path@5');
  });

  it('reports the flow from source to sink, line by line', async () => {
    const findings = await findingsIn('a.py', ['import os', 'from flask import request', 'def f():', '    host = request.args["h"]', '    cmd = "ping " + host', '    os.system(cmd)']);
    const flow = findings.find((f) => f.ruleId === 'python.command-injection.os-system')?.flow;
    expect(flow?.map((s) => s.line)).toEqual([4, 5, 6]);
    expect(flow?.[0]?.message).toMatch(/request\.args/);
    expect(flow?.[flow.length - 1]?.message).toMatch(/sink/);
  });
});

describe('name resolution by scope and position', () => {
  it('does not let an import after a call rename that call', async () => {
    const found = await hits('a.py', ['def run(data):', '    pass', 'exec(data)', '', '', '', '', '', 'from something import exec', 'exec(data)']);
    expect(found).toEqual(['python.code-execution.exec@3']);
  });
});

describe('new sinks', () => {
  it('models os.spawn*/os.exec*, asyncio exec and sh -c argument lists', async () => {
    const found = await hits('a.py', [
      'import os, sys, asyncio',
      'os.spawnl(os.P_WAIT, "/bin/bash", "-c", sys.argv[1])',
      'os.execve("/bin/sh", ["/bin/sh", "-c", sys.argv[1]], os.environ)',
      'asyncio.create_subprocess_exec("bash", "-c", sys.argv[1])',
      'os.execl("/bin/ls", "ls", "-l")',
    ]);
    expect(found).toEqual([
      'python.command-injection.program-from-data@2',
      'python.command-injection.program-from-data@3',
      'python.command-injection.program-from-data@4',
    ]);
  });

  it('finds hard-coded keys in secret positions even with low entropy', async () => {
    const py = await hits('a.py', ['import jwt', 'from flask import Flask', 'app = Flask(__name__)', "app.secret_key = 'a'", "t = jwt.encode({}, 'secret', algorithm='HS256')"]);
    expect(py).toEqual(['python.secrets.hardcoded-key-argument@4', 'python.secrets.hardcoded-key-argument@5']);
    const js = await hits('a.js', ["const session = require('express-session');", "app.use(session({ secret: 'a' }));"]);
    expect(js).toEqual(['js.secrets.hardcoded-key-argument@2']);
  });

  it('finds weak ciphers, short keys and obsolete TLS, and not the strong forms', async () => {
    const found = await hits('a.py', [
      'import ssl',
      'from Crypto.Cipher import DES, AES',
      'from cryptography.hazmat.primitives.asymmetric import rsa',
      'c = DES.new(key, DES.MODE_ECB)',
      'k = rsa.generate_private_key(public_exponent=65537, key_size=1024)',
      'ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1)',
      'ok1 = AES.new(key, AES.MODE_GCM)',
      'ok2 = rsa.generate_private_key(public_exponent=65537, key_size=4096)',
    ]);
    expect(found).toEqual(['python.weak-hash.weak-cipher@4', 'python.weak-hash.short-key@5', 'python.tls-verification.weak-protocol@6']);
  });
});

describe('data flow: containers with known entries', () => {
  it('reads the entry a constant key names, after the entry was overwritten', async () => {
    const lines = (read: string): string[] => [
      'import os',
      'from flask import request',
      'def f():',
      '    d = {}',
      '    d["a"] = "ls"',
      '    d["b"] = request.args["x"]',
      `    os.system(${read})`,
    ];
    expect(await hits('a.py', lines('d["a"]'))).toEqual([]);
    expect(await hits('a.py', lines('d["b"]'))).toContain('python.command-injection.os-system@7');
  });

  it('follows ConfigParser set/get, list append/pop and JS Map set/get by key and position', async () => {
    const py = await hits('a.py', [
      'import configparser, os',
      'from flask import request',
      'def f():',
      '    conf = configparser.ConfigParser()',
      '    conf.set("s", "safe", "ls")',
      '    conf.set("s", "data", request.args["x"])',
      '    os.system(conf.get("s", "safe"))',
      '    items = []',
      '    items.append("ls")',
      '    items.append(request.args["x"])',
      '    items.pop(0)',
      '    os.system(items[0])',
    ]);
    expect(py).toEqual(['python.command-injection.os-system@12']);
    const js = await hits('a.js', [
      "const { exec } = require('child_process');",
      "require('express')().get('/', (req, res) => {",
      '  const m = new Map();',
      "  m.set('cmd', 'ls');",
      "  m.set('arg', req.query.x);",
      "  exec(m.get('cmd'));",
      "  exec(m.get('arg'));",
      '});',
    ]);
    expect(js).toEqual(['js.command-injection.exec@7']);
  });
});

describe('data flow: calls within the file', () => {
  it('carries request data through a helper that returns its argument, and into a helper that receives it', async () => {
    const found = await hits('a.py', [
      'import os',
      'from flask import Flask, request',
      'app = Flask(__name__)',
      'def wrap(value):',
      '    return "ls " + value',
      'def run(cmd):',
      '    os.system(cmd)',
      '@app.route("/")',
      'def index():',
      '    os.system(wrap(request.args["x"]))',
      '    run(request.args["y"])',
    ]);
    expect(found).toContain('python.command-injection.os-system@10');
    expect(found).toContain('python.command-injection.os-system@7');
  });

  it('does not taint what a helper returns when the helper drops its argument', async () => {
    const found = await hits('a.py', [
      'import os',
      'from flask import Flask, request',
      'app = Flask(__name__)',
      'def fixed(value):',
      '    return "ls"',
      '@app.route("/")',
      'def index():',
      '    os.system(fixed(request.args["x"]))',
    ]);
    expect(found).toEqual([]);
  });
});

describe('data flow: exported functions and callbacks', () => {
  it("takes an exported function's parameters for the caller's data, in every export form", async () => {
    for (const [decl, exportLine] of [
      ['export async function find(db, where) {', ''],
      ['exports.find = async function (db, where) {', ''],
      ['async function find(db, where) {', 'module.exports = { find };'],
      ['const find = async (db, where) => {', 'export { find };'],
    ] as const) {
      const found = await hits('a.js', [decl, '  return db.query(where);', '}', ...(exportLine ? [exportLine] : [])]);
      expect(found, decl).toEqual(['js.sql-injection.built-query@2']);
    }
  });

  it('leaves the parameters of an internal helper, and the path or callback an API is given, alone', async () => {
    const found = await hits('a.js', [
      "const fs = require('fs');",
      'async function find(db, where) {',
      '  return db.query(where);',
      '}',
      'function read(dir, name, done) {',
      "  setTimeout(done, 10);",
      "  find(dir, 'SELECT 1');",
      "  return fs.readFileSync(dir + '/' + name);",
      '}',
      'module.exports = { read };',
    ]);
    expect(found).toEqual([]);
  });

  it("gives a callback's parameter the elements of the request list it iterates", async () => {
    const found = await hits('a.js', [
      "const fs = require('fs');",
      "app.post('/rm', (req, res) => {",
      "  req.body.names.forEach((n) => fs.unlinkSync('/srv/' + n));",
      "  ['a', 'b'].forEach((n) => fs.unlinkSync('/srv/' + n));",
      '});',
    ]);
    expect(found).toEqual(['js.path-traversal.user-path@3']);
  });
});

describe('data flow: break', () => {
  it('carries what a loop assigned before its break to the code after the loop', async () => {
    const found = await hits('a.py', [
      'import os',
      'from flask import request',
      'def f():',
      '    cmd = "true"',
      '    for name in request.form.keys():',
      '        if name.startswith("run"):',
      '            cmd = name',
      '            break',
      '    os.system(cmd)',
    ]);
    expect(found).toContain('python.command-injection.os-system@9');
  });

  it('carries what a switch case assigned before its break to the code after the switch', async () => {
    const found = await hits('a.js', [
      "const { execSync } = require('child_process');",
      "app.get('/x', (req, res) => {",
      "  let cmd = 'uptime';",
      '  switch (req.query.mode) {',
      "    case 'custom':",
      '      cmd = req.query.cmd;',
      '      break;',
      '    default:',
      "      cmd = 'date';",
      '  }',
      '  res.send(execSync(cmd));',
      '});',
    ]);
    expect(found).toContain('js.command-injection.exec@11');
  });

  it('does not let a constant assigned before a break make the value after the loop unsafe', async () => {
    const found = await hits('a.py', ['import os', 'def f(items):', '    cmd = "true"', '    for i in items:', '        cmd = "ls"', '        break', '    os.system(cmd)']);
    expect(found).toEqual([]);
  });
});

describe('data flow: match on a constant', () => {
  it('takes only the case a constant subject matches', async () => {
    const lines = (pick: string): string[] => [
      'import os',
      'from flask import request',
      'def f():',
      '    param = request.args.get("p")',
      `    choice = "ABC"[${pick}]`,
      '    match choice:',
      '        case "A" | "C":',
      '            cmd = param',
      '        case "B":',
      '            cmd = "uptime"',
      '        case _:',
      '            cmd = param',
      '    os.system(cmd)',
    ];
    expect(await hits('a.py', lines('1'))).toEqual([]);
    expect(await hits('a.py', lines('2'))).toContain('python.command-injection.os-system@13');
  });
});

describe('data flow: entry points and where values are written', () => {
  const flowLines = async (path: string, lines: ReadonlyArray<string>, rule: string): Promise<number[][]> =>
    (await findingsIn(path, lines)).filter((f) => f.ruleId === rule).map((f) => (f.flow ?? []).map((s) => s.line));

  it("takes the parameters of a function nothing in the file calls or passes on for its outside caller's data", async () => {
    const helper = ["const { spawn } = require('child_process');", 'function clone(url) {', "  return spawn('git', ['clone', url]);", '}'];
    expect(await hits('a.js', helper)).toEqual(['js.command-injection.program-from-data@3']);
    // called here with a constant, or handed on by name: its callers are known, and they pass nothing from outside
    expect(await hits('a.js', [...helper, "clone('https://example.com/x.git');"])).toEqual([]);
    expect(await hits('a.js', [...helper, 'module.exports.tasks = [clone];'])).toEqual([]);
    // the flow starts at the parameter, on the definition line
    expect(await flowLines('a.js', helper, 'js.command-injection.program-from-data')).toEqual([[2, 3]]);
  });

  it('reads the request parts a handler destructures from a parameter typed as a request', async () => {
    const handler = (parts: string, type: string): string[] => [
      "import path from 'path';",
      "import type { Request, Response } from 'express';",
      'export function serve() {',
      `  return ({ ${parts} }: ${type}, res: Response) => {`,
      "    res.sendFile(path.join('/srv', String(params)));",
      '  };',
      '}',
    ];
    expect(await hits('a.ts', handler('params', 'Request'))).toEqual(['js.path-traversal.user-path@5']);
    expect(await hits('a.ts', handler('params', 'express.Request'))).toEqual(['js.path-traversal.user-path@5']);
    // another type, or a part of the request that is the server's own, is not request data
    expect(await hits('a.ts', handler('params', 'Options'))).toEqual([]);
    expect(await hits('a.ts', handler('params = {}, session', 'Request').map((l) => l.replace('String(params)', 'String(session)')))).toEqual([]);
  });

  it('follows a value stored on this to its read in the same method', async () => {
    const lines = (value: string): string[] => [
      "const JwtStrategy = require('passport-jwt').Strategy;",
      'class A {',
      '  constructor() {',
      `    this.key = ${value};`,
      '    this.strategy = new JwtStrategy({ secretOrKey: this.key }, () => {});',
      '  }',
      '}',
      'module.exports = { A };',
    ];
    expect(await hits('a.js', lines("'dev-key'"))).toEqual(['js.secrets.hardcoded-key-argument@5']);
    expect(await hits('a.js', lines('process.env.KEY'))).toEqual([]);
    // the flow points at where the literal key is written
    expect(await flowLines('a.js', lines("'dev-key'"), 'js.secrets.hardcoded-key-argument')).toEqual([[4, 5]]);
  });

  it('points a hard-coded key found through a config object at the literal, and a built query at where it is built', async () => {
    const secret = ["const session = require('express-session');", 'const config = {', "  secret: 'tabby',", '  resave: false,', '};', 'module.exports = session(config);'];
    expect(await flowLines('a.js', secret, 'js.secrets.hardcoded-key-argument')).toEqual([[3, 6]]);
    const query = ['function list(db, name) {', "  const sql = 'SELECT * FROM users WHERE name = ' + name;", '  console.log(sql);', '  return db.query(sql);', '}'];
    expect(await flowLines('a.js', query, 'js.sql-injection.built-query')).toEqual([[1, 2, 4]]);
  });

  it('flags request data in the globals of vm code, but not an API caller handing in the sandbox', async () => {
    const app = (value: string): string[] => [
      "const vm = require('vm');",
      "const express = require('express');",
      'const app = express();',
      "app.get('/', (req, res) => {",
      `  const ctx = vm.createContext({ order: ${value} });`,
      "  vm.runInContext('total(order)', ctx);",
      '  res.json({});',
      '});',
    ];
    expect(await hits('a.js', app('req.query.order'))).toEqual(['js.code-execution.vm-context-data@6']);
    expect(await hits('a.js', app('Number(req.query.order)'))).toEqual([]);
    expect(await hits('a.js', ["const vm = require('vm');", 'function run(sandbox) {', "  return vm.runInNewContext('go()', sandbox);", '}', 'module.exports = { run };'])).toEqual([]);
  });
});

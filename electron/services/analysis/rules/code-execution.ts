/**
 * Code execution: text turned into code at run time — CWE-95 (eval injection) and CWE-94.
 */
import type { Node } from 'web-tree-sitter';
import { isDangerous, TAINTED, type Value } from '../taint';
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule } from './rule';

/** Modules that launch Chromium for automation (Puppeteer, Playwright). */
const BROWSER_LAUNCHERS = ['puppeteer', 'puppeteer-core', 'playwright', 'playwright-core', 'playwright-chromium', '@playwright/test'];

/** Rules for running strings as code. */
export const codeExecutionRules: ReadonlyArray<Rule> = [
  {
    id: 'python.code-execution.eval',
    title: 'eval() of a string',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(95), cwe(94)],
    languages: ['python'],
    calls: ['eval', 'builtins.eval'],
    predicate: (m) => m.code.isUnsafe(m.code.argument(m.capture('finding'), 0), 'code'),
    message: 'eval() runs its argument as Python code; anything that reaches it can do what this process can.',
    remediation: 'Parse data instead of evaluating it: ast.literal_eval() for Python literals, json.loads() for JSON.',
  },
  {
    id: 'python.code-execution.passed-as-callable',
    title: 'eval()/exec() handed to an executor with data',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(95), cwe(94)],
    languages: ['python'],
    calls: ['*.run_in_executor', '*.submit', 'functools.partial', '*.apply_async', 'threading.Thread'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      const args = m.code.positionalArguments(call);
      // run_in_executor(executor, fn, *args); submit(fn, *args); partial(fn, *args); Thread(target=fn, args=(...))
      const at = /\.run_in_executor$/.test(name) ? 1 : 0;
      const fn = name === 'threading.Thread' ? m.code.keywordArgument(call, 'target') : args[at];
      if (fn === undefined || !/^(builtins\.)?(eval|exec)$/.test(m.code.qualifiedName(fn) ?? '')) return false;
      const data = name === 'threading.Thread' ? [m.code.keywordArgument(call, 'args')] : args.slice(at + 1);
      return data.some((a) => a !== undefined && m.code.isUnsafe(a, 'code'));
    },
    message: 'eval()/exec() is handed to an executor or thread with a run-time argument: the argument runs as Python code, just as in a direct call.',
    remediation: 'Run the intended function, not eval/exec; parse data with ast.literal_eval() or json.loads().',
  },
  {
    id: 'python.code-execution.exec',
    title: 'exec() of a string',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(95), cwe(94)],
    languages: ['python'],
    calls: ['exec', 'builtins.exec'],
    predicate: (m) => m.code.isUnsafe(m.code.argument(m.capture('finding'), 0), 'code'),
    message: 'exec() runs its argument as Python statements.',
    remediation: 'Call the intended functions directly; dispatch through a dict of allowed callables instead of building code.',
  },
  {
    id: 'python.code-execution.compile',
    title: 'compile() of a non-constant string',
    category: 'code-execution',
    severity: 'medium',
    cwe: [cwe(94)],
    languages: ['python'],
    calls: ['compile', 'builtins.compile'],
    predicate: (m) => !m.code.isStatic(m.code.argument(m.capture('finding'), 0)),
    message: 'compile() turns a runtime string into a code object that can then be executed.',
    remediation: 'Avoid compiling code from data; if a small expression language is needed, parse it with ast and allow-list node types.',
  },
  {
    id: 'python.code-execution.template-injection',
    title: 'Template rendered from a non-constant string',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(1336), cwe(94)],
    languages: ['python'],
    calls: ['flask.render_template_string', 'jinja2.Template', 'mako.template.Template', '*.from_string'],
    predicate: (m) => {
      const name = callee(m) ?? '';
      // `*.from_string` only on a Jinja2 environment
      if (name.endsWith('.from_string') && !/^jinja2\.|env|jinja/i.test(name)) return false;
      return !m.code.isStatic(m.code.argument(m.capture('finding'), 0));
    },
    message: 'Rendering a template built at run time lets its author run code in the template engine (server-side template injection).',
    remediation: 'Render a fixed template file and pass the data as context variables.',
  },
  {
    id: 'python.code-execution.interpreter',
    title: 'Code run through an embedded interpreter',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(95), cwe(94)],
    languages: ['python'],
    calls: ['*.push', '*.runsource', '*.runcode', '_xxsubinterpreters.run_string', '_testcapi.run_in_subinterp', 'test.support.run_in_subinterp', '*.run_in_subinterp'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (/\.(push|runsource|runcode)$/.test(name) && !m.code.mentions(/\bimport code\b|\bfrom code import\b|InteractiveConsole|InteractiveInterpreter/)) return false;
      const args = m.code.positionalArguments(call);
      const source = /run_string$/.test(name) ? args[1] : args[0];
      return source !== undefined && m.code.isUnsafe(source, 'code');
    },
    message: 'An interactive console or sub-interpreter runs this string as Python code.',
    remediation: 'Do not feed data to an interpreter; dispatch to predefined functions instead.',
  },
  {
    id: 'python.code-execution.namespace-exposed',
    title: 'Module namespace handed to a template or looked up by data',
    category: 'code-execution',
    severity: 'medium',
    cwe: [cwe(96), cwe(94)],
    languages: ['python'],
    query: `(call arguments: (argument_list (call function: (identifier) @g arguments: (argument_list) (#any-of? @g "globals" "locals")))) @finding
      (call function: (attribute object: (call function: (identifier) @g) attribute: (identifier) @m) (#any-of? @g "globals" "locals") (#any-of? @m "get" "__getitem__")) @finding
      (subscript value: (call function: (identifier) @g) (#any-of? @g "globals" "locals")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      if (node.type === 'subscript') {
        const key = node.childForFieldName('subscript');
        return key !== null && m.code.isTainted(key, 'code');
      }
      if (m.capture('m') !== undefined) return m.code.isTainted(m.code.argument(node, 0), 'code');
      // render(request, "page.html", globals()): every module name, including functions, reaches the template
      return /(^|\.)(render|render_to_response|render_to_string|render_template|TemplateResponse)$/.test(m.code.calleeName(node) ?? '');
    },
    message: 'The module’s whole namespace is reachable here: a template gets every global (functions included), or request data picks which global is used.',
    remediation: 'Pass a dict with exactly the values needed; map request values to allowed functions with an explicit table.',
  },
  {
    id: 'js.code-execution.eval',
    title: 'eval() of a string',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(95), cwe(94)],
    languages: JS_FAMILY,
    calls: ['eval'],
    predicate: (m) => m.code.isUnsafe(m.code.argument(m.capture('finding'), 0), 'code'),
    message: 'eval() runs its argument as JavaScript with the caller’s privileges.',
    remediation: 'Use JSON.parse() for data, or a lookup table of allowed functions instead of evaluating code.',
  },
  {
    id: 'js.code-execution.function-constructor',
    title: 'Function constructor',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(95), cwe(94)],
    languages: JS_FAMILY,
    calls: ['Function'],
    predicate: (m) => m.code.positionalArguments(m.capture('finding')).some((a) => m.code.isUnsafe(a, 'code')),
    message: 'new Function(...) compiles its string arguments into code, like eval().',
    remediation: 'Write the function in source, or select among predefined functions by name.',
  },
  {
    id: 'js.code-execution.string-timer',
    title: 'Timer with a string body',
    category: 'code-execution',
    severity: 'medium',
    cwe: [cwe(95)],
    languages: JS_FAMILY,
    calls: ['setTimeout', 'setInterval', 'setImmediate', 'execScript'],
    predicate: (m) => {
      const body = m.code.argument(m.capture('finding'), 0);
      // a string body that is a constant is the author's own code; one built from data is injection
      if (m.code.isStringLike(body)) return !m.code.isStatic(body);
      // an exported function's parameter may well be the callback itself; request data is always text
      return body !== undefined && m.code.isTainted(body, 'code') && m.code.valueOf(body).api !== true;
    },
    message: 'A timer given a string evaluates that string as code when it fires.',
    remediation: 'Pass a function: setTimeout(() => doWork(), delay).',
  },
  {
    id: 'js.code-execution.vm',
    title: 'Code run through the vm module',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(94)],
    languages: JS_FAMILY,
    calls: ['vm.runInThisContext', 'vm.runInNewContext', 'vm.runInContext', 'vm.compileFunction', 'vm.Script', 'vm.SourceTextModule', 'vm2.VM', 'vm2.NodeVM', 'vm2.VMScript', '*.run', 'safe-eval', 'notevil', 'static-eval'],
    predicate: (m) => {
      const name = callee(m) ?? '';
      const call = m.capture('finding');
      // new VM(...).run(code): only on a vm2 machine
      if (/\.run$/.test(name)) return /^(vm2\.(VM|NodeVM)|sandbox)\(\)\.run$/.test(name) && m.code.isUnsafe(m.code.argument(call, 0), 'code');
      if (/^vm2\.(VM|NodeVM)$/.test(name) || !/^(vm|vm2|safe-eval|notevil|static-eval|sandbox)(\.|$)/.test(name)) return false;
      return m.code.isUnsafe(m.code.argument(call, 0), 'code');
    },
    message: 'The vm module compiles and runs code; it is not a security sandbox (Node.js docs), so the code runs with this process’s reach.',
    remediation: 'Do not run untrusted code in-process; use a separate, locked-down process or container.',
  },
  {
    id: 'js.code-execution.browser-debugging-port',
    title: 'Browser launched with its DevTools port open',
    category: 'code-execution',
    severity: 'medium',
    cwe: [cwe(668), cwe(94)],
    languages: JS_FAMILY,
    calls: BROWSER_LAUNCHERS.flatMap((m) => [`${m}.launch`, `${m}.chromium.launch`, `${m}.chromium.launchPersistentContext`, `${m}.chromium.launchServer`]),
    predicate: (m) => {
      const args = m.code.keywordArgument(m.capture('finding'), 'args');
      const list = args?.type === 'array' ? args.namedChildren : [];
      // --remote-debugging-pipe talks over a pipe to this process only; a port (or an address) is open to whoever connects
      return list.some((a) => a !== null && /^['"`]--remote-debugging-(port|address)\b/.test(a.text) && !/^['"`]--remote-debugging-port=0['"`]$/.test(a.text));
    },
    message:
      'The Chrome DevTools Protocol listens on this port: whoever can connect to it drives the browser — runs script in every page, reads cookies and storage, and opens local files — with no authentication.',
    remediation: 'Let the automation library talk to the browser over its own pipe (drop --remote-debugging-port/--remote-debugging-address); if a port is needed, bind it to 127.0.0.1 in an isolated container.',
  },
  {
    id: 'js.code-execution.global-dispatch',
    title: 'Global function chosen by data',
    category: 'code-execution',
    severity: 'high',
    cwe: [cwe(470), cwe(95)],
    languages: JS_FAMILY,
    query: `(subscript_expression object: (identifier) @g index: (_) @k (#any-of? @g "window" "self" "globalThis" "global" "top" "parent" "frames")) @finding`,
    predicate: (m) => {
      const read = m.capture('finding');
      const key = m.capture('k');
      if (read === undefined || key === undefined || m.code.valueOf(key).level !== TAINTED) return false;
      // called on the spot, or kept in a name that is then called
      const parent = read.parent;
      if (parent?.type === 'call_expression' && parent.childForFieldName('function')?.id === read.id) return true;
      if (parent?.type !== 'variable_declarator' || parent.childForFieldName('value')?.id !== read.id) return false;
      const name = parent.childForFieldName('name');
      const body = parent.parent?.parent;
      return name?.type === 'identifier' && body !== null && body !== undefined && new RegExp(`(?<![\\w$.])${name.text.replace(/\$/g, '\\$')}\\s*\\(`).test(body.text.slice(parent.endIndex - body.startIndex));
    },
    message: 'Data picks which global function runs (window[name](…)): that includes eval, Function and every function the page defines, so the sender runs what they like.',
    remediation: 'Dispatch through an explicit table of allowed handlers, checked with Object.hasOwn before the call.',
  },
  {
    id: 'js.code-execution.vm-context-data',
    title: 'Untrusted data placed in the globals of vm code',
    category: 'code-execution',
    severity: 'medium',
    cwe: [cwe(94)],
    languages: JS_FAMILY,
    calls: ['vm.runInContext', 'vm.runInNewContext', 'vm.compileFunction', 'vm.Script().runInContext', 'vm.Script().runInNewContext', 'vm2.VM', 'vm2.NodeVM'],
    predicate: (m) => {
      const name = callee(m) ?? '';
      const call = m.capture('finding');
      const args = m.code.positionalArguments(call);
      // the object whose properties become the globals of the code that runs: an argument, or an entry of the options
      const option = (key: string): Value | undefined => {
        const literal = m.code.keywordArgument(call, key);
        if (literal !== undefined) return m.code.valueOf(literal);
        const options = /^vm2\./.test(name) ? args[0] : args[2];
        return options === undefined ? undefined : m.code.valueOf(options).fields?.get(key);
      };
      const at = (node: Node | undefined): Value | undefined => (node === undefined ? undefined : m.code.valueOf(node));
      const contexts = /^vm2\./.test(name)
        ? [option('sandbox')]
        : name === 'vm.compileFunction'
          ? [option('parsingContext'), option('contextExtensions')]
          : /^vm\.Script\(\)\./.test(name)
            ? [at(args[0])]
            : [at(args[1])];
      // an API's caller handing in the globals is what such an API is for (its code is judged by js.code-execution.vm)
      return contexts.some((c) => c !== undefined && isDangerous(c, 'code', TAINTED) && c.api !== true);
    },
    message:
      'Request or event data becomes a global variable of code run by the vm module. That module is not a security boundary (Node.js docs): the script treats the value as its own data, so a script that evaluates, interpolates or calls it runs what the sender chose, and an object handed in opens the host’s prototypes to it.',
    remediation: 'Do not run code over untrusted data in-process; pass plain, validated values (numbers, allow-listed strings) only, or run the script in a separate locked-down process.',
  },
];

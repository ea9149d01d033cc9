/**
 * Sandbox escape and introspection: reaching frames, globals and builtins through the object model to
 * get past restrictions — the moves sandbox breakouts are made of, which mainstream scanners barely
 * cover. CWE-913 (improper control of dynamically-managed code resources), CWE-94, CWE-1321.
 */
import { JS_FAMILY } from '../types';
import { cwe, type Rule } from './rule';

const FRAME_FUNCTIONS = new Set([
  'sys._getframe',
  'sys._current_frames',
  'inspect.currentframe',
  'inspect.stack',
  'inspect.trace',
  'inspect.getouterframes',
  'inspect.getinnerframes',
  'inspect.getframeinfo',
]);
const DANGEROUS_DUNDERS = [
  '__globals__',
  '__builtins__',
  '__subclasses__',
  '__bases__',
  '__base__',
  '__mro__',
  '__class__',
  '__import__',
  '__code__',
  '__closure__',
  '__getattribute__',
  '__reduce__',
  '__reduce_ex__',
  'f_globals',
  'f_locals',
  'f_back',
  'f_builtins',
  'gi_frame',
  'tb_frame',
];

/** Rules for introspection used to escape restrictions. */
export const sandboxEscapeRules: ReadonlyArray<Rule> = [
  {
    id: 'python.sandbox-escape.frame-access',
    title: 'Stack frame introspection',
    category: 'sandbox-escape',
    severity: 'medium',
    cwe: [cwe(913)],
    languages: ['python'],
    calls: [...FRAME_FUNCTIONS],
    message: 'Grabbing interpreter frames exposes the caller’s locals and globals, a standard step in escaping a restricted environment.',
    remediation: 'Pass the needed values explicitly; use logging or traceback formatting for diagnostics.',
  },
  {
    id: 'python.sandbox-escape.frame-attributes',
    title: 'Frame internals accessed',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913)],
    languages: ['python'],
    query: `(attribute attribute: (identifier) @attr
      (#any-of? @attr "f_globals" "f_locals" "f_back" "f_builtins" "f_code" "tb_frame" "gi_frame" "cr_frame" "ag_frame")) @finding`,
    message: 'Reading frame internals (f_globals, f_locals, f_back, …) reaches variables of other scopes, bypassing every restriction on names.',
    remediation: 'Do not walk frames; pass data explicitly.',
  },
  {
    id: 'python.sandbox-escape.builtins-access',
    title: '__builtins__ accessed',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913), cwe(94)],
    languages: ['python'],
    query: `((identifier) @finding (#eq? @finding "__builtins__"))
      (attribute attribute: (identifier) @attr (#eq? @attr "__builtins__")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined || node.type !== 'identifier') return node !== undefined;
      const parent = node.parent;
      // the attribute pattern already reports `x.__builtins__`, and a keyword name (`f(__builtins__=...)`) reads nothing
      if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) return false;
      return !(parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id);
    },
    message: 'Reaching __builtins__ recovers eval, exec, open and __import__ even where they were removed from scope.',
    remediation: 'Use the builtins you need by name; never reach them through __builtins__.',
  },
  {
    id: 'python.sandbox-escape.dunder-import',
    title: '__import__ called or overridden',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913), cwe(94)],
    languages: ['python'],
    calls: ['__import__', 'builtins.__import__'],
    query: `(assignment left: [(identifier) @target (attribute attribute: (identifier) @target)] (#eq? @target "__import__")) @finding`,
    message: '__import__ loads modules by a run-time name, and overriding it intercepts every import in the process.',
    remediation: 'Use import statements; if a plugin must be loaded by name, use importlib.import_module with an allow-list.',
  },
  {
    id: 'python.sandbox-escape.class-traversal',
    title: 'Class hierarchy traversal',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913)],
    languages: ['python'],
    query: `(attribute attribute: (identifier) @attr (#any-of? @attr "__bases__" "__base__" "__mro__" "__subclasses__")) @finding
      (attribute object: [(string) (tuple) (list) (dictionary) (integer) (call)] attribute: (identifier) @attr (#eq? @attr "__class__")) @finding`,
    message: 'Walking __class__ / __bases__ / __mro__ / __subclasses__() from an object reaches every loaded class, the classic path out of a Python sandbox.',
    remediation: 'Use isinstance()/issubclass() for type checks; do not enumerate subclasses of object.',
  },
  {
    id: 'python.sandbox-escape.globals-access',
    title: 'Function globals or code accessed',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913)],
    languages: ['python'],
    query: `(attribute attribute: (identifier) @attr (#any-of? @attr "__globals__" "func_globals" "__code__" "__closure__")) @finding`,
    message: '__globals__ / __code__ / __closure__ expose a function’s module namespace and bytecode, enough to rewrite or escape it.',
    remediation: 'Do not reach into function internals; pass what is needed as arguments.',
  },
  {
    id: 'python.sandbox-escape.dunder-getattr',
    title: 'Dangerous dunder reached through getattr',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913)],
    languages: ['python'],
    calls: ['getattr', 'setattr', 'delattr', 'hasattr'],
    predicate: (m) => {
      const name = m.code.stringValue(m.code.argument(m.capture('finding'), 1));
      return name !== undefined && DANGEROUS_DUNDERS.includes(name);
    },
    message: 'Spelling a dunder as a string in getattr() hides the same frame/globals/class traversal from plain reading.',
    remediation: 'Access only public attributes, by name in source.',
  },
  {
    id: 'python.sandbox-escape.gc-introspection',
    title: 'Garbage-collector object enumeration',
    category: 'sandbox-escape',
    severity: 'medium',
    cwe: [cwe(913)],
    languages: ['python'],
    calls: ['gc.get_objects', 'gc.get_referrers', 'gc.get_referents'],
    message: 'gc.get_objects()/get_referrers() hand out every live object, including ones a restricted scope was never given.',
    remediation: 'Keep references explicit; use gc only in debugging tools, not in shipped code.',
  },
  {
    id: 'js.sandbox-escape.constructor-chain',
    title: 'constructor.constructor chain',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913), cwe(94)],
    languages: JS_FAMILY,
    query: `(member_expression object: (member_expression property: (property_identifier) @p1) property: (property_identifier) @p2
        (#eq? @p1 "constructor") (#eq? @p2 "constructor")) @finding
      (subscript_expression object: (subscript_expression index: (string (string_fragment) @p1)) index: (string (string_fragment) @p2)
        (#eq? @p1 "constructor") (#eq? @p2 "constructor")) @finding`,
    message: 'x.constructor.constructor is the Function constructor reached from any object: the usual escape from vm contexts and template sandboxes.',
    remediation: 'Do not reach constructors through instances; this pattern has no place in application code.',
  },
  {
    id: 'js.sandbox-escape.proto-access',
    title: '__proto__ accessed',
    category: 'sandbox-escape',
    severity: 'medium',
    cwe: [cwe(1321), cwe(913)],
    languages: JS_FAMILY,
    query: `(member_expression property: (property_identifier) @p (#eq? @p "__proto__")) @finding
      (subscript_expression index: (string (string_fragment) @p) (#eq? @p "__proto__")) @finding`,
    message: 'Writing through __proto__ changes the prototype of every object of that kind (prototype pollution); reading it walks out of the object.',
    remediation: 'Use Object.getPrototypeOf / Object.create(null) maps; reject "__proto__" keys in merged input.',
  },
  {
    id: 'js.sandbox-escape.process-internals',
    title: 'Node internals reached',
    category: 'sandbox-escape',
    severity: 'high',
    cwe: [cwe(913)],
    languages: JS_FAMILY,
    query: `(member_expression object: (identifier) @o property: (property_identifier) @p
        (#eq? @o "process") (#any-of? @p "binding" "_linkedBinding" "dlopen" "mainModule")) @finding
      (member_expression property: (property_identifier) @p (#any-of? @p "_load" "_resolveFilename" "_compile")) @finding`,
    predicate: (m) => {
      const q = m.code.qualifiedName(m.capture('finding')) ?? '';
      return /^process\.(binding|_linkedBinding|dlopen|mainModule)$/.test(q) || /^(module|module\.Module|module\.constructor|require\(\)\.constructor)\.(_load|_resolveFilename|_compile)$/.test(q) || /\.constructor\.(_load|_compile)$/.test(q);
    },
    message: 'process.binding / dlopen / Module._load reach native bindings and the module loader directly, beneath every permission check.',
    remediation: 'Use the public module APIs (import / require of allowed modules).',
  },
  {
    id: 'js.sandbox-escape.stack-introspection',
    title: 'Call stack introspection',
    category: 'sandbox-escape',
    severity: 'medium',
    cwe: [cwe(913)],
    languages: JS_FAMILY,
    query: `(member_expression object: (identifier) @o property: (property_identifier) @p (#eq? @o "arguments") (#any-of? @p "callee" "caller")) @finding
      (member_expression property: (property_identifier) @p (#eq? @p "caller")) @finding
      (assignment_expression left: (member_expression object: (identifier) @o property: (property_identifier) @p)
        (#eq? @o "Error") (#eq? @p "prepareStackTrace")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      if (node.type === 'assignment_expression') {
        // putting the default back (`= undefined`, `= void 0`) is not introspection
        const value = node.childForFieldName('right');
        return value !== null && !m.code.isFalsy(value) && !/^void\s+0$/.test(value.text);
      }
      if (m.capture('o') !== undefined) return true;
      // `.caller` alone: only when read off a function (`fn.caller`, `arguments.callee.caller`)
      const object = node.childForFieldName('object');
      return object !== null && /(^|\.)callee$/.test(object.text);
    },
    message: 'arguments.callee / .caller and Error.prepareStackTrace hand out the calling functions and their frames (vm2 escapes used exactly this).',
    remediation: 'Pass what the callee needs explicitly; do not override Error.prepareStackTrace.',
  },
];

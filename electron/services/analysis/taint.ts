/**
 * Intra-procedural data flow over tree-sitter trees: what a value may be where a rule looks at it.
 *
 * Each function (and the module's top level) is interpreted once, statement by statement, with an
 * environment from local names to abstract values. An abstract value has a level — a constant known
 * at analysis time, a harmless run-time value (a number, a boolean, an allow-listed choice), an unknown
 * run-time value (a parameter, a call result), or data from a source (request objects, argv, stdin,
 * environment, file and socket reads) — plus the sanitisers it has been through and, for source data,
 * the steps it took. Branches are joined (a name assigned in one branch only may still hold the old
 * value), loops run twice, branches whose condition folds to a constant are skipped as dead, and a
 * branch that ends in return/raise/throw does not flow on. The walk remembers the value of every
 * expression it evaluated, so a rule's question about a sink argument is a map look-up.
 *
 * It is deliberately intra-procedural: a call's result carries the taint of its receiver and
 * arguments, free variables take the value of the enclosing scope at its end.
 */
import type { Node } from 'web-tree-sitter';
import type { LanguageId } from './types';

/** Value levels, ordered: a join takes the highest. */
export const CONST = 0;
export const SAFE = 1;
export const UNKNOWN = 2;
export const TAINTED = 3;
export type Level = typeof CONST | typeof SAFE | typeof UNKNOWN | typeof TAINTED;

/** What a sanitiser makes a value safe for. */
export type SinkKind = 'shell' | 'sql' | 'html' | 'path' | 'url' | 'code' | 'redirect' | 'ldap' | 'xpath' | 'session' | 'xml'
  /** Not a sink: the value holds no parent-directory step (`..`), so put after a fixed directory it stays there. */
  | 'dotdot';

/** One step of a flow: a node and what happened there. */
export interface FlowNodeStep {
  readonly node: Node;
  readonly message: string;
}

/** An abstract value. */
export interface Value {
  readonly level: Level;
  /** The folded constant, when known. */
  readonly value?: string | number | boolean | null;
  /** Sink kinds this (run-time) value has been sanitised for. */
  readonly clean?: ReadonlySet<SinkKind>;
  /** Source data: the steps from the source to here. */
  readonly steps?: ReadonlyArray<FlowNodeStep>;
  /**
   * A container whose entries under constant keys are known (a dict or object literal, `d['k'] = v`, a
   * ConfigParser's `set(section, key, v)`, a Map's `set('k', v)`): reading a key gets that entry, not the
   * whole container. The level above is the join of the entries.
   */
  readonly fields?: ReadonlyMap<string, Value>;
  /** A list whose elements are known in order (literal, append, pop): indexing with a constant gets that element. */
  readonly items?: ReadonlyArray<Value>;
  /**
   * Source data that is only an exported function's parameters: the caller's values, of any type (often a
   * callback or an options object), where request data is always text.
   */
  readonly api?: boolean;
  /** A constant written as one literal: where it is written (a finding about a hard-coded value points there too). */
  readonly origin?: Node;
}

const V_CONST: Value = { level: CONST };
const V_SAFE: Value = { level: SAFE };
const V_UNKNOWN: Value = { level: UNKNOWN };
const MAX_STEPS = 8;
const MAX_NESTING = 300;
const MAX_EVALUATIONS = 200_000;

/** What the flow engine needs from the file's facts. */
export interface TaintHost {
  readonly language: LanguageId;
  readonly root: Node;
  /** The file's text (the root node's text, without copying it out of the parser again). */
  readonly text: string;
  qualifiedName(node: Node | null | undefined): string | undefined;
  calleeName(call: Node | null | undefined): string | undefined;
  stringValue(node: Node | null | undefined): string | undefined;
  /** The innermost function, lambda or class around a node (the root for module level). */
  scopeOf(node: Node): Node;
  /** True when a local name is bound by an import. */
  isImported(name: string): boolean;
}

/** The flow engine of one file. */
export interface Taint {
  /** The value of an expression where it stands. */
  valueOf(node: Node): Value;
  /** True when the node sits in a branch whose condition folds to a constant that skips it. */
  isDead(node: Node): boolean;
}

// ------------------------------------------------------------------ sources and sanitisers

const PY_SOURCES: ReadonlyArray<RegExp> = [
  /^(flask\.)?request\.(args|form|values|files|json|data|cookies|headers|get_json|get_data|view_args|GET|POST|FILES|COOKIES|META|body|query_params|path_params|match_info|rel_url|query|query_string|url|full_path|path|stream|environ|content|params|raw_body|text)\b/,
  /^(self\.)?request\.(GET|POST|FILES|body|query_params|data|COOKIES|META|headers|args|form|json|params|get|get_full_path|path_info)\b/,
  /^(builtins\.)?(input|raw_input)\(\)$/,
  /^sys\.(argv|stdin)\b/,
  /^os\.(environ\b|getenv\(\)$|environb\b)/,
  /^(fastapi|starlette\.requests)\.Request\b/,
  /^(cgi\.FieldStorage|urllib\.parse\.parse_qs|urllib\.parse\.parse_qsl)\(\)/,
  /^event(\[\]|\.get\(\))/,
  /^(bottle\.)?request\.(query|forms|params|json|files|cookies|GET|POST)\b/,
  /^(tornado\.web\.RequestHandler|self)\.get_(argument|arguments|query_argument|body_argument|cookie|secure_cookie)\(\)$/,
];
const JS_SOURCES: ReadonlyArray<RegExp> = [
  /^(req|request)\.(query|params|body|headers|cookies|signedCookies|files?|url|originalUrl|path|hostname|ip|param|get|header)\b/,
  /^(req|request)\.(param|get|header)\(\)$/,
  /^ctx\.(query|params|request\.(body|query|files?|url|href|header)|req\.(url|query|body|headers)|url|href|path|header|headers|cookies\.get\(\))\b/,
  /^(document\.)?location\.(search|hash|href|pathname)\b/,
  /^document\.(URL|documentURI|referrer|cookie)\b/,
  /^window\.name$/,
  /^process\.(argv|env|stdin)\b/,
  /^URLSearchParams\b/,
  /^event\.(body|queryStringParameters|pathParameters|headers|multiValueQueryStringParameters)\b/,
  /^(readline\.)?question\(\)$/,
  /^(message|msg|e|event|ev)\.data$/,
];
const PY_FILE_READS = /^(open|io\.open|builtins\.open|codecs\.open)\(\)\.(read|readline|readlines)\(\)$|^socket\.socket\(\)\.(recv|recvfrom)\(\)$|\.recv\(\)$/;

const LOCAL_SOURCES = /^(sys\.(argv|stdin)|os\.(environ|environb|getenv)|(builtins\.)?(raw_)?input\(\)|process\.(argv|env|stdin)|(readline\.)?question\(\))/;
const LOCAL_CLEAN: ReadonlySet<SinkKind> = new Set(['path', 'html', 'redirect', 'url']);
/**
 * An exported function's parameters: code, commands and queries built from them are the module's risk, but
 * choosing a path, a URL, a page's markup, a session value or a document to parse is what such an API is for (its caller decides).
 */
const API_CLEAN: ReadonlySet<SinkKind> = new Set(['path', 'html', 'redirect', 'url', 'session', 'xml']);
const OWN_URL_CLEAN: ReadonlySet<SinkKind> = new Set(['redirect', 'url']);
const RUNTIME_FACTS = /^(process\.(execPath|argv0|platform|arch|pid|version|versions|execArgv)|sys\.(executable|platform|prefix|exec_prefix|version|version_info)|os\.(sep|pathsep|linesep|curdir|pardir|devnull)|os\.path\.(sep|pathsep))$/;
/** The start of a URL that already fixes where it goes: a scheme and host, or a path on this site. */
const FIXED_DESTINATION = /^([a-z][\w+.-]*:\/\/[^/%{}$\s]+[/?#]|\/(?![/\\]))/i;
/** The application's own URL, as the request reports it. */
const OWN_URL = /^(flask\.)?request\.(path|full_path|get_full_path|path_info|script_root|base_url|url_root|host_url)\b|^(req|request)\.(path|originalUrl|baseUrl)\b/;
const JS_FILE_READS = /^(fs|fs\/promises|fs\.promises)\.(readFileSync|readFile)\(\)$|^\w*[Ss]ocket\.(read|recv)\(\)$/;
const FILE_CLEAN: ReadonlySet<SinkKind> = new Set(['html', 'redirect', 'url']);
/** TypeScript annotations of a web request object (Express, Fastify, Next.js, Koa, Node's http). */
const REQUEST_TYPE = /^:\s*((express|e|Express)\.)?(Request|FastifyRequest|NextApiRequest|NextRequest|IncomingMessage)\b/;
/** The properties of a request object that hold what the client sent. */
const REQUEST_DATA_PARTS = /^(params|query|body|headers|cookies|signedCookies|files?|url|originalUrl|path)$/;

const SANITISERS: ReadonlyArray<readonly [RegExp, ReadonlyArray<SinkKind> | 'all']> = [
  [/^(builtins\.)?(int|float|bool|len|abs|round|ord|hash|id|complex|Number|parseInt|parseFloat|isNaN|Boolean|Math\.\w+|uuid\.UUID|UUID|datetime\.\w+|\w*\.isdigit|\w*\.isalnum|\w*\.isnumeric)$/, 'all'],
  [/(^|\.)[A-Za-z_$]*(saniti[sz]e|Saniti[sz]e|saniti[sz]er|Saniti[sz]er)[A-Za-z_]*$|^(DOMPurify|dompurify|xss|sanitize-html|isomorphic-dompurify)(\.sanitize)?$/, 'all'],
  [/^(escape-html|html-escaper\.escape|he\.(encode|escape)|lodash\.escape|lodash\.escape|underscore\.escape|validator\.escape|entities\.(encode\w*|escape\w*)|escape-goat\.htmlEscape|xss-filters\.\w+)$/, ['html']],
  [/^(shlex|pipes)\.quote$|(^|\.)(shellescape|shell-quote\.quote|shellQuote|escapeShellArg|quote_shell)$/, ['shell']],
  [/^(html|cgi|markupsafe|jinja2|flask|django\.utils\.html|bleach|xml\.sax\.saxutils)\.(escape|clean|conditional_escape|quoteattr)$|^(escape|conditional_escape|format_html|bleach\.clean)$/, ['html']],
  [/(^|\.)(sanitize|sanitizeHtml|escape|escapeHtml|escapeHTML|encodeHTML|purify|encode|htmlEscape|xss|filterXSS|sanitizeUrl|encodeForHTML)$/i, ['html']],
  [/(^|\.)(secure_filename|safe_join|basename)$|^(os\.path|posixpath|ntpath|path|path\.posix|path\.win32)\.basename$/, ['path']],
  [/^(urllib\.parse\.quote|urllib\.parse\.quote_plus|urllib\.parse\.urlencode|encodeURIComponent|encodeURI|querystring\.escape)$/, ['url', 'shell', 'redirect', 'html']],
  [/(^|\.)(escape_string|escape_literal|quote_ident|literal|escapeId|sqlstring\.escape|mysql\.escape|pg-format|format_sql|escape_filter_chars|escape_dn_chars|ldap3?\.utils\.conv\.escape_filter_chars)$/, ['sql', 'ldap']],
  [/(^|\.)(url_has_allowed_host_and_scheme|is_safe_url)$/, ['redirect', 'url']],
  // a JSON text is a literal to a JavaScript/Python evaluator, but its quotes and `$(...)` still break out of SQL and shell strings
  [/^(ast\.literal_eval|json\.loads|json\.load|JSON\.parse|JSON\.stringify|json\.dumps)$/, ['code']],
];

const ALL_KINDS: ReadonlyArray<SinkKind> = ['shell', 'sql', 'html', 'path', 'url', 'code', 'redirect', 'ldap', 'xpath', 'session', 'xml', 'dotdot'];
/** Encodings whose output holds no metacharacter of any sink (base64, hex). */
const ENCODERS = /^(base64\.(b64encode|urlsafe_b64encode|b32encode|b16encode|b85encode|a85encode|standard_b64encode|encodebytes)|binascii\.(b2a_base64|b2a_hex|hexlify)|btoa)$/;
/** Decodings that undo an encoding or quoting: what comes out is the original data again. */
const DECODERS = /^(base64\.\w*decode\w*|binascii\.(a2b_\w+|unhexlify)|codecs\.decode|urllib\.parse\.(unquote|unquote_plus|unquote_to_bytes)|html\.unescape|decodeURIComponent|decodeURI|unescape|atob|querystring\.unescape)$/;
const STRING_METHODS_PY = new Set(['format', 'join', 'replace', 'strip', 'lstrip', 'rstrip', 'lower', 'upper', 'title', 'capitalize', 'casefold', 'encode', 'decode', 'split', 'rsplit', 'splitlines', 'partition', 'ljust', 'rjust', 'center', 'zfill', 'expandtabs', 'format_map', 'removeprefix', 'removesuffix', 'get', 'getlist', 'pop', 'copy', 'values', 'items', 'keys', 'read', 'readline', 'readlines', 'getvalue', 'group', 'groups', 'groupdict']);
const JS_PASS_METHODS = new Set(['toString', 'trim', 'trimStart', 'trimEnd', 'toLowerCase', 'toUpperCase', 'concat', 'join', 'replace', 'replaceAll', 'slice', 'substring', 'substr', 'padStart', 'padEnd', 'repeat', 'split', 'at', 'charAt', 'normalize', 'get', 'getAll', 'valueOf', 'map', 'filter', 'flat', 'format', 'toLocaleLowerCase', 'toLocaleUpperCase', 'then']);
const CONTAINER_WRITES = new Set(['append', 'extend', 'insert', 'add', 'update', 'push', 'unshift', 'set', 'setdefault', 'write', 'writelines', 'appendleft', 'extendleft', 'concat']);

// ------------------------------------------------------------------ abstract values

function unionClean(a: ReadonlySet<SinkKind> | undefined, b: ReadonlySet<SinkKind> | undefined): ReadonlySet<SinkKind> | undefined {
  if (a === undefined || b === undefined) return undefined;
  const out = new Set<SinkKind>();
  for (const k of a) if (b.has(k)) out.add(k);
  return out.size === 0 ? undefined : out;
}

/** Joins values that may each reach a point (branches), or that are combined into one (concatenation). */
export function join(values: ReadonlyArray<Value>): Value {
  if (values.length === 0) return V_CONST;
  if (values.length === 1) return values[0] ?? V_CONST;
  let level: Level = CONST;
  for (const v of values) if (v.level > level) level = v.level;
  if (level <= SAFE) {
    const first = values[0];
    const same = first !== undefined && first.value !== undefined && values.every((v) => v.value === first.value);
    return level === CONST ? (same ? { level, value: first.value } : V_CONST) : V_SAFE;
  }
  // the sanitisers of the run-time parts that share the top level: a value is clean only if every such part is
  let clean: ReadonlySet<SinkKind> | undefined;
  let first = true;
  let steps: ReadonlyArray<FlowNodeStep> | undefined;
  for (const v of values) {
    if (v.level < UNKNOWN) continue;
    clean = first ? v.clean : unionClean(clean, v.clean);
    first = false;
    if (steps === undefined && v.level === TAINTED && v.clean === undefined) steps = v.steps;
    if (steps === undefined && v.level === TAINTED) steps = v.steps;
  }
  if (level === TAINTED) {
    // an unknown part sanitised for nothing does not make a tainted value unsanitised for a kind it was cleaned for,
    // but it is run-time data of its own: keep the cleaning of the tainted parts only
    let taintClean: ReadonlySet<SinkKind> | undefined;
    let firstTaint = true;
    for (const v of values) {
      if (v.level !== TAINTED) continue;
      taintClean = firstTaint ? v.clean : unionClean(taintClean, v.clean);
      firstTaint = false;
    }
    const api = values.every((v) => v.level !== TAINTED || v.api === true);
    return api ? { level, clean: taintClean, steps, api } : { level, clean: taintClean, steps };
  }
  return clean === undefined ? V_UNKNOWN : { level, clean };
}

/** A container value from its known entries. */
function container(fields: ReadonlyMap<string, Value> | undefined, items?: ReadonlyArray<Value>): Value {
  const parts = [...(fields?.values() ?? []), ...(items ?? [])];
  const j = parts.length === 0 ? V_CONST : join(parts);
  // an exported function's parameters stay the caller's values inside the object or list they are put in
  const base: Value = j.level === CONST ? V_CONST : j.api === true ? { level: j.level, clean: j.clean, steps: j.steps, api: true } : { level: j.level, clean: j.clean, steps: j.steps };
  return fields !== undefined ? { ...base, fields } : { ...base, items };
}

/** The key of a field: constant parts joined (`d['k']`, `conf.get('section', 'k')`). */
function fieldKey(values: ReadonlyArray<Value>): string | undefined {
  if (values.length === 0 || !values.every((v) => v.level === CONST && v.value !== undefined)) return undefined;
  return values.map((v) => String(v.value)).join('\0');
}

function withStep(v: Value, node: Node, message: string): Value {
  if (v.level !== TAINTED) return v;
  const steps = v.steps ?? [];
  if (steps.length > 0 && steps[steps.length - 1]?.node.startPosition.row === node.startPosition.row) return v;
  const next = steps.length >= MAX_STEPS ? [...steps.slice(0, 1), ...steps.slice(steps.length - MAX_STEPS + 2)] : steps;
  return { ...v, steps: [...next, { node, message }] };
}

function cleaned(v: Value, kinds: ReadonlyArray<SinkKind> | 'all'): Value {
  if (kinds === 'all') return v.level === CONST ? v : V_SAFE;
  if (v.level < UNKNOWN) return v;
  const clean = new Set<SinkKind>(v.clean ?? []);
  for (const k of kinds) clean.add(k);
  return { ...v, clean };
}

/** True when a value may carry content that is dangerous for a sink of that kind, at or above `level`. */
export function isDangerous(v: Value, kind: SinkKind, level: Level = UNKNOWN): boolean {
  // an exported function's parameter is, for a path, URL, page or session value, just a run-time value
  const effective = v.api === true && v.level === TAINTED && API_CLEAN.has(kind) ? UNKNOWN : v.level;
  return effective >= level && !(v.clean?.has(kind) ?? false);
}

function pyNumber(text: string): number | undefined {
  const t = text.replace(/_/g, '').toLowerCase();
  if (/[jl]$/.test(t)) return undefined;
  const n = /^0[oO]/.test(t) ? parseInt(t.slice(2), 8) : Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function truthy(v: string | number | boolean | null): boolean {
  return v !== null && v !== 0 && v !== '' && v !== false;
}

// ------------------------------------------------------------------ the interpreter

type Env = Map<string, Value>;

/** A name a condition proves safe: for every sink (a plain name), or for some kinds of sink. */
type Guard = string | { readonly name: string; readonly kinds: ReadonlyArray<SinkKind> };

const QUOTE_KINDS: ReadonlyArray<SinkKind> = ['xpath', 'sql', 'ldap'];
const URL_PARSERS = /^(urllib\.parse\.(urlparse|urlsplit)|urlparse\.(urlparse|urlsplit)|urllib3\.util\.parse_url)$/;
const URL_CHECKS = /(^|\.)(is_safe_url|url_has_allowed_host_and_scheme|is_safe_redirect|isSafeUrl|isSafeRedirect|isRelativeUrl|is_relative_url|isLocalUrl|is_local_url)$/;

interface ScopeResult {
  /** Values of evaluated expressions, by node id. */
  readonly values: Map<number, Value>;
  /** The environment where the scope ends (what its nested functions see). */
  readonly final: Env;
  /** Names assigned anywhere in the scope. */
  readonly assigned: Set<string>;
  /** Names holding the result of a check (`ok = is_safe_url(x)`): what they prove when true. */
  readonly checks: Map<string, ReadonlyArray<Guard>>;
  /** Names holding a parsed URL (`u = urlparse(target)`): the name of what was parsed, whose host a check of `u.netloc` pins. */
  parsed?: Map<string, string>;
}

const PY_SCOPE_TYPES = new Set(['function_definition', 'lambda', 'class_definition']);
const JS_SCOPE_TYPES = new Set([
  'function_declaration',
  'function_expression',
  'function',
  'arrow_function',
  'method_definition',
  'generator_function_declaration',
  'generator_function',
]);

/** Creates the lazily evaluated flow engine of one parsed file. */
export function createTaint(host: TaintHost): Taint {
  const python = host.language === 'python';
  const sources = python ? PY_SOURCES : JS_SOURCES;
  const scopeTypes = python ? PY_SCOPE_TYPES : JS_SCOPE_TYPES;
  const results = new Map<number, ScopeResult>();
  const inProgress = new Set<number>();
  const dead: Array<[number, number]> = [];
  let evaluations = 0;

  function sourceValue(node: Node, name: string): Value | undefined {
    if (!sources.some((s) => s.test(name))) return undefined;
    const steps = [{ node, message: `untrusted data enters: ${name.replace(/\(\)/g, '(…)').slice(0, 80)}` }];
    // the local user's own arguments, environment and terminal reach commands and code, but choosing a
    // path, a page or a URL with them crosses no trust boundary
    if (LOCAL_SOURCES.test(name)) return { level: TAINTED, clean: LOCAL_CLEAN, steps };
    return OWN_URL.test(name) ? { level: TAINTED, clean: OWN_URL_CLEAN, steps } : { level: TAINTED, steps };
  }

  function sanitiserOf(name: string): ReadonlyArray<SinkKind> | 'all' | undefined {
    for (const [pattern, kinds] of SANITISERS) if (pattern.test(name)) return kinds;
    return undefined;
  }

  /** Parameters of a function that a web framework fills from the request. */
  function handlerParameters(scope: Node): boolean {
    if (python) {
      const parent = scope.parent;
      if (parent?.type !== 'decorated_definition') return false;
      for (const d of parent.namedChildren) {
        if (d?.type !== 'decorator') continue;
        if (/\.(route|get|post|put|patch|delete|api_route|websocket)\s*\(/.test(d.text) || /^@(api_view|require_http_methods|app\.\w+)/.test(d.text)) return true;
      }
      return false;
    }
    // Express/Koa/Fastify style: a callback given to app.get(...)/router.post(...)
    const args = scope.parent;
    const call = args?.parent;
    if (args?.type !== 'arguments' || call?.type !== 'call_expression') return false;
    const fn = call.childForFieldName('function');
    return fn?.type === 'member_expression' && /^(get|post|put|patch|delete|all|use|route|handle)$/.test(fn.childForFieldName('property')?.text ?? '');
  }

  function bindingNames(pattern: Node | null, out: Node[] = []): Node[] {
    if (pattern === null) return out;
    switch (pattern.type) {
      case 'identifier':
      case 'shorthand_property_identifier_pattern':
        out.push(pattern);
        return out;
      case 'default_parameter':
      case 'typed_default_parameter':
        return bindingNames(pattern.childForFieldName('name'), out);
      case 'assignment_pattern':
        return bindingNames(pattern.childForFieldName('left'), out);
      case 'required_parameter':
      case 'optional_parameter':
        return bindingNames(pattern.childForFieldName('pattern'), out);
      case 'pair_pattern':
        return bindingNames(pattern.childForFieldName('value'), out);
      case 'typed_parameter':
      case 'list_splat_pattern':
      case 'dictionary_splat_pattern':
      case 'rest_pattern':
      case 'object_pattern':
      case 'array_pattern':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'pattern_list':
      case 'parameters':
      case 'formal_parameters':
      case 'parenthesized_expression':
        for (const c of pattern.namedChildren) if (c !== null && c.type !== 'type' && c.type !== 'type_annotation') bindingNames(c, out);
        return out;
      default:
        return out;
    }
  }

  function analyse(scope: Node): ScopeResult {
    const known = results.get(scope.id);
    if (known !== undefined) return known;
    const result: ScopeResult = { values: new Map(), final: new Map(), assigned: new Set(), checks: new Map() };
    if (inProgress.has(scope.id)) return result;
    inProgress.add(scope.id);
    try {
      run(scope, result);
    } finally {
      inProgress.delete(scope.id);
    }
    results.set(scope.id, result);
    return result;
  }

  /** The value a free name has in the scopes around `scope`. */
  function outerValue(scope: Node, name: string, node: Node): Value {
    if (scope.id === host.root.id) return builtinValue(name, node);
    const outer = host.scopeOf(scope);
    const r = analyse(outer);
    const v = r.final.get(name);
    if (v !== undefined) return v;
    return outerValue(outer, name, node);
  }

  function builtinValue(name: string, node: Node): Value {
    if (python) {
      if (name === 'True') return { level: CONST, value: true };
      if (name === 'False') return { level: CONST, value: false };
      if (name === 'None') return { level: CONST, value: null };
    } else if (name === 'undefined') return { level: CONST, value: null };
    const q = host.qualifiedName(node);
    if (q !== undefined) {
      const s = sourceValue(node, q);
      if (s !== undefined) return s;
    }
    // a name bound by an import is code or configuration of this program, not data from outside
    if (host.isImported(name)) return V_SAFE;
    return V_UNKNOWN;
  }

  /** The first parameter of an AWS Lambda handler (`exports.handler = async (event) => …`): the whole event is the caller's. */
  function lambdaHandler(scope: Node): boolean {
    if (python) return false;
    let node: Node | null = scope.parent;
    if (node?.type === 'variable_declarator') return node.childForFieldName('name')?.text === 'handler' && node.parent?.parent?.type === 'export_statement';
    if (node?.type === 'assignment_expression') return /^(module\.)?exports\.handler$/.test(node.childForFieldName('left')?.text ?? '');
    if (scope.type === 'function_declaration') {
      node = scope.parent;
      return scope.childForFieldName('name')?.text === 'handler' && node?.type === 'export_statement';
    }
    return false;
  }

  /** Names the module exports (`module.exports = { a, b }`, `module.exports = a`, `exports.x = a`, `export { a }`, `export default a`). */
  let exportedNames: Set<string> | undefined;
  function exportedName(name: string): boolean {
    if (exportedNames === undefined) {
      exportedNames = new Set();
      const names = exportedNames;
      const add = (value: Node | null | undefined): void => {
        if (value?.type === 'identifier') names.add(value.text);
        else if (value?.type === 'object') {
          for (const p of value.namedChildren) {
            if (p?.type === 'shorthand_property_identifier') names.add(p.text);
            else if (p?.type === 'pair' && p.childForFieldName('value')?.type === 'identifier') names.add(p.childForFieldName('value')?.text ?? '');
          }
        }
      };
      if (/\bexports\b|\bexport\b/.test(host.text)) {
        for (const n of host.root.descendantsOfType(['assignment_expression', 'export_statement', 'export_specifier'])) {
          if (n === null) continue;
          if (n.type === 'assignment_expression' && /^(module\.exports|exports)(\.[\w$]+)?$/.test(n.childForFieldName('left')?.text ?? '')) add(n.childForFieldName('right'));
          else if (n.type === 'export_specifier') names.add(n.childForFieldName('name')?.text ?? '');
          else if (n.type === 'export_statement') add(n.childForFieldName('value'));
        }
      }
    }
    return exportedNames.has(name);
  }

  /**
   * A function the module exports: its parameters are the caller's data (an API of this module, a Next.js or
   * serverless handler). `export function f`, `export const f = …`, `export default …`, `module.exports = …`,
   * `exports.f = …`, a member of an exported object or class, or a local function named in an export.
   */
  function exportedFunction(scope: Node): boolean {
    if (python) return false;
    let node: Node | null = scope;
    let name: string | undefined = scope.childForFieldName('name')?.text;
    // a method: judge the object or class that holds it
    if (scope.type === 'method_definition') {
      if (scope.childForFieldName('name')?.text === 'constructor' || /^(#|_)/.test(scope.childForFieldName('name')?.text ?? '')) return false;
      node = scope.parent?.parent ?? null;
      if (node?.type === 'class_declaration' || node?.type === 'class') name = node.childForFieldName('name')?.text;
      else name = undefined;
    }
    for (let hops = 0; node !== null && hops < 4; hops++) {
      const parent: Node | null = node.parent;
      if (parent === null) return false;
      if (parent.type === 'export_statement') return true;
      if (parent.type === 'assignment_expression' && parent.childForFieldName('right')?.id === node.id) {
        return /^(module\.exports|exports)(\.[\w$]+)?$/.test(parent.childForFieldName('left')?.text ?? '');
      }
      if (parent.type === 'variable_declarator' && parent.childForFieldName('value')?.id === node.id) {
        name = parent.childForFieldName('name')?.text;
        node = parent.parent;
        continue;
      }
      // a function as a property of an object literal: judge the object
      if (parent.type === 'pair' && parent.childForFieldName('value')?.id === node.id) {
        node = parent.parent;
        name = undefined;
        continue;
      }
      if (node.type === 'object' || node.type === 'class' || node.type === 'class_declaration' || node.type === 'class_body') {
        node = parent;
        continue;
      }
      if (parent.type === 'lexical_declaration' || parent.type === 'variable_declaration' || parent.type === 'class_body') {
        node = parent;
        continue;
      }
      break;
    }
    return name !== undefined && (exportedName(name) || unreferenced(name));
  }

  let wordCounts: Map<string, number> | undefined;
  /**
   * A named function that nothing in the file calls or passes on: its only callers are outside the file (a
   * global of a browser script, or an entry point another module reaches some other way), so its parameters
   * are the caller's data, as an exported function's are.
   */
  function unreferenced(name: string): boolean {
    if (wordCounts === undefined) {
      // one pass over the text: how often each name is written (not as a property `.name`, not inside a quoted
      // string; template literals count, since their substitutions are code)
      wordCounts = new Map();
      for (const m of host.text.matchAll(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|(?<![\w$.])[A-Za-z_$][\w$]*/g)) {
        const word = m[0];
        if (word.startsWith("'") || word.startsWith('"')) continue;
        wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      }
    }
    return wordCounts.get(name) === 1;
  }

  /** The value a callback's parameter receives from the call it is given to: the elements of `xs.forEach(x => …)`. */
  function callbackElement(scope: Node): Value | undefined {
    if (python) return undefined;
    const args = scope.parent;
    const call = args?.parent;
    if (args?.type !== 'arguments' || call?.type !== 'call_expression' || args.namedChildren[0]?.id !== scope.id) return undefined;
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'member_expression') return undefined;
    if (!/^(forEach|map|flatMap|filter|find|findLast|some|every|then)$/.test(fn.childForFieldName('property')?.text ?? '')) return undefined;
    const receiver = fn.childForFieldName('object');
    if (receiver === null) return undefined;
    const v = valueOf(receiver);
    if (v.level !== TAINTED) return undefined;
    return v.items !== undefined || v.fields !== undefined ? { level: v.level, clean: v.clean, steps: v.steps } : v;
  }

  /**
   * The request data a handler destructures from a parameter whose declared type is a request
   * (`({ params, query }: Request, res: Response) => …`): binding node id → the request property it holds.
   */
  function typedRequestParts(params: Node): Map<number, string> | undefined {
    let out: Map<number, string> | undefined;
    for (const param of params.namedChildren) {
      if (param?.type !== 'required_parameter' && param?.type !== 'optional_parameter') continue;
      const pattern = param.childForFieldName('pattern');
      if (pattern?.type !== 'object_pattern' || !REQUEST_TYPE.test(param.childForFieldName('type')?.text ?? '')) continue;
      for (const prop of pattern.namedChildren) {
        const key = prop?.type === 'shorthand_property_identifier_pattern' ? prop.text : prop?.type === 'pair_pattern' ? prop.childForFieldName('key')?.text : undefined;
        if (prop === null || key === undefined || !REQUEST_DATA_PARTS.test(key)) continue;
        for (const b of bindingNames(prop)) (out ??= new Map()).set(b.id, key);
      }
    }
    return out;
  }

  function run(scope: Node, result: ScopeResult, summary?: { readonly returns: Value[] }): void {
    const env: Env = new Map();
    const isRoot = scope.id === host.root.id;
    if (!isRoot) {
      const params = scope.childForFieldName('parameters') ?? scope.childForFieldName('parameter');
      const fromRequest = params !== null && handlerParameters(scope);
      const lambda = params !== null && !fromRequest && lambdaHandler(scope);
      const exported = params !== null && summary === undefined && !fromRequest && !lambda && exportedFunction(scope);
      const element = params !== null && summary === undefined && !fromRequest && !lambda && !exported ? callbackElement(scope) : undefined;
      const callers = summary === undefined && !fromRequest && !lambda ? callSiteValues(scope) : undefined;
      const requestParts = summary === undefined && !python && params !== null ? typedRequestParts(params) : undefined;
      bindingNames(params).forEach((p, index) => {
        const part = requestParts?.get(p.id);
        if (part !== undefined) {
          env.set(p.text, { level: TAINTED, steps: [{ node: p, message: `request ${part} (destructured from a parameter typed as a request)` }] });
          return;
        }
        if (python && (p.text === 'self' || p.text === 'cls')) {
          env.set(p.text, V_UNKNOWN);
          return;
        }
        if (summary !== undefined) {
          // a summary run: every parameter is data, so the return value says whether a parameter reaches it
          env.set(p.text, { level: TAINTED, steps: [{ node: p, message: `argument \`${p.text}\`` }] });
          return;
        }
        if (lambda && index === 0) {
          env.set(p.text, { level: TAINTED, steps: [{ node: p, message: `event \`${p.text}\` of a Lambda handler` }] });
          return;
        }
        if (element !== undefined && index === 0) {
          env.set(p.text, withStep(element, p, `each element, as \`${p.text}\``));
          return;
        }
        const fromCaller = callers?.[python && bindingNames(params)[0]?.text === 'self' ? index - 1 : index];
        if (fromCaller !== undefined) {
          env.set(p.text, withStep(fromCaller, p, `passed in as \`${p.text}\``));
          return;
        }
        // Express/Koa: req/ctx are request objects whose data properties are sources by name (req.query, ctx.request.body);
        // the object itself (req.session, req.app) and the response are not data from the caller
        const requestObject = !python && /^(req|request|ctx|res|response|reply|next|context)$/.test(p.text);
        if (exported && !requestObject) {
          env.set(p.text, { level: TAINTED, api: true, steps: [{ node: p, message: `parameter \`${p.text}\` of an exported function: the caller's data` }] });
          return;
        }
        env.set(p.text, fromRequest && !requestObject ? { level: TAINTED, steps: [{ node: p, message: `request parameter \`${p.text}\` of a route handler` }] } : V_UNKNOWN);
      });
    }
    const ctx: Ctx = { env, result, scope, ...(summary === undefined ? {} : { returns: summary.returns }) };
    const body = isRoot ? scope : scope.childForFieldName('body');
    if (body === null) return;
    if (!python && scope.type === 'arrow_function' && body.type !== 'statement_block') {
      const v = evaluate(body, ctx, 0);
      summary?.returns.push(v);
    } else {
      const out = block(body, ctx, 0);
      for (const [k, v] of out ?? env) result.final.set(k, v);
      return;
    }
    for (const [k, v] of env) result.final.set(k, v);
  }

  // ---------------------------------------------------------------- calls within the file

  let functionsByName: Map<string, Node> | undefined;
  let callsByName: Map<string, Node[]> | undefined;
  const summaries = new Map<number, Value>();
  let summarising = 0;
  /** Only files that hold web request data get the (costlier) look across their own calls. */
  let acrossCallsKnown: boolean | undefined;
  const acrossCalls = (): boolean =>
    (acrossCallsKnown ??= python
      ? /\brequest\.(args|form|values|files|json|data|cookies|headers|GET|POST|FILES|COOKIES|META|body|params|query_params|get_json)\b|@\w+(\.\w+)*\.(route|get|post|put|patch|delete)\s*\(/.test(host.text)
      : /\b(req|request|ctx)\.(query|params|body|headers|cookies|request|files?)\b|\}\s*:\s*((express|e|Express)\.)?(Request|FastifyRequest|NextApiRequest|NextRequest|IncomingMessage)\b|\bexports\.handler\b|\bexport\s+(const|async\s+function|function)\s+handler\b|\blocation\.(search|hash|href)\b|\bURLSearchParams\b/.test(host.text));

  function indexFunctions(): void {
    functionsByName = new Map();
    callsByName = new Map();
    for (const n of host.root.descendantsOfType(python ? ['function_definition', 'call'] : ['function_declaration', 'variable_declarator', 'call_expression'])) {
      if (n === null) continue;
      if (n.type === 'call' || n.type === 'call_expression') {
        const fn = n.childForFieldName('function');
        const name = fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' && fn.childForFieldName('object')?.text === 'self' ? fn.childForFieldName('attribute')?.text : undefined;
        if (name !== undefined) {
          const list = callsByName.get(name) ?? [];
          list.push(n);
          callsByName.set(name, list);
        }
        continue;
      }
      let fn: Node | null = n;
      if (n.type === 'variable_declarator') {
        const value = n.childForFieldName('value');
        fn = value !== null && /^(arrow_function|function_expression|function)$/.test(value.type) ? value : null;
      }
      const name = n.childForFieldName('name')?.text;
      if (fn !== null && name !== undefined && !functionsByName.has(name)) functionsByName.set(name, fn);
    }
  }

  /** The function a local name calls, when the file defines exactly that name. */
  function localFunction(name: string): Node | undefined {
    if (!acrossCalls()) return undefined;
    if (functionsByName === undefined) indexFunctions();
    return functionsByName?.get(name);
  }

  /** What the file's own calls pass to a function's parameters, by position: only data from a source is kept. */
  function callSiteValues(fn: Node): Array<Value | undefined> | undefined {
    if (summarising > 0 || !acrossCalls()) return undefined;
    if (functionsByName === undefined) indexFunctions();
    const name = fn.parent?.type === 'variable_declarator' ? fn.parent.childForFieldName('name')?.text : fn.childForFieldName('name')?.text;
    if (name === undefined || functionsByName?.get(name)?.id !== fn.id) return undefined;
    const out: Array<Value | undefined> = [];
    for (const call of callsByName?.get(name) ?? []) {
      if (call.startIndex >= fn.startIndex && call.endIndex <= fn.endIndex) continue;
      const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => a !== null && a.type !== 'comment');
      args.forEach((arg, i) => {
        if (arg.type === 'keyword_argument' || arg.type === 'spread_element' || arg.type === 'list_splat') return;
        const v = valueOf(arg);
        if (v.level === TAINTED) out[i] = out[i] === undefined ? v : join([out[i] ?? V_UNKNOWN, v]);
      });
    }
    // a parameter some caller gives request data may hold it; other callers give values we do not know
    return out.map((v) => (v === undefined ? undefined : join([v, V_UNKNOWN])));
  }

  /** What a local function returns when its parameters are data: tainted when a parameter reaches a return. */
  function summaryOf(fn: Node): Value {
    const known = summaries.get(fn.id);
    if (known !== undefined) return known;
    summaries.set(fn.id, V_UNKNOWN);
    const returns: Value[] = [];
    summarising++;
    try {
      run(fn, { values: new Map(), final: new Map(), assigned: new Set(), checks: new Map() }, { returns });
    } finally {
      summarising--;
    }
    const v = returns.length === 0 ? V_UNKNOWN : join(returns);
    summaries.set(fn.id, v);
    return v;
  }

  interface Ctx {
    env: Env;
    readonly result: ScopeResult;
    readonly scope: Node;
    /** In a summary run: where the return values go. */
    readonly returns?: Value[];
    /** Inside a loop: the environments a `break` leaves it with. */
    breaks?: Env[];
  }

  /** Runs the statements of a block; returns the environment after it, or undefined when it always ends (return/raise). */
  function block(node: Node, ctx: Ctx, nesting: number): Env | undefined {
    let ended = false;
    for (const stmt of node.namedChildren) {
      if (stmt === null) continue;
      // statements after a return/raise still get values (unreachable code is still reviewed), but the block ends
      if (statement(stmt, ctx, nesting + 1)) ended = true;
    }
    return ended ? undefined : ctx.env;
  }

  function markDead(node: Node | null): void {
    // a summary run binds parameters to stand-ins: what it folds says nothing about the real code
    if (node !== null && summarising === 0) dead.push([node.startIndex, node.endIndex]);
  }

  function copy(env: Env): Env {
    return new Map(env);
  }

  function joinEnvs(envs: ReadonlyArray<Env | undefined>): Env | undefined {
    const live = envs.filter((e): e is Env => e !== undefined);
    if (live.length === 0) return undefined;
    if (live.length === 1) return live[0];
    const keys = new Set<string>();
    for (const e of live) for (const k of e.keys()) keys.add(k);
    const out: Env = new Map();
    for (const k of keys) {
      const vs: Value[] = [];
      let missing = false;
      for (const e of live) {
        const v = e.get(k);
        if (v === undefined) missing = true;
        else vs.push(v);
      }
      // defined on one path only: on the other it is whatever it was outside (unknown to us here)
      if (!missing && vs.every((v) => v === vs[0])) out.set(k, vs[0] ?? V_UNKNOWN);
      else out.set(k, missing ? join([...vs, V_UNKNOWN]) : join(vs));
    }
    return out;
  }

  /**
   * Names a condition proves safe on its true (`whenTrue`) or false branch: allow-list membership and equality
   * with constants (safe for everything), and checks that make a value safe for some sinks only (a URL checked
   * by is_safe_url, a path checked to stay under a base, a value checked to hold no quote).
   */
  /** The conditions that all hold when `cond` has the truth `whenTrue` (through `and` when true, `or` when false, `not`). */
  function conjuncts(cond: Node | null, whenTrue: boolean, out: Array<{ node: Node; truth: boolean }>, depth = 0): void {
    if (cond === null || depth > 32) return;
    if (cond.type === 'parenthesized_expression') return conjuncts(cond.namedChildren[0] ?? null, whenTrue, out, depth + 1);
    if (cond.type === 'not_operator') return conjuncts(cond.childForFieldName('argument'), !whenTrue, out, depth + 1);
    if (cond.type === 'unary_expression' && cond.childForFieldName('operator')?.text === '!') return conjuncts(cond.childForFieldName('argument'), !whenTrue, out, depth + 1);
    const op = cond.type === 'boolean_operator' || cond.type === 'binary_expression' ? cond.childForFieldName('operator')?.text : undefined;
    if (((op === 'and' || op === '&&') && whenTrue) || ((op === 'or' || op === '||') && !whenTrue)) {
      conjuncts(cond.childForFieldName('left'), whenTrue, out, depth + 1);
      conjuncts(cond.childForFieldName('right'), whenTrue, out, depth + 1);
      return;
    }
    out.push({ node: cond, truth: whenTrue });
  }

  /**
   * A value proved to be one plain quoted string literal: it starts and ends with a quote and holds no other
   * (`if not x.startswith("'") or not x.endswith("'") or "'" in x[1:-1]: return`). Evaluated as code it is only
   * that string.
   */
  function literalShape(cond: Node | null, ctx: Ctx, whenTrue: boolean, nesting: number): Guard[] {
    const atoms: Array<{ node: Node; truth: boolean }> = [];
    conjuncts(cond, whenTrue, atoms);
    if (atoms.length < 3) return [];
    const facts = new Map<string, Set<string>>();
    const note = (name: string, fact: string): void => {
      const set = facts.get(name) ?? new Set<string>();
      set.add(fact);
      facts.set(name, set);
    };
    const quote = (n: Node | null | undefined): string | undefined => {
      if (n === null || n === undefined) return undefined;
      const v = evaluate(n, ctx, nesting + 1);
      if (v.level !== CONST || typeof v.value !== 'string') return undefined;
      // '\'' may come back with its escape still on
      const q = v.value.replace(/^\\(?=['"]$)/, '');
      return q === "'" || q === '"' ? q : undefined;
    };
    for (const { node, truth } of atoms) {
      if (node.type === 'call' && truth) {
        const fn = node.childForFieldName('function');
        const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
        const subject = fn?.childForFieldName('object');
        const q = quote(node.childForFieldName('arguments')?.namedChildren[0]);
        if ((method === 'startswith' || method === 'endswith') && subject?.type === 'identifier' && q !== undefined) note(subject.text, `${method}${q}`);
      } else if (node.type === 'comparison_operator') {
        const [needle, hay] = node.namedChildren;
        const op = node.children.filter((c) => c !== null && !c.isNamed).map((c) => c?.text ?? '').join(' ');
        const q = quote(needle);
        // "'" not in x[1:-1] (true), or "'" in x[1:-1] (false)
        const inner = hay?.type === 'subscript' ? hay : undefined;
        const subject = inner?.childForFieldName('value');
        const slice = inner?.childForFieldName('subscript');
        if (q !== undefined && subject?.type === 'identifier' && slice?.type === 'slice' && /^1:-1$/.test(slice.text.replace(/\s/g, '')) && ((op === 'in' && !truth) || (op === 'not in' && truth))) note(subject.text, `inner${q}`);
      }
    }
    const out: Guard[] = [];
    for (const [name, set] of facts) {
      if (['"', "'"].some((q) => set.has(`startswith${q}`) && set.has(`endswith${q}`) && set.has(`inner${q}`))) out.push({ name, kinds: ['code'] });
    }
    return out;
  }

  function guardedNames(cond: Node | null, ctx: Ctx, whenTrue: boolean, nesting: number): Guard[] {
    if (cond === null || nesting > MAX_NESTING) return [];
    if (python && (cond.type === 'boolean_operator' || cond.type === 'parenthesized_expression' || cond.type === 'not_operator') && cond.text.includes('startswith')) {
      const shaped = literalShape(cond, ctx, whenTrue, nesting);
      if (shaped.length > 0) return shaped;
    }
    switch (cond.type) {
      case 'parenthesized_expression':
        return guardedNames(cond.namedChildren[0] ?? null, ctx, whenTrue, nesting + 1);
      case 'not_operator':
        return guardedNames(cond.childForFieldName('argument'), ctx, !whenTrue, nesting + 1);
      case 'unary_expression':
        return cond.childForFieldName('operator')?.text === '!' ? guardedNames(cond.childForFieldName('argument'), ctx, !whenTrue, nesting + 1) : [];
      case 'boolean_operator':
      case 'binary_expression': {
        const op = cond.childForFieldName('operator')?.text;
        if ((op === 'and' || op === '&&') && whenTrue) {
          return [...guardedNames(cond.childForFieldName('left'), ctx, true, nesting + 1), ...guardedNames(cond.childForFieldName('right'), ctx, true, nesting + 1)];
        }
        if ((op === 'or' || op === '||') && !whenTrue) {
          return [...guardedNames(cond.childForFieldName('left'), ctx, false, nesting + 1), ...guardedNames(cond.childForFieldName('right'), ctx, false, nesting + 1)];
        }
        if ((op === 'and' || op === '&&') && !whenTrue) {
          // `(x or ...) and not is_safe_url(x)` is false when the check passed or when x was empty: a sanitiser
          // check of x counts when every operand is about x (an unrelated operand could skip the check)
          const left = cond.childForFieldName('left');
          const right = cond.childForFieldName('right');
          const checks = [...guardedNames(left, ctx, false, nesting + 1), ...guardedNames(right, ctx, false, nesting + 1)].filter((g): g is Exclude<Guard, string> => typeof g !== 'string');
          const mentions = (n: Node | null, name: string): boolean => n !== null && (n.text === name || n.descendantsOfType('identifier').some((i) => i?.text === name));
          return checks.filter((g) => mentions(left, g.name) && mentions(right, g.name));
        }
        if (op === '===' || op === '==' || op === '!==' || op === '!=') {
          const positive = op === '===' || op === '==';
          if (positive !== whenTrue) return [];
          const left = cond.childForFieldName('left');
          const right = cond.childForFieldName('right');
          if (left?.type === 'identifier' && right !== null && evaluate(right, ctx, nesting + 1).level === CONST) return [left.text];
          if (right?.type === 'identifier' && left !== null && evaluate(left, ctx, nesting + 1).level === CONST) return [right.text];
        }
        return [];
      }
      case 'comparison_operator': {
        const parts = cond.namedChildren.filter((c): c is Node => c !== null);
        const ops = cond.children.filter((c) => c !== null && !c.isNamed).map((c) => c?.text ?? '');
        if (parts.length !== 2 || ops.length < 1) return [];
        const op = ops.join(' ');
        const [left, right] = parts as [Node, Node];
        const positive = op === 'in' || op === '==' || op === 'is';
        const negative = op === 'not in' || op === '!=' || op === 'is not';
        // "'" not in x / if "'" in x: return: a value with no quote cannot leave a quoted query literal
        if ((op === 'in' || op === 'not in') && right.type === 'identifier' && (op === 'in') !== whenTrue) {
          const needle = evaluate(left, ctx, nesting + 1);
          if (needle.level === CONST && typeof needle.value === 'string' && /['"]/.test(needle.value)) return [{ name: right.text, kinds: QUOTE_KINDS }];
          // '..' not in x / if '../' in x: return: a value without a parent-directory step stays under the base it is put after
          if (needle.level === CONST && typeof needle.value === 'string' && /^\.\.[/\\]?$/.test(needle.value)) return [{ name: right.text, kinds: ['dotdot'] }];
        }
        if (!((positive && whenTrue) || (negative && !whenTrue))) return [];
        // `u = urlparse(target)` … `u.netloc in ALLOWED` / `u.hostname == "example.com"`: target's host is pinned
        if (left.type === 'attribute' && /^(netloc|hostname|host)$/.test(left.childForFieldName('attribute')?.text ?? '') && op !== 'is' && op !== 'is not') {
          const object = left.childForFieldName('object');
          const inline = object?.type === 'call' && URL_PARSERS.test(host.calleeName(object) ?? '') ? object.childForFieldName('arguments')?.namedChildren[0] : undefined;
          const parsedFrom = inline?.type === 'identifier' ? inline.text : ctx.result.parsed?.get(object?.text ?? '');
          const allowed = evaluate(right, ctx, nesting + 1);
          if (parsedFrom !== undefined && allowed.level === CONST && !(typeof allowed.value === 'string' && allowed.value === '')) return [{ name: parsedFrom, kinds: ['redirect', 'url'] }];
        }
        if (left.type === 'identifier' && evaluate(right, ctx, nesting + 1).level === CONST) return [left.text];
        if (right.type === 'identifier' && (op === '==' || op === '!=') && evaluate(left, ctx, nesting + 1).level === CONST) return [right.text];
        return [];
      }
      case 'identifier':
        // `ok = is_safe_url(url)` … `if ok:`
        return whenTrue ? [...(ctx.result.checks.get(cond.text) ?? [])] : [];
      case 'call':
      case 'call_expression': {
        if (!whenTrue) return [];
        const fn = cond.childForFieldName('function');
        const args = (cond.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => a !== null);
        // ALLOWED.includes(x) / ALLOWED.has(x) with a constant collection
        if (fn?.type === 'member_expression') {
          const method = fn.childForFieldName('property')?.text;
          const object = fn.childForFieldName('object');
          const arg = args[0];
          if ((method === 'includes' || method === 'has') && object !== null && arg?.type === 'identifier' && evaluate(object, ctx, nesting + 1).level === CONST) return [arg.text];
          // /^[a-z]+$/.test(x): an anchored pattern that rejects everything else
          if (method === 'test' && object?.type === 'regex' && /^\^.*\$$/.test(object.childForFieldName('pattern')?.text ?? '') && arg?.type === 'identifier') return [arg.text];
        }
        const name = host.calleeName(cond) ?? '';
        // is_safe_url(x, ...), url_has_allowed_host_and_scheme(x, ...): a checked redirect target
        if (URL_CHECKS.test(name) && args[0]?.type === 'identifier') return [{ name: args[0].text, kinds: ['redirect', 'url'] }];
        if (URL_CHECKS.test(name) && args[0]?.type === 'keyword_argument') {
          const value = args.map((a) => a.childForFieldName('value')).find((v) => v?.type === 'identifier');
          if (value) return [{ name: value.text, kinds: ['redirect', 'url'] }];
        }
        // p.startswith(base) / p.startsWith(base) / p.is_relative_to(base): a path checked to stay under a base
        const method = fn?.childForFieldName(python ? 'attribute' : 'property')?.text ?? '';
        const subject = fn?.childForFieldName('object');
        if (/^(startswith|startsWith|is_relative_to)$/.test(method) && subject?.type === 'identifier' && args[0] !== undefined) {
          const base = evaluate(args[0], ctx, nesting + 1);
          // a fixed scheme and host also pins a URL; a bare "/" does not ("//evil.example" starts with it)
          if (base.level === CONST && typeof base.value === 'string' && /^[a-z][\w+.-]*:\/\/[^/]+\//i.test(base.value)) return [{ name: subject.text, kinds: ['path', 'redirect', 'url'] }];
          if (base.level < TAINTED) return [{ name: subject.text, kinds: ['path'] }];
        }
        const arg = args[1];
        if (/^re\.(fullmatch|match)$/.test(name) && arg?.type === 'identifier') {
          const pattern = host.stringValue(args[0]);
          if (pattern !== undefined && pattern.endsWith('$') && (name === 're.fullmatch' || pattern.startsWith('^') || name === 're.match')) return [arg.text];
        }
        if (/(^|\.)(isdigit|isnumeric|isalnum|isidentifier)$/.test(name) && fn?.type === 'attribute') {
          const object = fn.childForFieldName('object');
          if (object?.type === 'identifier') return [object.text];
        }
        return [];
      }
      default:
        return [];
    }
  }

  function withGuards(env: Env, guards: ReadonlyArray<Guard>): Env {
    if (guards.length === 0) return env;
    const out = copy(env);
    for (const g of guards) {
      if (typeof g === 'string') {
        const v = out.get(g);
        if (v === undefined || v.level >= UNKNOWN) out.set(g, V_SAFE);
        continue;
      }
      const v = out.get(g.name);
      if (v !== undefined && v.level >= UNKNOWN) out.set(g.name, cleaned(v, g.kinds));
    }
    return out;
  }

  function conditionConstant(cond: Node | null, ctx: Ctx, nesting: number): boolean | undefined {
    if (cond === null) return undefined;
    const v = evaluate(cond, ctx, nesting + 1);
    return v.level === CONST && v.value !== undefined ? truthy(v.value) : undefined;
  }

  /** Runs a branch body in its own copy of the environment. */
  function branch(body: Node | null, ctx: Ctx, env: Env, nesting: number): Env | undefined {
    if (body === null) return env;
    const saved = ctx.env;
    ctx.env = copy(env);
    try {
      if (body.type === 'block' || body.type === 'statement_block') return block(body, ctx, nesting);
      if (body.type === 'else_clause') return branch(body.childForFieldName('body') ?? body.namedChildren[0] ?? null, ctx, ctx.env, nesting);
      return statement(body, ctx, nesting) ? undefined : ctx.env;
    } finally {
      ctx.env = saved;
    }
  }

  function ifStatement(node: Node, ctx: Ctx, nesting: number): boolean {
    // Python: condition, consequence, then elif_clause* and else_clause; JS: condition, consequence, alternative
    const clauses: Array<{ cond: Node | null; body: Node | null }> = [{ cond: node.childForFieldName('condition'), body: node.childForFieldName('consequence') }];
    let elseBody: Node | null = null;
    if (python) {
      for (const alt of node.childrenForFieldName('alternative')) {
        if (alt === null) continue;
        if (alt.type === 'elif_clause') clauses.push({ cond: alt.childForFieldName('condition'), body: alt.childForFieldName('consequence') });
        else elseBody = alt.childForFieldName('body');
      }
    } else {
      const alt = node.childForFieldName('alternative');
      if (alt !== null) elseBody = alt.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
    }
    let env = ctx.env;
    const outs: Array<Env | undefined> = [];
    let reachedElse = true;
    for (const clause of clauses) {
      const constant = conditionConstant(clause.cond, { ...ctx, env }, nesting);
      if (constant === false) {
        markDead(clause.body);
        continue;
      }
      const trueEnv = withGuards(env, guardedNames(clause.cond, { ...ctx, env }, true, nesting));
      outs.push(branch(clause.body, ctx, trueEnv, nesting));
      if (constant === true) {
        reachedElse = false;
        // the rest never runs
        const idx = clauses.indexOf(clause);
        for (const later of clauses.slice(idx + 1)) markDead(later.body);
        markDead(elseBody);
        break;
      }
      env = withGuards(env, guardedNames(clause.cond, { ...ctx, env }, false, nesting));
    }
    if (reachedElse) outs.push(branch(elseBody, ctx, env, nesting));
    const after = joinEnvs(outs);
    if (after === undefined) return true;
    ctx.env = after;
    return false;
  }

  function loop(body: Node | null, ctx: Ctx, nesting: number, bind?: () => void, alternative?: Node | null): void {
    const before = ctx.env;
    const outerBreaks = ctx.breaks;
    const breaks: Env[] = [];
    ctx.breaks = breaks;
    // twice: the second round sees what the first assigned
    let env = copy(before);
    try {
      for (let round = 0; round < 2; round++) {
        ctx.env = env;
        bind?.();
        const out = branch(body, ctx, ctx.env, nesting);
        env = joinEnvs([before, out, ctx.env]) ?? copy(before);
      }
    } finally {
      ctx.breaks = outerBreaks;
    }
    if (breaks.length > 0) env = joinEnvs([env, ...breaks]) ?? env;
    ctx.env = env;
    if (alternative) {
      const out = branch(alternative, ctx, ctx.env, nesting);
      if (out !== undefined) ctx.env = joinEnvs([env, out]) ?? env;
    }
  }

  function assign(target: Node | null, value: Value, ctx: Ctx, at: Node, nesting: number): void {
    if (target === null || nesting > MAX_NESTING) return;
    switch (target.type) {
      case 'identifier':
      case 'shorthand_property_identifier_pattern': {
        ctx.env.set(target.text, withStep(value, at, `assigned to \`${target.text}\``));
        ctx.result.assigned.add(target.text);
        return;
      }
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'array_pattern':
      case 'object_pattern':
      case 'expression_list':
      case 'tuple':
      case 'list':
      case 'list_splat_pattern':
      case 'rest_pattern':
      case 'pair_pattern':
      case 'assignment_pattern':
      case 'parenthesized_expression':
        for (const c of bindingNames(target.type === 'expression_list' || target.type === 'tuple' || target.type === 'list' ? target : target)) {
          ctx.env.set(c.text, withStep(value, at, `assigned to \`${c.text}\``));
          ctx.result.assigned.add(c.text);
        }
        if (target.type === 'expression_list' || target.type === 'tuple' || target.type === 'list') {
          for (const c of target.namedChildren) if (c !== null && c.type !== 'identifier') assign(c, value, ctx, at, nesting + 1);
        }
        return;
      case 'subscript':
      case 'attribute':
      case 'member_expression':
      case 'subscript_expression': {
        // x[k] = v / x.k = v: the container now holds v too
        const object = target.childForFieldName(target.type === 'subscript' ? 'value' : 'object');
        // this.k = v: later reads of this.k in the same function get v
        if (object?.type === 'this' && target.type === 'member_expression') {
          const prop = target.childForFieldName('property')?.text;
          if (prop !== undefined) ctx.env.set(`this.${prop}`, withStep(value, at, `stored in \`this.${prop}\``));
          return;
        }
        if (object?.type === 'identifier') {
          const prior = ctx.env.get(object.text) ?? lookup(object, ctx);
          let key: string | undefined;
          if (target.type === 'member_expression') key = target.childForFieldName('property')?.text;
          else if (target.type === 'subscript' || target.type === 'subscript_expression') {
            const index = target.childrenForFieldName(python ? 'subscript' : 'index').filter((c): c is Node => c !== null);
            key = fieldKey(index.map((c) => evaluate(c, ctx, nesting + 1)));
          }
          if (key !== undefined && prior.fields !== undefined) {
            // d['k'] = v on a dict whose entries are known: that entry now holds v, the others keep theirs
            const fields = new Map(prior.fields);
            fields.set(key, withStep(value, at, `stored in \`${object.text}\``));
            ctx.env.set(object.text, container(fields));
            ctx.result.assigned.add(object.text);
            return;
          }
        }
        evaluate(target, ctx, nesting + 1);
        if (object?.type === 'identifier' && value.level >= UNKNOWN) {
          const prior = ctx.env.get(object.text) ?? lookup(object, ctx);
          ctx.env.set(object.text, join([prior, withStep(value, at, `stored in \`${object.text}\``)]));
        }
        return;
      }
      default:
        return;
    }
  }

  function terminates(node: Node): boolean {
    if (!python) return false;
    // abort(403), sys.exit(), os._exit(): calls that do not return
    const expr = node.namedChildren[0];
    if (expr?.type !== 'call') return false;
    const name = host.calleeName(expr) ?? '';
    return /^(flask\.)?abort$|^sys\.exit$|^os\._exit$|^exit$|^quit$/.test(name);
  }

  /** Runs one statement; returns true when it always leaves the block (return, raise, throw, break, continue). */
  function statement(node: Node, ctx: Ctx, nesting: number): boolean {
    if (nesting > MAX_NESTING || evaluations > MAX_EVALUATIONS) return false;
    switch (node.type) {
      case 'expression_statement': {
        for (const c of node.namedChildren) if (c !== null) evaluate(c, ctx, nesting + 1);
        return terminates(node);
      }
      case 'lexical_declaration':
      case 'variable_declaration': {
        for (const d of node.namedChildren) {
          if (d?.type !== 'variable_declarator') continue;
          const value = d.childForFieldName('value');
          const v = value === null ? { level: CONST, value: null } as Value : evaluate(value, ctx, nesting + 1);
          assign(d.childForFieldName('name'), v, ctx, d, nesting + 1);
        }
        return false;
      }
      case 'return_statement':
      case 'throw_statement':
      case 'raise_statement':
        for (const c of node.namedChildren) {
          if (c === null) continue;
          const v = evaluate(c, ctx, nesting + 1);
          if (node.type === 'return_statement') ctx.returns?.push(v);
        }
        return true;
      case 'break_statement':
        // what was assigned before the break reaches the code after the loop
        ctx.breaks?.push(copy(ctx.env));
        return true;
      case 'continue_statement':
        return true;
      case 'if_statement':
        return ifStatement(node, ctx, nesting + 1);
      case 'for_statement':
      case 'for_in_statement': {
        if (python || node.type === 'for_in_statement') {
          const left = node.childForFieldName('left');
          const right = node.childForFieldName('right');
          const rv = right === null ? V_UNKNOWN : evaluate(right, ctx, nesting + 1);
          // `for k in obj` (JS for-in) iterates keys: harmless only if the object is constant
          loop(node.childForFieldName('body'), ctx, nesting + 1, () => {
            if (left === null) return;
            if (left.type === 'lexical_declaration' || left.type === 'variable_declaration') {
              for (const d of left.namedChildren) if (d?.type === 'variable_declarator') assign(d.childForFieldName('name'), rv, ctx, left, nesting + 1);
            } else assign(left, rv, ctx, left, nesting + 1);
          }, python ? node.childForFieldName('alternative') : null);
        } else {
          const init = node.childForFieldName('initializer');
          if (init !== null) statement(init, ctx, nesting + 1);
          loop(node.childForFieldName('body'), ctx, nesting + 1, () => {
            const cond = node.childForFieldName('condition');
            if (cond !== null) evaluate(cond, ctx, nesting + 1);
            const inc = node.childForFieldName('increment');
            if (inc !== null) evaluate(inc, ctx, nesting + 1);
          });
        }
        return false;
      }
      case 'while_statement':
      case 'do_statement': {
        const cond = node.childForFieldName('condition');
        if (node.type === 'while_statement' && conditionConstant(cond, ctx, nesting) === false) {
          markDead(node.childForFieldName('body'));
          return false;
        }
        loop(node.childForFieldName('body'), ctx, nesting + 1, () => {
          if (cond !== null) evaluate(cond, ctx, nesting + 1);
        }, python ? node.childForFieldName('alternative') : null);
        return false;
      }
      case 'try_statement': {
        const before = copy(ctx.env);
        const body = node.childForFieldName('body');
        const afterBody = branch(body, ctx, ctx.env, nesting + 1);
        // a handler may run after any prefix of the body: start it from the join of before and after
        const handlerStart = joinEnvs([before, afterBody]) ?? before;
        const outs: Array<Env | undefined> = [afterBody];
        let finalizer: Node | null = null;
        for (const c of node.namedChildren) {
          if (c === null) continue;
          if (c.type === 'except_clause' || c.type === 'except_group_clause' || c.type === 'catch_clause') {
            const handlerBody = c.childForFieldName('body') ?? c.namedChildren.find((k) => k?.type === 'block') ?? null;
            outs.push(branch(handlerBody, ctx, handlerStart, nesting + 1));
          } else if (c.type === 'else_clause') {
            outs[0] = afterBody === undefined ? undefined : branch(c.childForFieldName('body'), ctx, afterBody, nesting + 1);
          } else if (c.type === 'finally_clause') finalizer = c.childForFieldName('body') ?? c.namedChildren.find((k) => k?.type === 'block' || k?.type === 'statement_block') ?? null;
        }
        const handler = node.childForFieldName('handler');
        if (handler !== null && !outs.some((_, i) => i > 0)) outs.push(branch(handler.childForFieldName('body'), ctx, handlerStart, nesting + 1));
        const fin = node.childForFieldName('finalizer');
        if (fin !== null) finalizer = fin.childForFieldName('body') ?? fin;
        const after = joinEnvs(outs);
        if (finalizer !== null) {
          const finEnv = branch(finalizer, ctx, after ?? handlerStart, nesting + 1);
          if (finEnv === undefined) return true;
          if (after !== undefined) ctx.env = finEnv;
        }
        if (after === undefined) return true;
        ctx.env = after;
        return false;
      }
      case 'with_statement': {
        for (const item of node.descendantsOfType('with_item')) {
          if (item === null) continue;
          const value = item.childForFieldName('value');
          if (value === null) continue;
          if (value.type === 'as_pattern') {
            const inner = value.namedChildren[0] ?? null;
            const v = inner === null ? V_UNKNOWN : evaluate(inner, ctx, nesting + 1);
            const alias = value.childForFieldName('alias');
            assign(alias?.namedChildren[0] ?? alias, v, ctx, value, nesting + 1);
          } else evaluate(value, ctx, nesting + 1);
        }
        const out = branch(node.childForFieldName('body'), ctx, ctx.env, nesting + 1);
        if (out === undefined) return true;
        ctx.env = out;
        return false;
      }
      case 'switch_statement': {
        const value = node.childForFieldName('value');
        if (value !== null) evaluate(value, ctx, nesting + 1);
        const outs: Array<Env | undefined> = [ctx.env];
        // a `break` in a case leaves the switch, not an enclosing loop
        const outerBreaks = ctx.breaks;
        const breaks: Env[] = [];
        ctx.breaks = breaks;
        try {
          for (const c of node.childForFieldName('body')?.namedChildren ?? []) {
            if (c === null) continue;
            const saved = ctx.env;
            ctx.env = copy(saved);
            let ended = false;
            for (const s of c.childrenForFieldName('body')) {
              if (s !== null && statement(s, ctx, nesting + 1)) {
                ended = true;
                break;
              }
            }
            outs.push(ended ? undefined : ctx.env);
            ctx.env = saved;
          }
        } finally {
          ctx.breaks = outerBreaks;
        }
        ctx.env = joinEnvs([...outs, ...breaks]) ?? ctx.env;
        return false;
      }
      case 'match_statement': {
        const subject = node.childForFieldName('subject');
        const sv = subject === null ? V_UNKNOWN : evaluate(subject, ctx, nesting + 1);
        const clauses = (node.childForFieldName('body')?.namedChildren ?? []).filter((c): c is Node => c?.type === 'case_clause');
        // a subject that folds to a constant takes the first case whose literal patterns match it (or `_`)
        const taken = sv.level === CONST && sv.value !== undefined ? clauses.findIndex((c) => caseMatches(c, sv.value ?? null) === true) : -1;
        const decided = taken >= 0 && clauses.slice(0, taken).every((c) => caseMatches(c, sv.value ?? null) === false);
        const outs: Array<Env | undefined> = decided ? [] : [ctx.env];
        clauses.forEach((c, i) => {
          if (decided && i !== taken) markDead(c.childForFieldName('consequence'));
          else outs.push(branch(c.childForFieldName('consequence'), ctx, ctx.env, nesting + 1));
        });
        const after = joinEnvs(outs);
        if (after === undefined) return true;
        ctx.env = after;
        return false;
      }
      case 'block':
      case 'statement_block': {
        const out = branch(node, ctx, ctx.env, nesting + 1);
        if (out === undefined) return true;
        ctx.env = out;
        return false;
      }
      case 'labeled_statement':
      case 'export_statement': {
        const inner = node.childForFieldName('body') ?? node.childForFieldName('declaration');
        if (inner !== null) return statement(inner, ctx, nesting + 1);
        for (const c of node.namedChildren) if (c !== null && c.type !== 'statement_identifier') evaluate(c, ctx, nesting + 1);
        return false;
      }
      case 'decorated_definition': {
        const def = node.childForFieldName('definition');
        for (const c of node.namedChildren) if (c?.type === 'decorator') evaluate(c, ctx, nesting + 1);
        if (def !== null) statement(def, ctx, nesting + 1);
        return false;
      }
      case 'function_definition':
      case 'class_definition':
      case 'function_declaration':
      case 'generator_function_declaration':
      case 'class_declaration':
      case 'abstract_class_declaration': {
        const name = node.childForFieldName('name');
        if (name !== null) {
          ctx.env.set(name.text, V_UNKNOWN);
          ctx.result.assigned.add(name.text);
        }
        // default values and decorators run here; the bodies are scopes of their own
        const params = node.childForFieldName('parameters');
        if (params !== null) for (const d of params.descendantsOfType(['default_parameter', 'typed_default_parameter'])) {
          const v = d?.childForFieldName('value');
          if (v) evaluate(v, ctx, nesting + 1);
        }
        return false;
      }
      case 'global_statement':
      case 'nonlocal_statement':
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement':
      case 'pass_statement':
      case 'comment':
      case 'empty_statement':
        return false;
      default:
        for (const c of node.namedChildren) if (c !== null) evaluate(c, ctx, nesting + 1);
        return false;
    }
  }

  function lookup(node: Node, ctx: Ctx): Value {
    const v = ctx.env.get(node.text);
    if (v !== undefined) return v;
    if (ctx.result.assigned.has(node.text) && ctx.scope.id !== host.root.id) return V_UNKNOWN;
    return outerValue(ctx.scope, node.text, node);
  }

  function record(node: Node, v: Value, ctx: Ctx): Value {
    ctx.result.values.set(node.id, v);
    return v;
  }

  /** The value of an expression in the current environment (recorded for later questions). */
  function evaluate(node: Node, ctx: Ctx, nesting: number): Value {
    evaluations++;
    if (nesting > MAX_NESTING || evaluations > MAX_EVALUATIONS) return V_UNKNOWN;
    return record(node, evaluateInner(node, ctx, nesting + 1), ctx);
  }

  function children(node: Node, ctx: Ctx, nesting: number): Value[] {
    const out: Value[] = [];
    for (const c of node.namedChildren) if (c !== null && c.type !== 'comment') out.push(evaluate(c, ctx, nesting));
    return out;
  }

  function evaluateInner(node: Node, ctx: Ctx, nesting: number): Value {
    switch (node.type) {
      case 'integer':
      case 'float':
        return { level: CONST, value: pyNumber(node.text) ?? null };
      case 'number': {
        const n = Number(node.text.replace(/_/g, ''));
        return { level: CONST, value: Number.isFinite(n) ? n : null };
      }
      case 'true':
        return { level: CONST, value: true };
      case 'false':
        return { level: CONST, value: false };
      case 'none':
      case 'null':
      case 'undefined':
        return { level: CONST, value: null };
      case 'regex':
      case 'ellipsis':
        return V_CONST;
      case 'string':
      case 'template_string': {
        const parts: Value[] = [];
        for (const c of node.namedChildren) {
          if (c === null) continue;
          if (c.type === 'interpolation' || c.type === 'template_substitution') {
            const inner = c.namedChildren.find((k) => k !== null && k.type !== 'format_specifier' && k.type !== 'type_conversion');
            if (inner) parts.push(evaluate(inner, ctx, nesting));
          }
        }
        if (parts.length === 0) {
          const s = host.stringValue(node);
          return s === undefined ? V_CONST : { level: CONST, value: s, origin: node };
        }
        const joined = join(parts);
        if (joined.level <= SAFE) return joined.level === CONST ? V_CONST : V_SAFE;
        // data after a fixed start (`https://host/…${x}`, `/path/${x}`, or a first part not from a source) cannot choose where a URL goes
        const first = node.namedChildren.find((c) => c !== null && c.type !== 'string_start');
        const fixed =
          first !== undefined && first !== null && (first.type === 'string_content' || first.type === 'string_fragment')
            ? FIXED_DESTINATION.test(first.text)
            : (parts[0]?.level ?? TAINTED) < TAINTED;
        const built = withStep(joined, node, 'built into a string');
        // data without a `..` step after a fixed first part (f'{BASE}/{name}') stays under that directory
        const underBase = joined.clean?.has('dotdot') === true && (parts[0]?.level ?? TAINTED) < TAINTED;
        return fixed ? cleaned(built, underBase ? ['url', 'redirect', 'path'] : ['url', 'redirect']) : underBase ? cleaned(built, ['path']) : built;
      }
      case 'concatenated_string': {
        const parts = children(node, ctx, nesting);
        const s = host.stringValue(node);
        const j = join(parts);
        return j.level === CONST && s !== undefined ? { level: CONST, value: s } : j;
      }
      case 'identifier':
      case 'shorthand_property_identifier':
        return lookup(node, ctx);
      case 'this':
      case 'super':
        return V_UNKNOWN;
      case 'parenthesized_expression':
      case 'await':
      case 'await_expression':
      case 'non_null_expression':
      case 'as_expression':
      case 'satisfies_expression':
      case 'type_assertion':
      case 'spread_element':
      case 'list_splat':
      case 'dictionary_splat':
      case 'expression_statement': {
        const inner = node.namedChildren.find((c) => c !== null && c.type !== 'comment' && c.type !== 'type_annotation' && !c.type.endsWith('type'));
        return inner ? evaluate(inner, ctx, nesting) : V_UNKNOWN;
      }
      case 'sequence_expression':
      case 'expression_list': {
        const parts = children(node, ctx, nesting);
        return node.type === 'sequence_expression' ? (parts[parts.length - 1] ?? V_UNKNOWN) : join(parts);
      }
      case 'assignment':
      case 'assignment_expression': {
        const right = node.childForFieldName('right');
        const v = right === null ? V_UNKNOWN : evaluate(right, ctx, nesting);
        const left = node.childForFieldName('left');
        if (left?.type === 'identifier') {
          const proved = right !== null && (right.type === 'call' || right.type === 'call_expression') ? guardedNames(right, ctx, true, nesting).filter((g) => typeof g !== 'string') : [];
          if (proved.length > 0) ctx.result.checks.set(left.text, proved);
          else ctx.result.checks.delete(left.text);
          const parsedArg = right?.type === 'call' || right?.type === 'call_expression' ? right.childForFieldName('arguments')?.namedChildren[0] : undefined;
          if (parsedArg?.type === 'identifier' && URL_PARSERS.test(host.calleeName(right) ?? '')) (ctx.result.parsed ??= new Map()).set(left.text, parsedArg.text);
          else ctx.result.parsed?.delete(left.text);
        }
        assign(left, v, ctx, node, nesting);
        return v;
      }
      case 'augmented_assignment':
      case 'augmented_assignment_expression': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const lv = left === null ? V_UNKNOWN : evaluate(left, ctx, nesting);
        const rv = right === null ? V_UNKNOWN : evaluate(right, ctx, nesting);
        const op = node.childForFieldName('operator')?.text ?? '';
        const v = fold(op.replace(/=$/, ''), lv, rv) ?? join([lv, rv]);
        if (left?.type === 'identifier') {
          ctx.env.set(left.text, withStep(v, node, `appended to \`${left.text}\``));
          ctx.result.assigned.add(left.text);
        } else assign(left, v, ctx, node, nesting);
        return v;
      }
      case 'named_expression': {
        const value = node.childForFieldName('value');
        const v = value === null ? V_UNKNOWN : evaluate(value, ctx, nesting);
        assign(node.childForFieldName('name'), v, ctx, node, nesting);
        return v;
      }
      case 'attribute':
      case 'member_expression': {
        const q = host.qualifiedName(node);
        if (q !== undefined) {
          const s = sourceValue(node, q);
          if (s !== undefined) return s;
        }
        const object = node.childForFieldName('object');
        if (object === null) return V_UNKNOWN;
        const prop = node.childForFieldName(python ? 'attribute' : 'property')?.text ?? '';
        if (object.type === 'this') {
          const own = ctx.env.get(`this.${prop}`);
          if (own !== undefined) return own;
        }
        const ov = evaluate(object, ctx, nesting);
        if (prop === 'length' && !python) return ov.level === CONST ? V_CONST : V_SAFE;
        if (!python && ov.fields !== undefined) {
          const known = ov.fields.get(prop);
          if (known !== undefined) return known;
        }
        // the runtime's own facts (process.execPath, sys.executable, __dirname-like paths) are not data
        if (q !== undefined && RUNTIME_FACTS.test(q)) return V_SAFE;
        // a member of an imported module (subprocess.PIPE, config.TABLE) is the program's own
        if (ov.level === SAFE && object.type === 'identifier' && host.isImported(object.text)) return V_SAFE;
        // an attribute of a constant is not known to us (a module's constant, an enum member): unknown but not data
        return ov.level >= TAINTED ? ov : ov.level === CONST && object.type !== 'identifier' ? V_CONST : V_UNKNOWN;
      }
      case 'subscript':
      case 'subscript_expression': {
        const q = host.qualifiedName(node);
        if (q !== undefined) {
          const s = sourceValue(node, q);
          if (s !== undefined) return s;
        }
        const object = node.childForFieldName(python ? 'value' : 'object');
        const ov = object === null ? V_UNKNOWN : evaluate(object, ctx, nesting);
        const index = node.childrenForFieldName(python ? 'subscript' : 'index').filter((c): c is Node => c !== null);
        const iv = index.map((c) => evaluate(c, ctx, nesting));
        const entry = entryOf(ov, iv);
        if (entry !== undefined) return entry;
        if (ov.level === CONST && typeof ov.value === 'string' && index.length === 1) {
          // 'literal'[1], 'literal'[13:]: a constant
          const one = iv[0];
          if (one?.level === CONST && typeof one.value === 'number') return { level: CONST, value: ov.value.at(one.value) ?? null };
          if (index[0]?.type === 'slice') return V_CONST;
        }
        return ov.level === CONST ? V_CONST : ov;
      }
      case 'call':
      case 'call_expression':
      case 'new_expression':
        return call(node, ctx, nesting);
      case 'binary_operator':
      case 'binary_expression':
      case 'boolean_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const op = node.childForFieldName('operator')?.text ?? '';
        const lv = left === null ? V_UNKNOWN : evaluate(left, ctx, nesting);
        if ((op === 'and' || op === '&&') && lv.level === CONST && lv.value !== undefined && !truthy(lv.value)) return lv;
        if ((op === 'or' || op === '||') && lv.level === CONST && lv.value !== undefined && truthy(lv.value)) return lv;
        const rv = right === null ? V_UNKNOWN : evaluate(right, ctx, nesting);
        const folded = fold(op, lv, rv);
        if (folded !== undefined) return folded;
        if ((op === '+' || op === '%') && rv.level === TAINTED) {
          // `"https://host/" + x`, `base + x`, `"https://host/%s" % x`: the destination is fixed before the data
          const fixed =
            lv.level === CONST ? typeof lv.value === 'string' && FIXED_DESTINATION.test(lv.value) : op === '+' && lv.level < TAINTED;
          const underBase = rv.clean?.has('dotdot') === true && lv.level < TAINTED && op === '+';
          if (fixed) return cleaned(withStep(join([lv, rv]), node, 'built into a string'), underBase ? ['url', 'redirect', 'path'] : ['url', 'redirect']);
          if (underBase) return cleaned(withStep(join([lv, rv]), node, 'built into a string'), ['path']);
        }
        if (['==', '!=', '===', '!==', '<', '>', '<=', '>=', 'instanceof', 'in', '-', '*', '/', '**', '//', '&', '|', '^', '<<', '>>', '>>>'].includes(op) && !(op === '%' || op === '+')) {
          // comparisons and arithmetic give numbers and booleans (a string * n is still that string)
          if (op === '*' && (lv.level >= UNKNOWN || rv.level >= UNKNOWN) && python) return join([lv, rv]);
          return lv.level === CONST && rv.level === CONST ? V_CONST : V_SAFE;
        }
        return join([lv, rv]);
      }
      case 'comparison_operator': {
        const parts = children(node, ctx, nesting);
        const ops = node.children.filter((c) => c !== null && !c.isNamed).map((c) => c?.text ?? '');
        if (parts.length === 2 && ops.length === 1 && parts.every((p) => p.level === CONST && p.value !== undefined)) {
          const f = fold(ops[0] ?? '', parts[0] ?? V_UNKNOWN, parts[1] ?? V_UNKNOWN);
          if (f !== undefined) return f;
        }
        return parts.every((p) => p.level === CONST) ? V_CONST : V_SAFE;
      }
      case 'not_operator':
      case 'unary_operator':
      case 'unary_expression': {
        const arg = node.childForFieldName('argument') ?? node.namedChildren[0];
        const v = arg ? evaluate(arg, ctx, nesting) : V_UNKNOWN;
        const op = node.type === 'not_operator' ? 'not' : (node.childForFieldName('operator')?.text ?? node.children[0]?.text ?? '');
        if (v.level === CONST && v.value !== undefined) {
          if (op === 'not' || op === '!') return { level: CONST, value: !truthy(v.value) };
          if (op === '-' && typeof v.value === 'number') return { level: CONST, value: -v.value };
          if (op === '+' && typeof v.value === 'number') return v;
          if (op === 'typeof' || op === 'void') return V_CONST;
        }
        if (op === 'not' || op === '!' || op === '-' || op === '+' || op === '~' || op === 'typeof' || op === 'delete') return v.level === CONST ? V_CONST : V_SAFE;
        return v;
      }
      case 'conditional_expression':
      case 'ternary_expression': {
        let cond: Node | null | undefined;
        let yes: Node | null | undefined;
        let no: Node | null | undefined;
        if (python) [yes, cond, no] = [node.namedChildren[0], node.namedChildren[1], node.namedChildren[2]];
        else [cond, yes, no] = [node.childForFieldName('condition'), node.childForFieldName('consequence'), node.childForFieldName('alternative')];
        const c = cond ? evaluate(cond, ctx, nesting) : V_UNKNOWN;
        if (c.level === CONST && c.value !== undefined) {
          const taken = truthy(c.value) ? yes : no;
          markDead((truthy(c.value) ? no : yes) ?? null);
          return taken ? evaluate(taken, ctx, nesting) : V_UNKNOWN;
        }
        const guarded = guardedNames(cond ?? null, ctx, true, nesting);
        const saved = ctx.env;
        ctx.env = withGuards(saved, guarded);
        const yv = yes ? evaluate(yes, ctx, nesting) : V_UNKNOWN;
        ctx.env = withGuards(saved, guardedNames(cond ?? null, ctx, false, nesting));
        const nv = no ? evaluate(no, ctx, nesting) : V_UNKNOWN;
        ctx.env = saved;
        return join([yv, nv]);
      }
      case 'list':
      case 'tuple':
      case 'set':
      case 'array': {
        const parts = children(node, ctx, nesting);
        // element positions are known unless something is spread into the list
        const spread = node.namedChildren.some((c) => c !== null && /splat|spread/.test(c.type));
        return node.type === 'set' || spread ? join(parts) : container(undefined, parts);
      }
      case 'dictionary':
      case 'object': {
        const parts: Value[] = [];
        let fields: Map<string, Value> | undefined = new Map();
        for (const p of node.namedChildren) {
          if (p === null || p.type === 'comment') continue;
          if (p.type === 'pair') {
            const key = p.childForFieldName('key');
            let k: string | undefined;
            if (key !== null && (key.type === 'property_identifier' || (key.type === 'identifier' && !python))) k = key.text;
            else if (key !== null) k = fieldKey([evaluate(key, ctx, nesting)]);
            const value = p.childForFieldName('value');
            const v = value === null ? V_UNKNOWN : evaluate(value, ctx, nesting);
            parts.push(v);
            if (k === undefined) fields = undefined;
            else fields?.set(k, v);
          } else if (p.type === 'shorthand_property_identifier') {
            const v = evaluate(p, ctx, nesting);
            parts.push(v);
            fields?.set(p.text, v);
          } else if (p.type === 'method_definition') continue;
          else {
            parts.push(evaluate(p, ctx, nesting));
            fields = undefined;
          }
        }
        return fields !== undefined ? container(fields) : join(parts);
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension': {
        const saved = ctx.env;
        ctx.env = copy(saved);
        for (const clause of node.namedChildren) {
          if (clause?.type === 'for_in_clause') {
            const right = clause.childForFieldName('right');
            const rv = right === null ? V_UNKNOWN : evaluate(right, ctx, nesting);
            assign(clause.childForFieldName('left'), rv, ctx, clause, nesting);
          } else if (clause?.type === 'if_clause') {
            for (const c of clause.namedChildren) if (c !== null) evaluate(c, ctx, nesting);
          }
        }
        const body = node.childForFieldName('body');
        const v = body === null ? V_UNKNOWN : evaluate(body, ctx, nesting);
        ctx.env = saved;
        return v.level === CONST ? V_CONST : v;
      }
      case 'pair': {
        const value = node.childForFieldName('value');
        return value === null ? V_UNKNOWN : evaluate(value, ctx, nesting);
      }
      case 'keyword_argument': {
        const value = node.childForFieldName('value');
        return value === null ? V_UNKNOWN : evaluate(value, ctx, nesting);
      }
      case 'lambda':
      case 'arrow_function':
      case 'function_expression':
      case 'function':
      case 'generator_function':
      case 'class':
        return V_UNKNOWN;
      case 'jsx_element':
      case 'jsx_self_closing_element':
      case 'jsx_fragment':
        children(node, ctx, nesting);
        return V_SAFE;
      case 'decorator':
      case 'ERROR':
        // a part that does not parse could hold anything
        children(node, ctx, nesting);
        return V_UNKNOWN;
      default: {
        const parts = children(node, ctx, nesting);
        const j = join(parts);
        return j.level === CONST ? V_CONST : j.level === TAINTED ? j : V_UNKNOWN;
      }
    }
  }

  function fold(op: string, a: Value, b: Value): Value | undefined {
    if (a.level !== CONST || b.level !== CONST) return undefined;
    const x = a.value;
    const y = b.value;
    if (x === undefined || y === undefined) return V_CONST;
    const num = typeof x === 'number' && typeof y === 'number';
    const str = typeof x === 'string' && typeof y === 'string';
    let r: string | number | boolean | null | undefined;
    switch (op) {
      case '+':
        r = num ? x + y : str ? x + y : undefined;
        break;
      case '-':
        r = num ? x - y : undefined;
        break;
      case '*':
        r = num ? x * y : undefined;
        break;
      case '/':
        r = num && y !== 0 ? x / y : undefined;
        break;
      case '//':
        r = num && y !== 0 ? Math.floor(x / y) : undefined;
        break;
      case '%':
        r = num && y !== 0 ? ((x % y) + y) % y : undefined;
        break;
      case '**':
        r = num ? x ** y : undefined;
        break;
      case '<':
        r = num || str ? x < y : undefined;
        break;
      case '>':
        r = num || str ? x > y : undefined;
        break;
      case '<=':
        r = num || str ? x <= y : undefined;
        break;
      case '>=':
        r = num || str ? x >= y : undefined;
        break;
      case '==':
      case '===':
      case 'is':
        r = x === y;
        break;
      case '!=':
      case '!==':
      case 'is not':
        r = x !== y;
        break;
      case 'and':
      case '&&':
        r = truthy(x) ? y : x;
        break;
      case 'or':
      case '||':
      case '??':
        r = op === '??' ? (x === null ? y : x) : truthy(x) ? x : y;
        break;
      default:
        r = undefined;
    }
    return r === undefined || (typeof r === 'number' && !Number.isFinite(r)) ? V_CONST : { level: CONST, value: r };
  }

  function call(node: Node, ctx: Ctx, nesting: number): Value {
    const fn = node.childForFieldName(node.type === 'new_expression' ? 'constructor' : 'function');
    const argsNode = node.childForFieldName('arguments');
    const args: Value[] = [];
    const argNodes: Node[] = [];
    if (argsNode !== null) {
      if (argsNode.type === 'template_string' || argsNode.type === 'generator_expression') args.push(evaluate(argsNode, ctx, nesting));
      else {
        for (const a of argsNode.namedChildren) {
          if (a === null || a.type === 'comment') continue;
          argNodes.push(a);
          args.push(evaluate(a, ctx, nesting));
        }
      }
    }
    const name = host.calleeName(node) ?? '';
    if (name !== '') {
      const s = sourceValue(node, `${name}()`);
      if (s !== undefined) return s;
      // file and socket contents feed code, commands, queries and loaders; they are not a reflected-markup source
      if (python ? PY_FILE_READS.test(`${name}()`) : JS_FILE_READS.test(`${name}()`)) {
        return { level: TAINTED, clean: FILE_CLEAN, steps: [{ node, message: `data read from a file or socket: ${name}` }] };
      }
      // `text.encode('utf-8')` / `buf.decode()` on a value are byte conversions, not the escapers of that name
      const onValue = (): boolean => {
        const object = fn !== null && fn.type === 'attribute' ? fn.childForFieldName('object') : null;
        return object !== null && !(object.type === 'identifier' && host.isImported(object.text)) && host.qualifiedName(object) === object.text;
      };
      const named = sanitiserOf(name);
      const kinds = named !== undefined && python && /\.(encode|decode)$/.test(name) && onValue() ? undefined : named;
      if (kinds !== undefined) {
        const j = join(args.length > 0 ? args : [V_UNKNOWN]);
        return kinds === 'all' ? (j.level === CONST ? V_CONST : V_SAFE) : cleaned(withStep(j, node, `passed through ${name}`), kinds);
      }
    }
    // a function of this file: its summary says whether an argument reaches what it returns
    if (fn !== null && (fn.type === 'identifier' || (python && fn.type === 'attribute' && fn.childForFieldName('object')?.text === 'self'))) {
      const local = localFunction(fn.type === 'identifier' ? fn.text : (fn.childForFieldName('attribute')?.text ?? ''));
      if (local !== undefined && (fn.type !== 'identifier' || ctx.env.get(fn.text) === undefined || ctx.env.get(fn.text) === V_UNKNOWN)) {
        const tainted = args.filter((a) => a.level === TAINTED);
        // only a call given data needs the summary (what it returns otherwise is judged as before: unknown)
        const summary = tainted.length > 0 ? summaryOf(local) : V_UNKNOWN;
        // a constant or harmless return does not depend on the arguments at all
        if (summary.level <= SAFE) return summary;
        if (summary.level === TAINTED) {
          const through = join(tainted);
          const clean = summary.clean === undefined ? through.clean : new Set([...summary.clean, ...(through.clean ?? [])]);
          return withStep({ ...through, clean }, node, `through ${fn.text}()`);
        }
      }
    }
    // the receiver of a method call (`x.format(...)`, `sep.join(parts)`)
    let receiver: Value | undefined;
    let method = '';
    let receiverNode: Node | null = null;
    if (fn !== null && (fn.type === 'attribute' || fn.type === 'member_expression')) {
      receiverNode = fn.childForFieldName('object');
      method = fn.childForFieldName(python ? 'attribute' : 'property')?.text ?? '';
      receiver = receiverNode === null ? V_UNKNOWN : evaluate(receiverNode, ctx, nesting);
    } else if (fn !== null && fn.type !== 'identifier') evaluate(fn, ctx, nesting);
    // `requests.get(url)`, `path.join(a, b)`: a function of an imported module, not a method of a value
    if (receiverNode?.type === 'identifier' && host.isImported(receiverNode.text)) receiver = undefined;
    // a container whose entries are known: keyed reads and writes, list appends and pops
    if (receiverNode?.type === 'identifier' && receiver !== undefined && (receiver.fields !== undefined || receiver.items !== undefined)) {
      const known = knownContainerCall(receiverNode.text, receiver, method, args, node, ctx);
      if (known !== undefined) return known;
    }
    // container writes taint the container
    if (receiverNode?.type === 'identifier' && CONTAINER_WRITES.has(method)) {
      const incoming = join(args);
      if (incoming.level >= UNKNOWN) {
        ctx.env.set(receiverNode.text, join([receiver ?? V_UNKNOWN, withStep(incoming, node, `added to \`${receiverNode.text}\``)]));
        ctx.result.assigned.add(receiverNode.text);
      }
    }
    // a fresh, empty keyed container
    if (args.length === 0 && /^(configparser\.(Raw|Safe)?ConfigParser|(Raw|Safe)?ConfigParser|dict|Map|collections\.OrderedDict|OrderedDict)$/.test(name)) return container(new Map());
    if (args.length === 0 && /^(list|Array)$/.test(name)) return container(undefined, []);
    // an encoding (base64, hex) holds none of the characters a sink cares about, but it still carries the data:
    // decoding it (or unquoting a quoted value) brings back what any earlier quoting took care of
    if (ENCODERS.test(name)) {
      const j = join(args.length > 0 ? args : [V_CONST]);
      return j.level === TAINTED ? cleaned(withStep(j, node, `encoded by ${name}()`), ALL_KINDS) : j;
    }
    if (DECODERS.test(name)) {
      const j = join(args.length > 0 ? args : [V_CONST]);
      if (j.level === TAINTED) {
        const { clean: _undone, ...rest } = withStep(j, node, `decoded by ${name}()`);
        return rest;
      }
    }
    // str(x), String(x), a plain function: carries the taint of its arguments
    if (/^(str|String|repr|format|bytes|bytearray|list|tuple|dict|set|sorted|reversed|f?string|unicode|path\.join|path\.resolve|os\.path\.join|os\.path\.abspath|os\.path\.normpath|os\.path\.realpath|posixpath\.join|urllib\.parse\.urljoin|Buffer\.from|decodeURIComponent|decodeURI|unescape|atob|Object\.assign|Object\.values|vm\.createContext|Array\.from|base64\.\w*decode|binascii\.\w+|urllib\.parse\.(unquote|unquote_plus|urlparse|urlsplit)|codecs\.decode|textwrap\.dedent|pathlib\.Path|pathlib\.PurePath|os\.fsencode|os\.fsdecode|path\.normalize|url\.parse|URL|util\.format|sprintf|vsprintf|printf)$|(^|\.)(asKey|createSecretKey|createPrivateKey)$/.test(name)) {
      const j = join(args.length > 0 ? args : [V_CONST]);
      return j.level === TAINTED ? withStep(j, node, `through ${name}()`) : j;
    }
    // x.replace(/\.\./g, '') / re.sub(r'\.\.', '', x): removing dot-dot segments is a path sanitiser
    if ((method === 'replace' || method === 'replaceAll' || name === 're.sub') && /\\\.\\\.|\.\./.test(argNodes[0]?.text ?? '')) {
      const input = name === 're.sub' ? (args[2] ?? V_UNKNOWN) : (receiver ?? V_UNKNOWN);
      return cleaned(input, ['path']);
    }
    if (receiver !== undefined) {
      // string and collection methods carry what goes in; any other method carries only its receiver's taint
      // (a lookup keyed by request data returns stored data, not the request's)
      const passes = python ? STRING_METHODS_PY.has(method) : JS_PASS_METHODS.has(method);
      const all = passes ? join([receiver, ...args]) : receiver;
      if (method === 'format' && all.level === TAINTED && typeof receiver.value === 'string' && FIXED_DESTINATION.test(receiver.value)) {
        return cleaned(withStep(all, node, 'through .format()'), ['url', 'redirect']);
      }
      if (all.level === CONST && passes && receiver.level === CONST) return V_CONST;
      if (all.level === TAINTED) return withStep(all, node, `through .${method}()`);
      return all.level === CONST ? V_UNKNOWN : join([V_UNKNOWN, all]);
    }
    return V_UNKNOWN;
  }

  /** The entry `index` reads from a container whose entries are known, or undefined. */
  function entryOf(container: Value, index: ReadonlyArray<Value>): Value | undefined {
    if (container.fields !== undefined) {
      const key = fieldKey(index);
      return key === undefined ? undefined : container.fields.get(key);
    }
    if (container.items !== undefined && index.length === 1) {
      const i = index[0];
      if (i?.level === CONST && typeof i.value === 'number' && Number.isInteger(i.value)) return container.items.at(i.value);
    }
    return undefined;
  }

  /** A method call on a local container whose entries are known; undefined when the method is not modelled. */
  function knownContainerCall(name: string, receiver: Value, method: string, args: ReadonlyArray<Value>, node: Node, ctx: Ctx): Value | undefined {
    const update = (next: Value): void => {
      ctx.env.set(name, next);
      ctx.result.assigned.add(name);
    };
    if (receiver.fields !== undefined) {
      if (method === 'get' || method === 'getint' || method === 'getboolean' || method === 'getfloat') {
        const whole = fieldKey(args);
        if (whole !== undefined && receiver.fields.has(whole)) return method === 'get' ? receiver.fields.get(whole) : V_SAFE;
        const first = fieldKey(args.slice(0, 1));
        // dict.get('k', default)
        if (first !== undefined && receiver.fields.has(first) && args.length <= 2) return join([receiver.fields.get(first) ?? V_UNKNOWN, ...args.slice(1)]);
        return undefined;
      }
      if (method === 'set' && args.length >= 2) {
        const key = fieldKey(args.slice(0, -1));
        const value = args[args.length - 1] ?? V_UNKNOWN;
        if (key === undefined) return undefined;
        const fields = new Map(receiver.fields);
        fields.set(key, withStep(value, node, `stored in \`${name}\``));
        update(container(fields));
        return V_UNKNOWN;
      }
      if (/^(add_section|has_section|has_option|sections|options|clear)$/.test(method)) return method === 'clear' ? (update(container(new Map())), V_UNKNOWN) : V_SAFE;
      return undefined;
    }
    const items = receiver.items ?? [];
    if ((method === 'append' || method === 'push') && args.length === 1) {
      update(container(undefined, [...items, withStep(args[0] ?? V_UNKNOWN, node, `added to \`${name}\``)]));
      return python ? { level: CONST, value: null } : V_SAFE;
    }
    if (method === 'pop' || method === 'shift') {
      const at = method === 'shift' ? 0 : args.length === 0 ? items.length - 1 : args[0]?.level === CONST && typeof args[0].value === 'number' ? args[0].value : undefined;
      if (at === undefined || items.length === 0) return undefined;
      const index = at < 0 ? items.length + at : at;
      if (index < 0 || index >= items.length) return undefined;
      update(container(undefined, items.filter((_, i) => i !== index)));
      return items[index];
    }
    return undefined;
  }

  /** Whether a `case` of a match statement matches a constant: true, false, or undefined when its patterns are not plain literals. */
  function caseMatches(clause: Node, value: string | number | boolean | null): boolean | undefined {
    if (clause.childForFieldName('guard') !== null) return undefined;
    const patterns = clause.namedChildren.filter((c): c is Node => c?.type === 'case_pattern');
    if (patterns.length === 0) return undefined;
    let result = false;
    for (const p of patterns) {
      const text = p.text.trim();
      if (text === '_') return true;
      // literal alternatives: 'A' | 'B' | 3
      const alternatives = text.split('|').map((a) => a.trim());
      for (const a of alternatives) {
        const literal = /^(['"])(.*)\1$/.exec(a);
        if (literal !== null && !/\\/.test(a)) {
          if (value === literal[2]) result = true;
        } else if (/^-?\d+$/.test(a)) {
          if (value === Number(a)) result = true;
        } else if (a === 'None' || a === 'True' || a === 'False') {
          if (value === (a === 'None' ? null : a === 'True')) result = true;
        } else return undefined;
      }
    }
    return result;
  }

  function isDead(node: Node): boolean {
    const start = node.startIndex;
    for (const [s, e] of dead) if (s <= start && start < e) return true;
    return false;
  }

  function enclosingScope(node: Node): Node {
    let scope = host.scopeOf(node);
    // a lambda/arrow is a scope of its own only for its parameters; class bodies run where they stand
    while (scope.id !== host.root.id && !scopeTypes.has(scope.type)) scope = host.scopeOf(scope);
    return scope;
  }

  function valueOf(node: Node): Value {
    const scope = enclosingScope(node);
    const r = analyse(scope);
    const known = r.values.get(node.id);
    if (known !== undefined) return known;
    // not reached by the walk (dead code, a nested construct it does not model): evaluate it in the scope's final state
    const ctx: Ctx = { env: copy(r.final), result: { values: new Map(), final: r.final, assigned: r.assigned, checks: r.checks }, scope };
    return evaluate(node, ctx, 0);
  }

  return {
    valueOf,
    isDead: (node) => {
      // dead ranges are found by walking the scope the node is in (and the scopes around it)
      let scope = enclosingScope(node);
      for (;;) {
        analyse(scope);
        if (scope.id === host.root.id) break;
        scope = enclosingScope(scope);
      }
      return isDead(node);
    },
  };
}

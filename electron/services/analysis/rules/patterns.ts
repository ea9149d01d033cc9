/**
 * Name lists and small helpers the rule files share: which qualified names are sources of user input,
 * which calls sanitise, which names say a value is a credential.
 */
import type { Node } from 'web-tree-sitter';
import type { RuleMatch } from './rule';

/** The qualified callee of the match's `@finding` call. */
export function callee(m: RuleMatch): string | undefined {
  return m.code.calleeName(m.capture('finding'));
}

/** Python: where request data enters (Flask, Django, FastAPI/Starlette, aiohttp, stdin). */
export const PY_USER_INPUT: ReadonlyArray<RegExp> = [
  /^(flask\.)?request\.(args|form|values|files|json|data|cookies|headers|get_json|get_data|view_args|GET|POST|FILES|COOKIES|META|body|query_params|path_params|match_info|rel_url|query)\b/,
  /^self\.request\.(GET|POST|FILES|body|query_params|data)\b/,
  /^(builtins\.)?input\(\)$/,
];

/** Words a Python file must contain for {@link PY_USER_INPUT} to match anything in it. */
export const PY_USER_INPUT_WORDS: ReadonlyArray<RegExp> = [/\brequest\b/, /\binput\b/];

/** Python: calls that make a user-supplied name safe to use as a path component. */
export const PY_PATH_SANITIZERS: ReadonlyArray<RegExp> = [
  /(^|\.)secure_filename$/,
  /^os\.path\.basename$/,
  /^posixpath\.basename$/,
  /^(int|float|uuid\.UUID)$/,
  /(^|\.)safe_join$/,
];

/** JS/TS: where request data enters (Express, Koa, Fastify, Next, the browser URL). */
export const JS_USER_INPUT: ReadonlyArray<RegExp> = [
  /^(req|request)\.(query|params|body|headers|cookies|files?|url|originalUrl|path)\b/,
  /^ctx\.(query|params|request\.(body|query|files?)|req\.(url|query|body))\b/,
  /^(document\.)?location\.(search|hash|href|pathname)\b/,
  /^URLSearchParams\b/,
];

/** Words a JS/TS file must contain for {@link JS_USER_INPUT} to match anything in it. */
export const JS_USER_INPUT_WORDS: ReadonlyArray<RegExp> = [/\b(req|request|ctx|location|URLSearchParams)\b/];

/** JS/TS: calls that make a user-supplied name safe to use as a path component. */
export const JS_PATH_SANITIZERS: ReadonlyArray<RegExp> = [/^path\.(posix\.|win32\.)?basename$/, /(^|\.)sanitize[A-Za-z]*$/, /^(Number|parseInt|parseFloat)$/];

/** JS/TS: calls that make HTML safe to insert. */
export const JS_HTML_SANITIZERS: ReadonlyArray<RegExp> = [/(^|\.)(sanitize|sanitizeHtml|escape|escapeHtml|escapeHTML|encode|encodeHTML|purify)$/i, /^(he|entities)\.(encode|escape)$/];

/** Names that say a value is a credential or token: for randomness and weak hashes. */
export const SECURITY_PURPOSE = /(token|secret|passw|pwd|nonce|salt|otp|session|csrf|xsrf|api_?key|apikey|auth|credential|reset|verif|invite|magic|signing|cookie|pin_?code)/i;

/** True when the file mentions any of `words` (cheap gate before a data-flow question). */
export function mentionsAny(m: RuleMatch, words: ReadonlyArray<string | RegExp>): boolean {
  return words.some((w) => m.code.mentions(w));
}

/** True when any name around the match's `@finding` says it is for a credential or token. */
export function securityPurpose(m: RuleMatch): boolean {
  const node = m.capture('finding');
  return node !== undefined && m.code.purposeNames(node).some((n) => SECURITY_PURPOSE.test(n));
}

/** Words a string must contain to be taken for SQL. */
// Gaps are lazy and bounded: `[\s\S]*` here would backtrack quadratically on a crafted literal.
export const SQL_WORDS = /\b(select\s[\s\S]{0,400}?\bfrom|insert\s+into|update\s[\s\S]{0,400}?\bset|delete\s+from|create\s+(temp\s+|temporary\s+)?table|drop\s+table|alter\s+table|replace\s+into|truncate\s+table|where)\b/i;

/**
 * What a Python file must contain for data from a source (see taint.ts) to be in it: a cheap gate before
 * any data-flow question (request objects, input(), argv, the environment, stdin, sockets, route handlers).
 */
export const PY_SOURCE_WORDS: ReadonlyArray<RegExp> = [
  /\brequest\.|\b(raw_)?input\s*\(|\bargv\b|\benviron\b|\bgetenv\s*\(|\bstdin\b|\.recv\w*\s*\(|\bevent\s*[[.]|\bFieldStorage\b|\bparse_qsl?\b|\bget_(query_|body_)?argument|@\w+(\.\w+)*\.(route|get|post|put|patch|delete|api_route|websocket)\s*\(/,
];

/** The remote sources only (web requests, events, sockets): what path, HTML and URL sinks care about. */
export const PY_WEB_SOURCE_WORDS: ReadonlyArray<RegExp> = [
  /\brequest\.|\.recv\w*\s*\(|\bevent\s*[[.]|\bFieldStorage\b|\bparse_qsl?\b|\bget_(query_|body_)?argument|@\w+(\.\w+)*\.(route|get|post|put|patch|delete|api_route|websocket)\s*\(/,
];

/** What a JS/TS file must contain for data from a source (see taint.ts) to be in it. */
export const JS_SOURCE_WORDS: ReadonlyArray<RegExp> = [
  /\b(req|request|ctx)\.|\}\s*:\s*(\w+\.)?(Request|FastifyRequest|NextApiRequest|NextRequest|IncomingMessage)\b|\blocation\.|\bdocument\.(URL|documentURI|referrer|cookie)|\bprocess\.(argv|env|stdin)|\bURLSearchParams\b|\bevent\.(body|queryString|pathParameters|headers)|\b(message|msg|e|event|ev)\.data\b|\bwindow\.name\b|\bquestion\s*\(|\bexports\b|^\s*export\s/m,
];

const SCOPES = /^(function_declaration|function_expression|function|arrow_function|method_definition|generator_function_declaration|generator_function|function_definition|lambda|program|module)$/;

/**
 * Where a local name used at a sink last got its value before that use, in the same function (`input = $scope.html`
 * … `trustAsHtml(input)`): the finding's flow shows that line, since a reviewer has to read it to judge the value.
 */
export function traceAssignment(m: RuleMatch, node: Node | undefined): void {
  if (node?.type !== 'identifier') return;
  let scope: Node | null = node.parent;
  while (scope !== null && !SCOPES.test(scope.type)) scope = scope.parent;
  if (scope === null) return;
  let best: Node | undefined;
  for (const a of scope.descendantsOfType(['assignment_expression', 'variable_declarator', 'assignment'])) {
    if (a === null || a.endIndex > node.startIndex || (best !== undefined && a.startIndex < best.startIndex)) continue;
    const left = a.childForFieldName(a.type === 'variable_declarator' ? 'name' : 'left');
    if (left?.type === 'identifier' && left.text === node.text) best = a;
  }
  if (best !== undefined) m.traceFrom(best, `\`${node.text}\` gets its value here`);
}

/**
 * The object literal a name was declared with where it is used: the latest `const name = { … }` before the use in
 * the function around it or any function (or module) that encloses that one.
 */
export function objectDeclaredFor(name: Node): Node | undefined {
  let best: Node | undefined;
  for (const d of name.tree.rootNode.descendantsOfType('variable_declarator')) {
    if (d === null || d.startIndex > name.startIndex || d.childForFieldName('name')?.text !== name.text) continue;
    const value = d.childForFieldName('value');
    if (value?.type !== 'object') continue;
    // the declaration's own scope must enclose the use
    let scope: Node | null = d.parent;
    while (scope !== null && !SCOPES.test(scope.type) && scope.type !== 'statement_block') scope = scope.parent;
    if (scope !== null && (scope.startIndex > name.startIndex || scope.endIndex < name.endIndex)) continue;
    if (best === undefined || d.startIndex > best.startIndex) best = value;
  }
  return best;
}

/** The value node of property `key` in an object literal. */
export function objectProperty(object: Node | undefined, key: string): Node | undefined {
  for (const p of object?.namedChildren ?? []) {
    if (p?.type === 'shorthand_property_identifier' && p.text === key) return p;
    if (p?.type === 'pair' && p.childForFieldName('key')?.text.replace(/^['"]|['"]$/g, '') === key) return p.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/**
 * HTML injection: markup built from data inserted into the DOM or marked safe — CWE-79.
 */
import { JS_FAMILY } from '../types';
import { callee, JS_HTML_SANITIZERS, mentionsAny, PY_SOURCE_WORDS } from './patterns';
import { cwe, type RuleMatch, type Rule } from './rule';
import type { Node } from 'web-tree-sitter';

function unsafeHtml(m: RuleMatch, value: Node | undefined): boolean {
  if (value === undefined || m.code.isStatic(value)) return false;
  if (value.type === 'call_expression') {
    const name = m.code.calleeName(value) ?? '';
    if (JS_HTML_SANITIZERS.some((s) => s.test(name))) return false;
  }
  return true;
}

/** A literal HTML tag in a string's constant text. */
const HTML_TAG = /<\s*\/?\s*[a-zA-Z][\w:-]*(\s[^<>]*)?\/?>|<\s*[a-zA-Z][\w:-]*\s+[\w:-]+\s*=/;
/** Templates Flask renders with autoescaping on. */
const AUTOESCAPED_TEMPLATE = /\.(html|htm|xml|xhtml|svg)$/i;

/** True when the enclosing Python function is a web route (a decorator names a route or HTTP method). */
function inPythonRoute(node: Node): boolean {
  let current: Node | null = node.parent;
  while (current !== null && current.type !== 'function_definition') current = current.parent;
  const decorated = current?.parent;
  if (decorated?.type !== 'decorated_definition') return false;
  return decorated.namedChildren.some((d) => d?.type === 'decorator' && /\.(route|get|post|put|patch|delete)\s*\(|^@(api_view|require_http_methods)/.test(d.text));
}

/** Rules for markup built from data. */
export const domInjectionRules: ReadonlyArray<Rule> = [
  {
    id: 'js.dom-injection.inner-html',
    title: 'innerHTML/outerHTML set from data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    query: `(assignment_expression left: (member_expression property: (property_identifier) @p) right: (_) @value
        (#any-of? @p "innerHTML" "outerHTML" "srcdoc")) @finding
      (augmented_assignment_expression left: (member_expression property: (property_identifier) @p) right: (_) @value
        (#any-of? @p "innerHTML" "outerHTML")) @finding`,
    predicate: (m) => unsafeHtml(m, m.capture('value')),
    message: 'Assigning markup built from data to innerHTML parses it as HTML, so any <script>/<img onerror> in it runs.',
    remediation: 'Set textContent for text, build nodes with createElement, or sanitise with DOMPurify.sanitize() first.',
  },
  {
    id: 'js.dom-injection.html-sink',
    title: 'HTML written from data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    calls: ['*.insertAdjacentHTML', 'document.write', 'document.writeln', '*.createContextualFragment', '*.html'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      let value: Node | undefined;
      if (/(^|\.)insertAdjacentHTML$/.test(name)) value = m.code.argument(call, 1);
      else if (/^document\.(write|writeln)$/.test(name) || /(^|\.)createContextualFragment$/.test(name)) value = m.code.argument(call, 0);
      else if (/^(\$|jQuery)\(\)(\.[\w$]+\(\))*\.html$/.test(name)) value = m.code.argument(call, 0);
      else return false;
      return unsafeHtml(m, value);
    },
    message: 'This call parses its argument as HTML; markup built from data can carry script.',
    remediation: 'Insert text with textContent / insertAdjacentText, or sanitise the markup with DOMPurify.sanitize() first.',
  },
  {
    id: 'js.dom-injection.dangerously-set-inner-html',
    title: 'dangerouslySetInnerHTML from data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: ['javascript', 'tsx'],
    query: `(jsx_attribute (property_identifier) @p (jsx_expression (object (pair key: (property_identifier) @k value: (_) @value)))
        (#eq? @p "dangerouslySetInnerHTML") (#eq? @k "__html")) @finding`,
    predicate: (m) => unsafeHtml(m, m.capture('value')),
    message: 'dangerouslySetInnerHTML bypasses React’s escaping; markup built from data can carry script.',
    remediation: 'Render the data as children (React escapes it), or sanitise with DOMPurify.sanitize() first.',
  },
  {
    id: 'python.dom-injection.mark-safe',
    title: 'Data marked as safe HTML',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: ['python'],
    calls: [
      'django.utils.safestring.mark_safe',
      'django.utils.safestring.SafeString',
      'django.utils.html.mark_safe',
      'markupsafe.Markup',
      'flask.Markup',
      'jinja2.Markup',
    ],
    predicate: (m) => !m.code.isStatic(m.code.argument(m.capture('finding'), 0)),
    message: 'Marking a value built from data as safe turns off template escaping for it, so markup in the data is rendered.',
    remediation: 'Let the template escape the value; for HTML fragments use django.utils.html.format_html() or markupsafe.escape().',
  },
  {
    id: 'python.dom-injection.html-from-data',
    title: 'HTML built from request data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: ['python'],
    query: `(binary_operator operator: ["%" "+"]) @finding
      (call function: (attribute attribute: (identifier) @m) (#eq? @m "format")) @finding
      (string (interpolation)) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined || !mentionsAny(m, PY_SOURCE_WORDS)) return false;
      // the parent of a nested `+` reports once, for the whole string
      if (node.parent?.type === 'binary_operator' && node.type === 'binary_operator') return false;
      if (!m.code.isTainted(node, 'html')) return false;
      return HTML_TAG.test(m.code.literalText(node).slice(0, 16_384));
    },
    message: 'Markup is assembled from request data without escaping, so the data can add tags and script (cross-site scripting).',
    remediation: 'Render a template with autoescaping, or escape each value with markupsafe.escape()/html.escape() (Django: format_html()).',
  },
  {
    id: 'python.dom-injection.response-from-data',
    title: 'Response body taken from request data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: ['python'],
    calls: [
      'flask.make_response',
      'flask.Response',
      'werkzeug.Response',
      'werkzeug.wrappers.Response',
      ...['HttpResponse', 'HttpResponseBadRequest', 'HttpResponseNotFound', 'HttpResponseForbidden', 'HttpResponseServerError', 'HttpResponseNotAllowed'].flatMap((c) => [`django.http.${c}`, `django.http.response.${c}`]),
    ],
    query: `(return_statement (_) @value) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined || !mentionsAny(m, PY_SOURCE_WORDS)) return false;
      if (node.type === 'return_statement') {
        const value = m.capture('value');
        if (value === undefined || !inPythonRoute(node)) return false;
        // a dict or a jsonify() result is sent as JSON
        if (value.type === 'dictionary' || value.type === 'list' || /(^|\.)(jsonify|json_response|JSONResponse|redirect|render_template)\(/.test(m.code.qualifiedName(value) ?? '')) return false;
        const body = value.type === 'tuple' ? (value.namedChildren[0] ?? undefined) : value;
        return body !== undefined && body.type !== 'call' && m.code.isTainted(body, 'html');
      }
      const body = m.code.argument(node, 0) ?? m.code.keywordArgument(node, 'content') ?? m.code.keywordArgument(node, 'response');
      if (body === undefined || body.type === 'dictionary') return false;
      return m.code.isTainted(body, 'html');
    },
    message: 'Request data is sent back as the response body without escaping; a browser renders any markup in it (reflected cross-site scripting).',
    remediation: 'Render a template with autoescaping, escape the value (markupsafe.escape), or return JSON with jsonify().',
  },
  {
    id: 'python.dom-injection.unescaped-template',
    title: 'Template rendered without autoescaping',
    category: 'dom-injection',
    severity: 'medium',
    cwe: [cwe(79)],
    languages: ['python'],
    calls: ['flask.render_template'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'template_name_or_list');
      if (name === undefined) return false;
      const value = m.code.valueOf(name).value;
      if (typeof value === 'string' && AUTOESCAPED_TEMPLATE.test(value)) return false;
      // only when data is passed in
      const args = call?.childForFieldName('arguments')?.namedChildren ?? [];
      return args.some((a) => a !== null && a.id !== name.id && (a.type === 'dictionary_splat' || (a.type === 'keyword_argument' && !m.code.isStatic(a.childForFieldName('value')))) || (a !== null && a.id !== name.id && a.type !== 'keyword_argument' && !m.code.isStatic(a)));
    },
    message: 'Flask autoescapes only .html/.htm/.xml/.xhtml templates; this template is rendered with data and no escaping.',
    remediation: 'Give the template an .html extension, or escape values in it with |e.',
  },
  {
    id: 'python.dom-injection.escaping-bypass',
    title: 'Escaping switched off or bypassed',
    category: 'dom-injection',
    severity: 'medium',
    cwe: [cwe(79)],
    languages: ['python'],
    calls: ['django.utils.html.format_html', '*.unescape', 'django.utils.html.html_safe'],
    query: `(class_definition superclasses: (argument_list [(identifier) (attribute)] @base)) @finding
      (function_definition name: (identifier) @n (#eq? @n "__html__")) @finding
      (decorator (identifier) @n (#eq? @n "html_safe")) @finding
      (call arguments: (argument_list (keyword_argument name: (identifier) @k value: (true)) @finding) (#eq? @k "is_safe"))
      (pair key: (string (string_content) @k) value: [(false) (none)] (#eq? @k "autoescape")) @finding
      (keyword_argument name: (identifier) @k value: (false) (#eq? @k "autoescape")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      const base = m.capture('base');
      if (base !== undefined) return /(^|\.)(SafeString|SafeText|SafeData|SafeBytes|SafeUnicode)$/.test(m.code.qualifiedName(base) ?? base.text);
      if (node.type === 'call') {
        const name = m.code.calleeName(node) ?? '';
        // format_html('...' % x) formats before escaping; Markup.unescape turns escaped text back into markup
        if (/format_html$/.test(name)) return m.code.isDynamicString(m.code.argument(node, 0));
        if (/html_safe$/.test(name)) return true;
        return /^(markupsafe|flask|jinja2)\.Markup\.unescape$|(^|\.)Markup\(\)\.unescape$/.test(name);
      }
      if (node.type === 'keyword_argument' && node.parent?.parent?.type === 'call') {
        // Environment(autoescape=False) is reported by the Jinja2 rule
        return !/(^|\.)Environment$/.test(m.code.calleeName(node.parent.parent) ?? '');
      }
      return true;
    },
    message: 'This turns off escaping (a Safe* subclass, __html__, is_safe=True, autoescape off, format_html of a pre-built string), so data that reaches it is rendered as markup.',
    remediation: 'Keep autoescaping on and escape values where they are inserted; pass values to format_html() as arguments, not pre-formatted.',
  },
  {
    id: 'python.dom-injection.autoescape-off',
    title: 'Jinja2 environment without autoescaping',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: ['python'],
    calls: ['jinja2.Environment'],
    predicate: (m) => {
      const autoescape = m.code.keywordArgument(m.capture('finding'), 'autoescape');
      // Jinja2's default is autoescape=False
      return autoescape === undefined || m.code.isFalsy(autoescape);
    },
    message: 'This Jinja2 environment does not escape variables, so data rendered through it can inject markup.',
    remediation: 'Create it with autoescape=True or autoescape=select_autoescape().',
  },
];

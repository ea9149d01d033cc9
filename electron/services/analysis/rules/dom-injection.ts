/**
 * HTML injection: markup built from data inserted into the DOM or marked safe — CWE-79.
 */
import { JS_FAMILY } from '../types';
import { callee, JS_HTML_SANITIZERS, JS_SOURCE_WORDS, mentionsAny, PY_WEB_SOURCE_WORDS, traceAssignment } from './patterns';
import { cwe, type RuleMatch, type Rule } from './rule';
import type { Node } from 'web-tree-sitter';

function unsafeHtml(m: RuleMatch, value: Node | undefined): boolean {
  // constants, numbers and sanitised values (DOMPurify, xss, sanitize-html…, through local names too) are safe
  if (value === undefined || !m.code.isUnsafe(value, 'html')) return false;
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

const PY_BUILDERS = new Set(['binary_operator', 'concatenated_string', 'parenthesized_expression', 'attribute', 'call', 'argument_list', 'list', 'tuple']);
const JS_BUILDERS = new Set(['binary_expression', 'parenthesized_expression', 'member_expression', 'call_expression', 'arguments', 'array', 'template_substitution', 'template_string']);
const MAX_CLIMB = 24;

/**
 * From a literal holding an HTML tag, climbs to the whole string-building expression around it
 * (`"<a>" + x + "</a>"`, `"<b>%s</b>" % x`, `"<i>{}</i>".format(x)`, `["<p>", x].join("")`) and reports it
 * when data from a source reaches it unescaped.
 */
function htmlBuiltFromData(m: RuleMatch, builders: ReadonlySet<string>): boolean {
  const literal = m.capture('finding');
  if (literal === undefined || !mentionsAny(m, m.code.language === 'python' ? PY_WEB_SOURCE_WORDS : JS_SOURCE_WORDS)) return false;
  if (!HTML_TAG.test(literal.text)) return false;
  // a literal that is a statement of its own (a docstring) builds nothing
  if (literal.parent?.type === 'expression_statement') return false;
  let outer = literal;
  let current = literal.parent;
  for (let i = 0; current !== null && i < MAX_CLIMB && builders.has(current.type); i++) {
    // a call is part of the string only as a string method (.format/.join/.concat/util.format) on it
    if (current.type === 'call' || current.type === 'call_expression') {
      const name = m.code.calleeName(current) ?? '';
      if (!/(^|\.)(format|join|concat|replace)$|^util\.format$/.test(name)) break;
    }
    if (current.type !== 'argument_list' && current.type !== 'arguments' && current.type !== 'attribute' && current.type !== 'member_expression' && current.type !== 'list' && current.type !== 'tuple' && current.type !== 'array') outer = current;
    current = current.parent;
  }
  // nothing is spliced into a lone literal without substitutions
  if (outer.id === literal.id && !/interpolation|template_substitution/.test(literal.namedChildren.map((c) => c?.type ?? '').join(' '))) return false;
  // markup written to a log is text in a log, not a page
  const consumer = outer.parent?.type === 'arguments' || outer.parent?.type === 'argument_list' ? outer.parent.parent : null;
  if (consumer !== null && consumer !== undefined && /^(console|logger|log|logging)\.\w+$|^print$/.test(m.code.calleeName(consumer) ?? '')) return false;
  if (!m.code.isTainted(outer, 'html')) return false;
  m.reportAt(outer);
  return true;
}

/**
 * True when format_html's template was formatted before the call (%, f-string, .format with a name): it
 * escapes only the arguments it is given, so that is the mistake whatever the name holds today.
 */
function formattedBeforeCall(template: Node | undefined): boolean {
  if (template === undefined) return false;
  const formatted =
    (template.type === 'binary_operator' && template.childForFieldName('operator')?.text === '%' && template.childForFieldName('right')?.type !== 'string') ||
    (template.type === 'string' && template.namedChildren.some((c) => c?.type === 'interpolation')) ||
    (template.type === 'call' && /\.format$/.test(template.childForFieldName('function')?.text ?? '') && (template.childForFieldName('arguments')?.namedChildren ?? []).some((a) => a !== null && a.type !== 'string'));
  return formatted && template.descendantsOfType('identifier').length > 0;
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
    calls: ['*.insertAdjacentHTML', 'document.write', 'document.writeln', '*.createContextualFragment', '*.html', 'createNodesFromMarkup', '*.createNodesFromMarkup', 'fbjs/lib/createNodesFromMarkup'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      let value: Node | undefined;
      if (/(^|\.)insertAdjacentHTML$/.test(name)) value = m.code.argument(call, 1);
      else if (/^document\.(write|writeln)$/.test(name) || /(^|\.)createContextualFragment$|(^|[./])createNodesFromMarkup$/.test(name)) value = m.code.argument(call, 0);
      // jQuery, and AngularJS's jqLite (angular.element) that has the same .html()
      else if (/^(\$|jQuery|angular\.element)\(\)(\.[\w$]+\(\))*\.html$/.test(name)) value = m.code.argument(call, 0);
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
    id: 'js.dom-injection.markdown-raw-html',
    title: 'Markdown rendered with raw HTML allowed',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: ['javascript', 'tsx'],
    query: `(jsx_attribute (property_identifier) @p (#any-of? @p "allowDangerousHtml" "escapeHtml" "rehypePlugins" "skipHtml")) @finding`,
    fileGate: /react-markdown/,
    predicate: (m) => {
      const attribute = m.capture('finding');
      const element = attribute?.parent;
      const name = element?.childForFieldName('name');
      if (attribute === undefined || element === null || element === undefined || !/^react-markdown\b/.test(m.code.qualifiedName(name) ?? '')) return false;
      const prop = m.capture('p')?.text;
      const value = attribute.namedChildren.find((c) => c?.type === 'jsx_expression')?.namedChildren[0] ?? null;
      let raw = false;
      // allowDangerousHtml (v5) with no value or true; escapeHtml={false} (v4); rehype-raw among the plugins (v6+)
      if (prop === 'allowDangerousHtml') raw = value === null || m.code.valueOf(value).value === true;
      else if (prop === 'escapeHtml') raw = value !== null && m.code.valueOf(value).value === false;
      else if (prop === 'rehypePlugins') raw = value !== null && value.descendantsOfType('identifier').some((i) => i !== null && m.code.qualifiedName(i) === 'rehype-raw');
      if (!raw) return false;
      // the markdown itself: the children (or source) prop, or the element's children; a constant is the author's own
      const opening = element.type === 'jsx_opening_element' ? element : null;
      const props = element.namedChildren.filter((c): c is Node => c?.type === 'jsx_attribute');
      const content = props.find((a) => /^(children|source)$/.test(a.namedChildren[0]?.text ?? ''))?.namedChildren.find((c) => c?.type === 'jsx_expression')?.namedChildren[0];
      const inner = opening?.parent?.namedChildren.find((c) => c?.type === 'jsx_expression')?.namedChildren[0];
      const markdown = content ?? inner ?? undefined;
      if (markdown === undefined || markdown === null || m.code.isStatic(markdown)) return false;
      m.reportAt(opening?.parent ?? element);
      return true;
    },
    message: 'react-markdown is told to pass raw HTML through (allowDangerousHtml, escapeHtml={false}, rehype-raw), so HTML inside the markdown, script included, is rendered.',
    remediation: 'Keep raw HTML off; if it is needed, add rehype-sanitize after rehype-raw.',
  },
  {
    id: 'js.dom-injection.html-from-data',
    title: 'HTML built from untrusted data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    fileGate: JS_SOURCE_WORDS[0],
    query: `(binary_expression left: (string) @finding)
      (binary_expression left: (identifier) right: (string) @finding)
      (template_string (template_substitution)) @finding
      (call_expression arguments: (arguments . (string) @finding))
      (call_expression function: (member_expression object: (identifier) @markup property: (property_identifier) @m) (#eq? @m "concat")) @finding`,
    predicate: (m) => {
      const markup = m.capture('markup');
      if (markup === undefined) {
        // a literal first argument counts as a template only for printf-style formatters (util.format('<b>%s</b>', x))
        const literal = m.capture('finding');
        if (literal?.type === 'string' && literal.parent?.type === 'arguments' && !/(^|\.)(format|sprintf|vsprintf)$/.test(m.code.calleeName(literal.parent.parent) ?? '')) return false;
        return htmlBuiltFromData(m, JS_BUILDERS);
      }
      // html = html.concat(data), where the name holds markup so far
      const so = m.code.valueOf(markup);
      const call = m.capture('finding');
      return so.level === 0 && typeof so.value === 'string' && HTML_TAG.test(so.value) && call !== undefined && m.code.isTainted(call, 'html');
    },
    message: 'Markup is assembled from untrusted data without escaping, so the data can add tags and script (cross-site scripting).',
    remediation: 'Render through a template engine that escapes, or escape each value (he.encode, escape-html) before it is put into markup.',
  },
  {
    id: 'js.dom-injection.response-from-data',
    title: 'Response body written from data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    calls: ['*.send', '*.write', '*.end'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      // an Express/Koa/http response object, by name
      if (!/^(res|resp|response|reply|ctx\.res|ctx\.response|h)\.(send|write|end)$/.test(name)) return false;
      const body = m.code.argument(call, 0);
      if (body === undefined || body.type === 'object' || body.type === 'array') return false;
      // request data (a value of unknown origin may well be escaped already: the HTML rules above judge markup)
      return m.code.isTainted(body, 'html');
    },
    message: 'Data is written into an HTML response without escaping; markup or script in it runs in the visitor’s browser (cross-site scripting).',
    remediation: 'Render a template that escapes, escape the value (escape-html), or send JSON with res.json().',
  },
  {
    id: 'js.dom-injection.html-response-body',
    title: 'HTML response body from data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    // a serverless / API Gateway response: { statusCode, headers: { 'Content-Type': 'text/html' }, body }
    query: `(pair key: (property_identifier) @k value: (_) @value (#eq? @k "body")) @finding
      (object (shorthand_property_identifier) @finding (#eq? @finding "body"))`,
    fileGate: /text\/html/,
    predicate: (m) => {
      const response = m.capture('finding')?.parent;
      const headers = response?.namedChildren.find((p) => p?.type === 'pair' && /^['"]?headers['"]?$/.test(p.childForFieldName('key')?.text ?? ''));
      if (headers === undefined || headers === null || !/content-type['"]?\s*:\s*['"`]text\/html/i.test(headers.text)) return false;
      const body = m.capture('value') ?? m.capture('finding');
      return body !== undefined && m.code.isTainted(body, 'html');
    },
    message: 'An HTML response is built from untrusted data without escaping; markup or script in it runs in the visitor’s browser (cross-site scripting).',
    remediation: 'Escape each value (escape-html, he.encode) before putting it into the page, or return JSON.',
  },
  {
    id: 'js.dom-injection.jquery-html',
    title: 'jQuery builds HTML from data',
    category: 'dom-injection',
    severity: 'high',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    calls: ['$', 'jQuery', '*.append', '*.prepend', '*.after', '*.before', '*.wrap', '*.wrapAll', '*.wrapInner', '*.replaceWith', '*.insertBefore', '*.insertAfter', '*.appendTo', '*.prependTo', '*.globalEval', '*.parseHTML'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      const arg = m.code.argument(call, 0);
      if (arg === undefined || m.code.isStatic(arg)) return false;
      if (name === '$' || name === 'jQuery' || /^(jquery|jQuery)$/.test(name)) {
        // $(data) parses markup (and runs selectors) from data
        return m.code.isTainted(arg, 'html') || (m.code.isUnsafe(arg, 'html') && HTML_TAG.test(m.code.literalText(arg)));
      }
      if (/(^|\.)(globalEval)$/.test(name)) return m.code.isUnsafe(arg, 'code');
      // a jQuery chain: $(...).append(x)
      if (!/^(\$|jQuery)(\(\))?\./.test(name) && !/^(\$|jQuery)\(\)/.test(name)) return false;
      return m.code.isTainted(arg, 'html') || (m.code.isUnsafe(arg, 'html') && m.code.isStringLike(arg) && HTML_TAG.test(m.code.literalText(arg)));
    },
    message: 'jQuery parses this argument as HTML; markup or script from data runs in the page.',
    remediation: 'Use .text() or build elements with $("<tag>").text(value); sanitise markup with DOMPurify first if HTML is required.',
  },
  {
    id: 'js.dom-injection.unsafe-serialize',
    title: 'serialize-javascript told not to escape markup',
    category: 'dom-injection',
    severity: 'medium',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    calls: ['serialize-javascript'],
    predicate: (m) => {
      const call = m.capture('finding');
      const unsafe = m.code.keywordArgument(call, 'unsafe');
      // { unsafe: true } skips the escaping of `<`, `>` and `/` that keeps `</script>` in the data from closing the page's script
      return unsafe !== undefined && unsafe.type === 'true' && m.code.isUnsafe(m.code.argument(call, 0), 'html');
    },
    message: 'With unsafe: true, serialize-javascript does not escape HTML characters, so a `</script>` in the data ends the script element it is embedded in and what follows runs as markup.',
    remediation: 'Drop the unsafe option (the default escapes <, > and /), or serialise only data that is fixed in the code.',
  },
  {
    id: 'js.dom-injection.trust-bypass',
    title: 'Framework escaping bypassed',
    category: 'dom-injection',
    severity: 'medium',
    cwe: [cwe(79)],
    languages: JS_FAMILY,
    calls: ['*.trustAsHtml', '*.trustAsJs', '*.trustAsCss', '*.trustAsUrl', '*.trustAsResourceUrl', '*.trustAs', '*.bypassSecurityTrustHtml', '*.bypassSecurityTrustScript', '*.bypassSecurityTrustStyle', '*.bypassSecurityTrustUrl', '*.bypassSecurityTrustResourceUrl', '*.enabled', '*.resourceUrlWhitelist', '*.resourceUrlAllowlist'],
    query: `(assignment_expression left: (member_expression property: (property_identifier) @p) right: [(function_expression) (arrow_function)] @fn (#eq? @p "escape")) @finding
      (pair key: (property_identifier) @p value: (object (pair key: (property_identifier) @k)) (#eq? @p "dangerouslySetInnerHTML") (#eq? @k "__html")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      if (node.type === 'assignment_expression') {
        // Mustache.escape = (v) => v: an escape function that returns its input
        const fn = m.capture('fn');
        const params = fn?.childForFieldName('parameters') ?? fn?.childForFieldName('parameter');
        const first = params?.type === 'identifier' ? params.text : params?.namedChildren[0]?.text;
        const body = fn?.childForFieldName('body');
        return first !== undefined && body !== null && body !== undefined && new RegExp(`^(\\{\\s*return\\s+)?${first.replace(/[$]/g, '\\$')}\\s*;?\\s*\\}?$`).test(body.text.trim());
      }
      if (node.type === 'pair') {
        const value = node.childForFieldName('value')?.namedChildren.find((p) => p?.type === 'pair')?.childForFieldName('value');
        return value !== null && value !== undefined && unsafeHtml(m, value);
      }
      const name = callee(m) ?? '';
      const args = m.code.positionalArguments(node);
      if (/\.enabled$/.test(name)) return /sce/i.test(name) && args[0]?.type === 'false';
      if (/resourceUrl(Whitelist|Allowlist)$/.test(name)) return /['"`]\*\*['"`]|\/\/\*\*/.test(args[0]?.text ?? '');
      const value = /\.trustAs$/.test(name) ? args[1] : args[0];
      if (value === undefined || m.code.isStatic(value)) return false;
      traceAssignment(m, value);
      return true;
    },
    message: 'This marks data as trusted markup, script, style or URL (or turns the framework’s escaping off), so whatever the data holds is used unescaped.',
    remediation: 'Let the framework escape; sanitise with DOMPurify before trusting markup, and never trust values that come from users.',
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
    fileGate: PY_WEB_SOURCE_WORDS[0],
    // anchored on the literal that holds a tag (a query over every `+` is quadratic on long chains)
    // literals that take part in building a string (the first child constrained, so long chains never keep a match open)
    query: `(binary_operator left: (string) @finding)
      (binary_operator left: (identifier) right: (string) @finding)
      (call function: (attribute object: (string) @finding attribute: (identifier) @m) (#eq? @m "format"))
      (string (interpolation)) @finding`,
    predicate: (m) => htmlBuiltFromData(m, PY_BUILDERS),
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
    fileGate: PY_WEB_SOURCE_WORDS[0],
    calls: [
      'flask.make_response',
      'flask.Response',
      'werkzeug.Response',
      'werkzeug.wrappers.Response',
      ...['HttpResponse', 'HttpResponseBadRequest', 'HttpResponseNotFound', 'HttpResponseForbidden', 'HttpResponseServerError', 'HttpResponseNotAllowed'].flatMap((c) => [`django.http.${c}`, `django.http.response.${c}`]),
    ],
    // a route handler (anchored on its decorator, so a file without routes costs nothing) returns its page
    query: `(decorated_definition (decorator) @decorator definition: (function_definition) @handler
      (#match? @decorator "[.](route|get|post|put|patch|delete)[ ]*[(]|^@(api_view|require_http_methods)"))`,
    predicate: (m) => {
      const node = m.capture('finding') ?? m.capture('handler');
      if (node === undefined || !mentionsAny(m, PY_WEB_SOURCE_WORDS)) return false;
      if (node.type === 'function_definition') {
        for (const ret of node.descendantsOfType('return_statement')) {
          const value = ret?.namedChildren[0];
          if (ret === null || value === null || value === undefined) continue;
          // a dict or a jsonify() result is sent as JSON; a nested function's return is not the page
          if (value.type === 'dictionary' || value.type === 'list' || value.type === 'call') continue;
          const body = value.type === 'tuple' ? (value.namedChildren[0] ?? undefined) : value;
          if (body !== undefined && body.type !== 'call' && m.code.isTainted(body, 'html')) {
            m.reportAt(ret);
            return true;
          }
        }
        return false;
      }
      let body = m.code.argument(node, 0) ?? m.code.keywordArgument(node, 'content') ?? m.code.keywordArgument(node, 'response');
      // make_response((body, status, headers)): only the first element is the page; headers are not markup
      if (body?.type === 'tuple' || body?.type === 'parenthesized_expression') body = body.namedChildren[0] ?? undefined;
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
    query: `(class_definition superclasses: (argument_list (identifier) @base) (#any-of? @base "SafeString" "SafeText" "SafeData" "SafeBytes" "SafeUnicode")) @finding
      (class_definition superclasses: (argument_list (attribute attribute: (identifier) @base)) (#any-of? @base "SafeString" "SafeText" "SafeData" "SafeBytes" "SafeUnicode")) @finding
      (function_definition name: (identifier) @n (#eq? @n "__html__")) @finding
      (decorator (identifier) @n (#eq? @n "html_safe")) @finding
      (call arguments: (argument_list (keyword_argument name: (identifier) @k value: (true)) @finding) (#eq? @k "is_safe"))
      (pair key: (string (string_content) @k) value: [(false) (none)] (#eq? @k "autoescape")) @finding
      (keyword_argument name: (identifier) @k value: (false) (#eq? @k "autoescape")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      if (m.capture('base') !== undefined) return true;
      if (node.type === 'call') {
        const name = m.code.calleeName(node) ?? '';
        // format_html('...' % x) formats before escaping; Markup.unescape turns escaped text back into markup
        if (/format_html$/.test(name)) return formattedBeforeCall(m.code.argument(node, 0));
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

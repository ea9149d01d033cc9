/**
 * Queries other than SQL built from request data — LDAP filters (CWE-90) and XPath expressions (CWE-643) —
 * and what a server keeps about its visitors: request data stored in the session as if the server had
 * checked it (trust boundary, CWE-501), and cookies sent without the Secure flag (CWE-614).
 */
import type { Node } from 'web-tree-sitter';
import { JS_FAMILY } from '../types';
import { callee, SECURITY_PURPOSE } from './patterns';
import { cwe, type Rule, type RuleMatch } from './rule';

/** True when the literal parts of an expression read like an LDAP filter: `(attr=...)`. */
function looksLikeLdapFilter(m: RuleMatch, node: Node | undefined): boolean {
  return node !== undefined && /\(\s*[&|!]?\s*\(?[\w.-]+\s*[~<>]?=/.test(m.code.literalText(node));
}

/** True when the literal parts of an expression read like an XPath location path or predicate. */
function looksLikeXPath(m: RuleMatch, node: Node | undefined): boolean {
  return node !== undefined && /^\.?\/|\[@?[\w-]+\s*=|\/\/|text\(\)|contains\(/.test(m.code.literalText(node));
}

/** Rules for LDAP and XPath queries steered by request data. */
export const queryInjectionRules: ReadonlyArray<Rule> = [
  {
    id: 'python.ldap-injection.filter-from-data',
    title: 'LDAP filter built from request data',
    category: 'ldap-injection',
    severity: 'high',
    cwe: [cwe(90)],
    languages: ['python'],
    calls: ['*.search', '*.search_s', '*.search_st', '*.search_ext', '*.search_ext_s', '*.paged_search', 'ldap3.Connection.search'],
    predicate: (m) => {
      if (!m.code.mentions('ldap')) return false;
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      // ldap3: search(search_base, search_filter); python-ldap: search_s(base, scope, filterstr)
      const filter = /\.search$|\.paged_search$/.test(name)
        ? (m.code.argument(call, 1) ?? m.code.keywordArgument(call, 'search_filter'))
        : (m.code.argument(call, 2) ?? m.code.keywordArgument(call, 'filterstr'));
      return filter !== undefined && looksLikeLdapFilter(m, filter) && m.code.isTainted(filter, 'ldap');
    },
    message: 'Request data is written into an LDAP filter, so characters like `*`, `(` and `)` in it change which entries the query matches (LDAP injection).',
    remediation: 'Escape the value with ldap3.utils.conv.escape_filter_chars() (or ldap.filter.escape_filter_chars()) before putting it into the filter.',
  },
  {
    id: 'js.ldap-injection.filter-from-data',
    title: 'LDAP filter built from request data',
    category: 'ldap-injection',
    severity: 'high',
    cwe: [cwe(90)],
    languages: JS_FAMILY,
    calls: ['*.search'],
    predicate: (m) => {
      if (!m.code.mentions(/ldapjs|ldapts|activedirectory/)) return false;
      const call = m.capture('finding');
      const options = m.code.argument(call, 1);
      const shorthand = options?.type === 'object' ? options.namedChildren.find((c) => c?.type === 'shorthand_property_identifier' && c.text === 'filter') : undefined;
      const filter = options?.type === 'object' ? (m.code.keywordArgument(call, 'filter') ?? shorthand ?? undefined) : options;
      return filter !== undefined && m.code.isTainted(filter, 'ldap');
    },
    message: 'Request data is written into an LDAP filter, so characters like `*`, `(` and `)` in it change which entries the query matches (LDAP injection).',
    remediation: 'Build the filter with the library’s filter objects (ldapjs EqualityFilter) or escape the value per RFC 4515 before interpolating it.',
  },
  {
    id: 'python.xpath-injection.query-from-data',
    title: 'XPath expression built from request data',
    category: 'xpath-injection',
    severity: 'high',
    cwe: [cwe(643)],
    languages: ['python'],
    calls: ['lxml.etree.XPath', 'lxml.etree.ETXPath', 'lxml.etree.XPathEvaluator', '*.xpath', 'elementpath.select', 'elementpath.iter_select', 'elementpath.Selector', '*.find', '*.findall', '*.iterfind', '*.findtext'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      const query = /^elementpath\.(select|iter_select)$/.test(name) ? (m.code.argument(call, 1) ?? m.code.keywordArgument(call, 'path')) : (m.code.argument(call, 0) ?? m.code.keywordArgument(call, '_path'));
      if (query === undefined) return false;
      // str.find(x) is not a query: the ElementTree methods and .xpath() are taken only with an XPath-shaped text
      // (.xpath() takes nothing but XPath, so its text needs no recognising)
      if (/\.(find|findall|iterfind|findtext)$/.test(name) && !looksLikeXPath(m, query)) return false;
      return m.code.isTainted(query, 'xpath');
    },
    message: 'Request data is written into an XPath expression, so a quote in it changes the query (XPath injection): it can match every node or read other parts of the document.',
    remediation: 'Pass the value as an XPath variable (lxml: tree.xpath("//user[@name=$name]", name=value)) instead of formatting it into the expression.',
  },
  {
    id: 'js.xpath-injection.query-from-data',
    title: 'XPath expression built from request data',
    category: 'xpath-injection',
    severity: 'high',
    cwe: [cwe(643)],
    languages: JS_FAMILY,
    calls: ['xpath.select', 'xpath.select1', 'xpath.evaluate', 'xpath.parse', '*.evaluate', '*.selectNodes', '*.selectSingleNode'],
    predicate: (m) => {
      const call = m.capture('finding');
      const query = m.code.argument(call, 0);
      if (query === undefined) return false;
      if (!/^xpath\./.test(callee(m) ?? '') && !looksLikeXPath(m, query)) return false;
      return m.code.isTainted(query, 'xpath');
    },
    message: 'Request data is written into an XPath expression, so a quote in it changes the query (XPath injection).',
    remediation: 'Use parameterised XPath (variables resolved by the library) or check the value against a strict pattern before building the expression.',
  },
];

/** True when a subscript or attribute target is a web session (`session[...]`, `flask.session`, `req.session.x`). */
function sessionTarget(m: RuleMatch, target: Node | undefined): Node | undefined {
  if (target === undefined) return undefined;
  const object = target.childForFieldName(target.type === 'subscript' ? 'value' : 'object');
  if (object === null) return undefined;
  const name = m.code.qualifiedName(object) ?? object.text;
  return /(^|\.)session$/.test(name) ? object : undefined;
}

/** Rules for what a server stores about its visitors. */
export const sessionRules: ReadonlyArray<Rule> = [
  ...(['python', 'js'] as const).map(
    (family): Rule => ({
      id: `${family}.trust-boundary.request-data-in-session`,
      title: 'Request data stored in the session',
      category: 'trust-boundary',
      severity: 'low',
      cwe: [cwe(501)],
      languages: family === 'python' ? ['python'] : JS_FAMILY,
      fileGate: /session/,
      query:
        family === 'python'
          ? `(assignment left: (subscript subscript: (_) @key) @target right: (_) @value) @finding`
          : `(assignment_expression left: [(subscript_expression index: (_) @key) (member_expression property: (property_identifier) @key)] @target right: (_) @value) @finding`,
      predicate: (m) => {
        if (sessionTarget(m, m.capture('target')) === undefined) return false;
        // the session is trusted state: data from the request in it (as a value or as the key) is taken for checked
        return m.code.isTainted(m.capture('value'), 'session') || (m.capture('key')?.type !== 'property_identifier' && m.code.isTainted(m.capture('key'), 'session'));
      },
      message: 'Data from the request is stored in the session, where the rest of the application treats it as state the server set and checked (trust boundary violation).',
      remediation: 'Validate the value (type, allow-list, length) before storing it, or keep request data out of the session and store only what the server derived itself.',
    }),
  ),
  {
    id: 'python.insecure-cookie.no-secure-flag',
    title: 'Cookie set without the Secure flag',
    category: 'insecure-cookie',
    severity: 'low',
    cwe: [cwe(614)],
    languages: ['python'],
    calls: ['*.set_cookie', '*.set_signed_cookie'],
    predicate: (m) => {
      const call = m.capture('finding');
      const secure = m.code.keywordArgument(call, 'secure');
      if (secure !== undefined) return m.code.isFalsy(secure);
      // no flag at all: a finding only for cookies that carry a session or credential
      const name = m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'key');
      return name !== undefined && SECURITY_PURPOSE.test(m.code.stringValue(name) ?? name.text);
    },
    message: 'The cookie is sent without the Secure flag, so the browser also sends it over plain HTTP, where anyone on the network can read it.',
    remediation: 'Pass secure=True (and httponly=True, samesite="Lax") when setting the cookie.',
  },
  {
    id: 'js.insecure-cookie.no-secure-flag',
    title: 'Cookie set without the Secure flag',
    category: 'insecure-cookie',
    severity: 'low',
    cwe: [cwe(614)],
    languages: JS_FAMILY,
    calls: ['*.cookie', '*.cookies.set'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (!/^(res|response|reply|ctx|h)\.(cookie|cookies\.set)$/.test(name)) return false;
      const secure = m.code.keywordArgument(call, 'secure');
      return secure !== undefined && m.code.isFalsy(secure);
    },
    message: 'The cookie is sent without the Secure flag, so the browser also sends it over plain HTTP, where anyone on the network can read it.',
    remediation: 'Set secure: true (and httpOnly: true, sameSite: "lax") in the cookie options.',
  },
];

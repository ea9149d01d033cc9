/**
 * Where a server sends requests and visitors, and how it reads XML, when data chooses: server-side
 * request forgery (CWE-918, and the cloud metadata address anywhere), open redirects (CWE-601) and XML
 * external entities (CWE-611).
 */
import type { Node } from 'web-tree-sitter';
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule, type RuleMatch } from './rule';

/** The URL argument of an HTTP client call: positional `index`, or a `url`/`uri` option. */
function urlArgument(m: RuleMatch, call: Node | undefined, index: number): Node | undefined {
  return m.code.argument(call, index) ?? m.code.keywordArgument(call, 'url') ?? m.code.keywordArgument(call, 'uri');
}

const PY_HTTP = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
const JS_HTTP = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'];

/** Rules for requests, redirects and XML parsers steered by data. */
export const webRequestRules: ReadonlyArray<Rule> = [
  {
    id: 'python.ssrf.request-from-data',
    title: 'Server-side request to a URL from request data',
    category: 'ssrf',
    severity: 'high',
    cwe: [cwe(918)],
    languages: ['python'],
    calls: [
      ...PY_HTTP.flatMap((v) => [`requests.${v}`, `httpx.${v}`]),
      'requests.request',
      'httpx.request',
      'urllib.request.urlopen',
      'urllib.request.Request',
      'urllib.urlopen',
      'urllib2.urlopen',
      'http.client.HTTPConnection',
      'http.client.HTTPSConnection',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      return m.code.isTainted(urlArgument(m, call, /\.request$/.test(name) ? 1 : 0), 'url');
    },
    message: 'The server fetches a URL that request data chooses, so a caller can make it reach internal services or the cloud metadata endpoint (server-side request forgery).',
    remediation: 'Take only an identifier from the request and map it to a fixed URL, or check the parsed host against an allow-list before fetching.',
  },
  {
    id: 'js.ssrf.request-from-data',
    title: 'Server-side request to a URL from request data',
    category: 'ssrf',
    severity: 'high',
    cwe: [cwe(918)],
    languages: JS_FAMILY,
    calls: [
      'fetch',
      'node-fetch',
      'axios',
      ...JS_HTTP.map((v) => `axios.${v}`),
      'got',
      ...JS_HTTP.map((v) => `got.${v}`),
      'request',
      ...JS_HTTP.map((v) => `request.${v}`),
      'needle',
      'http.get',
      'http.request',
      'https.get',
      'https.request',
    ],
    predicate: (m) => m.code.isTainted(urlArgument(m, m.capture('finding'), 0), 'url'),
    message: 'The server fetches a URL that request data chooses, so a caller can make it reach internal services or the cloud metadata endpoint (server-side request forgery).',
    remediation: 'Map an identifier from the request to a fixed URL, or parse the URL and check its host against an allow-list (and block private ranges) before fetching.',
  },
  {
    id: 'js.ssrf.headless-browser-input',
    title: 'Server-side headless browser given a run-time URL, page or script',
    category: 'ssrf',
    severity: 'medium',
    cwe: [cwe(918)],
    languages: JS_FAMILY,
    calls: [
      ...['goto', 'setContent', 'evaluate', 'evaluateOnNewDocument', 'addInitScript', 'open', 'openUrl', 'property', 'evaluateJavaScript', 'compileScript', 'navigate', 'printToPDF', 'setDocumentContent'].map((f) => `*.${f}`),
      'wkhtmltopdf',
      'wkhtmltoimage.generate',
    ],
    predicate: (m) => {
      if (!m.code.mentions(/puppeteer|playwright|phantom|chrome-remote-interface|wkhtmlto/)) return false;
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (/^(window|document|location|fs|os|http|https|net|dgram|Math|JSON|Object|Reflect|console)\./.test(name)) return false;
      const args = m.code.positionalArguments(call);
      let inputs: Array<Node | undefined>;
      if (/\.property$/.test(name)) inputs = m.code.stringValue(args[0]) === 'content' ? [args[1]] : [];
      else if (/\.(evaluate|evaluateOnNewDocument|addInitScript)$/.test(name) && args[0] !== undefined && /function|arrow_function/.test(args[0].type)) inputs = args.slice(1);
      else if (args[0]?.type === 'object') inputs = ['url', 'expression', 'html', 'headerTemplate', 'footerTemplate'].map((k) => m.code.keywordArgument(call, k));
      else inputs = [args[0]];
      // a headless browser on the server loads whatever it is given, file:// and internal addresses included:
      // anything not fixed in the code (a parameter, a call result, request data) can steer it
      return inputs.some((input) => input !== undefined && m.code.isUnsafe(input, 'url'));
    },
    message: 'A headless browser on the server is given a URL, page content or script that is not fixed in the code; whoever controls it can make the browser read local files (file://), reach internal services or run script with the server’s network access.',
    remediation: 'Navigate only to allow-listed URLs (parse and check the host and scheme), escape or sanitise HTML before setContent, and pass data to page scripts as arguments, never as code.',
  },
  ...(['python', 'js'] as const).map(
    (family): Rule => ({
      id: `${family}.ssrf.metadata-address`,
      title: 'Cloud metadata address in code',
      category: 'ssrf',
      severity: 'medium',
      cwe: [cwe(918)],
      languages: family === 'python' ? ['python'] : JS_FAMILY,
      fileGate: /169\.254\.169\.254|fd00:ec2::254/,
      query:
        family === 'python'
          ? `((string) @finding (#match? @finding "169[.]254[.]169[.]254|fd00:ec2::254"))`
          : `((string) @finding (#match? @finding "169[.]254[.]169[.]254|fd00:ec2::254"))
        ((template_string) @finding (#match? @finding "169[.]254[.]169[.]254|fd00:ec2::254"))`,
      message: 'The instance metadata endpoint hands out the machine’s cloud credentials; code that reaches it (or lets a request reach it) can take them.',
      remediation: 'Use the cloud SDK’s credential provider (with IMDSv2) instead of calling the address, and block it from any user-steered fetch.',
    }),
  ),
  {
    id: 'python.open-redirect.redirect-from-data',
    title: 'Redirect to a URL from request data',
    category: 'open-redirect',
    severity: 'medium',
    cwe: [cwe(601)],
    languages: ['python'],
    calls: ['flask.redirect', 'werkzeug.utils.redirect', 'django.shortcuts.redirect', 'django.http.HttpResponseRedirect', 'django.http.HttpResponsePermanentRedirect', 'django.http.response.HttpResponseRedirect'],
    predicate: (m) => m.code.isTainted(m.code.argument(m.capture('finding'), 0) ?? m.code.keywordArgument(m.capture('finding'), 'location') ?? m.code.keywordArgument(m.capture('finding'), 'redirect_to'), 'redirect'),
    message: 'The redirect target comes from the request, so a link to this site can send visitors anywhere (open redirect, a phishing aid).',
    remediation: 'Redirect only to relative paths or allow-listed hosts: check with url_has_allowed_host_and_scheme() (Django) or urlparse(url).netloc == "".',
  },
  {
    id: 'js.open-redirect.redirect-from-data',
    title: 'Redirect to a URL from untrusted data',
    category: 'open-redirect',
    severity: 'medium',
    cwe: [cwe(601)],
    languages: JS_FAMILY,
    calls: ['*.redirect', 'location.assign', 'location.replace', 'window.open'],
    query: `(assignment_expression left: [(member_expression property: (property_identifier) @p) (identifier) @p] right: (_) @value
        (#any-of? @p "href" "location")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      if (node.type === 'assignment_expression') {
        const left = node.childForFieldName('left');
        const target = left === null ? '' : (m.code.qualifiedName(left) ?? left.text);
        // location = x, location.href = x, window.location(.href) = x
        if (!/(^|\.)location(\.href)?$/.test(target)) return false;
        return m.code.isTainted(m.capture('value'), 'redirect');
      }
      const name = callee(m) ?? '';
      if (/\.redirect$/.test(name) && !/^(res|response|reply|ctx|h)\.redirect$/.test(name)) return false;
      const args = m.code.positionalArguments(node);
      // res.redirect([status,] url)
      const target = args.length > 1 && /\.redirect$/.test(name) ? args[1] : args[0];
      return m.code.isTainted(target, 'redirect');
    },
    message: 'The redirect target comes from untrusted data, so a link to this site can send visitors anywhere (open redirect).',
    remediation: 'Redirect only to relative paths or to hosts on an allow-list; reject values with a scheme or a leading "//".',
  },
  {
    id: 'python.xxe.xml-parser',
    title: 'XML parsed with entity expansion',
    category: 'xxe',
    severity: 'medium',
    cwe: [cwe(611), cwe(776)],
    languages: ['python'],
    calls: [
      'xml.etree.ElementTree.parse',
      'xml.etree.ElementTree.fromstring',
      'xml.etree.ElementTree.XML',
      'xml.etree.ElementTree.iterparse',
      'xml.etree.cElementTree.parse',
      'xml.etree.cElementTree.fromstring',
      'xml.dom.minidom.parse',
      'xml.dom.minidom.parseString',
      'xml.dom.pulldom.parse',
      'xml.dom.pulldom.parseString',
      'xml.sax.parse',
      'xml.sax.parseString',
      'lxml.etree.XMLParser',
      'lxml.etree.fromstring',
      'lxml.etree.parse',
      'lxml.etree.XML',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (name === 'lxml.etree.XMLParser') {
        const resolve = m.code.keywordArgument(call, 'resolve_entities');
        const network = m.code.keywordArgument(call, 'no_network');
        return (resolve !== undefined && resolve.type === 'true') || (network !== undefined && m.code.isFalsy(network)) || m.code.keywordArgument(call, 'load_dtd')?.type === 'true';
      }
      // lxml with an explicit parser: that parser's own call decides
      if (/^lxml\./.test(name) && m.code.positionalArguments(call).length > 1) return false;
      // minidom/pulldom with a SAX parser of their own: its features decide; external entities are off unless
      // the code turns feature_external_ges/pes on for that parser
      const parser = /^xml\.dom\.(minidom|pulldom)\./.test(name) ? (m.code.argument(call, 1) ?? m.code.keywordArgument(call, 'parser')) : undefined;
      if (parser?.type === 'identifier') {
        let scope = call?.parent ?? null;
        while (scope !== null && scope.type !== 'function_definition' && scope.type !== 'module') scope = scope.parent;
        const escaped = parser.text.replace(/[^\w]/g, '');
        const enabled = new RegExp(`\\b${escaped}\\.setFeature\\(\\s*[\\w.]*feature_external_(ges|pes)\\s*,\\s*(True|1)\\s*\\)`);
        if (!enabled.test(scope?.text ?? '')) return false;
      }
      const input = m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'source');
      return input !== undefined && !m.code.isStatic(input);
    },
    message: 'The standard XML parsers expand entities: a crafted document can read local files or reach the network (lxml), or exhaust memory with nested entities (billion laughs).',
    remediation: 'Parse untrusted XML with defusedxml (defusedxml.ElementTree.parse/fromstring), or an lxml XMLParser(resolve_entities=False, no_network=True).',
  },
  {
    id: 'js.xxe.external-entities',
    title: 'XML parsed with external entities enabled',
    category: 'xxe',
    severity: 'high',
    cwe: [cwe(611)],
    languages: JS_FAMILY,
    calls: ['libxmljs.parseXml', 'libxmljs.parseXmlString', 'libxmljs2.parseXml', 'libxmljs2.parseXmlString', '*.parseXmlString', '*.parseXml'],
    predicate: (m) => {
      const call = m.capture('finding');
      const noent = m.code.keywordArgument(call, 'noent');
      if (noent !== undefined) return m.code.valueOf(noent).value === true;
      // the options held in a name: `const opts = { noent: true }; parseXml(data, opts)`
      const options = m.code.argument(call, 1);
      return options !== undefined && m.code.valueOf(options).fields?.get('noent')?.value === true;
    },
    message: 'noent: true substitutes external entities, so a crafted document can read local files or make the server fetch URLs (XXE).',
    remediation: 'Leave noent off (the default) when parsing documents from outside.',
  },
  {
    id: 'js.xxe.expat-parser',
    title: 'XML parsed with entity expansion (expat)',
    category: 'xxe',
    severity: 'medium',
    cwe: [cwe(611), cwe(776)],
    languages: JS_FAMILY,
    calls: ['xml2json.toJson', 'xml2json.toXml', '*.parse', '*.write'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (!m.code.mentions(/\b(node-expat|xml2json)\b/)) return false;
      if (!/^xml2json\./.test(name)) {
        // a node-expat parser's parse/write, however the parser was named
        const receiver = call?.childForFieldName('function')?.childForFieldName('object');
        if (!m.code.flowsFrom(receiver, [/^node-expat(\.Parser|\.createParser)?\(\)/], [])) return false;
      }
      // a document from a request or another source (the application's own files are its own)
      const input = m.code.argument(call, 0);
      return input !== undefined && m.code.isTainted(input, 'xml');
    },
    message: 'node-expat (and xml2json, built on it) expands the entities a document declares: a crafted document can exhaust memory with nested entities (billion laughs) or pull in entity text the application did not expect.',
    remediation: 'Reject documents with a DOCTYPE before parsing, or parse untrusted XML with a parser that refuses DTDs (fast-xml-parser with processEntities: false, or libxmljs without noent).',
  },
];

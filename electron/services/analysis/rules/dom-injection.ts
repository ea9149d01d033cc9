/**
 * HTML injection: markup built from data inserted into the DOM or marked safe — CWE-79.
 */
import { JS_FAMILY } from '../types';
import { callee, JS_HTML_SANITIZERS } from './patterns';
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

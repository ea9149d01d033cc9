/**
 * Non-cryptographic randomness used for tokens, passwords or keys — CWE-330 / CWE-338.
 */
import { JS_FAMILY } from '../types';
import type { Node } from 'web-tree-sitter';
import { SECURITY_PURPOSE, securityPurpose } from './patterns';
import { cwe, type Rule, type RuleMatch } from './rule';

const ASSIGNMENTS = new Set(['assignment', 'variable_declarator', 'assignment_expression']);
const SCOPES = new Set(['function_definition', 'module', 'function_declaration', 'arrow_function', 'function_expression', 'method_definition', 'program']);

/**
 * True when the random value, once named, is stored where secrets live: into a session or cookie
 * store, or under a key that says it is a token (`mysession[cookie] = value`, `set_cookie(name, value)`).
 */
function storedAsSecret(m: RuleMatch): boolean {
  let node: Node | null = m.capture('finding') ?? null;
  let named: string | undefined;
  for (; node !== null && !SCOPES.has(node.type); node = node.parent) {
    if (named === undefined && ASSIGNMENTS.has(node.type)) {
      const left = node.childForFieldName(node.type === 'variable_declarator' ? 'name' : 'left');
      if (left?.type === 'identifier') named = left.text;
    }
  }
  if (named === undefined || node === null) return false;
  const name = named;
  const uses = (value: Node | null): boolean => value !== null && (value.text === name || value.descendantsOfType('identifier').some((i) => i?.text === name));
  for (const a of node.descendantsOfType(['assignment', 'assignment_expression'])) {
    const left = a?.childForFieldName('left');
    if (a === null || left === null || left === undefined || !/subscript|member_expression|attribute/.test(left.type)) continue;
    if (SECURITY_PURPOSE.test(left.text) && uses(a.childForFieldName('right'))) return true;
  }
  for (const c of node.descendantsOfType(['call', 'call_expression'])) {
    const fn = c?.childForFieldName('function')?.text ?? '';
    if (c !== null && /(set_cookie|\.cookie|cookies\.set)$/.test(fn) && (c.childForFieldName('arguments')?.namedChildren ?? []).some((arg) => uses(arg))) return true;
  }
  return false;
}

/** A random value named for a secret, or stored as one. */
function randomForSecret(m: RuleMatch): boolean {
  return securityPurpose(m) || storedAsSecret(m);
}

const PY_RANDOM = ['random', 'randint', 'randrange', 'choice', 'choices', 'sample', 'getrandbits', 'uniform', 'shuffle', 'randbytes', 'normalvariate', 'gauss', 'triangular', 'betavariate', 'expovariate', 'gammavariate', 'lognormvariate', 'vonmisesvariate', 'paretovariate', 'weibullvariate', 'binomialvariate'];

/** Rules for predictable random values in a security role. */
export const insecureRandomnessRules: ReadonlyArray<Rule> = [
  {
    id: 'python.insecure-randomness.random-token',
    title: 'random module used for a secret',
    category: 'insecure-randomness',
    severity: 'medium',
    cwe: [cwe(330), cwe(338)],
    languages: ['python'],
    calls: PY_RANDOM.map((f) => `random.${f}`),
    predicate: randomForSecret,
    message: 'The random module is a Mersenne Twister: its output can be predicted from earlier outputs, so tokens made with it can be guessed.',
    remediation: 'Use the secrets module: secrets.token_urlsafe(), secrets.token_hex(), secrets.choice().',
  },
  {
    id: 'js.insecure-randomness.math-random',
    title: 'Math.random used for a secret',
    category: 'insecure-randomness',
    severity: 'medium',
    cwe: [cwe(330), cwe(338)],
    languages: JS_FAMILY,
    calls: ['Math.random'],
    predicate: randomForSecret,
    message: 'Math.random is not cryptographically secure; tokens made with it can be predicted.',
    remediation: 'Use crypto.randomBytes(), crypto.randomUUID() or crypto.getRandomValues().',
  },
];

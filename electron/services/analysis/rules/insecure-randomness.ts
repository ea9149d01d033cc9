/**
 * Non-cryptographic randomness used for tokens, passwords or keys — CWE-330 / CWE-338.
 */
import { JS_FAMILY } from '../types';
import { securityPurpose } from './patterns';
import { cwe, type Rule } from './rule';

const PY_RANDOM = ['random', 'randint', 'randrange', 'choice', 'choices', 'sample', 'getrandbits', 'uniform', 'shuffle', 'randbytes'];

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
    predicate: securityPurpose,
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
    predicate: securityPurpose,
    message: 'Math.random is not cryptographically secure; tokens made with it can be predicted.',
    remediation: 'Use crypto.randomBytes(), crypto.randomUUID() or crypto.getRandomValues().',
  },
];

/**
 * Weak hashes (MD5, SHA-1, MD4) where a secret or integrity is at stake — CWE-327 / CWE-328.
 */
import { JS_FAMILY } from '../types';
import { callee, objectDeclaredFor, objectProperty } from './patterns';
import { cwe, type Rule } from './rule';

const WEAK = /^(md5|md4|md2|sha1|sha-1|sha|ripemd|ripemd160|rmd160)$/i;

/** Calls whose result is (or holds) a fast, broken digest, by qualified name (a call adds `()`). */
const WEAK_DIGESTS: ReadonlyArray<RegExp> = [
  /^hashlib\.(md5|sha1|md4)\(\)/,
  /^(Crypto|Cryptodome)\.Hash\.(MD5|MD4|MD2|SHA|SHA1)\.new\(\)/,
  /^cryptography\.hazmat\.primitives\.hashes\.(MD5|SHA1)\(\)/,
  /^(md5|js-md5|blueimp-md5|sha1|js-sha1|crypto-js\.(MD5|SHA1)|crypto-js\/(md5|sha1))\(\)/,
];

/** Rules for broken hash functions. */
export const weakHashRules: ReadonlyArray<Rule> = [
  {
    id: 'python.weak-hash.md5-sha1',
    title: 'Weak hash function (MD5/SHA-1)',
    category: 'weak-hash',
    severity: 'medium',
    cwe: [cwe(328), cwe(327)],
    languages: ['python'],
    calls: [
      'hashlib.md5',
      'hashlib.sha1',
      'hashlib.md4',
      'hashlib.new',
      // PyCrypto and PyCryptodome install as `Crypto`; PyCryptodomex, the same code, as `Cryptodome`
      ...['Crypto', 'Cryptodome'].flatMap((pkg) => ['MD5', 'MD4', 'MD2', 'SHA', 'SHA1', 'RIPEMD'].map((h) => `${pkg}.Hash.${h}.new`)),
      'cryptography.hazmat.primitives.hashes.MD5',
      'cryptography.hazmat.primitives.hashes.SHA1',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      const usedForSecurity = m.code.keywordArgument(call, 'usedforsecurity');
      // Python 3.9+: usedforsecurity=False declares a non-security use (checksums, cache keys)
      if (usedForSecurity !== undefined && m.code.isFalsy(usedForSecurity)) return false;
      if (name === 'hashlib.new') return WEAK.test(m.code.stringValue(m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'name')) ?? '');
      return true;
    },
    message: 'MD5 and SHA-1 have practical collisions and are far too fast for passwords or tokens.',
    remediation: 'Use hashlib.sha256/sha3_256 for integrity, hmac.compare_digest for comparison, and argon2/bcrypt/scrypt (hashlib.scrypt) for passwords; mark genuine non-security uses with usedforsecurity=False.',
  },
  {
    id: 'python.weak-hash.password-digest',
    title: 'Password stored as a fast, broken digest',
    category: 'weak-hash',
    severity: 'high',
    cwe: [cwe(916), cwe(328)],
    languages: ['python'],
    // user.set_password(digest) / user.setPassword(digest) / user.password = digest / user.password_hash = digest
    query: `(call function: (attribute attribute: (identifier) @m) arguments: (argument_list . (_) @value) (#match? @m "[Pp]ass(word|wd)")) @finding
      (assignment left: (attribute attribute: (identifier) @m) right: (_) @value (#match? @m "^(password|passwd|password_hash|pw_hash|hashed_password)$")) @finding`,
    fileGate: /passw/i,
    predicate: (m) => m.code.flowsFrom(m.capture('value'), WEAK_DIGESTS, []),
    message: 'The value stored as the password is an MD5/SHA-1 digest: it is unsalted and billions of guesses per second can be checked against it, so a leaked table gives the passwords away.',
    remediation: 'Store passwords with a slow, salted password hash: argon2 (argon2-cffi), bcrypt, scrypt (hashlib.scrypt) or your framework’s make_password/set_password.',
  },
  {
    id: 'js.weak-hash.password-digest',
    title: 'Password stored as a fast, broken digest',
    category: 'weak-hash',
    severity: 'high',
    cwe: [cwe(916), cwe(328)],
    languages: JS_FAMILY,
    query: `(call_expression function: (member_expression property: (property_identifier) @m) arguments: (arguments . (_) @value) (#match? @m "[Pp]ass(word|wd)")) @finding
      (assignment_expression left: (member_expression property: (property_identifier) @m) right: (_) @value (#match? @m "^(password|passwd|passwordHash|hashedPassword|password_hash)$")) @finding`,
    fileGate: /passw/i,
    predicate: (m) => {
      const value = m.capture('value');
      if (value === undefined) return false;
      if (m.code.flowsFrom(value, WEAK_DIGESTS, [])) return true;
      // crypto.createHash('md5'): the algorithm is an argument, so read the value's own text, or that of the
      // last assignment to it in the function before this line
      const BROKEN = /createHash\(\s*['"`](md5|sha1|md4)['"`]/i;
      if (BROKEN.test(value.text)) return true;
      if (value.type !== 'identifier') return false;
      let scope = value.parent;
      while (scope !== null && !/^(function_declaration|function_expression|arrow_function|method_definition|program)$/.test(scope.type)) scope = scope.parent;
      const writes = (scope?.descendantsOfType(['variable_declarator', 'assignment_expression']) ?? []).filter(
        (d) => d !== null && d.endIndex <= value.startIndex && (d.childForFieldName('name') ?? d.childForFieldName('left'))?.text === value.text,
      );
      const last = writes[writes.length - 1];
      return last !== undefined && last !== null && BROKEN.test((last.childForFieldName('value') ?? last.childForFieldName('right'))?.text ?? '');
    },
    message: 'The value stored as the password is an MD5/SHA-1 digest: it is unsalted and billions of guesses per second can be checked against it, so a leaked table gives the passwords away.',
    remediation: 'Store passwords with a slow, salted password hash: argon2, bcrypt or crypto.scrypt with a random salt.',
  },
  {
    id: 'js.weak-hash.create-hash',
    title: 'Weak hash function (MD5/SHA-1)',
    category: 'weak-hash',
    severity: 'medium',
    cwe: [cwe(328), cwe(327)],
    languages: JS_FAMILY,
    calls: [
      'crypto.createHash',
      '*.digest',
      'crypto-js.MD5',
      'crypto-js.SHA1',
      'crypto-js/md5',
      'crypto-js/sha1',
      'md5',
      'js-md5',
      'sha1',
      'js-sha1',
      'blueimp-md5',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (name === 'crypto.createHash' || /(^|\.)subtle\.digest$/.test(name)) return WEAK.test(m.code.stringValue(m.code.argument(call, 0)) ?? '');
      // `*.digest` also catches hash.digest('hex'); only subtle.digest takes an algorithm
      return name !== '' && !/(^|\.)digest$/.test(name);
    },
    message: 'MD5 and SHA-1 have practical collisions and are far too fast for passwords or tokens.',
    remediation: 'Use sha256 for integrity and crypto.scrypt / argon2 / bcrypt for passwords.',
  },
  {
    id: 'js.weak-hash.argon2-variant',
    title: 'Passwords hashed with Argon2i or Argon2d',
    category: 'weak-hash',
    severity: 'medium',
    cwe: [cwe(916), cwe(327)],
    languages: JS_FAMILY,
    calls: ['argon2.hash'],
    predicate: (m) => {
      const call = m.capture('finding');
      const options = m.code.argument(call, 1);
      const type = options?.type === 'object' ? m.code.keywordArgument(call, 'type') : options?.type === 'identifier' ? objectProperty(objectDeclaredFor(options), 'type') : undefined;
      // argon2.argon2d = 0, argon2.argon2i = 1, argon2.argon2id = 2 (the default)
      return type !== undefined && /^((\w+\.)?argon2[di]|[01])$/.test(type.text.trim());
    },
    message: 'Argon2d leaks through side channels and Argon2i is the weaker choice against GPU cracking; password hashing should use Argon2id (the library default).',
    remediation: 'Drop the type option, or set type: argon2.argon2id, with at least the library’s default memory and time cost.',
  },
];

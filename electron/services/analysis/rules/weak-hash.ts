/**
 * Weak hashes (MD5, SHA-1, MD4) where a secret or integrity is at stake — CWE-327 / CWE-328.
 */
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule } from './rule';

const WEAK = /^(md5|md4|md2|sha1|sha-1|sha|ripemd|ripemd160|rmd160)$/i;

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
      'Crypto.Hash.MD5.new',
      'Crypto.Hash.MD4.new',
      'Crypto.Hash.MD2.new',
      'Crypto.Hash.SHA.new',
      'Crypto.Hash.SHA1.new',
      'Cryptodome.Hash.MD5.new',
      'Cryptodome.Hash.SHA1.new',
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
];

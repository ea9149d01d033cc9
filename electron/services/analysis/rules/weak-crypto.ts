/**
 * Broken or too-weak cryptography: ciphers and modes (DES, RC4, Blowfish, ECB), keys too short to
 * resist factoring, unsigned tokens, and TLS protocol versions with known attacks — CWE-327 / CWE-326.
 * Grouped with weak hashes: both are "the primitive itself is the flaw", fixed by choosing another.
 */
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule } from './rule';

const WEAK_CIPHER_MODULES = ['DES', 'DES3', 'ARC2', 'ARC4', 'Blowfish', 'XOR', 'CAST'];
const WEAK_ALGORITHMS = ['ARC4', 'Blowfish', 'IDEA', 'TripleDES', 'CAST5', 'SEED'];
const WEAK_JS_CIPHER = /^(des|des3|des-ede|des-ede3|rc2|rc4|bf|blowfish|cast|idea|seed)(-|$)|-ecb$|^aes-\d+-ecb$|^id-aes\d+-wrap$/i;
const WEAK_CURVES = /^(SECP192R1|SECT163K1|SECT163R2|SECP160R1|SECT233K1|SECT233R1|prime192v1|secp112r1|secp128r1|secp160k1|secp160r1)$/i;
const WEAK_PROTOCOLS = /(PROTOCOL_SSLv2|PROTOCOL_SSLv3|PROTOCOL_SSLv23|PROTOCOL_TLSv1|PROTOCOL_TLSv1_1|SSLv2_METHOD|SSLv3_METHOD|SSLv23_METHOD|TLSv1_METHOD|TLSv1_1_METHOD)$/;

/** Rules for weak ciphers, modes, key sizes, unsigned tokens and TLS versions. */
export const weakCryptoRules: ReadonlyArray<Rule> = [
  {
    id: 'python.weak-hash.weak-cipher',
    title: 'Broken cipher or ECB mode',
    category: 'weak-hash',
    severity: 'medium',
    cwe: [cwe(327)],
    languages: ['python'],
    calls: [
      ...WEAK_CIPHER_MODULES.flatMap((c) => [`Crypto.Cipher.${c}.new`, `Cryptodome.Cipher.${c}.new`]),
      ...WEAK_ALGORITHMS.flatMap((a) => [`cryptography.hazmat.primitives.ciphers.algorithms.${a}`, `cryptography.hazmat.primitives.ciphers.algorithms.${a}`]),
      'cryptography.hazmat.primitives.ciphers.modes.ECB',
    ],
    query: `(attribute attribute: (identifier) @a (#eq? @a "MODE_ECB")) @finding`,
    message: 'DES, 3DES, RC2, RC4, Blowfish, IDEA and ECB mode are broken or leak patterns of the plaintext; data they protect can be read or altered.',
    remediation: 'Use AES-GCM or ChaCha20-Poly1305 (cryptography’s AESGCM / ChaCha20Poly1305) with a fresh nonce per message.',
  },
  {
    id: 'python.weak-hash.short-key',
    title: 'Key too short',
    category: 'weak-hash',
    severity: 'medium',
    cwe: [cwe(326)],
    languages: ['python'],
    calls: [
      'cryptography.hazmat.primitives.asymmetric.rsa.generate_private_key',
      'cryptography.hazmat.primitives.asymmetric.dsa.generate_private_key',
      'cryptography.hazmat.primitives.asymmetric.dsa.generate_parameters',
      'cryptography.hazmat.primitives.asymmetric.ec.generate_private_key',
      'Crypto.PublicKey.RSA.generate',
      'Crypto.PublicKey.DSA.generate',
      'Cryptodome.PublicKey.RSA.generate',
      'Cryptodome.PublicKey.DSA.generate',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (/\.ec\.generate_private_key$/.test(name)) {
        const curve = m.code.keywordArgument(call, 'curve') ?? m.code.argument(call, 0);
        const curveName = curve === undefined ? '' : (m.code.qualifiedName(curve) ?? curve.text).replace(/\(\)$/, '').split('.').pop() ?? '';
        return WEAK_CURVES.test(curveName);
      }
      const size = m.code.keywordArgument(call, 'key_size') ?? m.code.keywordArgument(call, 'bits') ?? m.code.argument(call, /\.rsa\.generate_private_key$/.test(name) ? 1 : 0);
      const value = size === undefined ? undefined : m.code.valueOf(size).value;
      return typeof value === 'number' && value < 2048;
    },
    message: 'RSA and DSA keys under 2048 bits and curves under 224 bits can be broken with available computing power.',
    remediation: 'Use RSA or DSA keys of at least 2048 bits (3072 for long-lived keys), or an elliptic curve such as P-256 / Ed25519.',
  },
  {
    id: 'python.weak-hash.unsigned-token',
    title: 'Token accepted or made without a signature',
    category: 'weak-hash',
    severity: 'high',
    cwe: [cwe(327), cwe(347)],
    languages: ['python'],
    calls: ['jwt.encode', 'jwt.decode'],
    predicate: (m) => {
      const call = m.capture('finding');
      const algorithm = m.code.keywordArgument(call, 'algorithm') ?? m.code.keywordArgument(call, 'algorithms');
      return algorithm !== undefined && /['"]none['"]/i.test(algorithm.text);
    },
    message: 'The "none" algorithm means no signature: anyone can write a token this code accepts.',
    remediation: 'Sign and verify with HS256/RS256/EdDSA and list only those algorithms when decoding.',
  },
  {
    id: 'python.tls-verification.weak-protocol',
    title: 'Obsolete TLS/SSL protocol version',
    category: 'tls-verification',
    severity: 'medium',
    cwe: [cwe(327), cwe(326)],
    languages: ['python'],
    calls: ['ssl.wrap_socket'],
    query: `(attribute attribute: (identifier) @a (#any-of? @a "PROTOCOL_SSLv2" "PROTOCOL_SSLv3" "PROTOCOL_TLSv1" "PROTOCOL_TLSv1_1" "SSLv2_METHOD" "SSLv3_METHOD" "SSLv23_METHOD" "TLSv1_METHOD" "TLSv1_1_METHOD")) @finding`,
    predicate: (m) => {
      const node = m.capture('finding');
      if (node === undefined) return false;
      if (node.type === 'attribute') {
        const name = m.code.qualifiedName(node) ?? node.text;
        // pyOpenSSL's SSLv23_METHOD negotiates down to SSL 2/3 unless the context switches them off
        if (name.endsWith('SSLv23_METHOD')) return !m.code.mentions(/\bOP_NO_SSLv3\b/);
        return WEAK_PROTOCOLS.test(name);
      }
      // ssl.wrap_socket makes a context without host name checking (removed in Python 3.12)
      return m.code.keywordArgument(node, 'ssl_version') === undefined;
    },
    message: 'SSL 2/3 and TLS 1.0/1.1 have practical attacks, and ssl.wrap_socket() does not check host names; the connection can be read or taken over.',
    remediation: 'Use ssl.create_default_context() (TLS 1.2+) and context.wrap_socket(sock, server_hostname=host).',
  },
  {
    id: 'js.weak-hash.weak-cipher',
    title: 'Broken cipher, ECB mode or no IV',
    category: 'weak-hash',
    severity: 'medium',
    cwe: [cwe(327)],
    languages: JS_FAMILY,
    calls: ['crypto.createCipher', 'crypto.createDecipher', 'crypto.createCipheriv', 'crypto.createDecipheriv', 'crypto.generateKeyPair', 'crypto.generateKeyPairSync', 'crypto.pseudoRandomBytes'],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      // createCipher derives key and IV from a password with MD5 and no salt (removed in Node 22)
      if (/create(De)?[Cc]ipher$/.test(name) || /pseudoRandomBytes$/.test(name)) return true;
      if (/generateKeyPair/.test(name)) {
        const size = m.code.keywordArgument(call, 'modulusLength');
        const value = size === undefined ? undefined : m.code.valueOf(size).value;
        return typeof value === 'number' && value < 2048;
      }
      const algorithm = m.code.valueOf(m.code.argument(call, 0) ?? call!).value;
      return typeof algorithm === 'string' && WEAK_JS_CIPHER.test(algorithm);
    },
    message: 'DES, RC4, Blowfish and ECB mode are broken or leak patterns of the plaintext; createCipher derives its key with MD5 and no salt; RSA keys under 2048 bits can be factored.',
    remediation: 'Use createCipheriv("aes-256-gcm", key, iv) with a random 12-byte IV, and RSA keys of at least 2048 bits.',
  },
  {
    id: 'js.weak-hash.unsigned-token',
    title: 'Token accepted or made without a signature',
    category: 'weak-hash',
    severity: 'high',
    cwe: [cwe(327), cwe(347)],
    languages: JS_FAMILY,
    calls: ['jsonwebtoken.verify', 'jsonwebtoken.sign', 'jose.JWT.verify', 'jose.JWT.sign', 'jose.JWT.decode'],
    predicate: (m) => {
      const call = m.capture('finding');
      const options = m.code.positionalArguments(call).find((a) => a.type === 'object');
      return (options !== undefined && /['"`]none['"`]/i.test(options.text)) || (/^jose\./.test(callee(m) ?? '') && /JWK\.None|\bNone\b/.test(call?.text ?? ''));
    },
    message: 'The "none" algorithm means no signature: anyone can write a token this code accepts.',
    remediation: 'List only signing algorithms (HS256/RS256/EdDSA) when verifying, and always sign with a key.',
  },
];

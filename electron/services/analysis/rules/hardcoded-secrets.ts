/**
 * Hard-coded keys in the argument positions that take a secret — CWE-798 / CWE-321. Unlike the text
 * scan in secrets.ts this needs no entropy: `jwt.sign(payload, 'a')` is a signing key whatever it
 * looks like. The engine masks every string literal of such a finding's snippet.
 */
import type { Node } from 'web-tree-sitter';
import type { Value } from '../taint';
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule, type RuleMatch } from './rule';

/** True when a value is a literal (or a constant built from literals) with some text in it. */
function literalSecret(m: RuleMatch, node: Node | undefined): boolean {
  if (node === undefined) return false;
  const value = m.code.valueOf(node);
  if (value.level !== 0) {
    // JWK.asKey('...') / Buffer.from('...') wrap a literal key
    if ((node.type === 'call_expression' || node.type === 'call') && /(^|\.)(asKey|from|createSecretKey|encode|b64decode)$/.test(m.code.calleeName(node) ?? '')) {
      return literalSecret(m, m.code.argument(node, 0));
    }
    return false;
  }
  return literalText(value) && traced(m, value);
}

/** Points the finding's flow at where the literal key is written, when that is elsewhere (a config object, a constant). */
function traced(m: RuleMatch, value: Value | undefined): true {
  if (value?.origin !== undefined) m.traceFrom(value.origin, 'the literal key is written here');
  return true;
}

/** True when a value is a constant string that is a real key, not a stand-in (xxxx…, <key>, ${VAR}); a short or guessable word still is. */
function literalText(value: Value | undefined): boolean {
  return value !== undefined && value.level === 0 && typeof value.value === 'string' && value.value.length > 0 && !/^(.)\1+$|x{4,}|<[^>]*>|\$\{|\{\{|^%\(/i.test(value.value);
}

const JS_SECRET_OPTIONS = ['secret', 'secretOrKey', 'secretOrPrivateKey', 'privateKey', 'jwtSecret', 'sessionSecret', 'clientSecret', 'password', 'passphrase'];

/** Rules for literal keys passed where a secret goes. */
export const hardcodedSecretRules: ReadonlyArray<Rule> = [
  {
    id: 'js.secrets.hardcoded-key-argument',
    title: 'Hard-coded signing key or session secret',
    category: 'secrets',
    severity: 'high',
    cwe: [cwe(798), cwe(321)],
    languages: JS_FAMILY,
    calls: [
      'jsonwebtoken.sign',
      'jsonwebtoken.verify',
      'jose.JWT.sign',
      'jose.JWT.verify',
      'jose.JWS.sign',
      'jose.JWS.verify',
      'crypto.createHmac',
      'crypto.createCipheriv',
      'crypto.createDecipheriv',
      'express-session',
      'cookie-session',
      'express-jwt',
      'express-jwt.expressjwt',
      'cookie-parser',

      'jwt-simple.encode',
      'jwt-simple.decode',
      '*.sign',
      '*.verify',
    ],
    query: `(new_expression constructor: (_) @ctor) @finding`,
    fileGate: /passport/,
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (/(^|\.)(sign|verify)$/.test(name) && !/^(jsonwebtoken|jose|jwt-simple|jws|njwt)\b/.test(name) && !/jwt|jws|jose/i.test(name)) return false;
      if (/^crypto\.createHmac$|^crypto\.create(De)?[Cc]ipheriv$/.test(name)) return literalSecret(m, m.code.argument(call, 1));
      if (/(^|\.)(sign|verify|encode|decode)$/.test(name)) return literalSecret(m, m.code.argument(call, 1));
      if (name === 'cookie-parser') return literalSecret(m, m.code.argument(call, 0));
      // passport strategies of any provider (passport-facebook, passport-google-oauth20, passport-jwt…), however named locally
      if (m.capture('ctor') !== undefined && !/^passport[\w-]*\.(Strategy|OAuth2Strategy)$/.test(name)) return false;
      if (JS_SECRET_OPTIONS.some((k) => literalSecret(m, m.code.keywordArgument(call, k)))) return true;
      // the options held in a name: `const opts = { secretOrKey: 'k' }` or `opts.clientSecret = 'k'` (or `this.opts = {…}`) before the call
      return m.code.positionalArguments(call).some((a) => (a.type === 'identifier' || (a.type === 'member_expression' && a.childForFieldName('object')?.type === 'this')) && JS_SECRET_OPTIONS.some((k) => literalText(m.code.valueOf(a).fields?.get(k)) && traced(m, m.code.valueOf(a).fields?.get(k))));
    },
    message: 'A literal key in the source signs or checks tokens or sessions; anyone who reads the code (or its history) can forge them, and it cannot be rotated without a release.',
    remediation: 'Read the key from the environment or a secret store at startup (process.env.JWT_SECRET), and rotate the one that was committed.',
  },
  {
    id: 'python.secrets.hardcoded-key-argument',
    title: 'Hard-coded signing key or secret key',
    category: 'secrets',
    severity: 'high',
    cwe: [cwe(798), cwe(321)],
    languages: ['python'],
    calls: ['jwt.encode', 'jwt.decode', 'hmac.new', 'itsdangerous.URLSafeTimedSerializer', 'itsdangerous.Serializer', 'boto3.client', 'boto3.resource', 'boto3.Session', 'boto3.session.Session'],
    query: `(assignment left: (attribute attribute: (identifier) @k) right: (_) @v (#any-of? @k "secret_key" "SECRET_KEY" "jwt_secret_key" "JWT_SECRET_KEY")) @finding
      (assignment left: (subscript subscript: (string (string_content) @k)) right: (_) @v (#any-of? @k "SECRET_KEY" "JWT_SECRET_KEY" "SECURITY_PASSWORD_SALT")) @finding
      (call function: (attribute attribute: (identifier) @u) arguments: (argument_list (keyword_argument name: (identifier) @k value: (_) @v)) (#eq? @u "update") (#any-of? @k "SECRET_KEY" "JWT_SECRET_KEY")) @finding`,
    predicate: (m) => {
      const value = m.capture('v');
      if (value !== undefined) return literalSecret(m, value);
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      if (/^boto3\./.test(name)) return ['aws_secret_access_key', 'aws_session_token'].some((k) => literalSecret(m, m.code.keywordArgument(call, k)));
      return literalSecret(m, m.code.argument(call, name === 'jwt.decode' || name === 'jwt.encode' ? 1 : 0) ?? m.code.keywordArgument(call, 'key') ?? m.code.keywordArgument(call, 'secret_key'));
    },
    message: 'A literal key in the source signs sessions or tokens; anyone who reads the code can forge them.',
    remediation: 'Load the key from the environment or a secret store (os.environ["SECRET_KEY"]), and rotate the committed one.',
  },
];

/**
 * Hard-coded secrets (CWE-798) in any text file: known token formats, and assignments of high-entropy
 * strings to secret-named variables. Placeholders, hashes, commit ids and values read from the
 * environment are not secrets. What a finding shows is redacted: the secret itself never leaves here.
 *
 * Detectors are data ({@link secretDetectors}); the scanner only runs them.
 */
import type { Severity } from '../../../shared/model/domain';
import { cwe } from './rules/rule';

/** One match a detector made, before it becomes a Finding. */
export interface SecretMatch {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
  /** 0-based UTF-16 offsets of the secret in the text. */
  readonly start: number;
  readonly end: number;
  /** Where the finding ends when it spans more than the secret (a PEM block). */
  readonly blockEnd?: number;
  /** The secret, only for fingerprinting; never shown. */
  readonly secret: string;
}

/** A known token format. */
export interface SecretDetector {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** Global regex; group 1 (if any) is the secret, otherwise the whole match. */
  readonly pattern: RegExp;
  /** Extra check on the secret (and the full text from its start), e.g. a JWT header must decode. */
  readonly validate?: (secret: string, rest: string) => boolean;
  /** How far the finding reaches past the secret (a PEM block reaches its END line). */
  readonly blockLength?: (rest: string) => number;
  readonly message: string;
  readonly remediation: string;
}

/** CWE tags every secret finding carries. */
export const SECRET_CWE: ReadonlyArray<string> = [cwe(798)];

const ROTATE = 'Revoke and rotate the credential now (it is in the history), then load it from the environment or a secret manager at run time.';

/** Bits of Shannon entropy per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const PLACEHOLDER_WORDS = /(example|placeholder|changeme|change_me|change-me|dummy|sample|redacted|your[_-]|<[^>]*>|xxxx|\*\*\*|\.\.\.|todo|fixme|insert|replace[_-]?me|not[_-]?a[_-]?real|fake|mock|test[_-]?(key|token|secret|password))/i;

/** True for values that stand in for a secret rather than being one. */
export function isPlaceholder(value: string): boolean {
  if (PLACEHOLDER_WORDS.test(value)) return true;
  // template and shell references: ${VAR}, {{ var }}, %(var)s, $VAR, %VAR%
  if (/^\$\{[^}]*\}$|^\{\{.*\}\}$|^%\([^)]*\)s$|^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_]*%$|\$\{|\{\{/.test(value)) return true;
  // one character repeated (xxxxxxxx, 00000000) or a run of the alphabet
  if (/^(.)\1+$/.test(value) || /^(abcdef|123456|012345)/i.test(value)) return true;
  return /^(changeme|password|passw0rd|secret|token|none|null|undefined|true|false|empty|default|test|testing|admin|string|value|key)$/i.test(value);
}

/** True for hashes and commit ids, which look random but are not secrets. */
export function isHashLike(value: string): boolean {
  if (/^[a-f0-9]{32}$|^[a-f0-9]{40}$|^[a-f0-9]{56}$|^[a-f0-9]{64}$|^[a-f0-9]{96}$|^[a-f0-9]{128}$/i.test(value)) return true;
  // integrity strings, docker digests, bcrypt/argon2/scrypt/PBKDF2 hash encodings
  return /^(sha(1|224|256|384|512)[-:]|md5[-:]|\$2[abxy]?\$|\$argon2|\$scrypt\$|\$pbkdf2|pbkdf2_sha256\$|\$6\$|\$5\$|\$1\$)/i.test(value);
}

function base64UrlJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The known token formats, most specific first. */
export const secretDetectors: ReadonlyArray<SecretDetector> = [
  {
    id: 'secrets.private-key',
    title: 'Private key',
    severity: 'critical',
    pattern: /-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/g,
    validate: (_secret, rest) => {
      const end = rest.indexOf('-----END', 10);
      const body = rest.slice(rest.indexOf('-----', 10) + 5, end === -1 ? 4096 : end);
      // a real key has a base64 body; documentation shows "..." or nothing
      return (body.replace(/\\n/g, '').match(/[A-Za-z0-9+/=]/g)?.length ?? 0) >= 64 && !/\.\.\./.test(body.slice(0, 200));
    },
    blockLength: (rest) => {
      const end = rest.indexOf('-----END', 10);
      if (end === -1) return rest.indexOf('\n') === -1 ? rest.length : rest.indexOf('\n');
      const close = rest.indexOf('-----', end + 8);
      return close === -1 ? end + 8 : close + 5;
    },
    message: 'A private key block is committed; anyone with read access to the repository holds the key.',
    remediation: `${ROTATE} Keep keys in a key store or mounted file outside the repository.`,
  },
  {
    id: 'secrets.aws-access-key-id',
    title: 'AWS access key id',
    severity: 'high',
    pattern: /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/g,
    validate: (secret) => !isPlaceholder(secret),
    message: 'An AWS access key id is committed; with its secret key it grants the key’s IAM permissions.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.aws-secret-access-key',
    title: 'AWS secret access key',
    severity: 'critical',
    pattern: /(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|SecretAccessKey)["']?\s*(?:[:=]|=>)\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    validate: (secret) => !isPlaceholder(secret) && shannonEntropy(secret) > 4,
    message: 'An AWS secret access key is committed: full use of the key’s IAM permissions.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.github-token',
    title: 'GitHub token',
    severity: 'critical',
    pattern: /\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])/g,
    validate: (secret) => !isPlaceholder(secret.slice(4)) && shannonEntropy(secret) > 3.5,
    message: 'A GitHub token is committed; it acts as its owner on GitHub within its scopes.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.gitlab-token',
    title: 'GitLab personal access token',
    severity: 'critical',
    pattern: /\b(glpat-[A-Za-z0-9_-]{20})(?![A-Za-z0-9_-])/g,
    validate: (secret) => !isPlaceholder(secret.slice(6)) && shannonEntropy(secret) > 3.2,
    message: 'A GitLab access token is committed; it acts as its owner on GitLab within its scopes.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.slack-token',
    title: 'Slack token',
    severity: 'high',
    pattern: /(?<![A-Za-z0-9-])(xox[abposre]-[0-9]{6,20}-[A-Za-z0-9-]{8,256})/g,
    validate: (secret) => !isPlaceholder(secret.slice(5)),
    message: 'A Slack token is committed; it can read and post in the workspace within its scopes.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.slack-webhook',
    title: 'Slack incoming webhook',
    severity: 'medium',
    pattern: /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,16}\/B[A-Z0-9]{6,16}\/[A-Za-z0-9]{20,64})/g,
    message: 'A Slack webhook URL is committed; anyone holding it can post into the channel.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.stripe-secret-key',
    title: 'Stripe live secret key',
    severity: 'critical',
    pattern: /(?<![0-9A-Za-z_])((?:sk|rk)_live_[0-9A-Za-z]{20,128})(?![0-9A-Za-z_])/g,
    validate: (secret) => !isPlaceholder(secret.slice(8)),
    message: 'A live Stripe secret key is committed: it can move money on the account.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.google-api-key',
    title: 'Google API key',
    severity: 'high',
    pattern: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    validate: (secret) => !isPlaceholder(secret.slice(4)),
    message: 'A Google API key is committed; usage is billed to and limited by its project.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.jwt',
    title: 'JSON Web Token',
    severity: 'high',
    pattern: /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{16,1024})(?![A-Za-z0-9_-])/g,
    validate: (secret) => {
      const [header, payload] = secret.split('.');
      const decoded = header === undefined ? undefined : base64UrlJson(header);
      return typeof decoded === 'object' && decoded !== null && 'alg' in decoded && payload !== undefined && base64UrlJson(payload) !== undefined;
    },
    message: 'A signed JWT is committed; until it expires it authenticates whoever presents it.',
    remediation: ROTATE,
  },
  {
    id: 'secrets.credentials-in-url',
    title: 'Password in a URL',
    severity: 'high',
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/'"`]{1,64}:([^\s@/'"`]{4,128})@[A-Za-z0-9.-]+/gi,
    validate: (secret) => !isPlaceholder(secret) && !/^(pass|pwd|passwd|password|secret|\$.*|%.*)$/i.test(secret) && shannonEntropy(secret) >= 2.5,
    message: 'A connection URL carries a password.',
    remediation: `${ROTATE} Build the URL from an environment variable.`,
  },
];

const SECRET_NAME = /(secret|token|passwd|password|passphrase|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|signing[_-]?key|encryption[_-]?key)/i;
const SECRET_NAME_ANYWHERE = new RegExp(SECRET_NAME.source, 'gi');
// Names that hold something about a secret, not the secret: its URL, file, header name, length...
const NOT_A_SECRET_NAME = /(_|-|\b)(url|uri|path|file|dir|name|type|field|header|env|var|length|len|size|prompt|label|regex|pattern|id|endpoint|expiry|expires|expiration|ttl|timeout|count|hash|hashed|format|policy|required|min|max|param|key_?name|placeholder|hint|validator|strength|reset_?url|mode|kind|prefix|suffix|column|attr|selector|input)$/i;
// Anchored (a name starts where no name character precedes it) and bounded, so a crafted line cannot
// make the engine backtrack quadratically.
const ASSIGNMENT = /(?<![A-Za-z0-9_.$-])(?<name>[A-Za-z_$][A-Za-z0-9_.$-]{0,127})["'\]]{0,2}[ \t]{0,16}(?<op>===?|:=|=>|:|=)[ \t]{0,16}(?<q>["'`]?)(?<value>[^\s"'`]{1,512})\k<q>/g;
const GENERIC_MAX_LINE = 4096;

/** The generic "secret-named variable = random-looking string" detector, as data for reports. */
export const GENERIC_SECRET = {
  id: 'secrets.generic-assignment',
  title: 'Hard-coded credential',
  severity: 'high' as Severity,
  message: 'A secret-named variable is assigned a literal that looks random enough to be a real credential.',
  remediation: ROTATE,
};

function genericCandidates(line: string, quotedOnly: boolean): Array<{ start: number; value: string }> {
  const out: Array<{ start: number; value: string }> = [];
  for (const match of line.matchAll(ASSIGNMENT)) {
    const groups = match.groups;
    if (groups === undefined) continue;
    const name = groups['name'] ?? '';
    const value = groups['value'] ?? '';
    const quote = groups['q'] ?? '';
    if (quotedOnly && quote === '') continue;
    const lastSegment = name.split('.').pop() ?? name;
    if (!SECRET_NAME.test(lastSegment) || NOT_A_SECRET_NAME.test(lastSegment)) continue;
    if (value.length < 8 || value.length >= 512) continue;
    if (isPlaceholder(value) || isHashLike(value)) continue;
    // ALL_CAPS words are the names of environment variables, dotted lowercase names are modules
    if (/^[A-Z][A-Z0-9_]*$/.test(value) || /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$/i.test(value)) continue;
    if (/^(https?:\/\/|\/|\.\/|~\/|[A-Za-z]:\\)/.test(value)) continue;
    // a value that repeats its own name (`credentialless: "credentialless"`) or is made of words
    // (`token === "?NonNullAssertion"`, `"access-token-cookie"`) is a label, not a secret
    if (lastSegment.toLowerCase().includes(value.toLowerCase()) || /^[^A-Za-z0-9]?(?:[A-Z]?[a-z]{2,}|[_.-])+$/.test(value)) continue;
    if (quote === '' && /[()[\]{};,]/.test(value)) continue;
    if (shannonEntropy(value) < 3) continue;
    const valueIndex = (match.index ?? 0) + match[0].length - value.length - quote.length;
    out.push({ start: valueIndex, value });
  }
  return out;
}

/**
 * Finds secrets in one file's text.
 *
 * `codeFile` says the file is source code, where an unquoted right-hand side is an expression (a call to
 * `os.getenv`, a variable) rather than a value; in config files (`.env`, YAML, INI) unquoted values count.
 */
export function scanSecrets(text: string, codeFile: boolean): ReadonlyArray<SecretMatch> {
  const matches: SecretMatch[] = [];
  const taken: Array<[number, number]> = [];
  for (const detector of secretDetectors) {
    for (const match of text.matchAll(detector.pattern)) {
      const secret = match[1] ?? match[0];
      const start = (match.index ?? 0) + (match[1] === undefined ? 0 : match[0].indexOf(match[1]));
      const rest = text.slice(match.index ?? 0, (match.index ?? 0) + 8192);
      if (detector.validate !== undefined && !detector.validate(secret, rest)) continue;
      const end = start + secret.length;
      taken.push([start, end]);
      matches.push({
        ruleId: detector.id,
        title: detector.title,
        severity: detector.severity,
        message: detector.message,
        remediation: detector.remediation,
        start,
        end,
        ...(detector.blockLength === undefined ? {} : { blockEnd: (match.index ?? 0) + detector.blockLength(rest) }),
        secret,
      });
    }
  }
  // only lines that name a secret can hold a generic one: find them with one scan of the text instead of
  // slicing and testing every line
  let lastLine = -1;
  for (const named of text.matchAll(SECRET_NAME_ANYWHERE)) {
    const at = named.index ?? 0;
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    if (lineStart === lastLine) continue;
    lastLine = lineStart;
    const newline = text.indexOf('\n', at);
    const lineEnd = newline === -1 ? text.length : newline;
    if (lineEnd - lineStart > GENERIC_MAX_LINE) continue;
    const line = text.slice(lineStart, lineEnd);
    for (const candidate of genericCandidates(line, codeFile)) {
      const start = lineStart + candidate.start;
      const end = start + candidate.value.length;
      if (taken.some(([s, e]) => start < e && s < end)) continue;
      matches.push({
        ruleId: GENERIC_SECRET.id,
        title: GENERIC_SECRET.title,
        severity: GENERIC_SECRET.severity,
        message: GENERIC_SECRET.message,
        remediation: GENERIC_SECRET.remediation,
        start,
        end,
        secret: candidate.value,
      });
    }
  }
  return matches;
}

/** Masks a secret for display: a short prefix, then asterisks. */
export function redactSecret(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.length / 4));
  return `${secret.slice(0, keep)}${'*'.repeat(Math.min(8, Math.max(4, secret.length - keep)))}`;
}

/** Masks every secret our detectors find in a piece of text (used on imported SARIF snippets). */
export function redactSecretsIn(text: string, codeFile = true): string {
  const found = [...scanSecrets(text, codeFile)].sort((a, b) => b.start - a.start);
  let out = text;
  for (const match of found) out = out.slice(0, match.start) + redactSecret(match.secret) + out.slice(match.blockEnd ?? match.end);
  return out;
}

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHashLike, isPlaceholder, redactSecretsIn, scanSecrets, shannonEntropy } from '../../../../electron/services/analysis/secrets';
import { findingsIn } from './analyzer';

// Random, never-valid values in each format (built here so no token-shaped literal sits in the source).
function randomOf(alphabet: string, length: number, seed: number): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    for (const byte of createHash('sha256').update(`${seed}:${block}`).digest()) {
      if (out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKENS = {
  awsId: `AKIA${randomOf('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 1)}`,
  awsSecret: randomOf(`${ALNUM}/+`, 40, 2),
  github: `ghp_${randomOf(ALNUM, 36, 3)}`,
  githubPat: `github_pat_${randomOf(ALNUM, 22, 4)}_${randomOf(ALNUM, 59, 5)}`,
  gitlab: `glpat-${randomOf(`${ALNUM}_-`, 20, 6)}`,
  slack: `xoxb-${randomOf('0123456789', 12, 7)}-${randomOf('0123456789', 13, 8)}-${randomOf(ALNUM, 24, 9)}`,
  stripe: `sk_live_${randomOf(ALNUM, 24, 10)}`,
  google: `AIza${randomOf(`${ALNUM}_-`, 35, 11)}`,
  jwt: [
    Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url'),
    Buffer.from('{"sub":"svc","iat":1716000000}').toString('base64url'),
    randomOf(`${ALNUM}_-`, 43, 12),
  ].join('.'),
  generic: randomOf(`${ALNUM}#!$`, 20, 13),
};

describe('secret detection', () => {
  const known: ReadonlyArray<[string, string, string]> = [
    ['secrets.aws-access-key-id', 'a.py', `key_id = "${TOKENS.awsId}"`],
    ['secrets.aws-secret-access-key', 'a.ini', `aws_secret_access_key = ${TOKENS.awsSecret}`],
    ['secrets.github-token', 'a.js', `const t = '${TOKENS.github}';`],
    ['secrets.github-token', 'a.md', `token: ${TOKENS.githubPat}`],
    ['secrets.gitlab-token', '.env', `GL=${TOKENS.gitlab}`],
    ['secrets.slack-token', 'a.yaml', `slack: ${TOKENS.slack}`],
    ['secrets.stripe-secret-key', 'a.ts', `export const k = "${TOKENS.stripe}";`],
    ['secrets.google-api-key', 'a.json', `{"maps": "${TOKENS.google}"}`],
    ['secrets.jwt', 'a.txt', `Authorization: Bearer ${TOKENS.jwt}`],
    ['secrets.credentials-in-url', 'a.env', `DB=mysql://admin:${TOKENS.generic.replace(/[#!$]/g, 'x')}@db.internal/app`],
    ['secrets.generic-assignment', 'a.py', `db_password = "${TOKENS.generic}"`],
    ['secrets.generic-assignment', 'a.toml', `api_key = ${TOKENS.generic}`],
  ];
  for (const [rule, path, line] of known) {
    it(`finds ${rule} in ${path}`, async () => {
      const findings = await findingsIn(path, ['# header', line]);
      expect(findings.map((f) => f.ruleId)).toEqual([rule]);
      const f = findings[0];
      expect(f?.startLine).toBe(2);
      expect(f?.cwe).toEqual(['external/cwe/cwe-798']);
      // the finding never carries the secret itself
      for (const token of Object.values(TOKENS)) expect(f?.snippet.includes(token)).toBe(false);
    });
  }

  it('points at the secret: exact column, and a PEM block spans to its END line', async () => {
    const [f] = await findingsIn('a.py', [`GITHUB = "${TOKENS.github}"`]);
    expect([f?.startLine, f?.startColumn, f?.endColumn]).toEqual([1, 11, 11 + TOKENS.github.length]);
    const body = Array.from({ length: 4 }, (_, i) => randomOf(`${ALNUM}+/`, 64, 20 + i));
    const pem = await findingsIn('id_rsa', ['-----BEGIN RSA PRIVATE KEY-----', ...body, '-----END RSA PRIVATE KEY-----']);
    expect(pem.map((p) => [p.ruleId, p.startLine, p.endLine, p.severity])).toEqual([['secrets.private-key', 1, 6, 'critical']]);
  });

  it('does not report placeholders, hashes, commit ids or values read from the environment', async () => {
    const findings = await findingsIn('settings.py', [
      'import os',
      'API_KEY = os.environ["API_KEY"]',
      'DB_PASSWORD = os.getenv("DB_PASSWORD", "")',
      'SECRET_KEY = "changeme"',
      'TOKEN = "<your-key>"',
      'PASSWORD = "${DB_PASSWORD}"',
      'api_token = "xxxxxxxxxxxxxxxxxxxx"',
      'secret_hash = "5f4dcc3b5aa765d61d8327deb882cf99"',
      'deploy_token = "9fceb02d0ae598e95dc970b74767f19372d61af8"',
      'signing_key = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
      'stored_password = "$2b$12$KIXQJ8eN0qsJxY6e5jz8XOPv4r0z5aHnX3rW2mYbU8Dk1p9tF9aG6"',
      'AWS_KEY = "AKIAIOSFODNN7EXAMPLE"',
      'password_reset_url = "https://example.com/reset?token=abc"',
      'token_type = "Bearer"',
      'AUTH_HEADER_ENV = "GITHUB_TOKEN"',
      'password = get_password_from_vault()',
    ]);
    expect(findings.map((f) => `${f.ruleId}@${f.startLine}`)).toEqual([]);
    const env = await findingsIn('.env.example', ['GITHUB_TOKEN=${GITHUB_TOKEN}', 'API_KEY=<your-api-key>', 'STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx']);
    expect(env).toEqual([]);
    const js = await findingsIn('a.ts', ['const token = process.env.GITHUB_TOKEN;', "const config = { password: process.env.DB_PASSWORD ?? '' };"]);
    expect(js).toEqual([]);
  });

  it('checks entropy: a secret-named low-entropy value is not a credential', () => {
    expect(shannonEntropy('aaaaaaaa')).toBe(0);
    expect(shannonEntropy(TOKENS.generic)).toBeGreaterThan(3.5);
    expect(scanSecrets('password = "aaaabbbbaaaabbbb"', true)).toEqual([]);
    expect(scanSecrets(`password = "${TOKENS.generic}"`, true).map((m) => m.ruleId)).toEqual(['secrets.generic-assignment']);
  });

  it('recognises placeholder and hash shapes', () => {
    for (const p of ['changeme', 'xxx', 'xxxxxxxxxx', '<your-key>', '${VAR}', '{{ token }}', 'your_api_key_here', 'EXAMPLEKEY123']) expect(isPlaceholder(p), p).toBe(true);
    expect(isPlaceholder(TOKENS.generic)).toBe(false);
    for (const h of ['d670460b4b4aece5915caf5c68d12f560a9fe3e4', 'sha256:abc', '$2y$10$abcdefghijklmnopqrstuv']) expect(isHashLike(h), h).toBe(true);
  });

  it('only counts unquoted values outside source code', async () => {
    expect(await findingsIn('a.py', [`api_key = ${TOKENS.generic.replace(/[#!$]/g, 'q')}`])).toEqual([]);
    expect((await findingsIn('a.cfg', [`api_key = ${TOKENS.generic.replace(/[#!$]/g, 'q')}`])).length).toBe(1);
  });

  it('masks the whole of a one-line PEM key in every output, not only its header', async () => {
    const body = randomOf(`${ALNUM}+/`, 560, 14);
    const text = `KEY = "-----BEGIN RSA PRIVATE KEY-----\\n${body}\\n-----END RSA PRIVATE KEY-----"`;
    const findings = await findingsIn('keys.py', [text]);
    const key = findings.find((f) => f.ruleId === 'secrets.private-key');
    expect(key).toBeDefined();
    // no run of the key body survives in the snippet (what SARIF, JSON, the console and the audit log show)
    for (let i = 0; i + 12 <= body.length; i += 12) expect(key?.snippet).not.toContain(body.slice(i, i + 12));
    const imported = redactSecretsIn(text);
    for (let i = 0; i + 12 <= body.length; i += 12) expect(imported).not.toContain(body.slice(i, i + 12));
  });

  it('masks a literal key passed where a signing key goes', async () => {
    const secret = randomOf(ALNUM, 12, 15);
    const findings = await findingsIn('auth.js', ["const jwt = require('jsonwebtoken');", `const t = jwt.sign(payload, '${secret}');`]);
    const hit = findings.find((f) => f.ruleId === 'js.secrets.hardcoded-key-argument');
    expect(hit?.snippet).toBeDefined();
    expect(hit?.snippet).not.toContain(secret);
  });

  it('redacts secrets in text from other scanners', () => {
    const redacted = redactSecretsIn(`token = "${TOKENS.github}"`);
    expect(redacted).not.toContain(TOKENS.github);
    expect(redacted).toMatch(/^token = "ghp_\*+"$/);
  });
});

describe('secret detection on hostile input', () => {
  // Each of these made an earlier version of a pattern backtrack for minutes; the test timeout is the guard.
  it('stays linear on crafted text', () => {
    const crafted = [
      'eyJ-'.repeat(200_000),
      'eyJaaaaaaaaa.'.repeat(100_000),
      Array.from({ length: 400 }, () => `token${'a=a="'.repeat(800)}`).join('\n'),
      `xoxb-${'1'.repeat(300_000)}`,
      `sk_live_${'a'.repeat(30)}_`.repeat(20_000),
      `a://b:${'c'.repeat(500_000)}`,
    ];
    for (const text of crafted) expect(scanSecrets(text, false)).toEqual([]);
  });
});

import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../../electron/services/db/sqlite';
import {
  createSessionManager,
  encodePublicKey,
  findTrustedOperator,
  IDENTITY_DOMAIN,
  IDENTITY_MIGRATIONS,
  importPublicKey,
  keyIdFor,
  openOperatorStore,
  parseTrustList,
  passphraseProtector,
  publicKeyPem,
  serializeTrustList,
} from '../../../../electron/services/identity';
import { systemClock } from '../../../../shared/model/clock';
import { ErrorCode } from '../../../../shared/model/result';

const FAST = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
const PASS = 'correct horse battery staple';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('identity migrations', () => {
  it('v1 creates operators and unlock_failures on an empty database; rerunning keeps rows', () => {
    const file = join(dir, 'app.db');
    const db = openDatabase({ file });
    expect(migrate(db, IDENTITY_DOMAIN, IDENTITY_MIGRATIONS)).toEqual([1]);
    db.prepare('INSERT INTO unlock_failures (name, failures, last_failure_at) VALUES (?, ?, ?)').run('alice', 2, '2025-01-01T00:00:00.000Z');
    db.close();
    const reopened = openDatabase({ file });
    expect(migrate(reopened, IDENTITY_DOMAIN, IDENTITY_MIGRATIONS)).toEqual([]);
    expect(schemaVersion(reopened, IDENTITY_DOMAIN)).toBe(1);
    expect(reopened.prepare('SELECT name, failures FROM unlock_failures').all()).toEqual([{ name: 'alice', failures: 2 }]);
    expect(() => reopened.prepare("INSERT INTO operators (id, name, role, public_key, key_id, protection, sealed_key, created_at) VALUES ('x', 'x', 'admin', '', 'k', 'passphrase', '', '')").run()).toThrow(
      /CHECK/,
    );
    reopened.close();
  });
});

describe('keys', () => {
  it('derives the key id from the raw public key, the same from raw or PEM', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const kid = keyIdFor(publicKey);
    expect(kid).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(keyIdFor(importPublicKey(encodePublicKey(publicKey)))).toBe(kid);
    expect(keyIdFor(importPublicKey(publicKeyPem(publicKey)))).toBe(kid);
  });

  it('refuses other key types and junk', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => importPublicKey(rsa)).toThrow(/not Ed25519/);
    expect(() => importPublicKey('../../etc/passwd')).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
  });
});

describe('operator store', () => {
  it('creates operators with a sealed key; neither the database file nor the WAL holds the private key', async () => {
    const file = join(dir, 'app.db');
    const db = openDatabase({ file });
    const store = openOperatorStore(db, { clock: systemClock });
    const alice = await store.create({ name: 'alice', role: 'reviewer', email: 'alice@example.org', passphrase: PASS, protector: FAST });
    expect(alice).toMatchObject({ name: 'alice', role: 'reviewer', email: 'alice@example.org', protection: 'passphrase' });
    expect(alice.keyId).toBe(keyIdFor(importPublicKey(alice.publicKey)));

    // Unlock once to get at the real private key bytes, so the test can look for them on disk.
    const sessions = createSessionManager({ store, clock: systemClock, protectors: [FAST] });
    const session = await sessions.unlock('alice', PASS);
    const sealed = store.sealedKeyOf(alice.id);
    if (!sealed) throw new Error('no sealed key');
    const pkcs8 = await FAST.open(sealed.sealed, { operatorId: alice.id, keyId: alice.keyId }, PASS);
    const seed = pkcs8.subarray(pkcs8.length - 32);
    expect(createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x).toBe(alice.publicKey);
    expect(session.keyId).toBe(alice.keyId);

    const bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
    expect(bytes.length).toBeGreaterThan(0);
    for (const needle of [seed, pkcs8, Buffer.from(seed.toString('base64')), Buffer.from(seed.toString('base64url')), Buffer.from(seed.toString('hex'))])
      expect(bytes.includes(needle)).toBe(false);
    // The public key is there (the check above can see what is in the file).
    expect(bytes.includes(Buffer.from(alice.publicKey))).toBe(true);
    db.close();
  });

  it('refuses a repeated name (case-insensitive), bad names, roles, emails and short passphrases', async () => {
    const store = openOperatorStore(openDatabase({ file: join(dir, 'app.db') }));
    await store.create({ name: 'bob', role: 'lead', passphrase: PASS, protector: FAST });
    await expect(store.create({ name: 'BOB', role: 'reviewer', passphrase: PASS, protector: FAST })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(store.create({ name: '../bob', role: 'reviewer', passphrase: PASS, protector: FAST })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(store.create({ name: 'eve', role: 'admin' as 'lead', passphrase: PASS, protector: FAST })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(store.create({ name: 'eve', role: 'lead', email: 'not an email', passphrase: PASS, protector: FAST })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
    });
    await expect(store.create({ name: 'eve', role: 'lead', passphrase: 'short', protector: FAST })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    expect(store.list().map((o) => o.name)).toEqual(['bob']);
    expect(store.findByName('Bob')?.role).toBe('lead');
  });

  it('exports a trust list that parses back, with exact key id lookups only', async () => {
    const store = openOperatorStore(openDatabase({ file: join(dir, 'app.db') }));
    const carol = await store.create({ name: 'carol', role: 'lead', email: 'carol@example.org', passphrase: PASS, protector: FAST });
    await store.create({ name: 'alice', role: 'auditor', passphrase: PASS, protector: FAST });
    const text = serializeTrustList(store.exportTrustList());
    const list = parseTrustList(text);
    expect(list.operators.map((o) => [o.name, o.role])).toEqual([
      ['alice', 'auditor'],
      ['carol', 'lead'],
    ]);
    expect(findTrustedOperator(list, carol.keyId)?.name).toBe('carol');
    expect(findTrustedOperator(list, carol.keyId.toUpperCase())).toBeNull();
    expect(findTrustedOperator(list, `${carol.keyId} `)).toBeNull();
    expect(findTrustedOperator(list, { toString: () => carol.keyId })).toBeNull();
    expect(text).not.toMatch(/sealed|passphrase/);
  });

  it('refuses a trust list whose key id is not the digest of its key, or that repeats an operator', async () => {
    const store = openOperatorStore(openDatabase({ file: join(dir, 'app.db') }));
    await store.create({ name: 'carol', role: 'lead', passphrase: PASS, protector: FAST });
    const list = store.exportTrustList();
    const [carol] = list.operators;
    if (!carol) throw new Error('no carol');
    const other = encodePublicKey(generateKeyPairSync('ed25519').publicKey);
    expect(() => parseTrustList({ ...list, operators: [{ ...carol, publicKey: other }] })).toThrow(/not the digest/);
    expect(() => parseTrustList({ ...list, operators: [carol, { ...carol, id: 'x' }] })).toThrow(/repeats/);
    expect(() => parseTrustList({ ...list, operators: [{ ...carol, role: 'root' }] })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
    expect(() => parseTrustList('{"type":"gatehouse-trust-list","version":1,"operators":[],"extra":1}')).toThrow(/invalid/);
    expect(() => parseTrustList('[')).toThrow(/not JSON/);
  });
});

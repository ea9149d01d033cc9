/**
 * Operators in the app database: name, role, public key, sealed private key, unlock failures.
 *
 * The private key is stored only sealed (see protector.ts); the unlock failure counters live here
 * too so the rate limit survives a restart of the app.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../../../shared/model/clock';
import { Role } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { type Db, migrate, type Migration } from '../db/sqlite';
import { encodePublicKey, generateOperatorKeyPair, keyIdFor } from './keys';
import { MIN_PASSPHRASE_LENGTH, type KeyProtector, type ProtectionScheme } from './protector';
import { OperatorName, TrustedOperator, type TrustList } from './trust-list';

/** Migration domain of the operator tables. */
export const IDENTITY_DOMAIN = 'identity';

/** The identity schema, one step per version. */
export const IDENTITY_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'operators and unlock failures',
    up(db) {
      db.exec(`
        CREATE TABLE operators (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL COLLATE NOCASE UNIQUE,
          role TEXT NOT NULL CHECK (role IN ('reviewer', 'auditor', 'lead')),
          email TEXT,
          public_key TEXT NOT NULL,
          key_id TEXT NOT NULL UNIQUE,
          protection TEXT NOT NULL CHECK (protection IN ('passphrase', 'os-keystore')),
          sealed_key TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE unlock_failures (
          name TEXT PRIMARY KEY COLLATE NOCASE,
          failures INTEGER NOT NULL CHECK (failures > 0),
          last_failure_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
];

/** An operator, without any secret. */
export interface Operator {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly email: string | null;
  /** Raw Ed25519 public key, base64url. */
  readonly publicKey: string;
  readonly keyId: string;
  readonly protection: ProtectionScheme;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** A sealed private key as stored. */
export interface SealedKeyRecord {
  readonly scheme: ProtectionScheme;
  readonly sealed: string;
}

/** Failed unlocks of one operator name, persisted. */
export interface UnlockFailureRecord {
  readonly name: string;
  readonly failures: number;
  readonly lastFailureAt: Date;
}

/** What {@link OperatorStore.create} needs. */
export interface NewOperator {
  readonly name: string;
  readonly role: Role;
  readonly email?: string | null;
  /** At least {@link MIN_PASSPHRASE_LENGTH} characters. */
  readonly passphrase: string;
  /** From `selectProtector(...)`. */
  readonly protector: KeyProtector;
}

/** The operator table. */
export interface OperatorStore {
  /** Generates a key pair, seals the private key with the passphrase and stores the operator. */
  create(input: NewOperator): Promise<Operator>;
  list(): ReadonlyArray<Operator>;
  /** Case-insensitive. */
  findByName(name: string): Operator | null;
  findById(id: string): Operator | null;
  findByKeyId(keyId: string): Operator | null;
  /** The sealed private key of an operator (still encrypted). */
  sealedKeyOf(id: string): SealedKeyRecord | null;
  unlockFailures(name: string): UnlockFailureRecord | null;
  recordUnlockFailure(name: string, at: Date): UnlockFailureRecord;
  clearUnlockFailures(name: string): void;
  /** Every operator's public key and role, as the trust list document. */
  exportTrustList(): TrustList;
}

interface OperatorRow {
  id: string;
  name: string;
  role: string;
  email: string | null;
  public_key: string;
  key_id: string;
  protection: string;
  sealed_key: string;
  created_at: string;
}

function toOperator(row: OperatorRow): Operator {
  return {
    id: row.id,
    name: row.name,
    role: Role.parse(row.role),
    email: row.email,
    publicKey: row.public_key,
    keyId: row.key_id,
    protection: row.protection === 'os-keystore' ? 'os-keystore' : 'passphrase',
    createdAt: row.created_at,
  };
}

/** Options for {@link openOperatorStore}. */
export interface OperatorStoreOptions {
  readonly clock?: Clock;
}

/** Opens the operator store on an app database, migrating the `identity` domain. */
export function openOperatorStore(db: Db, options: OperatorStoreOptions = {}): OperatorStore {
  const clock = options.clock ?? systemClock;
  migrate(db, IDENTITY_DOMAIN, IDENTITY_MIGRATIONS);
  const columns = 'id, name, role, email, public_key, key_id, protection, sealed_key, created_at';
  const byName = db.prepare<[string], OperatorRow>(`SELECT ${columns} FROM operators WHERE name = ?`);
  const byId = db.prepare<[string], OperatorRow>(`SELECT ${columns} FROM operators WHERE id = ?`);
  const byKeyId = db.prepare<[string], OperatorRow>(`SELECT ${columns} FROM operators WHERE key_id = ?`);
  const all = db.prepare<[], OperatorRow>(`SELECT ${columns} FROM operators ORDER BY name`);
  const insert = db.prepare(
    `INSERT INTO operators (${columns}) VALUES (@id, @name, @role, @email, @public_key, @key_id, @protection, @sealed_key, @created_at)`,
  );
  const failuresOf = db.prepare<[string], { name: string; failures: number; last_failure_at: string }>(
    'SELECT name, failures, last_failure_at FROM unlock_failures WHERE name = ?',
  );
  const bumpFailure = db.prepare(
    `INSERT INTO unlock_failures (name, failures, last_failure_at) VALUES (?, 1, ?)
     ON CONFLICT (name) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at`,
  );
  const clearFailures = db.prepare('DELETE FROM unlock_failures WHERE name = ?');

  function unlockFailures(name: string): UnlockFailureRecord | null {
    const row = failuresOf.get(name);
    return row ? { name: row.name, failures: row.failures, lastFailureAt: new Date(row.last_failure_at) } : null;
  }

  return {
    async create(input) {
      const name = OperatorName.safeParse(input.name);
      if (!name.success) throw new GatehouseError(ErrorCode.InvalidInput, name.error.issues[0]?.message ?? 'bad operator name');
      const role = Role.safeParse(input.role);
      if (!role.success) throw new GatehouseError(ErrorCode.InvalidInput, 'role must be reviewer, auditor or lead');
      const email = input.email ?? null;
      if (email !== null && !TrustedOperator.shape.email.safeParse(email).success)
        throw new GatehouseError(ErrorCode.InvalidInput, 'email must be an address like name@example.org');
      if (typeof input.passphrase !== 'string' || input.passphrase.length < MIN_PASSPHRASE_LENGTH)
        throw new GatehouseError(ErrorCode.InvalidInput, `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`);
      if (byName.get(name.data)) throw new GatehouseError(ErrorCode.Conflict, `an operator named ${name.data} already exists`);

      const { publicKey, privateKey } = generateOperatorKeyPair();
      const id = randomUUID();
      const keyId = keyIdFor(publicKey);
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      let sealed: string;
      try {
        sealed = await input.protector.seal(pkcs8, { operatorId: id, keyId }, input.passphrase);
      } finally {
        pkcs8.fill(0);
      }
      const row: OperatorRow = {
        id,
        name: name.data,
        role: role.data,
        email,
        public_key: encodePublicKey(publicKey),
        key_id: keyId,
        protection: input.protector.scheme,
        sealed_key: sealed,
        created_at: clock.now().toISOString(),
      };
      try {
        insert.run(row);
      } catch (error) {
        // The name check above is not atomic with the insert (scrypt runs between them).
        if (error instanceof Error && /UNIQUE/.test(error.message))
          throw new GatehouseError(ErrorCode.Conflict, `an operator named ${name.data} already exists`);
        throw error;
      }
      return toOperator(row);
    },
    list() {
      return all.all().map(toOperator);
    },
    findByName(name) {
      const row = byName.get(name);
      return row ? toOperator(row) : null;
    },
    findById(id) {
      const row = byId.get(id);
      return row ? toOperator(row) : null;
    },
    findByKeyId(keyId) {
      const row = byKeyId.get(keyId);
      return row ? toOperator(row) : null;
    },
    sealedKeyOf(id) {
      const row = byId.get(id);
      return row ? { scheme: toOperator(row).protection, sealed: row.sealed_key } : null;
    },
    unlockFailures,
    recordUnlockFailure(name, at) {
      bumpFailure.run(name, at.toISOString());
      const record = unlockFailures(name);
      if (!record) throw new GatehouseError(ErrorCode.Internal, 'unlock failure was not recorded');
      return record;
    },
    clearUnlockFailures(name) {
      clearFailures.run(name);
    },
    exportTrustList() {
      const operators = all.all().map((row) => ({
        id: row.id,
        name: row.name,
        role: Role.parse(row.role),
        email: row.email,
        keyId: row.key_id,
        publicKey: row.public_key,
        createdAt: row.created_at,
      }));
      return { type: 'gatehouse-trust-list', version: 1, operators };
    },
  };
}

/**
 * Real operators for approval and gate tests: a temp SQLite file, the real operator store, keys sealed
 * with the passphrase protector and unlocked through the real session manager.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../../shared/model/clock';
import type { Role } from '../../../../shared/model/domain';
import { type Db, openDatabase } from '../../../../electron/services/db/sqlite';
import {
  createSessionManager,
  openOperatorStore,
  type OperatorSession,
  type OperatorStore,
  passphraseProtector,
  type TrustList,
} from '../../../../electron/services/identity';
import { canonicalDigest } from '../../../../electron/services/approvals/digest';

/** The lowest scrypt cost the protector accepts, so tests stay quick. */
export const TEST_PROTECTOR = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
export const PASSPHRASE = 'correct horse battery staple';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(date: Date): void;
}

/** A clock fixed at `start` until moved. */
export function manualClock(start: Date): ManualClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
    set(date) {
      t = date.getTime();
    },
  };
}

/** Example revisions (40-hex oids). */
export const REVISION_A = {
  base: '1111111111111111111111111111111111111111',
  head: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  tree: 'abababababababababababababababababababab',
};
export const REVISION_B = {
  base: '1111111111111111111111111111111111111111',
  head: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  tree: 'babababababababababababababababababababa',
};
export const REPOSITORY = 'repo-7f3a';
export const PROPOSAL = 'proposals/add-cache';
export const FINDINGS_DIGEST = canonicalDigest({ findings: [] });
export const POLICY_DIGEST = canonicalDigest({ policy: 'test' });

/** Operators of the fixture workspace. */
export interface Team {
  readonly dir: string;
  readonly db: Db;
  readonly store: OperatorStore;
  readonly trustList: TrustList;
  /** Unlocked sessions by name: alice, bob (reviewers), carol, dave (leads), erin (auditor). */
  readonly sessions: Readonly<Record<'alice' | 'bob' | 'carol' | 'dave' | 'erin', OperatorSession>>;
  close(): void;
}

const MEMBERS: ReadonlyArray<readonly ['alice' | 'bob' | 'carol' | 'dave' | 'erin', Role]> = [
  ['alice', 'reviewer'],
  ['bob', 'reviewer'],
  ['carol', 'lead'],
  ['dave', 'lead'],
  ['erin', 'auditor'],
];

/** Creates the team in a temp database and unlocks everyone (one session manager each) on a fixed clock. */
export async function createTeam(clock: Clock = manualClock(new Date('2025-01-01T00:00:00Z'))): Promise<Team> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-'));
  const db = openDatabase({ file: join(dir, 'gatehouse.db') });
  const store = openOperatorStore(db, { clock });
  const sessions: Partial<Record<string, OperatorSession>> = {};
  for (const [name, role] of MEMBERS) {
    await store.create({ name, role, email: `${name}@example.org`, passphrase: PASSPHRASE, protector: TEST_PROTECTOR });
    // The team's clock never moves: tests pass `now` to mint and verify explicitly, so no session idles out.
    const manager = createSessionManager({ store, clock, protectors: [TEST_PROTECTOR] });
    sessions[name] = await manager.unlock(name, PASSPHRASE);
  }
  const all = sessions as Record<'alice' | 'bob' | 'carol' | 'dave' | 'erin', OperatorSession>;
  return {
    dir,
    db,
    store,
    trustList: store.exportTrustList(),
    sessions: all,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds a compact JWS with any header and payload, signed by a session: for forging hostile tokens. */
export function signCompact(session: OperatorSession, header: Record<string, unknown>, payload: unknown): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${session.sign(Buffer.from(input, 'ascii')).toString('base64url')}`;
}

/** base64url of a UTF-8 string. */
export function b64u(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

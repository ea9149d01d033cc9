/**
 * Shared set-up for the audit tests: temp data folders, a clock that steps, a store with its key and heads
 * file, and events to append.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../../shared/model/clock';
import {
  auditPaths,
  loadOrCreateWorkstationKey,
  openAuditStore,
  type AuditEventInput,
  type AuditPaths,
  type AuditStore,
  type OpenAuditStoreOptions,
  type WorkstationKey,
} from '../../../../electron/services/audit';

/** A fresh temp folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gh-audit-'));
}

/** Removes a temp folder. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A clock that starts at `start` and moves `stepMs` forward on every read. */
export function steppingClock(start = Date.UTC(2025, 0, 1, 9, 0, 0), stepMs = 1000): Clock {
  let next = start;
  return {
    now: () => {
      const at = new Date(next);
      next += stepMs;
      return at;
    },
  };
}

/** A store in `dataDir` with the default layout, its own key and heads file. */
export interface TestStore {
  readonly store: AuditStore;
  readonly key: WorkstationKey;
  readonly paths: AuditPaths;
}

/** Opens a store in `dataDir` (default layout); options override the defaults. */
export async function openTestStore(dataDir: string, options: Partial<OpenAuditStoreOptions> = {}): Promise<TestStore> {
  const paths = auditPaths(dataDir);
  const key = loadOrCreateWorkstationKey(paths.keysDir);
  const store = await openAuditStore({
    file: paths.file,
    clock: steppingClock(),
    workstationKey: key,
    headsDir: paths.headsDir,
    ...options,
  });
  return { store, key, paths };
}

const ACTIONS = ['proposal.discovered', 'analysis.completed', 'sandbox.run', 'approval.minted', 'apply.completed'] as const;
const ACTORS = ['alice', 'bob', 'carol', 'gatehouse'] as const;
const ROLES = ['reviewer', 'lead', 'auditor', 'system'] as const;

/** The i-th event of a deterministic, varied sequence. */
export function sampleEvent(i: number): AuditEventInput {
  return {
    actor: ACTORS[i % ACTORS.length] ?? 'alice',
    role: ROLES[i % ROLES.length] ?? 'reviewer',
    action: ACTIONS[i % ACTIONS.length] ?? 'sandbox.run',
    subject: `repo-a/proposal-${i % 7}`,
    payload: { index: i, note: `event number ${i}`, tags: ['t', i % 2 === 0 ? 'even' : 'odd'] },
  };
}

/** Appends `n` sample events (starting at sample index `from`) one by one. */
export function appendSamples(store: AuditStore, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) store.append(sampleEvent(i));
}

/** Opens the file directly, as an attacker with file access would. */
export function rawDb(file: string): Database.Database {
  return new Database(file);
}

/** Drops the append-only triggers (what an attacker with file access does first). */
export function dropGuards(db: Database.Database): void {
  db.exec(`
    DROP TRIGGER IF EXISTS events_no_update;
    DROP TRIGGER IF EXISTS events_no_delete;
    DROP TRIGGER IF EXISTS events_extend_chain;
    DROP TRIGGER IF EXISTS chain_heads_no_update;
    DROP TRIGGER IF EXISTS chain_heads_no_delete;
  `);
}

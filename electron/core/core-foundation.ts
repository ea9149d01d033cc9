/**
 * What every core opens first, in this order: the data directory, the app database, the audit log, the
 * operators and the session manager (unlock failures and locks audited), the workspace policy file and
 * the repository registry. `createCore` builds the whole app on it; the CLI's `rollback` builds only
 * the rollback on it (rollback-core.ts), so both open these services in exactly the same way.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { systemClock, type Clock } from '../../shared/model/clock';
import { openAuditStore } from '../services/audit/store';
import { loadOrCreateWorkstationKey } from '../services/audit/workstation-key';
import { openDatabase, type Db } from '../services/db/sqlite';
import { openRepositoryRegistry } from '../services/git/registry';
import { openOperatorStore } from '../services/identity/operator-store';
import { passphraseProtector, selectProtector, type OsKeystore } from '../services/identity/protector';
import { createSessionManager, type SessionManager } from '../services/identity/sessions';
import { defaultPolicyYaml } from '../services/policy/default-policy';
import type { CoreServices } from './context';
import { createAuditTrail, DEFAULT_SEAL_INTERVAL_MS, recordUnsealedAtOpen, startPeriodicSealing } from './audit-trail';
import { prepareDataDir } from './data-dir';
import { createEventBus } from './events';
import { createStderrLogger, type Logger } from './logger';

/** What {@link openCoreFoundation} needs (a subset of create-core.ts's CoreConfig). */
export interface FoundationConfig {
  /** The data directory (already resolved; see resolveDataDir). */
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Electron's safeStorage in the app; null elsewhere (passphrase only). */
  readonly keystore?: OsKeystore | null;
  /** Who acts when no operator is unlocked (`system` in the app; `cli:<user>` in the CLI). */
  readonly defaultActor?: string;
  /** Milliseconds between seals of what this core recorded in the audit log (default one minute). */
  readonly auditSealIntervalMs?: number;
}

/** The services every core shares, and the periodic sealing to stop. */
export interface CoreFoundation extends CoreServices {
  /** Stops the periodic sealing of the audit log. */
  stopSealing(): void;
}

/** Text safe to record: control characters and unpaired surrogates become `?`. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '?');
}

/**
 * Opens the foundation of a core. `migrateApp` runs the app database's migrations of the use cases the
 * caller builds (the services opened here migrate their own tables).
 */
export async function openCoreFoundation(config: FoundationConfig, migrateApp: (db: Db) => void): Promise<CoreFoundation> {
  const layout = prepareDataDir(config.dataDir);
  const clock = config.clock ?? systemClock;
  const logger = config.logger ?? createStderrLogger();
  const events = createEventBus();
  const appDb = openDatabase({ file: layout.appDb });
  migrateApp(appDb);

  const auditStore = await openAuditStore({
    file: layout.auditDb,
    clock,
    workstationKey: loadOrCreateWorkstationKey(layout.keysDir),
    headsDir: layout.headsDir,
    warn: (message, error) => logger.warn(message, error instanceof Error ? error.message : error),
  });
  const operators = openOperatorStore(appDb, { clock });
  const choice = selectProtector({ keystore: config.keystore ?? null, platform: process.platform });
  if (config.keystore) logger.info(`operator keys: ${choice.reason}`);
  let sessionsRef: SessionManager | null = null;
  const audit = createAuditTrail({ store: auditStore, sessions: () => sessionsRef, events, defaultActor: config.defaultActor ?? 'system' });
  recordUnsealedAtOpen(audit, auditStore);
  const stopSealing = startPeriodicSealing(auditStore, config.auditSealIntervalMs ?? DEFAULT_SEAL_INTERVAL_MS, (message, error) =>
    logger.warn(message, error instanceof Error ? error.message : error),
  );
  const sessions = createSessionManager({
    store: operators,
    clock,
    protectors: [choice.protector, passphraseProtector()],
    onUnlockFailed: (failure) => {
      // The name is whatever was typed: keep control characters and lone surrogates out of the log.
      const typed = printable(failure.name).slice(0, 200);
      audit.record({
        action: 'unlock.failed',
        subject: `operator:${typed}`,
        actor: typed || 'unknown',
        role: 'system',
        payload: { reason: failure.reason, failures: failure.failures, retryAt: failure.retryAt?.toISOString() ?? null },
      });
    },
    onLocked: (locked) => {
      audit.record({ action: 'operator.locked', subject: `operator:${locked.name}`, actor: locked.name, role: 'system', payload: { reason: locked.reason } });
      events.emit('session:changed', { operator: null, role: null });
    },
  });
  sessionsRef = sessions;

  // The workspace policy: used for repositories whose target branch has none. Created once, documented.
  if (!existsSync(layout.workspacePolicy)) writeFileSync(layout.workspacePolicy, defaultPolicyYaml(), { mode: 0o600 });
  const registry = openRepositoryRegistry({ db: appDb, clock });
  return { layout, clock, logger, events, appDb, auditStore, audit, operators, sessions, protector: choice.protector, registry, stopSealing };
}

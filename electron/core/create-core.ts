/**
 * The composition root: opens the data directory's databases, creates every service, and builds the
 * use cases and the IPC handler table on top. The Electron shell, the Chromium bridge, the CLI and the
 * tests all drive a core made here.
 */
import Dockerode from 'dockerode';
import type { DockerStatus } from '../../shared/ipc/channels/app';
import { systemClock, type Clock } from '../../shared/model/clock';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import type { CallerSession, HandlerTable } from '../ipc/dispatch';
import { openDatabase, type Db } from '../services/db/sqlite';
import { appHealth, appInfo, type ShellInfo } from './app-info';
import { prepareDataDir, type DataLayout } from './data-dir';
import { createEventBus, type EventBus } from './events';
import { createStderrLogger, type Logger } from './logger';

/** What a core needs to start. */
export interface CoreConfig {
  /** The data directory (already resolved; see resolveDataDir). */
  readonly dataDir: string;
  readonly shell: ShellInfo;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A running core. */
export interface Core {
  readonly layout: DataLayout;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly appDb: Db;
  /** The IPC handler table (every contract channel). */
  readonly handlers: HandlerTable;
  /** The unlocked operator, or null; checked on every IPC call. */
  callerSession(): CallerSession | null;
  /** Records operator activity (postpones the idle lock). */
  touch(): void;
  /** Updates what `app:info` reports about the shell (the bridge learns Chromium's version after launch). */
  setShellInfo(shell: ShellInfo): void;
  /** Stops timers, cancels sandbox runs, closes databases. */
  close(): Promise<void>;
}

async function probeDockerEngine(): Promise<DockerStatus> {
  try {
    const docker = new Dockerode();
    const version = await docker.version();
    const runc = version.Components?.find((c) => c.Name.toLowerCase() === 'runc');
    return {
      reachable: true,
      engineVersion: version.Version,
      runcVersion: runc?.Version ?? null,
      warnings: [],
      reason: null,
    };
  } catch (error) {
    return {
      reachable: false,
      engineVersion: null,
      runcVersion: null,
      warnings: [],
      reason: error instanceof Error ? error.message : String(error),
    };
  }
}

/** Creates a core over a data directory. */
export async function createCore(config: CoreConfig): Promise<Core> {
  const layout = prepareDataDir(config.dataDir);
  const clock = config.clock ?? systemClock;
  const logger = config.logger ?? createStderrLogger();
  const events = createEventBus();
  let shell = config.shell;
  const appDb = openDatabase({ file: layout.appDb });

  const unavailable = (name: string) => () => {
    throw new GatehouseError(ErrorCode.Unavailable, `${name} is not available in this build`);
  };

  const handlers = {
    'app:info': () => appInfo(layout.root, shell, probeDockerEngine),
    'app:health': () =>
      appHealth(layout.root, [
        { name: 'app database', run: () => `${layout.appDb} (SQLite ${String((appDb.prepare('select sqlite_version() AS v').get() as { v: string }).v)})` },
      ]),
    'app:createDemo': unavailable('app:createDemo'),
    'session:current': () => null,
    'session:unlock': unavailable('session:unlock'),
    'session:lock': () => ({ locked: true as const }),
    'operator:list': () => [],
    'operator:create': unavailable('operator:create'),
    'repo:list': () => [],
    'repo:add': unavailable('repo:add'),
    'repo:remove': unavailable('repo:remove'),
    'proposal:list': () => [],
    'proposal:show': unavailable('proposal:show'),
    'proposal:file': unavailable('proposal:file'),
    'proposal:import': unavailable('proposal:import'),
    'proposal:approve': unavailable('proposal:approve'),
    'proposal:reject': unavailable('proposal:reject'),
    'approval:revoke': unavailable('approval:revoke'),
    'approval:exportDsse': unavailable('approval:exportDsse'),
    'proposal:apply': unavailable('proposal:apply'),
    'sandbox:run': unavailable('sandbox:run'),
    'sandbox:cancel': unavailable('sandbox:cancel'),
    'checkpoint:list': () => [],
    'checkpoint:create': unavailable('checkpoint:create'),
    'checkpoint:preview': unavailable('checkpoint:preview'),
    'checkpoint:rollback': unavailable('checkpoint:rollback'),
    'audit:search': unavailable('audit:search'),
    'audit:counts': () => [],
    'audit:verify': unavailable('audit:verify'),
    'audit:verifyCancel': () => ({ cancelled: false }),
    'audit:export': unavailable('audit:export'),
    'policy:get': unavailable('policy:get'),
    'policy:validate': unavailable('policy:validate'),
  } satisfies HandlerTable;

  return {
    layout,
    clock,
    logger,
    events,
    appDb,
    handlers,
    callerSession: () => null,
    touch: () => undefined,
    setShellInfo(next) {
      shell = next;
    },
    async close() {
      appDb.close();
    },
  };
}

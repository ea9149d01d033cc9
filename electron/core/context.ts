/**
 * Everything the use cases share: the services created by the composition root, plus the clock,
 * logger, event bus and audit trail. Use-case modules take this one value.
 */
import type { Clock } from '../../shared/model/clock';
import type { AnalysisPool } from '../services/analysis/pool';
import type { ApprovalStore } from '../services/approvals';
import type { AuditStore } from '../services/audit';
import type { Db } from '../services/db/sqlite';
import type { RepositoryRegistry } from '../services/git/registry';
import type { KeyProtector, OperatorStore, SessionManager } from '../services/identity';
import type { Sandbox } from '../services/sandbox';
import type { AuditTrail } from './audit-trail';
import type { DataLayout } from './data-dir';
import type { EventBus } from './events';
import type { Logger } from './logger';

/** The services every core opens (core-foundation.ts): what createCore and the rollback core share. */
export interface CoreServices {
  readonly layout: DataLayout;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly appDb: Db;
  readonly auditStore: AuditStore;
  readonly audit: AuditTrail;
  readonly operators: OperatorStore;
  readonly sessions: SessionManager;
  /** The protector new keys are sealed with. */
  readonly protector: KeyProtector;
  readonly registry: RepositoryRegistry;
}

/** The services and plumbing of one core. */
export interface CoreContext extends CoreServices {
  readonly approvals: ApprovalStore;
  /** The analysis worker pool for a policy's denied imports (one pool per distinct list). */
  analysis(deniedImports: ReadonlyArray<string>): AnalysisPool;
  readonly sandbox: Sandbox;
}

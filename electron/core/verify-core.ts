/**
 * The core of one `gatehouse verify` (the CI gate): the same foundation as createCore (core-foundation.ts:
 * data directory, app database, audit log, operators, sessions, registry), the same crash recovery at
 * open, the same trust-root table, and the same use case behind the one channel the gate calls
 * (`repo:verify`, with the contract's own definition: schema and public access), without the rest of the
 * app: no approval store, sandbox, comments or agents, and no schema of any other channel.
 * The CLI's verify command loads this instead of create-core.ts, so a CI job starts in less time, as the
 * rollback core (rollback-core.ts) does for a lead's rollback.
 *
 * The landing's risk is computed with the same analysis as the console (review.ts's analyseRevision, in
 * analysis pools of the same size); the app database's migrations of the use cases left out are not run
 * here: verifying reads none of their tables, and the next full core migrates them.
 */
import { recordChannels } from '../../shared/ipc/channels/records';
import type { ChannelOutput, ChannelParsedInput } from '../../shared/ipc/contract';
import type { CallerSession } from '../ipc/dispatch-core';
import { createAnalysisPools } from '../services/analysis/pool';
import { recoverInterruptedOperations, type CheckpointContext } from './checkpoints';
import { openCoreFoundation, type FoundationConfig } from './core-foundation';
import type { DataLayout } from './data-dir';
import type { EventBus } from './events';
import type { Logger } from './logger';
import { callerSession, type OperatorDeps } from './operators';
import { createRepositoryHandles } from './repositories';
import { createAnalysisCache, type AnalysisDeps } from './review';
import { openTrustRoots } from './trust-roots';
import { verifyRepository } from './verify-repository';

/** The channel the CI gate calls, as the contract defines it. */
export const VERIFY_CHANNELS = {
  'repo:verify': recordChannels['repo:verify'],
} as const;

/** A channel of {@link VERIFY_CHANNELS}. */
export type VerifyChannel = keyof typeof VERIFY_CHANNELS;

/** The handlers of {@link VERIFY_CHANNELS}: the same use case as createCore's handler table. */
export type VerifyHandlers = {
  readonly [C in VerifyChannel]: (input: ChannelParsedInput<C>) => Promise<ChannelOutput<C>>;
};

/** A running verify core. */
export interface VerifyCore {
  readonly layout: DataLayout;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly operatorDeps: OperatorDeps;
  readonly handlers: VerifyHandlers;
  /** The unlocked operator, or null (the gate needs none). */
  callerSession(): CallerSession | null;
  /** Records operator activity (postpones the idle lock). */
  touch(): void;
  /** Nothing outlives a verify call. */
  idle(): Promise<void>;
  /** Stops the analysis workers, locks the session and closes the databases, as createCore's close does. */
  close(): Promise<void>;
}

/** Opens a verify core over a data directory. */
export async function openVerifyCore(config: FoundationConfig): Promise<VerifyCore> {
  const foundation = await openCoreFoundation(config, () => undefined);
  const { layout, clock, logger, events, appDb, auditStore, audit, operators, sessions, registry } = foundation;
  const context: CheckpointContext = { layout, clock, logger, events, audit, auditStore, operators, registry };
  const handles = createRepositoryHandles(context);
  const trustRoots = openTrustRoots(appDb);
  // Finish or undo a rollback or apply a killed process left half done, before anything else touches a repository.
  await recoverInterruptedOperations(context, handles);
  const pools = createAnalysisPools(2);
  const deps: AnalysisDeps = { ctx: { clock, audit, analysis: (deniedImports) => pools.get(deniedImports) }, handles, cache: createAnalysisCache() };
  const operatorDeps: OperatorDeps = { operators, sessions, protector: foundation.protector, audit, events };
  return {
    layout,
    logger,
    events,
    operatorDeps,
    handlers: {
      'repo:verify': (input) => verifyRepository(deps, trustRoots, input),
    },
    callerSession: () => callerSession(operatorDeps),
    touch: () => sessions.touch(),
    idle: async () => undefined,
    async close() {
      foundation.stopSealing();
      await pools.close();
      sessions.lock();
      auditStore.close();
      appDb.close();
    },
  };
}

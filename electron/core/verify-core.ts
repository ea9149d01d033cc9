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
import { createAnalysisPools } from '../services/analysis/pool';
import { channelCore, openRepositoryFoundation, type ChannelCore } from './channel-core';
import type { FoundationConfig } from './core-foundation';
import { createAnalysisCache, type AnalysisDeps } from './review';
import { openTrustRoots } from './trust-roots';
import { verifyRepository } from './verify-repository';

/** The channel the CI gate calls, as the contract defines it. */
export const VERIFY_CHANNELS = {
  'repo:verify': recordChannels['repo:verify'],
} as const;

/** A running verify core. */
export type VerifyCore = ChannelCore<typeof VERIFY_CHANNELS>;

/** Opens a verify core over a data directory. */
export async function openVerifyCore(config: FoundationConfig): Promise<VerifyCore> {
  const { foundation, handles } = await openRepositoryFoundation(config);
  const { clock, audit, appDb } = foundation;
  const trustRoots = openTrustRoots(appDb);
  const pools = createAnalysisPools(2);
  const deps: AnalysisDeps = { ctx: { clock, audit, analysis: (deniedImports) => pools.get(deniedImports) }, handles, cache: createAnalysisCache() };
  return channelCore<typeof VERIFY_CHANNELS>(
    foundation,
    () => ({ 'repo:verify': (input) => verifyRepository(deps, trustRoots, input) }),
    () => pools.close(),
  );
}

/**
 * Marking cached answers stale when main reports a change, without losing the report to a fetch already
 * in flight.
 *
 * react-query joins a refetch into a fetch still in flight when the query has no answer yet (its first
 * load): the in-flight answer, read before the change, is then kept and the invalidation is forgotten.
 * That is how a proposal imported while the queue was loading for the first time stayed missing until a
 * reload (issue 14). So a fetch in flight is cancelled first, and the query fetched again after the event.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { Channel } from '../../shared/ipc/contract';

/** Marks every cached answer of these channels stale, refetching the ones on screen from after the change. */
export async function invalidateChannels(queryClient: QueryClient, list: ReadonlyArray<Channel>): Promise<void> {
  await Promise.all(
    list.map(async (channel) => {
      await queryClient.cancelQueries({ queryKey: [channel], predicate: (query) => query.state.fetchStatus === 'fetching' });
      await queryClient.invalidateQueries({ queryKey: [channel] });
    }),
  );
}

/** Marks every cached answer stale (the operator changed), as {@link invalidateChannels} does for a few channels. */
export async function invalidateEverything(queryClient: QueryClient): Promise<void> {
  await queryClient.cancelQueries({ predicate: (query) => query.state.fetchStatus === 'fetching' });
  await queryClient.invalidateQueries();
}

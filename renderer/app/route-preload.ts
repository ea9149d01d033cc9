/**
 * What a link needs, started the moment the console boots instead of one step after another.
 *
 * Opened on a proposal's link, the console would otherwise wait for the session, then for the review
 * view's chunk, then for the proposal, then for its first file, then for the diff editor's chunk, then
 * for Monaco's diff worker: six waits in a row. Here they overlap: the review chunk and the diff worker
 * load while main answers the proposal together with the file the review opens first, and Monaco's
 * chunks stream in (link-boot.ts, boot-load.ts) in the meantime. The review draws the first file's plain
 * diff with its first render; Monaco's diff covers it once Monaco is up. The answers go into the same
 * query cache the views read, under the same keys, so nothing is asked twice.
 */
import type { QueryClient } from '@tanstack/react-query';
import { prefetchProposalForReview } from '../api/review';
import { prespawnEditorWorker } from '../features/review/monaco-environment';
import type { Route } from './router';
import { ReviewView } from './views';

/** Starts loading the code and data `route` shows first; never throws (a failure shows when the view asks). */
export function preloadRoute(queryClient: QueryClient, route: Route): void {
  if (route.view !== 'review') return;
  const { repositoryId, proposalId } = route;
  // Monaco's diff worker boots (fetch, compile, start) on its own thread while the rest loads; Monaco
  // takes it over when the first diff is asked for.
  prespawnEditorWorker();
  // The review's chunk (small: the file tree and the plain diff show as soon as the proposal is in), so
  // the view does not suspend on its first render. Fire-and-forget: a chunk that fails to load here is
  // loaded (and reported) again by the view.
  void ReviewView.preload().catch(() => undefined);
  // Asked at once, without waiting for the session: locked, main refuses it (LOCKED, nothing logged)
  // and the lock screen shows; unlocked, the answer is in the cache before the view mounts.
  void prefetchProposalForReview(queryClient, { repositoryId, proposalId }).catch(() => undefined);
}

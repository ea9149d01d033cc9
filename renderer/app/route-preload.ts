/**
 * What a link needs, started the moment the console boots instead of one step after another.
 *
 * Opened on a proposal's link, the console would otherwise wait for the session, then for the review
 * view's chunk, then for the proposal, then for its first file, then for the diff editor's chunk, then
 * for Monaco's diff worker: six waits in a row. Here they overlap: the review and diff-editor chunks and
 * the diff worker load while main answers the proposal together with the file the review opens first.
 * The answers go into the same query cache the views read, under the same keys, so nothing is asked twice.
 */
import type { QueryClient } from '@tanstack/react-query';
import { prefetchProposalForReview } from '../api/review';
import { prespawnEditorWorker } from '../features/review/monaco-environment';
import { firstFileToOpen } from '../features/review/review-model';
import type { Route } from './router';
import { ReviewView } from './views';

/** Starts loading the code and data `route` shows first; never throws (a failure shows when the view asks). */
export function preloadRoute(queryClient: QueryClient, route: Route): void {
  if (route.view !== 'review') return;
  const { repositoryId, proposalId } = route;
  // Monaco's diff worker boots (fetch, compile, start) on its own thread while the rest loads; Monaco
  // takes it over when the first diff is asked for.
  prespawnEditorWorker();
  // The review's chunk first (small: the file tree shows as soon as the proposal is in), then the diff
  // editor's; the view's own lazy components are marked loaded once both are in, so neither suspends
  // (nor waits out React's fallback throttle) on its first render. Fire-and-forget: a chunk that fails
  // to load here is loaded (and reported) again by the view.
  const reviewView = ReviewView.preload();
  const diffPane = import('../features/review/DiffPane');
  void Promise.all([reviewView, diffPane])
    .then(() => import('../features/review/ReviewView'))
    .then((module) => module.preloadDiffPane())
    .catch(() => undefined);
  // Asked at once, without waiting for the session: locked, main refuses it (LOCKED, nothing logged)
  // and the lock screen shows; unlocked, the answer is in the cache before the view mounts.
  void prefetchProposalForReview(queryClient, { repositoryId, proposalId })
    .then((detail) => {
      const path = firstFileToOpen(detail.files, detail.findings);
      // The grammar of the file's language is its own small chunk: fetched before the editor asks.
      if (path !== null) void diffPane.then((module) => module.preloadLanguageOf(path)).catch(() => undefined);
    })
    .catch(() => undefined);
}

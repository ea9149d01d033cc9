/**
 * What a link needs, started the moment the console boots instead of one step after another.
 *
 * Opened on a proposal's link, the console would otherwise wait for the session, then for the review
 * view's chunk, then for the proposal, then for its first file, then for the diff editor's chunk, then
 * for Monaco's diff worker: six waits in a row. Here they overlap: the review and diff-editor chunks and
 * the diff worker load while main answers the proposal and the file the review opens first. Every
 * answer goes into the same query cache the views read, under the same keys, so nothing is asked twice.
 */
import type { QueryClient } from '@tanstack/react-query';
import { call } from '../api/client';
import { channelKey } from '../api/hooks';
import { prespawnEditorWorker } from '../features/review/monaco-environment';
import { firstFileToOpen } from '../features/review/review-model';
import type { Route } from './router';
import { ReviewView } from './views';

/** As fresh as the review view's own queries keep them (api/review.ts), so mounting does not ask again. */
const freshFor = 30_000;

/** Starts loading the code and data `route` shows first; never throws (a failure shows when the view asks). */
export function preloadRoute(queryClient: QueryClient, route: Route): void {
  if (route.view !== 'review') return;
  const { repositoryId, proposalId } = route;
  // Fire-and-forget: a chunk that fails to load here is loaded (and reported) again by the view.
  void ReviewView.preload().catch(() => undefined);
  // Monaco's diff worker boots (fetch, compile, start) on its own thread while the rest loads; Monaco
  // takes it over when the first diff is asked for.
  prespawnEditorWorker();
  const diffPane = import('../features/review/DiffPane');
  diffPane.catch(() => undefined);
  const input = { repositoryId, proposalId };
  // Asked at once, without waiting for the session: locked, main refuses it (LOCKED, nothing logged)
  // and the lock screen shows; unlocked, the answer is here before the view mounts.
  void (async () => {
    const detail = await queryClient.fetchQuery({ queryKey: channelKey('proposal:show', input), queryFn: () => call('proposal:show', input), staleTime: freshFor });
    const path = firstFileToOpen(detail.files, detail.findings);
    if (path === null) return;
    const file = { ...input, path };
    const contents = queryClient.prefetchQuery({ queryKey: channelKey('proposal:file', file), queryFn: () => call('proposal:file', file), staleTime: 60_000 });
    // The grammar of the file's language is its own small chunk: fetched alongside the file.
    void diffPane.then((module) => module.preloadLanguageOf(path)).catch(() => undefined);
    await contents;
  })().catch(() => undefined);
}

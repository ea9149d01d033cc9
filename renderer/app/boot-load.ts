/**
 * The first module the console's entry evaluates: on a proposal's link, it asks for the review view's
 * and the diff editor's chunks (with Monaco's) before React DOM, zod, the IPC contract and the rest of
 * the entry are evaluated, so the chunks are on their way while that runs instead of after it. It
 * imports nothing heavy itself; `route-preload.ts` starts the rest (the proposal, the diff worker)
 * once the entry is up. On any other route nothing waits for a first diff.
 */
import { releaseAfterFirstDiff } from './first-diff';
import { parseRoute } from './router';

if (parseRoute(window.location.hash).view === 'review') {
  // The review's chunk first (small: the file tree and the plain diff can render while Monaco's chunks
  // arrive), then the diff editor's, evaluated as soon as it is in. (Evaluating Monaco only after the
  // plain diff was painted, and compiling it only after the entry, drew the plain diff 70 ms sooner and
  // Monaco's diff 250 ms later: medians of 12 first starts each, on the marks of renderer.bench.ts.)
  // A chunk that fails here is loaded (and reported) again by the view.
  void import('../features/review/ReviewView').catch(() => undefined);
  void import('../features/review/DiffPane').catch(() => undefined);
} else {
  releaseAfterFirstDiff();
}

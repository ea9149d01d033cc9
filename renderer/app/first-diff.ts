/**
 * Work that waits until a link's first diff is on screen.
 *
 * Opened on a proposal's link, the console's start-up is a race to the first diff: every chunk, call or
 * render that is not on that path (the other views' code, the next file's contents) is held back until
 * the first diff has been painted, so it neither queues ahead of Monaco's chunks nor takes the main
 * thread from Monaco's start-up. Anything else the console shows first (the queue, an error, a file with
 * no text diff) releases the held work at once, and so does a stall: nothing waits more than
 * {@link HOLD_LIMIT_MS}.
 *
 * "The first diff" here is the diff editor's: the plain diff the review draws before Monaco has started
 * (DiffPreview.tsx) releases nothing, since Monaco's start-up is still ahead on the same main thread.
 */

/** The longest anything is held back, whatever happens to the first diff. */
export const HOLD_LIMIT_MS = 10_000;

/** The browser's next frame (read from globalThis: the unit tests compile this module against Node's lib). */
function nextFrame(callback: () => void): void {
  (globalThis as unknown as { requestAnimationFrame(run: () => void): number }).requestAnimationFrame(callback);
}

let released = false;
const waiting = new Set<() => void>();

function runAll(): void {
  for (const run of [...waiting]) run();
  waiting.clear();
}

/**
 * Says the first diff is on screen (or that the console no longer waits for one): the held work runs
 * after the next paint. Idempotent.
 */
export function releaseAfterFirstDiff(): void {
  if (released) return;
  released = true;
  // After the frame that shows the diff has been painted, not before it.
  nextFrame(() => setTimeout(runAll, 0));
}

/** True once {@link releaseAfterFirstDiff} ran. */
export function firstDiffReleased(): boolean {
  return released;
}

/**
 * Runs `work` once the first diff is on screen (at once if it already is, or if the console does not
 * wait for one). Returns a cancel function.
 */
export function afterFirstDiff(work: () => void): () => void {
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    clearTimeout(limit);
    waiting.delete(run);
    work();
  };
  const limit = setTimeout(run, released ? 0 : HOLD_LIMIT_MS);
  if (!released) waiting.add(run);
  return () => {
    done = true;
    clearTimeout(limit);
    waiting.delete(run);
  };
}

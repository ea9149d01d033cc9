/**
 * The hold on work that must not compete with a link's first diff (renderer/app/first-diff.ts): held
 * until the first diff is released and painted, at once afterwards, cancellable, and never held longer
 * than its limit. Node has no frames: requestAnimationFrame is stood in by a queue the test flushes, as
 * the browser does when it paints; timers are Vitest's fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type FirstDiff = typeof import('../../../renderer/app/first-diff');

let frames: Array<() => void> = [];

/** Paints one frame: runs the callbacks requested before it. */
function paint(): void {
  const due = frames;
  frames = [];
  for (const callback of due) callback();
}

async function freshModule(): Promise<FirstDiff> {
  // Each test gets the page-wide state of a fresh page load.
  vi.resetModules();
  return import('../../../renderer/app/first-diff');
}

beforeEach(() => {
  vi.useFakeTimers();
  frames = [];
  vi.stubGlobal('requestAnimationFrame', (callback: () => void) => {
    frames.push(callback);
    return frames.length;
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('afterFirstDiff', () => {
  it('holds work until the first diff is released, then runs it after the next paint', async () => {
    const { afterFirstDiff, releaseAfterFirstDiff, firstDiffReleased } = await freshModule();
    const ran: string[] = [];
    afterFirstDiff(() => ran.push('views'));
    afterFirstDiff(() => ran.push('next file'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual([]);
    releaseAfterFirstDiff();
    expect(firstDiffReleased()).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    // Not before the frame that shows the diff.
    expect(ran).toEqual([]);
    paint();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['views', 'next file']);
    // Released once: a second release runs nothing twice.
    releaseAfterFirstDiff();
    paint();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['views', 'next file']);
  });

  it('runs work asked for after the release without waiting', async () => {
    const { afterFirstDiff, releaseAfterFirstDiff } = await freshModule();
    releaseAfterFirstDiff();
    paint();
    await vi.advanceTimersByTimeAsync(0);
    const work = vi.fn();
    afterFirstDiff(work);
    await vi.advanceTimersByTimeAsync(0);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('never runs cancelled work', async () => {
    const { afterFirstDiff, releaseAfterFirstDiff, HOLD_LIMIT_MS } = await freshModule();
    const work = vi.fn();
    const cancel = afterFirstDiff(work);
    cancel();
    releaseAfterFirstDiff();
    paint();
    await vi.advanceTimersByTimeAsync(HOLD_LIMIT_MS * 2);
    expect(work).not.toHaveBeenCalled();
  });

  it('lets held work go at the hold limit when no first diff ever comes, and only once', async () => {
    const { afterFirstDiff, releaseAfterFirstDiff, HOLD_LIMIT_MS } = await freshModule();
    const work = vi.fn();
    afterFirstDiff(work);
    await vi.advanceTimersByTimeAsync(HOLD_LIMIT_MS - 1);
    expect(work).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(work).toHaveBeenCalledTimes(1);
    releaseAfterFirstDiff();
    paint();
    await vi.advanceTimersByTimeAsync(0);
    expect(work).toHaveBeenCalledTimes(1);
  });
});

import { describe, expect, it } from 'vitest';
import { createStatsTracker } from '../../../../electron/services/sandbox/stats';

const line = (sample: unknown): string => `${JSON.stringify(sample)}\n`;

describe('createStatsTracker', () => {
  it('keeps cgroup v1 max_usage', () => {
    const tracker = createStatsTracker(64);
    tracker.push(line({ memory_stats: { usage: 10, max_usage: 50 }, pids_stats: { current: 3 } }));
    tracker.push(line({ memory_stats: { usage: 20, max_usage: 40 } }));
    expect(tracker.peakBytes()).toBe(50);
    expect(tracker.pidsLimitReached()).toBe(false);
  });

  it('samples usage on cgroup v2 (no max_usage) and keeps the maximum', () => {
    const tracker = createStatsTracker(64);
    for (const usage of [100, 700, 300]) tracker.push(line({ memory_stats: { usage } }));
    expect(tracker.peakBytes()).toBe(700);
    expect(tracker.samples()).toBe(3);
  });

  it('joins lines split across chunks and reads a last line without a newline', () => {
    const tracker = createStatsTracker(64);
    const text = line({ memory_stats: { usage: 5 } }) + JSON.stringify({ memory_stats: { usage: 9 } });
    for (const ch of text) tracker.push(ch);
    expect(tracker.peakBytes()).toBe(5);
    tracker.end();
    expect(tracker.peakBytes()).toBe(9);
  });

  it('sees the pids limit reached, by our limit or the engine-reported one', () => {
    const ours = createStatsTracker(32);
    ours.push(line({ pids_stats: { current: 31 } }));
    expect(ours.pidsLimitReached()).toBe(false);
    ours.push(line({ pids_stats: { current: 32 } }));
    expect(ours.pidsLimitReached()).toBe(true);
    const engines = createStatsTracker(32);
    engines.push(line({ pids_stats: { current: 16, limit: 16 } }));
    expect(engines.pidsLimitReached()).toBe(true);
  });

  it('ignores zeroed samples of a stopped container and garbage lines', () => {
    const tracker = createStatsTracker(8);
    tracker.push('not json\n' + line({ memory_stats: {}, pids_stats: {} }));
    expect(tracker.peakBytes()).toBeNull();
    expect(tracker.pidsLimitReached()).toBe(false);
  });
});

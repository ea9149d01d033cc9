/**
 * Peak memory and the pids limit, read from the engine's container stats stream.
 *
 * The engine sends one JSON document per line, about once a second. cgroup v1 reports
 * `memory_stats.max_usage`; cgroup v2 does not, so `usage` is sampled and the maximum kept.
 */
import type Dockerode from 'dockerode';

interface StatsSample {
  readonly memory_stats?: { readonly usage?: number; readonly max_usage?: number };
  readonly pids_stats?: { readonly current?: number; readonly limit?: number };
}

/** What the samples so far show. */
export interface StatsTracker {
  /** Feeds raw stream text; lines may arrive split across chunks. */
  push(text: string): void;
  /** Reads a final partial line, if any. */
  end(): void;
  peakBytes(): number | null;
  pidsLimitReached(): boolean;
  samples(): number;
}

/** Tracks the stats stream of a container that runs with the given pids limit. Pure. */
export function createStatsTracker(pidsLimit: number): StatsTracker {
  let peak: number | null = null;
  let pidsReached = false;
  let count = 0;
  let pending = '';
  const consume = (line: string): void => {
    if (line.trim() === '') return;
    let sample: StatsSample;
    try {
      sample = JSON.parse(line) as StatsSample;
    } catch {
      return;
    }
    count++;
    const memory = sample.memory_stats ?? {};
    const value = Math.max(memory.max_usage ?? 0, memory.usage ?? 0);
    if (value > 0) peak = Math.max(peak ?? 0, value);
    const pids = sample.pids_stats ?? {};
    // pids_stats.limit only appears in newer engines (API 1.43+); the limit we set is the one that counts.
    if (pids.current !== undefined && pids.current >= Math.min(pidsLimit, pids.limit ?? pidsLimit)) pidsReached = true;
  };
  return {
    push(text: string): void {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) consume(line);
    },
    end(): void {
      consume(pending);
      pending = '';
    },
    peakBytes: () => peak,
    pidsLimitReached: () => pidsReached,
    samples: () => count,
  };
}

/** A running stats subscription; `stop` ends it and keeps what was read. */
export interface StatsSampler {
  stop(): void;
  readonly tracker: StatsTracker;
}

/** Subscribes to a container's stats stream; without one (container gone) the figures stay unknown. */
export async function sampleContainerStats(container: Dockerode.Container, pidsLimit: number): Promise<StatsSampler> {
  const tracker = createStatsTracker(pidsLimit);
  let stream: NodeJS.ReadableStream | null = null;
  try {
    stream = await container.stats({ stream: true });
    stream.on('data', (chunk: Buffer) => tracker.push(chunk.toString('utf8')));
    stream.on('error', () => {
      // The stream ends with the container; an error here only means fewer samples.
    });
  } catch {
    // No stats: peak memory stays unknown.
  }
  return {
    tracker,
    stop(): void {
      tracker.end();
      (stream as unknown as { destroy?: () => void } | null)?.destroy?.();
    },
  };
}

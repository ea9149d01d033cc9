/**
 * Whether a container's processes ran into its pids limit, from the kernel's own counter.
 *
 * The engine's stats stream shows how many processes are alive about once a second; a fork bomb whose
 * failed forks end at once keeps few alive, so the samples rarely catch the limit. The pids cgroup
 * counts every fork it refused (`max N` in `pids.events`, cgroup v1 and v2), so reading that file tells
 * for sure. It is read from the host's cgroup filesystem, so it works with a local engine; a remote one
 * leaves only the stats stream.
 */
import { readFileSync } from 'node:fs';

/** Where a container's pids.events can be, by cgroup version and driver (cgroupfs or systemd). */
export function pidsEventsCandidates(containerId: string, root = '/sys/fs/cgroup'): ReadonlyArray<string> {
  if (!/^[0-9a-f]{64}$/u.test(containerId)) return [];
  return [
    `${root}/pids/docker/${containerId}/pids.events`,
    `${root}/pids/system.slice/docker-${containerId}.scope/pids.events`,
    `${root}/system.slice/docker-${containerId}.scope/pids.events`,
    `${root}/docker/${containerId}/pids.events`,
  ];
}

/** The `max` count of a pids.events file's text (forks refused by the limit), or null when absent. */
export function refusedForks(text: string): number | null {
  const match = /^max (\d+)$/mu.exec(text);
  return match === null ? null : Number(match[1]);
}

/** A poller of one container's refused-fork count. */
export interface PidsEventsProbe {
  /** Reads the counter now (call before the container is killed: its cgroup goes with it). */
  read(): void;
  /** Forks the limit refused so far, or null when the counter could not be read at all. */
  refused(): number | null;
  stop(): void;
}

/** Polls a container's pids.events every `intervalMs` until stopped, keeping the highest count. */
export function probePidsEvents(containerId: string, options: { readonly intervalMs?: number; readonly root?: string } = {}): PidsEventsProbe {
  const candidates = pidsEventsCandidates(containerId, options.root);
  let found: string | null = null;
  let highest: number | null = null;
  const read = (): void => {
    for (const path of found === null ? candidates : [found]) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      found = path;
      const count = refusedForks(text);
      if (count !== null) highest = Math.max(highest ?? 0, count);
      return;
    }
  };
  read();
  const timer = setInterval(read, options.intervalMs ?? 250);
  timer.unref();
  return {
    read,
    refused: () => highest,
    stop: () => clearInterval(timer),
  };
}

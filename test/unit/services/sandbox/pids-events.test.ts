/** Reading the pids cgroup's count of refused forks, from files laid out as cgroup v1 and v2 lay them out. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidsEventsCandidates, probePidsEvents, refusedForks } from '../../../../electron/services/sandbox/pids-events';

const id = 'a'.repeat(64);
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function layout(relative: string, text: string): string {
  const root = mkdtempSync(join(tmpdir(), 'gh-cgroup-'));
  roots.push(root);
  mkdirSync(dirname(join(root, relative)), { recursive: true });
  writeFileSync(join(root, relative), text);
  return root;
}

describe('pids.events', () => {
  it('reads the max count', () => {
    expect(refusedForks('max 8\n')).toBe(8);
    expect(refusedForks('max 0\n')).toBe(0);
    expect(refusedForks('')).toBeNull();
  });

  it('finds the counter under cgroup v1 (cgroupfs, systemd) and v2', () => {
    for (const relative of [`pids/docker/${id}/pids.events`, `pids/system.slice/docker-${id}.scope/pids.events`, `system.slice/docker-${id}.scope/pids.events`]) {
      const probe = probePidsEvents(id, { root: layout(relative, 'max 5\n') });
      probe.stop();
      expect(probe.refused()).toBe(5);
    }
  });

  it('keeps the highest count seen, and null when there is no counter (a remote engine)', () => {
    const root = layout(`pids/docker/${id}/pids.events`, 'max 2\n');
    const probe = probePidsEvents(id, { root });
    writeFileSync(join(root, `pids/docker/${id}/pids.events`), 'max 9\n');
    probe.read();
    rmSync(join(root, 'pids'), { recursive: true });
    probe.read();
    probe.stop();
    expect(probe.refused()).toBe(9);
    const empty = mkdtempSync(join(tmpdir(), 'gh-cgroup-none-'));
    roots.push(empty);
    const none = probePidsEvents(id, { root: empty });
    none.stop();
    expect(none.refused()).toBeNull();
  });

  it('names no path for something that is not a container id', () => {
    expect(pidsEventsCandidates('../../etc')).toEqual([]);
  });
});

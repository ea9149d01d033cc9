/**
 * The console's agent watch is event-driven: with the fallback poll set to an hour, a proposal an agent
 * makes through another core on the same data directory (as `gatehouse mcp` does from its own process) is
 * still announced, heard through the file watch of the audit database; each exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentActor, startAgentWatch } from '../../../electron/core/agents';
import { createCore, type Core } from '../../../electron/core/create-core';
import type { EventPayload } from '../../../shared/ipc/contract';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const HOUR = 3_600_000;
let dataDir: string;
let consoleCore: Core;
let writer: Core;
let stopWatch: () => void;

function proposedBy(core: Core, proposalId: string): void {
  core.context.audit.record({ action: 'agent.proposed', subject: `proposal:repo-1/${proposalId}`, actor: agentActor('coder'), role: 'agent', payload: { revision: 1 } });
}

function arrivals(core: Core, proposalId: string): { readonly count: () => number; readonly first: Promise<EventPayload<'proposal:arrived'>> } {
  let count = 0;
  let resolve: (payload: EventPayload<'proposal:arrived'>) => void = () => undefined;
  const first = new Promise<EventPayload<'proposal:arrived'>>((r) => {
    resolve = r;
  });
  core.events.subscribe((name, payload) => {
    const arrived = payload as EventPayload<'proposal:arrived'>;
    if (name !== 'proposal:arrived' || arrived.proposalId !== proposalId) return;
    count += 1;
    resolve(arrived);
  });
  return { count: () => count, first };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-watch-'));
  consoleCore = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet, watchAgents: false });
  writer = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet, watchAgents: false });
  stopWatch = startAgentWatch(consoleCore.context, HOUR);
});

afterAll(async () => {
  stopWatch?.();
  await writer?.close();
  await consoleCore?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('agent watch', () => {
  it('hears a proposal written through another connection to the data directory without waiting for the poll', async () => {
    const heard = arrivals(consoleCore, 'from-elsewhere');
    proposedBy(writer, 'from-elsewhere');
    expect(await heard.first).toEqual({ repositoryId: 'repo-1', proposalId: 'from-elsewhere', agent: 'coder', kind: 'proposed', revision: 1 });
  });

  it('announces each proposal exactly once, whichever connection wrote it', async () => {
    const heard = arrivals(consoleCore, 'from-here');
    proposedBy(consoleCore, 'from-here');
    expect(await heard.first).toMatchObject({ proposalId: 'from-here' });
    // Later file events and ticks find nothing new for it: no second announcement.
    const next = arrivals(consoleCore, 'another');
    proposedBy(writer, 'another');
    await next.first;
    expect(heard.count()).toBe(1);
    expect(next.count()).toBe(1);
  });
});

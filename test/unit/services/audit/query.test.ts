import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/model/result';
import { ftsQuery, type AuditEvent, type AuditSearchRequest, type AuditStore } from '../../../../electron/services/audit';
import { openTestStore, removeDir, sampleEvent, steppingClock, tempDir } from './helpers';

// 200 events, one a minute from 2025-01-01T09:00Z; sampleEvent cycles actors (4), roles (4), actions (5)
// and subjects (7), so every filter has a known answer computable from the same inputs.
const N = 200;
const START = Date.UTC(2025, 0, 1, 9, 0, 0);
let dir: string;
let store: AuditStore;
let all: ReadonlyArray<AuditEvent>;

beforeAll(async () => {
  dir = tempDir();
  ({ store } = await openTestStore(dir, { clock: steppingClock(START, 60_000) }));
  const appended: AuditEvent[] = [];
  for (let i = 0; i < N; i++) {
    const base = sampleEvent(i);
    const payload = i === 77 ? { note: 'Crème brûlée recipe leaked', path: 'src/auth/token.ts' } : base.payload;
    // A second approval action, so the approval.* family has several members to merge.
    const action = i % 9 === 4 ? 'approval.revoked' : base.action;
    appended.push(store.append({ ...base, action, payload }));
  }
  all = appended;
});
afterAll(() => {
  store.close();
  removeDir(dir);
});

function seqs(events: ReadonlyArray<AuditEvent>): number[] {
  return events.map((e) => e.seq);
}

function expected(predicate: (e: AuditEvent) => boolean): number[] {
  return all.filter(predicate).map((e) => e.seq);
}

/** Walks every page of a request in one direction and returns the seqs in display order. */
function walk(request: AuditSearchRequest, direction: 'forward' | 'backward'): number[] {
  const desc = (request.order ?? 'desc') === 'desc';
  const pages: number[][] = [];
  let page = store.search(request);
  for (;;) {
    pages.push(seqs(page.events));
    const first = page.events[0]?.seq;
    const last = page.events[page.events.length - 1]?.seq;
    if (first === undefined || last === undefined) break;
    const { atSeq: _at, ...rest } = request;
    if (direction === 'forward') {
      if (!(desc ? page.hasOlder : page.hasNewer)) break;
      page = store.search({ ...rest, ...(desc ? { beforeSeq: last } : { afterSeq: last }) });
    } else {
      if (!(desc ? page.hasNewer : page.hasOlder)) break;
      page = store.search({ ...rest, ...(desc ? { afterSeq: first } : { beforeSeq: first }) });
    }
  }
  if (direction === 'backward') pages.reverse();
  return pages.flat();
}

describe('filters', () => {
  it.each<[string, AuditSearchRequest, (e: AuditEvent) => boolean]>([
    ['actor', { actor: 'bob' }, (e) => e.actor === 'bob'],
    ['role', { role: 'lead' }, (e) => e.role === 'lead'],
    ['action', { action: 'sandbox.run' }, (e) => e.action === 'sandbox.run'],
    ['action family', { action: 'approval.*' }, (e) => e.action.startsWith('approval.')],
    ['action family with a time range', { action: 'approval.*', from: '2025-01-01T10:00:00Z', to: '2025-01-01T11:00:00Z' }, (e) => e.action.startsWith('approval.') && e.ts >= '2025-01-01T10:00:00.000Z' && e.ts < '2025-01-01T11:00:00.000Z'],
    ['a family of one', { action: 'sandbox.*' }, (e) => e.action === 'sandbox.run'],
    ['subject', { subject: 'repo-a/proposal-3' }, (e) => e.subject === 'repo-a/proposal-3'],
    ['time range', { from: '2025-01-01T10:00:00Z', to: '2025-01-01T11:30:00+00:00' }, (e) => e.ts >= '2025-01-01T10:00:00.000Z' && e.ts < '2025-01-01T11:30:00.000Z'],
    ['time range with an offset', { from: '2025-01-01T12:00:00+02:00' }, (e) => e.ts >= '2025-01-01T10:00:00.000Z'],
    ['combined', { actor: 'alice', action: 'proposal.discovered', subject: 'repo-a/proposal-0' }, (e) => e.actor === 'alice' && e.action === 'proposal.discovered' && e.subject === 'repo-a/proposal-0'],
    ['text', { text: 'even' }, (e) => (e.payload['tags'] as string[] | undefined)?.includes('even') === true],
    ['text and actor', { text: 'even', actor: 'carol' }, (e) => e.actor === 'carol' && (e.payload['tags'] as string[] | undefined)?.includes('even') === true],
  ])('%s', (_name, request, predicate) => {
    const want = expected(predicate);
    expect(want.length).toBeGreaterThan(0);
    expect(walk({ ...request, limit: 7, order: 'asc' }, 'forward')).toEqual(want);
    expect(walk({ ...request, limit: 7 }, 'forward')).toEqual([...want].reverse());
    expect(store.countMatching(request)).toBe(want.length);
    expect(store.search({ ...request, withCount: true }).count).toBe(want.length);
  });

  it('matches nothing for a family, time range or value that does not occur', () => {
    for (const request of [{ action: 'policy.*' }, { from: '2026-01-01T00:00:00Z' }, { to: '2024-01-01T00:00:00Z' }, { from: '2025-01-01T10:00:00Z', to: '2025-01-01T09:00:00Z' }]) {
      expect(store.search({ ...request, withCount: true }), JSON.stringify(request)).toEqual({ events: [], hasOlder: false, hasNewer: false, count: 0 });
      expect(store.countsByAction(request)).toEqual([]);
    }
  });

  it('finds words across diacritics and prefixes, and nothing for absent words', () => {
    expect(seqs(store.search({ text: 'creme brulee' }).events)).toEqual([78]);
    expect(seqs(store.search({ text: 'CRÈME' }).events)).toEqual([78]);
    expect(seqs(store.search({ text: 'brû*' }).events)).toEqual([78]);
    expect(seqs(store.search({ text: 'auth token' }).events)).toEqual([78]);
    expect(store.search({ text: 'nonexistentword' }).events).toEqual([]);
  });

  it('treats FTS syntax in search text as plain words', () => {
    for (const text of ['even OR odd', 'NEAR(even odd)', 'payload:even', '"even', 'even"', '-even', '^even', 'even AND', '*']) {
      const run = (): unknown => store.search({ text });
      if (text === '*') expect(run).toThrow(/no words/);
      else expect(run).not.toThrow();
    }
    expect(ftsQuery('a "b" c*')).toBe('"a" AND """b""" AND "c"*');
    expect(store.search({ text: 'even OR odd' }).events).toEqual([]);
  });

  it('rejects bad filters with InvalidInput', () => {
    const bad: AuditSearchRequest[] = [
      { from: 'yesterday' },
      { to: '2025-13-45T00:00:00Z' },
      { role: 'root' as never },
      { action: 'DROP TABLE' },
      { action: 'approval.**' },
      { limit: 0 },
      { limit: 1001 },
      { afterSeq: -1 },
      { afterSeq: 1, beforeSeq: 5 },
      { order: 'sideways' as never },
      { text: 'x '.repeat(300) },
    ];
    for (const request of bad) expect(() => store.search(request), JSON.stringify(request)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
  });
});

describe('keyset pagination', () => {
  it('pages newest first by default and reports what lies either side', () => {
    const first = store.search({ limit: 10 });
    expect(seqs(first.events)).toEqual([200, 199, 198, 197, 196, 195, 194, 193, 192, 191]);
    expect(first).toMatchObject({ hasNewer: false, hasOlder: true, count: null });
    const second = store.search({ limit: 10, beforeSeq: 191 });
    expect(seqs(second.events)[0]).toBe(190);
    const back = store.search({ limit: 10, afterSeq: 190 });
    expect(seqs(back.events)).toEqual(seqs(first.events));
  });

  it('walks the whole log both ways in both orders', () => {
    const ascending = all.map((e) => e.seq);
    expect(walk({ limit: 33, order: 'asc' }, 'forward')).toEqual(ascending);
    expect(walk({ limit: 33 }, 'forward')).toEqual([...ascending].reverse());
    expect(walk({ limit: 33, order: 'asc', atSeq: 200 }, 'backward')).toEqual(ascending);
    expect(walk({ limit: 33, atSeq: 1 }, 'backward')).toEqual([...ascending].reverse());
  });

  it('lands at a position with atSeq (jump to the middle) in either order', () => {
    const asc = store.search({ atSeq: 100, limit: 5, order: 'asc' });
    expect(seqs(asc.events)).toEqual([100, 101, 102, 103, 104]);
    expect(asc).toMatchObject({ hasOlder: true, hasNewer: true });
    const desc = store.search({ atSeq: 100, limit: 5 });
    expect(seqs(desc.events)).toEqual([100, 99, 98, 97, 96]);
    const filtered = store.search({ atSeq: 100, limit: 3, order: 'asc', actor: 'alice' });
    expect(seqs(filtered.events)).toEqual(expected((e) => e.actor === 'alice' && e.seq >= 100).slice(0, 3));
  });

  it('answers past either end with an empty page that points back', () => {
    const past = store.search({ afterSeq: 200 });
    expect(past).toMatchObject({ events: [], hasOlder: true, hasNewer: false });
    const before = store.search({ beforeSeq: 1 });
    expect(before).toMatchObject({ events: [], hasOlder: false, hasNewer: true });
    const none = store.search({ actor: 'nobody' });
    expect(none).toMatchObject({ events: [], hasOlder: false, hasNewer: false });
  });

  it('returns events exactly as appended', () => {
    expect(store.search({ atSeq: 42, limit: 1, order: 'asc' }).events[0]).toEqual(all[41]);
  });
});

describe('counts per action', () => {
  it('counts all events without a filter', () => {
    expect(store.countMatching()).toBe(N);
    expect(store.search({ withCount: true, limit: 1 }).count).toBe(N);
  });

  it('counts every action, and within a filter', () => {
    const counts = store.countsByAction();
    const want = new Map<string, number>();
    for (const e of all) want.set(e.action, (want.get(e.action) ?? 0) + 1);
    expect(new Map(counts.map((c) => [c.action, c.count]))).toEqual(want);
    expect(counts.map((c) => c.count)).toEqual([...counts.map((c) => c.count)].sort((a, b) => b - a));
    const bobs = store.countsByAction({ actor: 'bob' });
    expect(bobs.reduce((sum, c) => sum + c.count, 0)).toBe(expected((e) => e.actor === 'bob').length);
    const inHour = new Map<string, number>();
    for (const e of all.filter((x) => x.ts >= '2025-01-01T10:00:00.000Z' && x.ts < '2025-01-01T11:00:00.000Z')) {
      inHour.set(e.action, (inHour.get(e.action) ?? 0) + 1);
    }
    const counted = store.countsByAction({ from: '2025-01-01T10:00:00Z', to: '2025-01-01T11:00:00Z' });
    expect(new Map(counted.map((c) => [c.action, c.count]))).toEqual(inHour);
  });
});

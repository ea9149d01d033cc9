/**
 * The auditor's filters as people type them (issue 14): part of a name in any case, part of a subject
 * without its internal id, and one box that looks in subject, actor, action and payload words — on a real
 * audit database, every answer checked against the events themselves, paged both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, AuditSearchRequest, AuditStore } from '../../../../electron/services/audit';
import { containsPattern } from '../../../../electron/services/audit/query';
import { openTestStore, removeDir, steppingClock, tempDir } from './helpers';

let dir: string;
let store: AuditStore;
let all: ReadonlyArray<AuditEvent>;
const repo = '0b9d7c1e-5a44-4e0b-9a7e-2f1d3c4b5a69';

beforeAll(async () => {
  dir = tempDir();
  ({ store } = await openTestStore(dir, { clock: steppingClock(Date.UTC(2025, 0, 1, 9), 60_000) }));
  const appended: AuditEvent[] = [];
  const actors = ['Rita', 'lee', 'gatehouse', 'pricing-agent'];
  const roles = ['reviewer', 'lead', 'system', 'agent'] as const;
  for (let i = 0; i < 60; i += 1) {
    const proposal = ['quote-formula', 'refactor-rounding', 'nightly_export%'][i % 3] as string;
    appended.push(
      store.append({
        actor: actors[i % 4] as string,
        role: roles[i % 4] as (typeof roles)[number],
        action: i % 5 === 0 ? 'apply.completed' : 'approval.minted',
        subject: i % 7 === 0 ? `repository:${repo}` : `proposal:${repo}/${proposal}`,
        payload: i % 7 === 0 ? { note: `rolled back quote-formula at step ${i}` } : { reason: `checked ${i}` },
      }),
    );
  }
  all = appended;
});
afterAll(() => {
  store.close();
  removeDir(dir);
});

function walk(request: AuditSearchRequest): number[] {
  const seqs: number[] = [];
  let page = store.search({ ...request, limit: 4, order: 'asc' });
  for (;;) {
    seqs.push(...page.events.map((event) => event.seq));
    const last = page.events[page.events.length - 1]?.seq;
    if (last === undefined || !page.hasNewer) return seqs;
    page = store.search({ ...request, limit: 4, order: 'asc', afterSeq: last });
  }
}

describe('substring filters', () => {
  it.each<[string, AuditSearchRequest, (e: AuditEvent) => boolean]>([
    ['actor, any case, part of the name', { actorContains: 'RIT' }, (e) => e.actor === 'Rita'],
    ['actor prefix', { actorContains: 'pri' }, (e) => e.actor === 'pricing-agent'],
    ['subject by proposal name, without its repository id', { subjectContains: 'quote-formula' }, (e) => e.subject.endsWith('/quote-formula')],
    ['LIKE wildcards taken literally', { subjectContains: 'export%' }, (e) => e.subject.endsWith('/nightly_export%')],
    ['underscore taken literally', { subjectContains: 'ly_ex' }, (e) => e.subject.endsWith('/nightly_export%')],
    [
      'anywhere: subject or payload words',
      { anywhere: 'quote-formula' },
      (e) => e.subject.endsWith('/quote-formula') || JSON.stringify(e.payload).includes('quote-formula'),
    ],
    ['anywhere: an action', { anywhere: 'APPLY.COMP' }, (e) => e.action === 'apply.completed'],
    ['combined with an exact action', { subjectContains: 'rounding', action: 'apply.completed' }, (e) => e.subject.endsWith('/refactor-rounding') && e.action === 'apply.completed'],
  ])('%s', (_name, request, predicate) => {
    const want = all.filter(predicate).map((event) => event.seq);
    expect(want.length).toBeGreaterThan(0);
    expect(walk(request)).toEqual(want);
    expect(store.countMatching(request)).toBe(want.length);
  });

  it('finds nothing for a part that occurs nowhere, and refuses an over-long value', () => {
    expect(store.search({ actorContains: 'nobody' }).events).toEqual([]);
    expect(store.search({ anywhere: '%%' }).events).toEqual([]);
    expect(() => store.search({ subjectContains: 'x'.repeat(501) })).toThrow(/at most 500/);
    expect(containsPattern('x', 'a%b_c\\d')).toBe('%a\\%b\\_c\\\\d%');
  });
});

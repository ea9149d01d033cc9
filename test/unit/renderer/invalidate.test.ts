/**
 * Why an imported proposal stayed missing from the queue until a reload (issue 14), and the fix: an event
 * that arrives while the queue's first load is in flight must lead to a fetch that starts after the event.
 * A real react-query client and observer (as a mounted component holds), with main's answer stood in by a
 * list that changes between two calls.
 */
import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { invalidateChannels } from '../../../renderer/api/invalidate';

/** A "main process" whose first answer is held until released, read at call time as main reads refs. */
function slowFirstAnswer() {
  const proposals = ['quote-formula'];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  return {
    proposals,
    release: () => release(),
    get calls() {
      return calls;
    },
    async list(): Promise<string[]> {
      calls += 1;
      const read = [...proposals];
      if (calls === 1) await held;
      return read;
    },
  };
}

async function firstLoadRacedByAnEvent(invalidate: (client: QueryClient) => Promise<void>): Promise<{ shown: ReadonlyArray<string> | undefined; calls: number }> {
  const main = slowFirstAnswer();
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const observer = new QueryObserver<string[]>(client, { queryKey: ['proposal:list', {}], queryFn: () => main.list() });
  const unsubscribe = observer.subscribe(() => undefined);
  // The queue's first load is in flight; then a proposal is imported and main reports it.
  main.proposals.push('slow-benchmark');
  const invalidated = invalidate(client);
  main.release();
  await invalidated;
  await client.getQueryCache().find({ queryKey: ['proposal:list', {}] })?.promise?.catch(() => undefined);
  const shown = observer.getCurrentResult().data;
  unsubscribe();
  client.clear();
  return { shown, calls: main.calls };
}

describe('invalidating on an event during a first load', () => {
  it('react-query alone joins the refetch into the load in flight, so the event is lost (the cause)', async () => {
    const { shown, calls } = await firstLoadRacedByAnEvent((client) => client.invalidateQueries({ queryKey: ['proposal:list'] }));
    expect(calls).toBe(1);
    expect(shown).toEqual(['quote-formula']);
  });

  it('invalidateChannels fetches again after the event, and the new proposal shows', async () => {
    const { shown, calls } = await firstLoadRacedByAnEvent((client) => invalidateChannels(client, ['proposal:list']));
    expect(calls).toBe(2);
    expect(shown).toEqual(['quote-formula', 'slow-benchmark']);
  });
});

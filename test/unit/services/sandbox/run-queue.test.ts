import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/model/result';
import { createRunQueue } from '../../../../electron/services/sandbox/run-queue';

describe('createRunQueue', () => {
  it('grants at most `concurrency` slots, then first come first served', async () => {
    const queue = createRunQueue(2);
    const order: string[] = [];
    const a = await queue.acquire('a');
    const b = await queue.acquire('b');
    const c = queue.acquire('c').then((slot) => (order.push('c'), slot));
    const d = queue.acquire('d').then((slot) => (order.push('d'), slot));
    expect(queue.state()).toEqual({ running: ['a', 'b'], queued: ['c', 'd'] });
    a.release();
    a.release(); // a second release is ignored, not a second free slot
    const slotC = await c;
    expect(queue.state()).toEqual({ running: ['b', 'c'], queued: ['d'] });
    b.release();
    (await d).release();
    slotC.release();
    expect(order).toEqual(['c', 'd']);
    expect(queue.state()).toEqual({ running: [], queued: [] });
  });

  it('withdraws a waiting entry with a Cancelled error', async () => {
    const queue = createRunQueue(1);
    const held = await queue.acquire('held');
    const waiting = queue.acquire('waiting');
    expect(queue.withdraw('waiting', 'cancelled while queued')).toBe(true);
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.Cancelled, message: 'cancelled while queued' });
    expect(queue.withdraw('held', 'x')).toBe(false);
    held.release();
    expect(queue.state()).toEqual({ running: [], queued: [] });
  });

  it('withdraws everything waiting at once', async () => {
    const queue = createRunQueue(1);
    await queue.acquire('held');
    const waiting = [queue.acquire('w1'), queue.acquire('w2')];
    expect(queue.withdrawAll('shutting down')).toBe(2);
    for (const w of waiting) await expect(w).rejects.toMatchObject({ code: ErrorCode.Cancelled });
  });

  it('refuses a duplicate id and a bad bound', async () => {
    const queue = createRunQueue(1);
    await queue.acquire('x');
    await expect(queue.acquire('x')).rejects.toMatchObject({ code: ErrorCode.Conflict });
    for (const bad of [0, -1, 1.5, 65, Number.NaN]) expect(() => createRunQueue(bad)).toThrow(/concurrency/);
  });
});

import { describe, expect, it } from 'vitest';
import { engineMessage, isUnreachable, statusCode, withTimeout } from '../../../../electron/services/sandbox/engine-errors';

describe('engine errors', () => {
  it('tells a connection failure from an engine that answered', () => {
    expect(isUnreachable(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }))).toBe(true);
    expect(isUnreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2375'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isUnreachable(new Error('socket hang up'))).toBe(true);
    const http404 = Object.assign(new Error('(HTTP code 404) no such image'), { statusCode: 404, json: { message: 'No such image: x:1 ' } });
    expect(isUnreachable(http404)).toBe(false);
    expect(statusCode(http404)).toBe(404);
    expect(engineMessage(http404)).toBe('No such image: x:1');
    expect(engineMessage('plain')).toBe('plain');
  });

  it('bounds a call that never answers', async () => {
    const never = new Promise<never>(() => undefined);
    const error: unknown = await withTimeout(never, 10, 'Docker Engine').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENGINE_TIMEOUT', message: 'Docker Engine: no answer within 10 ms' });
    expect(isUnreachable(error)).toBe(true);
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
  });
});

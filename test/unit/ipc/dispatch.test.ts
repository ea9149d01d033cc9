import { describe, expect, it } from 'vitest';
import { channels, type Channel } from '../../../shared/ipc/contract';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { createDispatcher, type CallerSession, type HandlerTable, type SenderInfo } from '../../../electron/ipc/dispatch';

const ours: SenderInfo = { fromOurWindow: true, fromTopFrame: true, origin: 'app://gatehouse' };
const silent = { warn: () => undefined, error: () => undefined };

function table(overrides: Partial<Record<Channel, (input: never) => unknown>>): HandlerTable {
  const base = Object.fromEntries(
    Object.keys(channels).map((name) => [name, () => { throw new GatehouseError(ErrorCode.Internal, `${name} called`); }]),
  );
  return { ...base, ...overrides } as unknown as HandlerTable;
}

function dispatcher(session: CallerSession | null, handlers = table({})) {
  return createDispatcher({ handlers, allowedOrigins: ['app://gatehouse'], session: () => session, logger: silent });
}

const reviewer: CallerSession = { operatorId: 'op-1', name: 'rita', role: 'reviewer' };
const auditor: CallerSession = { operatorId: 'op-2', name: 'abe', role: 'auditor' };

describe('dispatch', () => {
  it('refuses a sender that is not our window, our top frame and our origin', async () => {
    const d = dispatcher(reviewer);
    for (const sender of [
      { ...ours, fromOurWindow: false },
      { ...ours, fromTopFrame: false },
      { ...ours, origin: 'https://evil.example' },
      { ...ours, origin: 'file://' },
    ]) {
      const result = await d(sender, 'app:info', {});
      expect(result).toEqual({ ok: false, error: { code: ErrorCode.ForbiddenSender, message: expect.any(String) } });
    }
  });

  it('refuses an unknown channel and prototype keys', async () => {
    const d = dispatcher(reviewer);
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 42, null]) {
      const result = await d(ours, name, {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe(ErrorCode.UnknownChannel);
    }
  });

  it('refuses malformed input with the field named', async () => {
    const d = dispatcher(null, table({ 'session:unlock': () => null }));
    const result = await d(ours, 'session:unlock', { name: 'rita', passphrase: 'short' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(ErrorCode.InvalidInput);
      expect(result.error.message).toContain('passphrase');
    }
    const extra = await d(ours, 'app:info', { sneaky: true });
    expect(extra.ok).toBe(false);
  });

  it('checks the role from the session held in main, not from the input', async () => {
    const handlers = table({ 'checkpoint:rollback': () => ({}) });
    const locked = await dispatcher(null, handlers)(ours, 'checkpoint:rollback', { repositoryId: 'r', checkpointId: 'c', confirm: true });
    expect(locked.ok === false && locked.error.code).toBe(ErrorCode.Locked);
    const asReviewer = await dispatcher(reviewer, handlers)(ours, 'checkpoint:rollback', {
      repositoryId: 'r', checkpointId: 'c', confirm: true, role: 'lead',
    });
    expect(asReviewer.ok === false && asReviewer.error.code).toBe(ErrorCode.InvalidInput);
    const asAuditor = await dispatcher(auditor, handlers)(ours, 'checkpoint:rollback', { repositoryId: 'r', checkpointId: 'c', confirm: true });
    expect(asAuditor.ok === false && asAuditor.error.code).toBe(ErrorCode.ForbiddenRole);
  });

  it('keeps a typed error code and hides the stack of an unexpected one', async () => {
    const d = dispatcher(reviewer, table({
      'repo:list': () => { throw new GatehouseError(ErrorCode.NotFound, 'no such repository'); },
      'proposal:list': () => { throw new TypeError('boom\n    at secret (/home/x/file.ts:1:1)'); },
    }));
    expect(await d(ours, 'repo:list', {})).toEqual({ ok: false, error: { code: ErrorCode.NotFound, message: 'no such repository' } });
    const internal = await d(ours, 'proposal:list', {});
    expect(internal.ok).toBe(false);
    if (!internal.ok) {
      expect(internal.error.code).toBe(ErrorCode.Internal);
      expect(internal.error.message).not.toContain('/home/x');
    }
  });

  it('refuses an answer outside the contract instead of passing it on', async () => {
    const d = dispatcher(reviewer, table({ 'repo:list': () => [{ id: 1 }] }));
    const result = await d(ours, 'repo:list', {});
    expect(result.ok === false && result.error.code).toBe(ErrorCode.Internal);
  });

  it('passes parsed input with defaults to the handler and wraps the value', async () => {
    let seen: unknown;
    const d = dispatcher(reviewer, table({ 'audit:search': (input) => { seen = input; return { events: [], total: 0, hasOlder: false, hasNewer: false }; } }));
    const result = await d(ours, 'audit:search', { action: 'apply.completed' });
    expect(result).toEqual({ ok: true, value: { events: [], total: 0, hasOlder: false, hasNewer: false } });
    expect(seen).toEqual({ action: 'apply.completed', limit: 100 });
  });
});

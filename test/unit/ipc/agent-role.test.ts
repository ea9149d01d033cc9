import { describe, expect, it } from 'vitest';
import { channels, type Channel } from '../../../shared/ipc/contract';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { createDispatcher, type CallerSession, type HandlerTable } from '../../../electron/ipc/dispatch';

const ours = { fromOurWindow: true, fromTopFrame: true, origin: 'gatehouse-mcp:' };
const silent = { warn: () => undefined, error: () => undefined };
const agent: CallerSession = { operatorId: 'agent-1', name: 'coder', role: 'agent' };
const lead: CallerSession = { operatorId: 'op-1', name: 'lee', role: 'lead' };

const called: string[] = [];
const handlers = Object.fromEntries(
  Object.keys(channels).map((name) => [
    name,
    () => {
      called.push(name);
      throw new GatehouseError(ErrorCode.NotFound, `${name} reached`);
    },
  ]),
) as unknown as HandlerTable;

function dispatcher(session: CallerSession) {
  return createDispatcher({ handlers, allowedOrigins: ['gatehouse-mcp:'], session: () => session, logger: silent });
}

const OPEN_TO_AGENTS = ['agent:get', 'agent:mine', 'agent:policy', 'agent:propose', 'agent:revise', 'agent:withdraw'];

describe('the agent role', () => {
  it('reaches exactly the agent channels, none of which decides, applies, rolls back or reads keys', () => {
    const open = (Object.keys(channels) as Channel[]).filter((name) => {
      const access = channels[name].access;
      return typeof access !== 'string' && access.includes('agent');
    });
    expect(open.sort()).toEqual(OPEN_TO_AGENTS);
  });

  it('is refused every other channel — public and session ones too — before its input is even read', async () => {
    const d = dispatcher(agent);
    for (const name of Object.keys(channels) as Channel[]) {
      if (OPEN_TO_AGENTS.includes(name)) continue;
      const result = await d(ours, name, { anything: 'goes' });
      expect(result, name).toEqual({ ok: false, error: { code: ErrorCode.ForbiddenRole, message: `${name} is not open to agents; coder is an agent` } });
    }
    expect(called).toEqual([]);
  });

  it('reaches an agent channel, and an operator does not', async () => {
    const asAgent = await dispatcher(agent)(ours, 'agent:mine', {});
    expect(asAgent).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound, message: 'agent:mine reached' } });
    const asLead = await dispatcher(lead)(ours, 'agent:propose', { repositoryId: 'r', title: 't', change: { format: 'diff', diff: 'x' } });
    expect(asLead).toMatchObject({ ok: false, error: { code: ErrorCode.ForbiddenRole } });
  });
});

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/model/result';
import {
  ACTION_PATTERN,
  AUDIT_ACTIONS,
  AUDIT_ROLES,
  AuditInputError,
  checkEventInput,
  MAX_PAYLOAD_DEPTH,
} from '../../../../electron/services/audit/events';

const good = { actor: 'alice', role: 'reviewer', action: 'approval.minted', subject: 'repo/p-1', payload: { a: 1 } };

function rejects(input: unknown, message: RegExp): void {
  let caught: unknown;
  try {
    checkEventInput(input);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AuditInputError);
  expect((caught as AuditInputError).code).toBe(ErrorCode.InvalidInput);
  expect((caught as Error).message).toMatch(message);
}

describe('audit event input', () => {
  it('accepts a well-formed event and defaults the payload to {}', () => {
    expect(checkEventInput(good)).toEqual(good);
    const { payload: _omitted, ...withoutPayload } = good;
    expect(checkEventInput(withoutPayload).payload).toEqual({});
  });

  it('knows every action Gatehouse records, and they all match the action pattern', () => {
    for (const action of AUDIT_ACTIONS) expect(action).toMatch(ACTION_PATTERN);
    expect(AUDIT_ACTIONS).toContain('approval.revoked');
    expect(AUDIT_ROLES).toEqual(['reviewer', 'auditor', 'lead', 'system', 'agent', 'tool']);
  });

  it('accepts outside tools’ own actions when they have the dotted shape', () => {
    expect(checkEventInput({ ...good, action: 'ci.scan-finished' }).action).toBe('ci.scan-finished');
    expect(checkEventInput({ ...good, action: 'a.b.c' }).action).toBe('a.b.c');
  });

  it.each([
    ['Approval.Minted', /action/],
    ['approval', /action/],
    ['approval.', /action/],
    ['.minted', /action/],
    ['approval minted', /action/],
    ['approval.minted;drop', /action/],
    [`a.${'b'.repeat(100)}`, /action/],
  ])('rejects the action %j', (action, message) => rejects({ ...good, action }, message));

  it('rejects roles outside the closed set', () => {
    rejects({ ...good, role: 'admin' }, /role must be one of/);
    rejects({ ...good, role: undefined }, /role/);
  });

  it('rejects bad actors and subjects', () => {
    rejects({ ...good, actor: '' }, /actor must not be empty/);
    rejects({ ...good, actor: 'a'.repeat(201) }, /actor must be at most/);
    rejects({ ...good, actor: 'ali\nce' }, /control characters/);
    rejects({ ...good, actor: 42 }, /actor must be a string/);
    rejects({ ...good, subject: 'x\u0000' }, /control characters/);
    rejects({ ...good, subject: '\uD800' }, /lone UTF-16 surrogate/);
    expect(checkEventInput({ ...good, subject: '' }).subject).toBe('');
  });

  it('rejects payloads JSON or RFC 8785 cannot carry faithfully', () => {
    rejects({ ...good, payload: [] }, /payload must be a JSON object/);
    rejects({ ...good, payload: 'x' }, /payload must be a JSON object/);
    rejects({ ...good, payload: null }, /payload must be a JSON object/);
    rejects({ ...good, payload: new Date() }, /payload must be a JSON object/);
    rejects({ ...good, payload: { n: Number.NaN } }, /not a finite number/);
    rejects({ ...good, payload: { n: Number.POSITIVE_INFINITY } }, /not a finite number/);
    rejects({ ...good, payload: { n: undefined } }, /not JSON/);
    rejects({ ...good, payload: { n: 1n } }, /not JSON/);
    rejects({ ...good, payload: { f: () => 1 } }, /not JSON/);
    rejects({ ...good, payload: { d: new Date() } }, /not JSON/);
    rejects({ ...good, payload: { m: new Map() } }, /not JSON/);
    rejects({ ...good, payload: { s: 'ok \uDC00' } }, /lone UTF-16 surrogate/);
    rejects({ ...good, payload: { ['\uD800']: 1 } }, /lone UTF-16 surrogate/);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_PAYLOAD_DEPTH; i++) deep = { d: deep };
    rejects({ ...good, payload: deep }, /nests deeper/);
  });

  it('accepts paired surrogates, control characters and unicode inside payload strings', () => {
    const payload = { emoji: '😀', nul: 'a\u0000b', tab: '\t', sep: '\u2028', nested: [{ ok: true }] };
    expect(checkEventInput({ ...good, payload }).payload).toEqual(payload);
  });

  it('rejects things that are not objects at all', () => {
    rejects(null, /must be an object/);
    rejects('event', /must be an object/);
  });
});

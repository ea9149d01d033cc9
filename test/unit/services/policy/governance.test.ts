import { describe, expect, it } from 'vitest';
import { governanceChanges, policyFromTarget, trustListFromTarget, TRUST_PATH } from '../../../../electron/services/policy';
import type { TrustList } from '../../../../electron/services/identity';
import { ErrorCode } from '../../../../shared/model/result';

describe('governanceChanges', () => {
  it('flags the policy, the trust list and anything under .gatehouse/ as CRITICAL', () => {
    const result = governanceChanges(['src/app.ts', '.gatehouse/policy.yaml', '.gatehouse/trust.json', '.gatehouse/notes.md']);
    expect(result.risk).toBe('CRITICAL');
    expect(result.touched).toEqual(['.gatehouse/policy.yaml', '.gatehouse/trust.json', '.gatehouse/notes.md']);
    expect(result.reasons).toEqual([
      'changes the policy (.gatehouse/policy.yaml)',
      'changes the trust list (.gatehouse/trust.json)',
      'changes governance files (.gatehouse/notes.md)',
    ]);
  });

  it.each(['.Gatehouse/Trust.json', './.gatehouse/trust.json', '.gatehouse//trust.json', '.gatehouse\\trust.json', '.gatehouse./trust.json', '.GATEHOUSE ', '.gatehouse'])(
    'sees through the disguise %s',
    (path) => {
      expect(governanceChanges([path]).risk).toBe('CRITICAL');
    },
  );

  it('leaves other paths alone', () => {
    expect(governanceChanges(['src/.gatehouse/trust.json', 'gatehouse/policy.yaml', '.gatehouses/x', 'docs/a.md'])).toEqual({ touched: [], risk: null, reasons: [] });
  });
});

describe('governance sources', () => {
  it('refuses when neither the workspace nor the target branch has a trust list', async () => {
    await expect(trustListFromTarget({ readTargetFile: async () => null, workspace: null })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('prefers the workspace trust list and never asks for anything but the fixed paths', async () => {
    const asked: string[] = [];
    const workspace: TrustList = {
      type: 'gatehouse-trust-list',
      version: 1,
      operators: [
        {
          id: 'op1',
          name: 'carol',
          role: 'lead',
          email: null,
          keyId: 'ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          publicKey: 'x',
          createdAt: '2025-01-01T00:00:00Z',
        },
      ],
    };
    const sourced = await trustListFromTarget({ readTargetFile: async (p) => (asked.push(p), null), workspace });
    expect(sourced.origin).toBe('workspace');
    expect(asked).toEqual([]);
    await expect(trustListFromTarget({ readTargetFile: async (p) => (asked.push(p), '{'), workspace: null })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    expect(asked).toEqual([TRUST_PATH]);
  });

  it('treats a missing policy on the target branch as deny-by-default, never as the default policy', async () => {
    const result = await policyFromTarget({ readTargetFile: async () => null });
    expect(result).toMatchObject({ ok: false, origin: 'none' });
    expect(result.problems[0]?.message).toMatch(/deny by default/);
  });
});

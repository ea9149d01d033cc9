/**
 * Viewed marks per operator and per revision, and the acknowledgements every approval must
 * carry on every channel (issue 14), through the real core and dispatcher on the demo workspace: a real git repository,
 * real analysis, signed tokens decoded and checked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';
import type { Acknowledgement } from '../../../shared/model/acknowledgement';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;
let repositoryPath: string;

function call<C extends Channel>(channel: C, input: ChannelInput<C>) {
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  return dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input);
}

async function value<C extends Channel>(channel: C, input: ChannelInput<C>) {
  const result = await call(channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as never;
}

interface Shown {
  summary: { headOid: string; treeOid: string };
  findings: Array<{ fingerprint: string; severity: string; introduced: boolean; path: string }>;
  files: Array<{ path: string }>;
}

async function show(proposalId: string): Promise<Shown> {
  return value('proposal:show', { repositoryId, proposalId });
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-ack-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  const demo: { repositoryId: string; path: string } = await value('app:createDemo', {});
  repositoryId = demo.repositoryId;
  repositoryPath = demo.path;
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('viewed marks and acknowledgements', () => {
  it('keeps viewed marks per operator: a lead never inherits a reviewer ticks', async () => {
    await value('session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
    const detail = await show('quote-formula');
    const marked: { paths: string[] } = await value('review:setViewed', {
      repositoryId,
      proposalId: 'quote-formula',
      headOid: detail.summary.headOid,
      path: 'pricing/api.py',
      viewed: true,
    });
    expect(marked.paths).toEqual(['pricing/api.py']);
    await value('session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' });
    const lee: { paths: string[] } = await value('review:viewed', { repositoryId, proposalId: 'quote-formula' });
    expect(lee.paths).toEqual([]);
    await value('session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
    const rita: { paths: string[] } = await value('review:viewed', { repositoryId, proposalId: 'quote-formula' });
    expect(rita.paths).toEqual(['pricing/api.py']);
  });

  it('refuses a mark on a file the revision does not change, and on a moved head', async () => {
    const detail = await show('quote-formula');
    const missing = await call('review:setViewed', { repositoryId, proposalId: 'quote-formula', headOid: detail.summary.headOid, path: 'README.md', viewed: true });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const moved = await call('review:setViewed', { repositoryId, proposalId: 'quote-formula', headOid: 'f'.repeat(40), path: 'pricing/api.py', viewed: true });
    expect(moved).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  });

  it('refuses a console approval that leaves an open CRITICAL/HIGH finding or an unviewed file unacknowledged', async () => {
    const detail = await show('quote-formula');
    const revision = { repositoryId, proposalId: 'quote-formula', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid };
    const blocking = detail.findings.filter((f) => f.introduced && (f.severity === 'critical' || f.severity === 'high'));
    expect(blocking.length).toBeGreaterThan(0);
    const none = await call('proposal:approve', { ...revision, reason: 'looks fine', acknowledgements: [] });
    expect(none).toMatchObject({ ok: false, error: { code: 'POLICY_DENIED' } });
    if (!none.ok) expect(none.error.message).toMatch(/CRITICAL\/HIGH finding.*1 file you have not viewed/);

    // Acknowledging something that is not open on this revision is refused, not silently signed.
    const stray: Acknowledgement[] = [{ target: 'unviewed-file', ref: 'pricing/api.py', kind: 'accepted-risk' }];
    expect(await call('proposal:approve', { ...revision, reason: 'looks fine', acknowledgements: stray })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    // A finding cannot be "reviewed elsewhere": that kind is for files.
    const wrongKind = [{ target: 'finding', ref: blocking[0]?.fingerprint ?? '', kind: 'reviewed-elsewhere' }] as unknown as Acknowledgement[];
    expect(await call('proposal:approve', { ...revision, reason: 'looks fine', acknowledgements: wrongKind })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });

    const full: Acknowledgement[] = [
      ...blocking.map((f): Acknowledgement => ({ target: 'finding', ref: f.fingerprint, kind: 'accepted-risk' })),
      { target: 'unviewed-file', ref: 'tests/test_quote.py', kind: 'reviewed-elsewhere' },
    ];
    const signed: { token: string; acknowledgements?: Acknowledgement[] } = await value('proposal:approve', { ...revision, reason: 'accepted: internal tool only', acknowledgements: full });
    expect(claimsOf(signed.token)['acknowledgements']).toEqual(full);
    expect(signed.acknowledgements).toEqual(full);
    const verified = await value('approval:exportDsse', { repositoryId, proposalId: 'quote-formula' });
    expect(verified).toMatchObject({ signatures: 1 });
  });

  it('refuses an approval that sends no acknowledgements at all (the CLI, a script): the rule holds on every channel', async () => {
    const detail = await show('nightly-export-credentials');
    const revision = { repositoryId, proposalId: 'nightly-export-credentials', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid };
    const blocking = detail.findings.filter((f) => f.introduced && (f.severity === 'critical' || f.severity === 'high'));
    expect(blocking.length).toBeGreaterThan(0);
    // Before issue 14's fix, leaving the field out skipped the check and signed an approval of a committed key.
    const bare = await call('proposal:approve', { ...revision, reason: 'lgtm' });
    expect(bare).toMatchObject({ ok: false, error: { code: 'POLICY_DENIED' } });
    // The refusal names what still needs an acknowledgement, so any client can say it.
    if (!bare.ok) {
      for (const finding of blocking) expect(bare.error.message).toContain(finding.fingerprint.slice(0, 12));
      for (const file of detail.files) expect(bare.error.message).toContain(file.path);
    }
    const approvals: { approvals: unknown[] } = await value('proposal:show', { repositoryId, proposalId: 'nightly-export-credentials' });
    expect(approvals.approvals).toEqual([]);
  });

  it('signs no acknowledgements on a rejection', async () => {
    const detail = await show('nightly-export-credentials');
    const revision = { repositoryId, proposalId: 'nightly-export-credentials', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid };
    const rejected: { token: string } = await value('proposal:reject', { ...revision, reason: 'a committed access key' });
    expect(claimsOf(rejected.token)).not.toHaveProperty('acknowledgements');
  });

  it('a file the next revision changes is unviewed again; an unchanged one stays viewed', async () => {
    const detail = await show('refactor-rounding');
    await value('review:setViewed', { repositoryId, proposalId: 'refactor-rounding', headOid: detail.summary.headOid, path: 'pricing/calculator.py', viewed: true });
    // The agent pushes a second revision that adds a file and leaves calculator.py as it was.
    const git = (...args: string[]) => execFileSync('git', ['-C', repositoryPath, ...args], { encoding: 'utf8' });
    git('checkout', '-q', 'proposals/refactor-rounding');
    writeFileSync(join(repositoryPath, 'NOTES.md'), 'rounding notes\n');
    git('add', 'NOTES.md');
    git('-c', 'user.name=agent', '-c', 'user.email=agent@example.invalid', 'commit', '-q', '-m', 'notes');
    git('checkout', '-q', 'main');
    const second: { headOid: string; paths: string[] } = await value('review:viewed', { repositoryId, proposalId: 'refactor-rounding' });
    expect(second.headOid).not.toBe(detail.summary.headOid);
    expect(second.paths).toEqual(['pricing/calculator.py']);

    // A third revision changes calculator.py: it is unviewed again.
    git('checkout', '-q', 'proposals/refactor-rounding');
    writeFileSync(join(repositoryPath, 'pricing/calculator.py'), `${git('show', 'HEAD:pricing/calculator.py')}\n# changed again\n`);
    git('add', 'pricing/calculator.py');
    git('-c', 'user.name=agent', '-c', 'user.email=agent@example.invalid', 'commit', '-q', '-m', 'change again');
    git('checkout', '-q', 'main');
    const third: { paths: string[] } = await value('review:viewed', { repositoryId, proposalId: 'refactor-rounding' });
    expect(third.paths).toEqual([]);
  });
});

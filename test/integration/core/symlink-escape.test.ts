/**
 * Symlinks that leave the repository are what an escaping agent writes (issue 12 §4): a proposal holding
 * one is a CRITICAL finding at review, on the link's path, and the core refuses to sign an approval of
 * it, whatever channel asks. Real git repository (the demo workspace), proposals pushed with real git.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';
import type { Finding } from '../../../shared/model/domain';
import { acknowledgeAll } from '../../support/acknowledge-all';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let scratch: string;
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

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=agent', '-c', 'user.email=agent@example.invalid', ...args], { cwd, encoding: 'utf8' });
}

/** Pushes a proposal branch whose commit adds the given symlinks (path → target) and files. */
function pushProposal(name: string, links: Record<string, string>, files: Record<string, string> = {}): void {
  const clone = join(scratch, name);
  git(scratch, 'clone', '-q', '--branch', 'main', repositoryPath, clone);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(clone, path, '..'), { recursive: true });
    writeFileSync(join(clone, path), text);
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(join(clone, path, '..'), { recursive: true });
    symlinkSync(target, join(clone, path));
  }
  git(clone, 'add', '-A');
  git(clone, 'commit', '-q', '-m', `${name}: add links`);
  git(clone, 'push', '-q', 'origin', `HEAD:refs/heads/proposals/${name}`);
}

interface Shown {
  summary: { headOid: string; treeOid: string; risk: string; safetyScore: number; findingCount: number };
  assessment: { risk: string; safetyScore: number };
  findings: Array<Finding>;
  files: Array<{ path: string }>;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-symlink-'));
  scratch = mkdtempSync(join(tmpdir(), 'gh-symlink-clones-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  const demo: { repositoryId: string; path: string } = await value('app:createDemo', {});
  repositoryId = demo.repositoryId;
  repositoryPath = demo.path;
  pushProposal('absolute-link', { 'docs/passwd': '/etc/passwd' });
  pushProposal('parent-link', { 'docs/outside': '../../outside' });
  pushProposal('chained-link', { 'd/s': '..', link: 'd/s/..' });
  pushProposal('hooks-link', { hooks: '.git/hooks' });
  pushProposal('inside-link', { 'docs/readme-link': '../README.md' });
}, 180_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const ESCAPES: ReadonlyArray<{ proposal: string; path: string; says: RegExp }> = [
  { proposal: 'absolute-link', path: 'docs/passwd', says: /absolute path "\/etc\/passwd"/ },
  { proposal: 'parent-link', path: 'docs/outside', says: /outside the repository.*\.\.\/\.\.\/outside/ },
  { proposal: 'chained-link', path: 'link', says: /outside the repository.*d\/s\/\.\./ },
  { proposal: 'hooks-link', path: 'hooks', says: /\.git/ },
];

describe('symlinks leaving the repository', () => {
  it.each(ESCAPES)('$proposal: a CRITICAL finding on the link, and the queue shows CRITICAL', async ({ proposal, path, says }) => {
    await value('session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
    const detail: Shown = await value('proposal:show', { repositoryId, proposalId: proposal });
    const finding = detail.findings.find((f) => f.path === path);
    expect(finding).toMatchObject({ ruleId: 'symlink-escape', severity: 'critical', introduced: true });
    expect(finding?.message).toMatch(says);
    expect(detail.assessment.risk).toBe('CRITICAL');
    expect(detail.summary.risk).toBe('CRITICAL');
    const rows: Array<{ proposalId: string; risk: string; findingCount: number }> = await value('proposal:list', { repositoryId });
    expect(rows.find((r) => r.proposalId === proposal)).toMatchObject({ risk: 'CRITICAL' });
  });

  it.each(ESCAPES)('$proposal: the core refuses to sign an approval, for a reviewer and a lead', async ({ proposal, path }) => {
    for (const [name, passphrase] of [['rita', 'rita-demo-passphrase'], ['lee', 'lee-demo-passphrase']] as const) {
      await value('session:unlock', { name, passphrase });
      const detail: Shown = await value('proposal:show', { repositoryId, proposalId: proposal });
      const refused = await call('proposal:approve', {
        repositoryId,
        proposalId: proposal,
        headOid: detail.summary.headOid,
        treeOid: detail.summary.treeOid,
        reason: 'looks fine',
        // Everything acknowledged: the refusal is for the links, not for a missing acknowledgement.
        acknowledgements: acknowledgeAll(detail),
      });
      expect(refused).toMatchObject({ ok: false, error: { code: 'REFUSED' } });
      if (!refused.ok) expect(refused.error.message).toContain(path);
    }
    // Nothing was signed for it.
    const page: { events: Array<{ action: string; subject: string }> } = await value('audit:search', { limit: 500 });
    expect(page.events.filter((e) => e.action === 'approval.minted' && e.subject.endsWith(`/${proposal}`))).toEqual([]);
  });

  it('a symlink that stays inside the repository is no finding and can be approved', async () => {
    await value('session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
    const detail: Shown = await value('proposal:show', { repositoryId, proposalId: 'inside-link' });
    expect(detail.findings.filter((f) => f.ruleId === 'symlink-escape')).toEqual([]);
    const approved = await call('proposal:approve', {
      repositoryId,
      proposalId: 'inside-link',
      headOid: detail.summary.headOid,
      treeOid: detail.summary.treeOid,
      reason: 'link into the docs',
      acknowledgements: acknowledgeAll(detail),
    });
    expect(approved).toMatchObject({ ok: true });
  });
});

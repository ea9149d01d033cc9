/**
 * `gatehouse mcp` driven through the official SDK's Client over a real stdio transport, against a
 * real data directory (SQLite files, the demo git repository) shared with a "console" core in this
 * process, where the humans act through the window's dispatcher.
 *
 * The loop: the agent proposes → the console sees it arrive (live event) → a reviewer requests
 * changes with a line comment → the agent's wait_for_decision returns them → the agent revises → a
 * reviewer and a lead approve → the lead applies → wait_for_decision returns `applied` with the landed
 * commit. Then every refusal: schema, paths, symlinks, `.gatehouse/` raised to CRITICAL, another
 * agent's proposal, another repository, the rate limit, and a server started without a credential.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import type { EventPayload } from '../../../shared/ipc/contract';
import { acknowledgeAll } from '../../support/acknowledge-all';
import { gitEnv, makeRepo, type TempRepo } from '../../fixtures/git/repo';
import { call, cliMain, connectAgent, root, unlock, value, type AgentClient } from './helpers';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let core: Core;
let repositoryId: string;
let repoPath: string;
let otherRepo: TempRepo;
let otherRepositoryId: string;
const credentials = new Map<string, string>();
const clients: AgentClient[] = [];

function readmeDiff(current: string, extra: string): string {
  const lines = current.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const oldCount = lines.length;
  return [
    'diff --git a/README.md b/README.md',
    '--- a/README.md',
    '+++ b/README.md',
    `@@ -1,${oldCount} +1,${oldCount + extra.split('\n').length} @@`,
    ...lines.map((l) => ` ${l}`),
    ...extra.split('\n').map((l) => `+${l}`),
    '',
  ].join('\n');
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repoPath, env: gitEnv(dataDir), encoding: 'utf8' });
}

function branches(): string {
  return git('for-each-ref', '--format=%(refname)', 'refs/heads/').trim();
}

async function agent(name: string): Promise<AgentClient> {
  const client = await connectAgent(dataDir, name, credentials.get(name) ?? '');
  clients.push(client);
  return client;
}

function nextArrival(proposalId: string, kind: string): Promise<EventPayload<'proposal:arrived'>> {
  return new Promise((resolve) => {
    const stop = core.events.subscribe((name, payload) => {
      const arrived = payload as EventPayload<'proposal:arrived'>;
      if (name === 'proposal:arrived' && arrived.proposalId === proposalId && arrived.kind === kind) {
        stop();
        resolve(arrived);
      }
    });
  });
}

function auditActions(actor: string): string[] {
  return core.context.auditStore.search({ actor, limit: 500 }).events.map((e) => e.action);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-mcp-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet, watchAgents: true });
  repositoryId = (await value(core, 'app:createDemo', {})).repositoryId;
  repoPath = core.context.registry.get(repositoryId).path;
  // The lead gives one agent a tight rate limit in the target branch's policy.
  const policyFile = join(repoPath, '.gatehouse/policy.yaml');
  writeFileSync(policyFile, `${readFileSync(policyFile, 'utf8')}\nagents:\n  byAgent:\n    flooder:\n      proposalsPerHour: 2\n`);
  git('commit', '-qam', 'Policy: limit the flooder agent');
  otherRepo = makeRepo({ 'README.md': '# other\n' });
  await unlock(core, 'lee');
  otherRepositoryId = (await value(core, 'repo:add', { path: otherRepo.dir, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })).id;
  for (const name of ['coder', 'other-agent', 'flooder']) {
    credentials.set(name, (await value(core, 'agent:add', { name, repositories: [repositoryId] })).credential);
  }
  await value(core, 'session:lock', {});
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await core?.close();
  otherRepo?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('gatehouse mcp: the loop with a reviewer and a lead', () => {
  let coder: AgentClient;
  let proposalId = '';
  let headOid = '';

  it('lists the tools with JSON Schemas and the policy resource', async () => {
    coder = await agent('coder');
    const tools = await coder.client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['get_policy', 'get_proposal', 'list_my_proposals', 'propose_change', 'revise_proposal', 'wait_for_decision', 'withdraw_proposal']);
    const propose = tools.tools.find((t) => t.name === 'propose_change');
    expect(propose?.inputSchema.required).toEqual(expect.arrayContaining(['repositoryId', 'title', 'change']));
    const resources = await coder.client.listResources();
    expect(resources.resources.map((r) => r.uri)).toContain(`gatehouse://repositories/${repositoryId}/policy`);
    const policy = await coder.client.readResource({ uri: `gatehouse://repositories/${repositoryId}/policy` });
    const text = policy.contents[0] && 'text' in policy.contents[0] ? policy.contents[0].text : '';
    expect(JSON.parse(text)).toMatchObject({ valid: true, requirements: { CRITICAL: expect.stringContaining('2 approvals') }, limits: { proposalsPerHour: 30 } });
  });

  it('proposes; the console hears of it live and lists it', async () => {
    const readme = git('show', 'main:README.md');
    const arrival = nextArrival('readme-usage', 'proposed');
    const submitted = await coder.ok<{ proposalId: string; revision: number; headOid: string; risk: string; findings: Record<string, number>; needs: string[] }>('propose_change', {
      repositoryId,
      title: 'README: document the discount endpoint',
      description: 'Adds a usage line.',
      name: 'readme-usage',
      change: { format: 'diff', diff: readmeDiff(readme, 'Call `discount_endpoint` with price and percent.\nIt returns the discounted price.') },
      claims: { riskLevel: 'MINIMAL', safetyScore: 0.95, testsRun: ['python3 -m unittest'] },
    });
    expect(submitted).toMatchObject({ proposalId: 'readme-usage', revision: 1, findings: { critical: 0, high: 0 } });
    expect(['MINIMAL', 'LOW']).toContain(submitted.risk);
    expect(submitted.needs.join(' ')).toMatch(/approval/);
    proposalId = submitted.proposalId;
    headOid = submitted.headOid;
    expect(await arrival).toMatchObject({ repositoryId, agent: 'coder', revision: 1 });
    await unlock(core, 'rita');
    const queue = await value(core, 'proposal:list', {});
    expect(queue.find((row) => row.proposalId === proposalId)).toMatchObject({ author: { kind: 'agent', name: 'coder' }, headOid });
    expect(auditActions('agent:coder')).toEqual(expect.arrayContaining(['agent.connected', 'agent.proposed']));
  }, 300_000);

  it('hears a request for changes with the line comment, and revises', async () => {
    const progress: string[] = [];
    const waiting = coder.client.callTool({ name: 'wait_for_decision', arguments: { repositoryId, proposalId, timeoutSeconds: 300 } }, undefined, {
      timeout: 300_000,
      resetTimeoutOnProgress: true,
      onprogress: (p) => progress.push(p.message ?? ''),
    });
    // The reviewer, in the console: a draft on the new line, published with a signed request for changes.
    await unlock(core, 'rita');
    const detail = await value(core, 'proposal:show', { repositoryId, proposalId });
    const file = await value(core, 'proposal:file', { repositoryId, proposalId, path: 'README.md' });
    const line = (file.modified ?? '').split('\n').findIndex((l) => l.includes('discounted price')) + 1;
    await value(core, 'comment:draft', { repositoryId, proposalId, headOid, path: 'README.md', line, body: 'Say which currency the price is in.' });
    await value(core, 'proposal:requestChanges', { repositoryId, proposalId, headOid, treeOid: detail.summary.treeOid, reason: 'the usage line needs the currency' });

    const result = (await waiting) as unknown as { structuredContent: { outcome: string; proposal: { state: string; comments: Array<{ path: string; line: number; body: string; authorName: string }>; decisions: Array<{ decision: string }> } } };
    expect(result.structuredContent.outcome).toBe('changes-requested');
    expect(result.structuredContent.proposal.state).toBe('changes-requested');
    expect(result.structuredContent.proposal.comments).toEqual([expect.objectContaining({ path: 'README.md', line, body: 'Say which currency the price is in.', authorName: 'rita' })]);
    expect(result.structuredContent.proposal.decisions.map((d) => d.decision)).toContain('request_changes');
    expect(progress[0]).toMatch(/waiting for a decision/);

    const readme = git('show', 'main:README.md');
    const arrival = nextArrival(proposalId, 'revised');
    const revised = await coder.ok<{ revision: number; headOid: string }>('revise_proposal', {
      repositoryId,
      proposalId,
      headOid,
      description: 'Names the currency.',
      change: { format: 'diff', diff: readmeDiff(readme, 'Call `discount_endpoint` with price and percent.\nIt returns the discounted price in EUR.') },
    });
    expect(revised.revision).toBe(2);
    expect(revised.headOid).not.toBe(headOid);
    // Replaying the old head is refused: the agent must read the proposal again.
    expect(await coder.refused('revise_proposal', { repositoryId, proposalId, headOid, change: { format: 'diff', diff: readmeDiff(readme, 'x') } })).toMatch(/^CONFLICT/);
    headOid = revised.headOid;
    expect(await arrival).toMatchObject({ kind: 'revised', revision: 2 });
    const view = await coder.ok<{ state: string; comments: Array<{ outdated: boolean }> }>('get_proposal', { repositoryId, proposalId });
    expect(view.state).toBe('awaiting-review');
    // The commented line was rewritten: the comment is outdated in revision 2.
    expect(view.comments).toEqual([expect.objectContaining({ outdated: true })]);
  }, 300_000);

  it('waits through two approvals and returns applied with the landed commit', async () => {
    const waiting = coder.client.callTool({ name: 'wait_for_decision', arguments: { repositoryId, proposalId, timeoutSeconds: 300, until: 'applied' } }, undefined, {
      timeout: 300_000,
      resetTimeoutOnProgress: true,
      onprogress: () => undefined,
    });
    await unlock(core, 'rita');
    const detail = await value(core, 'proposal:show', { repositoryId, proposalId });
    expect(detail.summary.headOid).toBe(headOid);
    const revision = { repositoryId, proposalId, headOid, treeOid: detail.summary.treeOid };
    const acknowledgements = acknowledgeAll(detail);
    await value(core, 'proposal:approve', { ...revision, reason: 'currency named; docs only', acknowledgements });
    await unlock(core, 'lee');
    await value(core, 'proposal:approve', { ...revision, reason: 'lead: fine', acknowledgements });
    const applied = await value(core, 'proposal:apply', revision);
    await core.idle();

    const result = (await waiting) as unknown as { structuredContent: { outcome: string; proposal: { state: string; appliedCommit: string | null } } };
    expect(result.structuredContent.outcome).toBe('applied');
    expect(result.structuredContent.proposal).toMatchObject({ state: 'applied', appliedCommit: applied.newHead });
    expect(git('rev-parse', 'main').trim()).toBe(applied.newHead);
    expect(git('show', 'main:README.md')).toContain('discounted price in EUR');
    expect(auditActions('agent:coder')).toEqual(expect.arrayContaining(['agent.revised', 'agent.waited', 'agent.read']));
    const verify = await core.context.auditStore.verify();
    expect(verify.ok).toBe(true);
  }, 300_000);
});

describe('gatehouse mcp: refusals', () => {
  let coder: AgentClient;

  beforeAll(async () => {
    coder = clients[0] ?? (await agent('coder'));
  });

  it('refuses a malformed call with the reason, audited, writing nothing', async () => {
    const before = branches();
    const refusedCount = () => core.context.auditStore.countMatching({ actor: 'agent:coder', action: 'agent.refused' });
    const refusals = refusedCount();
    expect(await coder.refused('propose_change', { repositoryId, change: { format: 'diff', diff: 'x' } })).toMatch(/^INVALID_INPUT: propose_change: title/);
    expect(await coder.refused('propose_change', { repositoryId, title: 't', change: { format: 'zip', data: 'x' } })).toMatch(/^INVALID_INPUT/);
    expect(await coder.refused('propose_change', { repositoryId, title: 't', change: { format: 'diff', diff: 'not a patch at all' } })).toMatch(/^INVALID_INPUT|^REFUSED/);
    expect(await coder.refused('propose_change', { repositoryId, title: 'set', change: { format: 'changeset', changes: [{ path: 'a.txt', original: null, modified: 'a' }] } })).toMatch(/claims\.riskLevel/);
    expect(await coder.refused('wait_for_decision', { repositoryId, proposalId: 'readme-usage', timeoutSeconds: 100000 })).toMatch(/^INVALID_INPUT/);
    expect(await coder.refused('approve_proposal', { repositoryId })).toMatch(/^UNKNOWN_CHANNEL/);
    expect(branches()).toBe(before);
    expect(refusedCount()).toBe(refusals + 6);
  });

  it('refuses unsafe paths and symlinks leaving the repository, exactly as the importer does', async () => {
    const before = branches();
    const attacks: Array<[string, string]> = [
      ['dot-dot', 'diff --git a/../outside.txt b/../outside.txt\nnew file mode 100644\n--- /dev/null\n+++ b/../outside.txt\n@@ -0,0 +1 @@\n+owned\n'],
      ['git-dir', 'diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1 @@\n+#!/bin/sh\n'],
      ['git-disguised', 'diff --git a/.GIT/config b/.GIT/config\nnew file mode 100644\n--- /dev/null\n+++ b/.GIT/config\n@@ -0,0 +1 @@\n+[core]\n'],
      ['absolute', 'diff --git a//etc/passwd b//etc/passwd\nnew file mode 100644\n--- /dev/null\n+++ b//etc/passwd\n@@ -0,0 +1 @@\n+root\n'],
      ['symlink-out', 'diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+../../outside\n\\ No newline at end of file\n'],
    ];
    for (const [name, diff] of attacks) {
      const text = await coder.refused('propose_change', { repositoryId, title: `attack ${name}`, name: `attack-${name}`, change: { format: 'diff', diff } });
      expect(text, name).toMatch(/^(REFUSED|INVALID_INPUT)/);
    }
    const set = await coder.refused('propose_change', {
      repositoryId,
      title: 'attack changeset',
      change: { format: 'changeset', changes: [{ path: 'docs/../../x', original: null, modified: 'x' }] },
      claims: { riskLevel: 'MINIMAL', safetyScore: 1 },
    });
    expect(set).toMatch(/^REFUSED/);
    expect(branches()).toBe(before);
    const refused = core.context.auditStore.search({ actor: 'agent:coder', action: 'agent.refused', limit: 100 }).events.map((e) => (e.payload as { tool: string }).tool);
    expect(refused.filter((t) => t === 'propose_change').length).toBeGreaterThanOrEqual(attacks.length + 1);
  });

  it('raises a change under .gatehouse/ to CRITICAL, whatever the agent claims', async () => {
    const policy = git('show', 'main:.gatehouse/policy.yaml');
    const submitted = await coder.ok<{ risk: string; needs: string[] }>('propose_change', {
      repositoryId,
      title: 'Relax the policy',
      name: 'relax-policy',
      change: { format: 'changeset', changes: [{ path: '.gatehouse/policy.yaml', original: policy, modified: policy.replace('count: 2', 'count: 1') }] },
      claims: { riskLevel: 'MINIMAL', safetyScore: 1 },
    });
    expect(submitted.risk).toBe('CRITICAL');
  });

  it("cannot reach another agent's proposal or another repository, nor any human channel", async () => {
    const other = await agent('other-agent');
    expect(await other.refused('get_proposal', { repositoryId, proposalId: 'relax-policy' })).toMatch(/^NOT_FOUND: no proposal relax-policy of yours/);
    expect(await other.refused('withdraw_proposal', { repositoryId, proposalId: 'relax-policy' })).toMatch(/^NOT_FOUND/);
    expect(await other.refused('revise_proposal', { repositoryId, proposalId: 'relax-policy', headOid: 'a'.repeat(40), change: { format: 'diff', diff: 'x' } })).toMatch(/^NOT_FOUND/);
    // Its own proposals list does not show the other agent's.
    expect((await other.ok<{ items: unknown[] }>('list_my_proposals', {})).items).toEqual([]);
    await expect(other.client.readResource({ uri: `gatehouse://proposals/${repositoryId}/relax-policy/findings` })).rejects.toThrow(/NOT_FOUND/);
    expect(
      await coder.refused('propose_change', { repositoryId: otherRepositoryId, title: 'elsewhere', change: { format: 'diff', diff: readmeDiff('# other\n', 'x') } }),
    ).toMatch(/^FORBIDDEN_ROLE: agent coder is not registered for repository/);
    // The agent withdraws its own proposal: the branch goes, the record stays.
    expect(await coder.ok('withdraw_proposal', { repositoryId, proposalId: 'relax-policy', reason: 'not mine to change' })).toEqual({ withdrawn: true });
    expect(branches()).not.toContain('relax-policy');
    expect(await coder.ok('get_proposal', { repositoryId, proposalId: 'relax-policy' })).toMatchObject({ state: 'withdrawn' });
    expect(auditActions('agent:other-agent').filter((a) => a === 'agent.refused').length).toBeGreaterThanOrEqual(5);
  });

  it("enforces the policy's per-agent rate limit with a clear error", async () => {
    const flooder = await agent('flooder');
    const readme = git('show', 'main:README.md');
    for (let n = 1; n <= 2; n += 1) {
      await flooder.ok('propose_change', { repositoryId, title: `flood ${n}`, name: `flood-${n}`, change: { format: 'diff', diff: readmeDiff(readme, `flood ${n}`) } });
    }
    const third = await flooder.refused('propose_change', { repositoryId, title: 'flood 3', name: 'flood-3', change: { format: 'diff', diff: readmeDiff(readme, 'flood 3') } });
    expect(third).toMatch(/^RATE_LIMITED: rate limit: 2 proposals and revisions in the last hour; the policy allows flooder 2 per hour/);
    expect(branches()).not.toContain('flood-3');
    // The console is not stalled by it.
    await unlock(core, 'rita');
    expect((await value(core, 'proposal:list', {})).some((r) => r.proposalId === 'flood-1')).toBe(true);
  });

  it('refuses to start without a valid credential', () => {
    const run = (token: string | undefined) =>
      spawnSync(process.execPath, ['--import', 'tsx', cliMain, '--data-dir', dataDir, 'mcp', '--agent', 'coder'], {
        cwd: root,
        input: '',
        encoding: 'utf8',
        env: { ...process.env, GATEHOUSE_AGENT_TOKEN: token ?? '' },
        timeout: 120_000,
      });
    const none = run(undefined);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no credential/);
    const wrong = run(`${credentials.get('coder') ?? ''}x`);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/wrong credential/);
    expect(wrong.stdout).toBe('');
  }, 300_000);

  it('refuses a revoked agent on its next call', async () => {
    const flooder = clients.find((c) => c.stderr().includes('agent flooder'));
    await unlock(core, 'lee');
    await value(core, 'agent:revoke', { name: 'flooder' });
    expect(await flooder?.refused('list_my_proposals', {})).toMatch(/^LOCKED: agent flooder is no longer registered/);
    expect(await call(core, 'agent:propose', { repositoryId, title: 'a lead is not an agent', change: { format: 'diff', diff: 'x' } })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_ROLE' } });
  });
});

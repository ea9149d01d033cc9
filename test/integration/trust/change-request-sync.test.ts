/**
 * A request for changes travels with the repository (issue 15): two workstations share a bare remote
 * served over smart HTTP by `git http-backend`. Desk A's reviewer approves, then withdraws the approval
 * with a request for changes carrying a line comment. After a sync, desk B shows "changes requested"
 * and the comment's existence, and its gate no longer counts the withdrawn approval; a desk that landed
 * the revision without hearing of the withdrawal is refused by `verify` on a CI clone.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecord, readRecordLog } from '../../../electron/services/records';
import { approve, git, makeTrustedRepo, openWorkstation, PASS, propose, serveGitRemote, type Workstation } from './harness';


let server: ChildProcess;
let url: string;
let home: string;
let a: Workstation;
let b: Workstation;
let cloneA: string;
let cloneB: string;
let id: string;
let root: string;
const cleanups: Array<() => void> = [];


/** Rita, at desk A, comments on the first line of `path` and requests changes of the current revision. */
async function requestChanges(proposalId: string, path: string): Promise<{ jti: string; comments: number }> {
  await a.as('rita');
  const detail = await a.value('proposal:show', { repositoryId: id, proposalId });
  await a.value('comment:draft', { repositoryId: id, proposalId, headOid: detail.summary.headOid, path, line: 1, body: 'Sort once, not per call.' });
  return a.value('proposal:requestChanges', { repositoryId: id, proposalId, headOid: detail.summary.headOid, treeOid: detail.summary.treeOid, reason: 'see the comment' });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'gh-cr-sync-'));
  a = await openWorkstation();
  await a.value('app:createDemo', {});
  b = await openWorkstation();
  await b.value('operator:create', { name: 'bea', role: 'lead', passphrase: PASS.bea as string, email: 'bea@example.com' } as never);
  const team = a.core.context.operators.exportTrustList();
  const trust = { ...team, operators: [...team.operators, ...b.core.context.operators.exportTrustList().operators] };
  const origin = makeTrustedRepo(JSON.stringify(trust, null, 2));
  cleanups.push(origin.cleanup);
  root = git(origin.dir, 'rev-parse', 'main');
  git(home, 'clone', '-q', '--bare', origin.dir, join(home, 'remote.git'));
  git(join(home, 'remote.git'), 'config', 'http.receivepack', 'true');
  const remote = await serveGitRemote(home);
  server = remote.child;
  url = `http://127.0.0.1:${remote.port}/remote.git`;
  cloneA = join(home, 'desk-a');
  cloneB = join(home, 'desk-b');
  git(home, 'clone', '-q', url, cloneA);
  git(home, 'clone', '-q', url, cloneB);
  await a.as('lee');
  id = (await a.value('repo:add', { path: cloneA, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })).id;
  await b.as('bea');
  await b.value('repo:add', { path: cloneB, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*', id });
}, 240_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  server?.kill();
  for (const c of cleanups) c();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('a request for changes as a repository record', () => {
  it('desk B no longer counts an approval that desk A withdrew with a request for changes, and shows the request', async () => {
    propose(cloneA, 'withdrawn', { 'app.py': 'def total(xs):\n    return sum(sorted(xs))\n' });
    git(cloneA, 'push', '-q', 'origin', 'proposals/withdrawn');
    git(cloneB, 'fetch', '-q', 'origin', 'proposals/withdrawn:proposals/withdrawn');
    await approve(a, id, 'withdrawn', 'rita');
    await b.as('bea');
    await b.value('repo:sync', { repositoryId: id });
    // Before the withdrawal, B counts A's approval (MINIMAL needs one reviewer).
    expect((await b.value('proposal:show', { repositoryId: id, proposalId: 'withdrawn' })).gate.allowed).toBe(true);

    const request = await requestChanges('withdrawn', 'app.py');
    expect(request.comments).toBe(1);
    // The request is a signed record in A's log, shared with the remote.
    const logA = await readRecordLog((await a.core.handles.get(id)).repo, { repository: id });
    const record = logA.entries.find((e) => e.claims.kind === 'change-request');
    expect(record?.claims).toMatchObject({ kind: 'change-request', comments: [{ id: expect.any(String), digest: expect.stringMatching(/^[0-9a-f]{64}$/) }] });

    await b.as('bea');
    await b.value('repo:sync', { repositoryId: id });
    const shown = await b.value('proposal:show', { repositoryId: id, proposalId: 'withdrawn' });
    expect(shown.gate.allowed).toBe(false);
    const detail = shown.summary;
    const refused = await b.call('proposal:apply', { repositoryId: id, proposalId: 'withdrawn', headOid: detail.headOid, treeOid: detail.treeOid });
    expect(refused.ok).toBe(false);
    const conversation = await b.value('comment:list', { repositoryId: id, proposalId: 'withdrawn' });
    expect(conversation.reviewState).toBe('changes-requested');
    expect(conversation.changeRequests).toEqual([expect.objectContaining({ jti: request.jti, operatorName: 'rita', current: true, comments: 1, commentsElsewhere: 1 })]);
    // At desk A, the comment is there in full.
    await a.as('rita');
    expect((await a.value('comment:list', { repositoryId: id, proposalId: 'withdrawn' })).changeRequests).toEqual([expect.objectContaining({ comments: 1, commentsElsewhere: 0 })]);
    const states = await b.value('comment:states', { repositoryId: id });
    expect(states.find((s) => s.proposalId === 'withdrawn')?.reviewState).toBe('changes-requested');
  });

  it('desk B refuses a change-request record that carries an approval or another operator’s request', async () => {
    propose(cloneA, 'forged', { 'app.py': 'def total(xs):\n    return sum(xs) + 0\n' });
    git(cloneA, 'push', '-q', 'origin', 'proposals/forged');
    git(cloneB, 'fetch', '-q', 'origin', 'proposals/forged:proposals/forged');
    await approve(a, id, 'forged', 'rita');
    const handleA = await a.core.handles.get(id);
    const approval = a.core.context.approvals.listByProposal(id, 'forged')[0]?.token as string;
    // Rita wraps her approval as if it were a request for changes (a request that counts as an approval).
    await appendRecord(handleA.repo, a.core.context.sessions.require(), { repository: id, body: { kind: 'change-request', token: approval, comments: [] } });
    // Lee signs a record around a request for changes Rita signed.
    const { jti } = await requestChanges('forged', 'app.py');
    const requestToken = (await a.value('comment:list', { repositoryId: id, proposalId: 'forged' })).changeRequests.find((r) => r.jti === jti)?.token as string;
    await a.as('lee');
    await appendRecord(handleA.repo, a.core.context.sessions.require(), { repository: id, body: { kind: 'change-request', token: requestToken, comments: [] } });
    await a.value('repo:sync', { repositoryId: id });

    await b.as('bea');
    await b.value('repo:sync', { repositoryId: id });
    const refusals = b.core.context.auditStore.search({ action: 'records.refused', limit: 50 }).events.map((e) => e.payload as { kind: string; error: string });
    expect(refusals.filter((r) => r.kind === 'change-request').map((r) => r.error)).toEqual(
      expect.arrayContaining([expect.stringMatching(/not a decision to approve/), expect.stringMatching(/different keys/)]),
    );
    // Rita's own record of the request arrived and is registered once.
    const conversation = await b.value('comment:list', { repositoryId: id, proposalId: 'forged' });
    expect(conversation.changeRequests.map((r) => r.jti)).toEqual([jti]);
  });

  it('verify on a CI clone refuses a landing on an approval withdrawn before it landed', async () => {
    propose(cloneA, 'offline', { 'notes.txt': 'offline\n' });
    git(cloneA, 'push', '-q', 'origin', 'proposals/offline');
    git(cloneB, 'fetch', '-q', 'origin', 'proposals/offline:proposals/offline');
    await approve(a, id, 'offline', 'rita');
    await b.as('bea');
    await b.value('repo:sync', { repositoryId: id });
    // Desk B goes offline; desk A's reviewer withdraws the approval; B, not hearing of it, applies.
    git(cloneB, 'remote', 'rename', 'origin', 'away');
    await requestChanges('offline', 'notes.txt');
    await b.as('bea');
    const detail = (await b.value('proposal:show', { repositoryId: id, proposalId: 'offline' })).summary;
    const landed = (await b.value('proposal:apply', { repositoryId: id, proposalId: 'offline', headOid: detail.headOid, treeOid: detail.treeOid })).newHead;
    await b.core.idle();
    // Back online: B shares its apply record and pushes the landing.
    git(cloneB, 'remote', 'rename', 'away', 'origin');
    await b.value('repo:sync', { repositoryId: id });
    git(cloneB, 'push', '-q', 'origin', 'main');

    const ci = join(home, 'ci');
    git(home, 'clone', '-q', url, ci);
    git(ci, 'fetch', '-q', 'origin', 'refs/gatehouse/*:refs/gatehouse/*');
    const ciDesk = await openWorkstation();
    try {
      const verdict = await ciDesk.value('repo:verify', { repositoryId: id, ref: 'refs/heads/main', root, dir: ci });
      expect(verdict).toMatchObject({ ok: false, commit: landed });
      expect(verdict.failure?.message).toMatch(/approval/);
    } finally {
      await ciDesk.close();
    }
  });
});

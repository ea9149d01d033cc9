/**
 * Decisions travel with the repository: two workstations (two data directories, two clones) and a CI
 * clone share one bare remote served over smart HTTP by Debian's `git http-backend`. A revocation made
 * at one desk is seen by the other and by verify on CI; concurrent pushes both survive.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDS_REF } from '../../../electron/services/records';
import { approve, apply, git, makeTrustedRepo, openWorkstation, PASS, propose, serveGitRemote, type Workstation } from './harness';


let server: ChildProcess;
let url: string;
let home: string;
let a: Workstation;
let b: Workstation;
let cloneA: string;
let cloneB: string;
let idA: string;
let root: string;
const cleanups: Array<() => void> = [];


beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'gh-team-'));
  a = await openWorkstation();
  await a.value('app:createDemo', {});
  // Desk B belongs to another person, with a key of their own; the team's trust list names both desks' operators.
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
  idA = ((await a.value('repo:add', { path: cloneA, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
  // Desk B registers its clone under the same repository id, which is what makes the two desks one team.
  await b.as('bea');
  await b.value('repo:add', { path: cloneB, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*', id: idA });

}, 240_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  server?.kill();
  for (const c of cleanups) c();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('team-wide decisions over a real HTTP remote', () => {
  it('a decision at desk A reaches desk B, and concurrent pushes from both desks survive as a merge', async () => {
    // The proposal reaches both desks through the remote.
    propose(cloneA, 'shared', { 'app.py': 'def total(xs):\n    return sum(sorted(xs))\n' });
    git(cloneA, 'push', '-q', 'origin', 'proposals/shared');
    git(cloneB, 'fetch', '-q', 'origin', 'proposals/shared:proposals/shared');
    await approve(a, idA, 'shared', 'rita');
    const remoteAfterA = git(join(home, 'remote.git'), 'rev-parse', RECORDS_REF);
    expect(remoteAfterA).toBe(git(cloneA, 'rev-parse', RECORDS_REF));
    // B appends a record of its own before it has seen A's: the logs diverge.
    await b.as('bea');
    const handleB = await b.core.handles.get(idA);
    const { appendRecord } = await import('../../../electron/services/records');
    await appendRecord(handleB.repo, b.core.context.sessions.require(), {
      repository: idA,
      body: { kind: 'audit-head', auditHead: { seq: 1, hash: 'a'.repeat(64), at: new Date().toISOString() } },
    });
    const synced = (await b.value('repo:sync', { repositoryId: idA })) as { pushed: boolean; received: number };
    expect(synced).toMatchObject({ pushed: true });
    expect(synced.received).toBeGreaterThanOrEqual(1);
    const remoteLog = git(join(home, 'remote.git'), 'log', '--format=%s', RECORDS_REF);
    expect(remoteLog).toContain('Gatehouse records merge');
    expect(remoteLog).toContain('Gatehouse record decision');
    expect(remoteLog).toContain('Gatehouse record audit-head');
    // A's record is an ancestor of the remote tip: nothing was forced over it.
    expect(spawnSync('git', ['merge-base', '--is-ancestor', remoteAfterA, git(join(home, 'remote.git'), 'rev-parse', RECORDS_REF)], { cwd: join(home, 'remote.git') }).status).toBe(0);
  });

  it('a revocation made at desk B is seen by desk A and by verify on a CI clone', async () => {
    // B registers A's approval (it arrived with the sync) and revokes it.
    await b.as('bea');
    const stored = b.core.context.approvals.listByProposal(idA, 'shared');
    expect(stored.length).toBe(1);
    const jti = stored[0]?.claims.jti as string;
    await b.value('approval:revoke', { repositoryId: idA, proposalId: 'shared', jti, reason: 'found a problem' });
    await a.as('lee');
    await a.value('repo:sync', { repositoryId: idA });
    expect(a.core.context.approvals.isRevoked(jti)).toBe(true);
    // A cannot apply on the revoked approval.
    const detail = (await a.value('proposal:show', { repositoryId: idA, proposalId: 'shared' })) as { summary: { headOid: string; treeOid: string } };
    const refused = await a.call('proposal:apply', { repositoryId: idA, proposalId: 'shared', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid });
    expect(refused.ok).toBe(false);
  });

  it('an approved apply at desk A passes verify on a fresh CI clone that fetched the records', async () => {
    propose(cloneA, 'second', { 'notes.txt': 'team\n' });
    git(cloneA, 'push', '-q', 'origin', 'proposals/second');
    await approve(a, idA, 'second', 'rita');
    const landed = await apply(a, idA, 'second', 'lee');
    git(cloneA, 'push', '-q', 'origin', 'main');
    const ci = join(home, 'ci');
    git(home, 'clone', '-q', url, ci);
    git(ci, 'fetch', '-q', 'origin', 'refs/gatehouse/*:refs/gatehouse/*');
    const ciDesk = await openWorkstation();
    try {
      const verdict = (await ciDesk.value('repo:verify', { repositoryId: idA, ref: 'refs/heads/main', root, dir: ci })) as { ok: boolean; commit: string; failure: unknown };
      expect(verdict).toMatchObject({ ok: true, commit: landed });
      // Without the records (someone deleted the ref on the remote), CI refuses.
      git(ci, 'update-ref', '-d', RECORDS_REF);
      const stripped = (await ciDesk.value('repo:verify', { repositoryId: idA, ref: 'refs/heads/main', root, dir: ci })) as { ok: boolean; failure: { condition: string } };
      expect(stripped).toMatchObject({ ok: false, failure: { condition: 'landed' } });
    } finally {
      await ciDesk.close();
    }
  });
});

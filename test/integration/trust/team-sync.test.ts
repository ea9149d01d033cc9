/**
 * Decisions travel with the repository: two workstations (two data directories, two clones) and a CI
 * clone share one bare remote served over smart HTTP by Debian's `git http-backend`. A revocation made
 * at one desk is seen by the other and by verify on CI; concurrent pushes both survive.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDS_REF } from '../../../electron/services/records';
import { approve, apply, git, makeTrustedRepo, openWorkstation, propose, type Workstation } from './harness';

const backend = ['/usr/lib/git-core/git-http-backend', '/usr/libexec/git-core/git-http-backend'].find((p) => spawnSync('test', ['-x', p]).status === 0);

let server: Server;
let url: string;
let home: string;
let a: Workstation;
let b: Workstation;
let cloneA: string;
let cloneB: string;
let idA: string;
let root: string;
const cleanups: Array<() => void> = [];

/** Serves `home/remote.git` over smart HTTP through git http-backend (CGI), receive-pack enabled. */
function serve(projectRoot: string): Promise<Server> {
  const s = createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    const child = spawn(backend as string, [], {
      env: {
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: path,
        QUERY_STRING: query,
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: 'tester',
        REMOTE_ADDR: '127.0.0.1',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: projectRoot,
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headerDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + 4));
    });
    child.on('close', () => res.end());
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

beforeAll(async () => {
  if (backend === undefined) throw new Error('git http-backend is required (Debian package git)');
  home = mkdtempSync(join(tmpdir(), 'gh-team-'));
  a = await openWorkstation();
  await a.value('app:createDemo', {});
  const origin = makeTrustedRepo(JSON.stringify(a.core.context.operators.exportTrustList(), null, 2));
  cleanups.push(origin.cleanup);
  root = git(origin.dir, 'rev-parse', 'main');
  git(home, 'clone', '-q', '--bare', origin.dir, join(home, 'remote.git'));
  git(join(home, 'remote.git'), 'config', 'http.receivepack', 'true');
  server = await serve(home);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/remote.git`;
  cloneA = join(home, 'desk-a');
  cloneB = join(home, 'desk-b');
  git(home, 'clone', '-q', url, cloneA);
  git(home, 'clone', '-q', url, cloneB);
  await a.as('lee');
  idA = ((await a.value('repo:add', { path: cloneA, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
  // Desk B: the same operators (a copy of A's data directory's identity), its own database and clone,
  // registered under the same repository id, which is what makes the two desks one team.
  b = await openWorkstation();
  await b.value('app:createDemo', {});
  const sql = b.core.context.appDb;
  sql.prepare('INSERT INTO repositories (id, path, target_branch, proposal_ref_pattern, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    idA,
    cloneB,
    'main',
    'refs/heads/proposals/*',
    new Date().toISOString(),
    new Date().toISOString(),
  );
}, 240_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  server?.close();
  for (const c of cleanups) c();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('team-wide decisions over a real HTTP remote', () => {
  it('a decision at desk A reaches desk B, and concurrent pushes from both desks survive as a merge', async () => {
    // The proposal reaches both desks through the remote.
    propose(cloneA, 'shared', { 'app.py': 'def total(xs):\n    return sum(sorted(xs))\n' });
    git(cloneA, 'push', '-q', 'origin', 'proposals/shared');
    git(cloneB, 'fetch', '-q', 'origin', 'proposals/shared:proposals/shared');
    // Desk B's operators are not in the trust list committed on main (only A's are), so B syncs as A's operators do.
    await approve(a, idA, 'shared', 'rita');
    const remoteAfterA = git(join(home, 'remote.git'), 'rev-parse', RECORDS_REF);
    expect(remoteAfterA).toBe(git(cloneA, 'rev-parse', RECORDS_REF));
    // B appends a record of its own before it has seen A's: the logs diverge.
    await b.as('lee');
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
    await b.as('lee');
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

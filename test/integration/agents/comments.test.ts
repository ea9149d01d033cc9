/**
 * Line comments and request-changes on the real core: the demo workspace (a real git repository and
 * real SQLite files), through the same dispatcher and roles as the window. Drafts are private until
 * published with a decision; a request for changes is signed, audited, never counts in the gate, and
 * stands until a new revision, into which the comments follow their lines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import { inspectApproval } from '../../../electron/services/approvals';
import { parseTrustList } from '../../../electron/services/identity/trust-list';
import type { Channel, ChannelInput, ChannelOutput } from '../../../shared/ipc/contract';
import { acknowledgeAll } from '../../support/acknowledge-all';
import { gitEnv } from '../../fixtures/git/repo';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const PROPOSAL = 'quote-formula';
const FILE = 'pricing/api.py';
let dataDir: string;
let core: Core;
let repositoryId: string;

function call<C extends Channel>(channel: C, input: ChannelInput<C>) {
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  return dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input);
}

async function value<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const result = await call(channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as ChannelOutput<C>;
}

async function as(name: string): Promise<void> {
  await value('session:unlock', { name, passphrase: `${name}-demo-passphrase` });
}

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`no line with ${needle}`);
  return index + 1;
}

/** Commits a new revision on the proposal branch with native git, as an agent pushing would. */
function pushRevision(edit: (text: string) => string): void {
  const repo = core.context.registry.get(repositoryId).path;
  const home = mkdtempSync(join(tmpdir(), 'gh-home-'));
  const tree = mkdtempSync(join(tmpdir(), 'gh-wt-'));
  const env = gitEnv(home);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  try {
    git('worktree', 'add', '--quiet', join(tree, 'w'), `proposals/${PROPOSAL}`);
    const file = join(tree, 'w', FILE);
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    execFileSync('git', ['commit', '--quiet', '-am', 'Address review comments'], { cwd: join(tree, 'w'), env });
    git('worktree', 'remove', '--force', join(tree, 'w'));
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(tree, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-comments-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  repositoryId = (await value('app:createDemo', {})).repositoryId;
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('line comments and request changes', () => {
  let evalLine = 0;
  let returnLine = 0;

  it('keeps drafts private to their author and refuses bad anchors and roles', async () => {
    await as('rita');
    const detail = await value('proposal:show', { repositoryId, proposalId: PROPOSAL });
    const file = await value('proposal:file', { repositoryId, proposalId: PROPOSAL, path: FILE });
    evalLine = lineOf(file.modified ?? '', 'eval(');
    returnLine = lineOf(file.modified ?? '', 'def discount_endpoint');
    const head = detail.summary.headOid;
    const draft = await value('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: FILE, line: evalLine, body: 'eval on request input: parse the formula instead' });
    expect(draft).toMatchObject({ state: 'draft', line: evalLine, currentLine: evalLine, outdated: false, authorName: 'rita' });
    expect(draft.lineText).toContain('eval(');
    await value('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: FILE, line: returnLine, body: 'rename this endpoint' });
    // Edit in place keeps the id.
    const edited = await value('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: FILE, line: evalLine, body: 'eval on request input: use ast.literal_eval or a parser', commentId: draft.id });
    expect(edited.id).toBe(draft.id);

    expect(await call('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: FILE, line: 9999, body: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: 'no/such.py', line: 1, body: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await call('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: '../etc/passwd', line: 1, body: 'x' })).toMatchObject({ ok: false });
    expect(await call('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: 'a'.repeat(40), path: FILE, line: 1, body: 'x' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: FILE, line: 1, body: 'bell\u0007' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });

    const mine = await value('comment:list', { repositoryId, proposalId: PROPOSAL });
    expect(mine.comments.map((c) => c.state)).toEqual(['draft', 'draft']);
    expect((await value('comment:states', { repositoryId })).find((s) => s.proposalId === PROPOSAL)).toMatchObject({ reviewState: 'open', comments: 0, drafts: 2 });

    await as('lee');
    expect((await value('comment:list', { repositoryId, proposalId: PROPOSAL })).comments).toEqual([]);
    expect(await call('comment:delete', { commentId: draft.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await as('ava');
    expect(await call('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: head, path: FILE, line: 1, body: 'auditor' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_ROLE' } });
    expect(await call('proposal:requestChanges', { repositoryId, proposalId: PROPOSAL, headOid: head, treeOid: detail.summary.treeOid, reason: 'auditor tries' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN_ROLE' },
    });
  });

  it('signs a request for changes that publishes the drafts, is audited and never counts as an approval', async () => {
    await as('rita');
    const detail = await value('proposal:show', { repositoryId, proposalId: PROPOSAL });
    // What a reader in another process (an agent's wait_for_decision) could see the moment the request is
    // written: a trigger snapshots the comments published with it. They must be there already (one transaction).
    core.appDb.exec(`CREATE TEMP TABLE seen_with_request (jti TEXT, published INTEGER);
      CREATE TEMP TRIGGER snapshot_request AFTER INSERT ON main.change_requests BEGIN
        INSERT INTO seen_with_request SELECT NEW.jti, COUNT(*) FROM main.comments WHERE decision_jti = NEW.jti AND state = 'published';
      END;`);
    const request = await value('proposal:requestChanges', {
      repositoryId,
      proposalId: PROPOSAL,
      headOid: detail.summary.headOid,
      treeOid: detail.summary.treeOid,
      reason: 'eval on request input is not acceptable',
    });
    expect(request).toMatchObject({ operatorName: 'rita', role: 'reviewer', current: true, comments: 2, headOid: detail.summary.headOid });
    expect(core.appDb.prepare('SELECT jti, published FROM seen_with_request').all()).toEqual([{ jti: request.jti, published: 2 }]);
    core.appDb.exec('DROP TRIGGER temp.snapshot_request; DROP TABLE temp.seen_with_request;');

    // The token is a real signed decision, bound to this revision.
    const repo = core.context.registry.get(repositoryId).path;
    const trust = parseTrustList(execFileSync('git', ['show', 'main:.gatehouse/trust.json'], { cwd: repo, encoding: 'utf8' }));
    const verified = await inspectApproval(request.token, { trustList: trust, now: new Date() });
    expect(verified.claims).toMatchObject({ decision: 'request_changes', head: detail.summary.headOid, aud: repositoryId, sub: PROPOSAL });

    const thread = await value('comment:list', { repositoryId, proposalId: PROPOSAL });
    expect(thread.reviewState).toBe('changes-requested');
    const states = await value('comment:states', { repositoryId });
    expect(states.find((s) => s.proposalId === PROPOSAL)).toMatchObject({ reviewState: 'changes-requested', comments: 2, drafts: 0 });
    expect(states.filter((s) => s.reviewState === 'changes-requested')).toHaveLength(1);
    expect(thread.comments.every((c) => c.state === 'published' && c.publishedWith === 'request_changes')).toBe(true);

    // Visible to everyone now, immutable.
    await as('lee');
    const seenByLead = await value('comment:list', { repositoryId, proposalId: PROPOSAL });
    expect(seenByLead.comments).toHaveLength(2);
    await as('rita');
    expect(await call('comment:delete', { commentId: thread.comments[0]?.id ?? '' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(() => core.appDb.prepare("UPDATE comments SET body = 'rewritten'").run()).toThrow(/cannot change/);
    expect(() => core.appDb.prepare('DELETE FROM change_requests').run()).toThrow(/append-only/);

    const after = await value('proposal:show', { repositoryId, proposalId: PROPOSAL });
    expect(after.summary.approvals.valid).toBe(0);
    expect(after.approvals).toEqual([]);
    expect(after.gate.allowed).toBe(false);

    const actions = core.context.auditStore.countsByAction().map((c) => c.action);
    expect(actions).toEqual(expect.arrayContaining(['decision.changes-requested', 'comment.published']));
  });

  it('follows comments into the next revision, marks the gone ones outdated, and reopens the proposal', async () => {
    // The new revision inserts two lines at the top and rewrites the eval line.
    pushRevision((text) => `# reviewed\n# twice\n${text.replace(/.*eval\(.*/, '    raise ValueError("formulas are no longer evaluated")')}`);
    await as('rita');
    const thread = await value('comment:list', { repositoryId, proposalId: PROPOSAL });
    expect(thread.reviewState).toBe('open');
    expect((await value('comment:states', { repositoryId })).find((s) => s.proposalId === PROPOSAL)).toMatchObject({ reviewState: 'open', comments: 2 });
    expect(thread.changeRequests).toEqual([expect.objectContaining({ current: false })]);
    const byBody = new Map(thread.comments.map((c) => [c.body, c]));
    expect(byBody.get('rename this endpoint')).toMatchObject({ line: returnLine, currentLine: returnLine + 2, outdated: false, fromEarlierRevision: true });
    expect(byBody.get('eval on request input: use ast.literal_eval or a parser')).toMatchObject({ line: evalLine, currentLine: null, outdated: true });
  });

  it('publishes drafts with an approval too', async () => {
    await as('rita');
    const detail = await value('proposal:show', { repositoryId, proposalId: PROPOSAL });
    const file = await value('proposal:file', { repositoryId, proposalId: PROPOSAL, path: FILE });
    const raiseLine = lineOf(file.modified ?? '', 'raise ValueError');
    await value('comment:draft', { repositoryId, proposalId: PROPOSAL, headOid: detail.summary.headOid, path: FILE, line: raiseLine, body: 'better, thanks' });
    await value('proposal:approve', { repositoryId, proposalId: PROPOSAL, headOid: detail.summary.headOid, treeOid: detail.summary.treeOid, reason: 'fixed', acknowledgements: acknowledgeAll(detail) });
    const thread = await value('comment:list', { repositoryId, proposalId: PROPOSAL });
    expect(thread.comments.find((c) => c.body === 'better, thanks')).toMatchObject({ state: 'published', publishedWith: 'approve', currentLine: raiseLine });
  });
});

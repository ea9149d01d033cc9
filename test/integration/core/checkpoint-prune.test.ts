/**
 * Checkpoint retention (issue 12 §4: checkpoint refs accumulated, 43 after a day): the policy's
 * `checkpoints.keepLast` / `keepDays` prune through the core (dry run first), never the last apply's
 * checkpoint nor the state the repository is in, automatically after an apply and a rollback, leads only,
 * every prune audited. Also: a rollback to the current state takes no undo checkpoint and says so in the
 * audit log. The automatic prune reads the policy alone: a broken trust list does not stop it. Real core,
 * real git repository (the demo workspace), a clock the test moves.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';
import type { Finding } from '../../../shared/model/domain';
import { acknowledgeAll } from '../../support/acknowledge-all';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let now = Date.parse('2026-03-02T09:00:00Z');
const clock = { now: () => new Date(now) };
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

async function as(name: 'lee' | 'rita'): Promise<void> {
  await value('session:unlock', { name, passphrase: `${name}-demo-passphrase` });
}

function advance(ms: number): void {
  now += ms;
}

async function checkpointIds(): Promise<string[]> {
  const list: Array<{ id: string }> = await value('checkpoint:list', { repositoryId });
  return list.map((c) => c.id);
}

async function auditEvents(action: string): Promise<Array<{ payload: Record<string, unknown>; actor: string }>> {
  const page: { events: Array<{ action: string; payload: Record<string, unknown>; actor: string }> } = await value('audit:search', { action, limit: 200 });
  return page.events.filter((e) => e.action === action);
}

/** A checkpoint of a state that differs from the last one (an untracked file changes), a minute later. */
async function checkpointOfNewState(n: number): Promise<string> {
  advance(60_000);
  writeFileSync(join(repositoryPath, `notes-${n}.txt`), `note ${n}\n`);
  const view: { id: string } = await value('checkpoint:create', { repositoryId, reason: `state ${n}` });
  return view.id;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-prune-'));
  core = await createCore({ dataDir, clock, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  const demo: { repositoryId: string; path: string } = await value('app:createDemo', {});
  repositoryId = demo.repositoryId;
  repositoryPath = demo.path;
  // The target branch's policy keeps the newest 3 and anything younger than a day.
  const policyFile = join(repositoryPath, '.gatehouse/policy.yaml');
  const policy = readFileSync(policyFile, 'utf8');
  expect(policy).toContain('keepLast: 20');
  writeFileSync(policyFile, policy.replace('keepLast: 20', 'keepLast: 3').replace('keepDays: 14', 'keepDays: 1'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=lee', '-c', 'user.email=lee@example.invalid', ...args], { cwd: repositoryPath });
  git('commit', '-q', '-am', 'Keep fewer checkpoints');
}, 180_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('checkpoint retention', () => {
  it('is for leads only', async () => {
    await as('rita');
    expect(await call('checkpoint:prune', { repositoryId, dryRun: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_ROLE' } });
  });

  it('a rollback to the state the repository is in takes no undo checkpoint and audits "nothing to roll back"', async () => {
    await as('lee');
    const current = await checkpointOfNewState(0);
    const before = await checkpointIds();
    const result: { undoCheckpoint: unknown; nothingToRollBack: boolean; changedPaths: number } = await value('checkpoint:rollback', {
      repositoryId,
      checkpointId: current,
      confirm: true,
    });
    expect(result).toMatchObject({ undoCheckpoint: null, nothingToRollBack: true, changedPaths: 0 });
    expect(await checkpointIds()).toEqual(before);
    const rolled = await auditEvents('rollback.completed');
    expect(rolled[0]?.payload).toMatchObject({ to: current, undoCheckpoint: null, nothingToRollBack: true, message: 'nothing to roll back' });
  });

  it('prunes what neither keepLast nor keepDays keeps, after a dry run that deletes nothing, and audits it', async () => {
    await as('lee');
    for (let n = 1; n <= 5; n += 1) await checkpointOfNewState(n);
    advance(3 * 86_400_000);
    await as('lee');
    const all = await checkpointIds();
    expect(all.length).toBeGreaterThan(3);
    const expected = all.slice(3);

    const dry: { pruned: string[]; dryRun: boolean; retention: { keepLast: number; keepDays: number } } = await value('checkpoint:prune', { repositoryId, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, retention: { keepLast: 3, keepDays: 1 } });
    expect([...dry.pruned].sort()).toEqual([...expected].sort());
    expect(await checkpointIds()).toEqual(all);
    expect(await auditEvents('checkpoint.pruned')).toEqual([]);

    const done: { pruned: string[]; remaining: number } = await value('checkpoint:prune', { repositoryId, dryRun: false });
    expect([...done.pruned].sort()).toEqual([...expected].sort());
    expect(await checkpointIds()).toEqual(all.slice(0, 3));
    expect(done.remaining).toBe(3);
    const pruned = await auditEvents('checkpoint.pruned');
    expect(pruned[0]).toMatchObject({ actor: 'lee', payload: { trigger: 'manual', keepLast: 3, keepDays: 1 } });
    expect([...(pruned[0]?.payload.pruned as string[])].sort()).toEqual([...expected].sort());
  });

  it('after a rollback, prunes by itself but never the checkpoint the repository now is', async () => {
    await as('lee');
    const kept = await checkpointIds();
    const oldest = kept[kept.length - 1] as string;
    advance(60_000);
    const rolled: { undoCheckpoint: { id: string } | null } = await value('checkpoint:rollback', { repositoryId, checkpointId: oldest, confirm: true });
    expect(rolled.undoCheckpoint).not.toBeNull();
    // undo + 3 kept = 4 > keepLast 3, all older than a day but `oldest` is the current state: nothing goes.
    const after = await checkpointIds();
    expect(after).toContain(oldest);
    expect(after).toContain(rolled.undoCheckpoint?.id);
    expect(after.length).toBe(4);
    // One more state, a rollback back to the undo checkpoint: `oldest` is no longer current and is pruned.
    advance(60_000);
    await value('checkpoint:rollback', { repositoryId, checkpointId: rolled.undoCheckpoint?.id ?? '', confirm: true });
    expect(await checkpointIds()).not.toContain(oldest);
    const automatic = (await auditEvents('checkpoint.pruned')).find((e) => e.payload.trigger === 'after-rollback');
    expect(automatic).toMatchObject({ actor: 'gatehouse' });
    expect(automatic?.payload.pruned).toContain(oldest);
  });

  it("never prunes the last apply's checkpoint", async () => {
    // A small proposal on today's main (the policy commit moved it past the demo's proposals).
    const clone = mkdtempSync(join(tmpdir(), 'gh-prune-clone-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=agent', '-c', 'user.email=agent@example.invalid', ...args], { cwd: clone });
    git('clone', '-q', '--branch', 'main', repositoryPath, '.');
    writeFileSync(join(clone, 'CHANGELOG.md'), '# Changes\n\n- nothing yet\n');
    git('add', 'CHANGELOG.md');
    git('commit', '-q', '-m', 'Add a changelog');
    git('push', '-q', 'origin', 'HEAD:refs/heads/proposals/changelog');
    rmSync(clone, { recursive: true, force: true });
    await as('rita');
    const detail: { summary: { headOid: string; treeOid: string }; findings: Finding[]; files: Array<{ path: string }> } = await value('proposal:show', { repositoryId, proposalId: 'changelog' });
    const rev = { repositoryId, proposalId: 'changelog', headOid: detail.summary.headOid, treeOid: detail.summary.treeOid };
    await value('proposal:approve', { ...rev, reason: 'a changelog', acknowledgements: acknowledgeAll(detail) });
    // The apply needs a clean tree: the notes the earlier tests wrote are untracked files.
    for (let n = 0; n <= 5; n += 1) rmSync(join(repositoryPath, `notes-${n}.txt`), { force: true });
    const applied: { checkpointId: string } = await value('proposal:apply', rev);
    await core.idle();
    advance(3 * 86_400_000);
    await as('lee');
    for (let n = 10; n <= 13; n += 1) await checkpointOfNewState(n);
    await as('lee');
    const result: { pruned: string[]; protectedLastApply: string | null } = await value('checkpoint:prune', { repositoryId, dryRun: false });
    expect(result.protectedLastApply).toBe(applied.checkpointId);
    expect(result.pruned).not.toContain(applied.checkpointId);
    expect(result.pruned.length).toBeGreaterThan(0);
    expect(await checkpointIds()).toContain(applied.checkpointId);
  }, 240_000);
  it('after a rollback, prunes by the policy alone: a trust list that does not parse does not stop it (nor the rollback)', async () => {
    // The target branch's trust list is broken; the policy is not.
    writeFileSync(join(repositoryPath, '.gatehouse/trust.json'), '{ "operators": [ not json');
    execFileSync('git', ['-c', 'user.name=lee', '-c', 'user.email=lee@example.invalid', 'add', '.gatehouse/trust.json'], { cwd: repositoryPath });
    execFileSync('git', ['-c', 'user.name=lee', '-c', 'user.email=lee@example.invalid', 'commit', '-q', '-m', 'A broken trust list'], { cwd: repositoryPath });
    await as('lee');
    for (let n = 20; n <= 23; n += 1) await checkpointOfNewState(n);
    advance(3 * 86_400_000);
    await as('lee');
    const before = (await auditEvents('checkpoint.pruned')).filter((e) => e.payload.trigger === 'after-rollback').length;
    const ids = await checkpointIds();
    const rolled: { changedPaths: number } = await value('checkpoint:rollback', { repositoryId, checkpointId: ids[1] as string, confirm: true });
    expect(rolled.changedPaths).toBeGreaterThan(0);
    const automatic = (await auditEvents('checkpoint.pruned')).filter((e) => e.payload.trigger === 'after-rollback');
    expect(automatic.length).toBe(before + 1);
    expect((automatic[0]?.payload.pruned as string[]).length).toBeGreaterThan(0);
  }, 240_000);
});

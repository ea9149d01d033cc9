/**
 * The CLI's rollback core (electron/core/rollback-core.ts, what `gatehouse rollback` loads) against the
 * whole core: one data directory (real SQLite files), two identical git repositories given the same
 * change, one rolled back through createCore's dispatcher and one through the rollback core's. Both leave
 * the same tree, index and HEAD, take the same undo checkpoint and record the same audit events; the
 * rollback core refuses every call the whole dispatcher refuses, for the same reason, and writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../electron/core/create-core';
import { openRollbackCore, ROLLBACK_CHANNELS } from '../../../electron/core/rollback-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import { createChannelDispatcher, type Dispatch } from '../../../electron/ipc/dispatch-core';
import { getCheckpoint } from '../../../electron/services/git/checkpoints';
import { openRepository } from '../../../electron/services/git/repository';
import type { AuditEvent } from '../../../electron/services/audit/events';
import { auditEventsAfter } from '../../support/audit-events';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const FROM_CLI = { fromOurWindow: true, fromTopFrame: true, origin: 'gatehouse-cli:' };
const config = (dataDir: string) => ({ dataDir, logger: quiet, defaultActor: 'cli:test' });

let work: string;
let dataDir: string;
const repos: Record<'full' | 'lean', { id: string; path: string; checkpoint: string }> = {
  full: { id: '', path: '', checkpoint: '' },
  lean: { id: '', path: '', checkpoint: '' },
};

/** A session over one kind of core: its dispatcher, and closing it. */
interface Session {
  readonly dispatch: Dispatch;
  close(): Promise<void>;
}

async function openFull(): Promise<Session> {
  const core = await createCore({ ...config(dataDir), shell: { shell: 'cli', electron: null, chromium: null } });
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: [FROM_CLI.origin], session: () => core.callerSession(), touch: () => core.touch(), logger: quiet });
  return { dispatch, close: () => core.close() };
}

async function openLean(): Promise<Session> {
  const core = await openRollbackCore(config(dataDir));
  const dispatch = createChannelDispatcher(ROLLBACK_CHANNELS, { handlers: core.handlers, allowedOrigins: [FROM_CLI.origin], session: () => core.callerSession(), touch: () => core.touch(), logger: quiet });
  return { dispatch, close: () => core.close() };
}

async function value(session: Session, channel: string, input: unknown): Promise<Record<string, unknown>> {
  const result = await session.dispatch(FROM_CLI, channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as Record<string, unknown>;
}

function git(path: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'core.quotepath=off', ...args], { cwd: path, encoding: 'utf8' });
}

/** The same change on either copy: a tracked file rewritten, one deleted, untracked files added (one in a new folder). */
function change(path: string, round: number): void {
  const tracked = git(path, 'ls-files').split('\n').filter((p) => p.endsWith('.py'));
  const [first, second] = tracked;
  if (first === undefined || second === undefined) throw new Error('the demo repository has too few files');
  writeFileSync(join(path, first), `changed in round ${round}\n`);
  unlinkSync(join(path, second));
  writeFileSync(join(path, `notes-${round}.txt`), 'untracked\n');
  mkdirSync(join(path, 'scratch', String(round)), { recursive: true });
  writeFileSync(join(path, 'scratch', String(round), 'new.txt'), `new in round ${round}\n`);
}

async function lastSeq(): Promise<number> {
  return Math.max(0, ...(await auditEventsAfter(dataDir, 0)).map((e) => e.seq));
}

/** An audit event without what differs between the two repositories and runs (ids, times, the repository). */
function shape(event: AuditEvent, repositoryId: string): unknown {
  const payload = JSON.parse(JSON.stringify(event.payload).replaceAll(repositoryId, 'REPO').replace(/\d{8}T\d{9}Z-[0-9a-f]{8}/g, 'CP')) as Record<string, unknown>;
  for (const key of ['commit', 'durationMs', 'operatorId', 'keyId']) delete payload[key];
  return { action: event.action, actor: event.actor, role: event.role, subject: event.subject.replace(repositoryId, 'REPO'), payload };
}

/** What a repository holds: HEAD, the index, and every file not ignored (status lists any difference from HEAD). */
function state(path: string): unknown {
  return { head: git(path, 'rev-parse', 'HEAD'), branch: git(path, 'symbolic-ref', 'HEAD'), index: git(path, 'ls-files', '-s'), status: git(path, 'status', '--porcelain', '--untracked-files=all') };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gh-rollback-core-'));
  dataDir = join(work, 'data');
  const session = await openFull();
  try {
    const demo = await value(session, 'app:createDemo', {});
    repos.full.id = demo.repositoryId as string;
    repos.full.path = demo.path as string;
    repos.lean.path = join(work, 'copy');
    cpSync(repos.full.path, repos.lean.path, { recursive: true, verbatimSymlinks: true });
    await value(session, 'session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' });
    const demoRecord = (await value(session, 'repo:list', {})) as unknown as Array<{ id: string; targetBranch: string; proposalPattern: string }>;
    const target = demoRecord.find((r) => r.id === repos.full.id);
    const added = await value(session, 'repo:add', { path: repos.lean.path, targetBranch: target?.targetBranch ?? 'main', proposalPattern: target?.proposalPattern ?? 'refs/heads/proposals/*' });
    repos.lean.id = added.id as string;
    for (const kind of ['full', 'lean'] as const) {
      repos[kind].checkpoint = (await value(session, 'checkpoint:create', { repositoryId: repos[kind].id, reason: 'before the test' })).id as string;
    }
  } finally {
    await session.close();
  }
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the rollback core', () => {
  it('rolls back like the whole core: the same tree, undo checkpoint and audit events', async () => {
    const before = { full: state(repos.full.path), lean: state(repos.lean.path) };
    expect(before.lean).toEqual(before.full);
    const results: Record<string, Record<string, unknown>> = {};
    const recorded: Record<string, unknown[]> = {};
    for (const kind of ['full', 'lean'] as const) {
      change(repos[kind].path, 1);
      const after = await lastSeq();
      const session = kind === 'full' ? await openFull() : await openLean();
      try {
        await value(session, 'session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' });
        results[kind] = await value(session, 'checkpoint:rollback', { repositoryId: repos[kind].id, checkpointId: repos[kind].checkpoint, confirm: true });
      } finally {
        await session.close();
      }
      recorded[kind] = (await auditEventsAfter(dataDir, after)).map((e) => shape(e, repos[kind].id));
    }
    const { full, lean } = results as { full: Record<string, unknown>; lean: Record<string, unknown> };

    // The same tree, index and HEAD: the checkpoint's, with the untracked files gone.
    expect(state(repos.full.path)).toEqual(before.full);
    expect(state(repos.lean.path)).toEqual(state(repos.full.path));
    expect(lean.changedPaths).toBe(full.changedPaths);
    expect(lean.changedPaths).toBe(4);
    expect(lean.nothingToRollBack).toBe(full.nothingToRollBack);
    expect(lean.notCaptured).toEqual(full.notCaptured);

    // The same undo checkpoint: the state before the rollback, taken by the lead.
    const undo = async (kind: 'full' | 'lean') => {
      const id = (results[kind]?.undoCheckpoint as { id: string }).id;
      const checkpoint = await getCheckpoint(await openRepository({ dir: repos[kind].path }), id);
      return { worktreeTree: checkpoint.worktreeTree, indexTree: checkpoint.indexTree, headOid: checkpoint.headOid, branch: checkpoint.branch, operator: checkpoint.operator, reason: checkpoint.reason.replace(/\d{8}T\d{9}Z-[0-9a-f]{8}/g, 'CP') };
    };
    const [undoFull, undoLean] = [await undo('full'), await undo('lean')];
    expect(undoLean).toEqual(undoFull);
    expect(undoLean.operator).toBe('lee');
    expect(undoLean.worktreeTree).not.toBe(undoLean.indexTree);

    // The same audit events, in the same order, as the same lead.
    expect(recorded.lean).toEqual(recorded.full);
    expect((recorded.lean as Array<{ action: string }>).map((e) => e.action)).toEqual(['operator.unlocked', 'checkpoint.created', 'rollback.completed', 'operator.locked']);

    // And the log, written by both kinds of core, still verifies.
    const session = await openFull();
    try {
      await value(session, 'session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' });
      expect(await value(session, 'audit:verify', {})).toMatchObject({ ok: true });
    } finally {
      await session.close();
    }
  });

  it('refuses what the whole dispatcher refuses, for the same reason, and touches nothing', async () => {
    change(repos.lean.path, 2);
    const dirty = state(repos.lean.path);
    const rollbackInput = { repositoryId: repos.lean.id, checkpointId: repos.lean.checkpoint, confirm: true };
    const attempts: Array<{ readonly unlock: string | null; readonly sender?: typeof FROM_CLI; readonly channel: string; readonly input: unknown; readonly code: string }> = [
      { unlock: null, channel: 'checkpoint:rollback', input: rollbackInput, code: 'LOCKED' },
      { unlock: 'rita', channel: 'checkpoint:rollback', input: rollbackInput, code: 'FORBIDDEN_ROLE' },
      { unlock: 'lee', channel: 'checkpoint:rollback', input: { repositoryId: repos.lean.id, checkpointId: repos.lean.checkpoint }, code: 'INVALID_INPUT' },
      { unlock: 'lee', channel: 'checkpoint:rollback', input: { ...rollbackInput, checkpointId: '../../HEAD' }, code: 'INVALID_INPUT' },
      { unlock: 'lee', sender: { ...FROM_CLI, origin: 'https://example.invalid' }, channel: 'checkpoint:rollback', input: rollbackInput, code: 'FORBIDDEN_SENDER' },
      { unlock: 'lee', channel: 'checkpoint:rollback', input: { ...rollbackInput, checkpointId: '20990101T000000000Z-00000000' }, code: 'NOT_FOUND' },
    ];
    for (const attempt of attempts) {
      const codes: Record<string, string | null> = {};
      for (const kind of ['full', 'lean'] as const) {
        const session = kind === 'full' ? await openFull() : await openLean();
        try {
          if (attempt.unlock !== null) await value(session, 'session:unlock', { name: attempt.unlock, passphrase: `${attempt.unlock}-demo-passphrase` });
          const result = await session.dispatch(attempt.sender ?? FROM_CLI, attempt.channel, attempt.input);
          codes[kind] = result.ok ? null : result.error.code;
        } finally {
          await session.close();
        }
      }
      expect(codes, JSON.stringify(attempt)).toEqual({ full: attempt.code, lean: attempt.code });
      expect(state(repos.lean.path)).toEqual(dirty);
    }
    // A channel the rollback core does not serve is unknown to it, whoever asks.
    const session = await openLean();
    try {
      await value(session, 'session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' });
      expect(await session.dispatch(FROM_CLI, 'checkpoint:create', { repositoryId: repos.lean.id, reason: 'x' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    } finally {
      await session.close();
    }
    expect(state(repos.lean.path)).toEqual(dirty);
  });
});

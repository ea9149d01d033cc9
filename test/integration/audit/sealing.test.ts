/**
 * The audit log cannot be quietly cut (issue 12, section 3), on real SQLite files and the real CLI.
 *
 * Heads are signed on every decision, apply and rollback, at shutdown and on a timer; plain
 * `audit verify` fails when events follow the last signed head; an auditor's heads copy kept elsewhere
 * catches what the workstation key (which sits beside the database) could re-sign.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditVerify } from '../../../electron/core/audit-log';
import { sealsOnRecord } from '../../../electron/core/audit-trail';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createStderrLogger } from '../../../electron/core/logger';
import {
  auditPaths,
  canonicalRecord,
  chainHeadProblem,
  loadCanonicalize,
  loadOrCreateWorkstationKey,
  openAuditStore,
  sha256Hex,
  type AuditEvent,
  type ChainHead,
} from '../../../electron/services/audit';
import { signChainHead } from '../../../electron/services/audit/chain-heads';
import { systemClock } from '../../../shared/model/clock';
import { dropGuards, rawDb } from '../../unit/services/audit/helpers';
import { bundleScript, REPO_ROOT, runNode } from './helpers';

let work: string;
let cli: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gh-sealing-'));
  cli = await bundleScript('test/integration/audit/cli-entry.ts', mkdtempSync(join(REPO_ROOT, 'node_modules', '.gh-sealing-')), 'audit-cli');
}, 120_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(join(cli, '..'), { recursive: true, force: true });
});

async function gatehouse(...args: string[]) {
  const result = await runNode([cli, ...args]);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { ...result, body };
}

/** Rewrites events from `from` on (new payloads, freshly chained), as someone with file access could. */
async function reforge(file: string, from: number): Promise<void> {
  const canonicalize = await loadCanonicalize();
  const db = rawDb(file);
  try {
    dropGuards(db);
    const rows = db.prepare('SELECT seq, record FROM events WHERE seq >= ? ORDER BY seq').all(from) as Array<{ seq: number; record: string }>;
    let prevHash = from === 1 ? '0'.repeat(64) : (db.prepare('SELECT hash FROM events WHERE seq = ?').pluck().get(from - 1) as string);
    for (const row of rows) {
      const event = JSON.parse(row.record) as AuditEvent;
      const record = canonicalRecord(canonicalize, { ...event, payload: { ...event.payload, forged: true }, prevHash });
      prevHash = sha256Hex(record);
      db.prepare('UPDATE events SET record = ?, hash = ? WHERE seq = ?').run(record, prevHash, row.seq);
    }
  } finally {
    db.close();
  }
}

/** Deletes every signed head: the database's and the heads file beside it. */
function dropHeads(dataDir: string): void {
  const db = rawDb(auditPaths(dataDir).file);
  try {
    dropGuards(db);
    db.exec('DELETE FROM chain_heads');
  } finally {
    db.close();
  }
  writeFileSync(auditPaths(dataDir).headsFile, '');
}

/** Re-signs the current tail with the workstation key found beside the database (what its owner can do). */
async function resign(dataDir: string): Promise<void> {
  const paths = auditPaths(dataDir);
  const canonicalize = await loadCanonicalize();
  const key = loadOrCreateWorkstationKey(paths.keysDir);
  const db = rawDb(paths.file);
  try {
    dropGuards(db);
    const tail = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    const head = signChainHead(canonicalize, key, { seq: tail.seq, hash: tail.hash, ts: new Date().toISOString() });
    db.prepare('INSERT INTO chain_heads (seq, hash, ts, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)').run(
      head.seq,
      head.hash,
      head.ts,
      head.keyId,
      head.publicKey,
      head.signature,
    );
  } finally {
    db.close();
  }
}

describe('gatehouse audit verify on a fresh log', () => {
  let dataDir: string;
  let db: string;
  let copy: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(work, 'data-'));
    db = auditPaths(dataDir).file;
    copy = join(work, `auditor-copy-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
    for (let i = 1; i <= 3; i++) {
      const appended = await gatehouse('audit', 'append', '--db', db, '--actor', 'ci', '--action', 'ci.check', '--subject', `run-${i}`);
      expect(appended.code, appended.stderr).toBe(0);
    }
    const copied = await gatehouse('audit', 'heads', '--db', db, '--copy-to', copy, '--json');
    expect(copied.body).toMatchObject({ added: 3, total: 3, unknown: 0 });
  }, 60_000);

  it('passes: every CLI append sealed what it wrote when it closed', async () => {
    const plain = await gatehouse('audit', 'verify', '--db', db, '--json');
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.body).toMatchObject({ ok: true, lastSeq: 3, lastAttestedSeq: 3, warning: null });
    expect((await gatehouse('audit', 'verify', '--db', db, '--heads', copy)).code).toBe(0);
  });

  it('fails a rewritten history whose heads were removed, and says the tail is unsealed', async () => {
    await reforge(db, 2);
    dropHeads(dataDir);
    const plain = await gatehouse('audit', 'verify', '--db', db, '--json');
    expect(plain.code).toBe(1);
    expect(plain.body).toMatchObject({ ok: false, reason: 'unattested', firstBadSeq: 1 });
    const text = await gatehouse('audit', 'verify', '--db', db);
    expect(text.stdout).toMatch(/not covered by a signed head/);
    expect(text.stdout).toMatch(/--allow-unsealed/);
    // The explicit flag turns the failure into a warning, and still says so.
    const warned = await gatehouse('audit', 'verify', '--db', db, '--allow-unsealed');
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/WARNING: 3 events after seq 0 are not covered by a signed head/);
  });

  it('passes a rewrite re-signed with the workstation key, which only the auditor copy catches', async () => {
    await reforge(db, 2);
    dropHeads(dataDir);
    await resign(dataDir);
    expect((await gatehouse('audit', 'verify', '--db', db)).code).toBe(0);
    const audited = await gatehouse('audit', 'verify', '--db', db, '--heads', copy, '--json');
    expect(audited.code).toBe(1);
    expect(audited.body).toMatchObject({ ok: false, reason: 'head-mismatch', headsFile: copy });
    // Copying heads again warns that the copy holds heads the database lost.
    const again = await gatehouse('audit', 'heads', '--db', db, '--copy-to', copy, '--json');
    expect(again.code).toBe(1);
    expect(again.body).toMatchObject({ unknown: 3 });
  });

  it('catches a tail cut back to a sealed point only with the auditor copy', async () => {
    const cut = rawDb(db);
    try {
      dropGuards(cut);
      cut.exec('DELETE FROM events WHERE seq = 3; DELETE FROM chain_heads WHERE seq = 3');
    } finally {
      cut.close();
    }
    const headsFile = auditPaths(dataDir).headsFile;
    writeFileSync(headsFile, readFileSync(headsFile, 'utf8').split('\n').filter((l) => !l.includes('"seq":3')).join('\n'));
    expect((await gatehouse('audit', 'verify', '--db', db)).code).toBe(0);
    const audited = await gatehouse('audit', 'verify', '--db', db, '--heads', copy, '--json');
    expect(audited.body).toMatchObject({ ok: false, reason: 'truncated', firstBadSeq: 3 });
  });
});

describe('the core seals what it records', () => {
  let dataDir: string;
  let core: Core | null;
  const open = (intervalMs?: number) =>
    createCore({
      dataDir,
      shell: { shell: 'cli', electron: null, chromium: null },
      logger: createStderrLogger({ quiet: true }),
      ...(intervalMs === undefined ? {} : { auditSealIntervalMs: intervalMs }),
    });
  const lastHead = (c: Core): ChainHead | undefined => c.context.auditStore.heads().at(-1);

  beforeEach(() => {
    dataDir = mkdtempSync(join(work, 'core-'));
    core = null;
  });
  afterEach(async () => {
    await core?.close();
    delete process.env.GATEHOUSE_AUDITOR_HEADS;
  });

  it('on every decision, apply and rollback event, not on every event, and at shutdown', async () => {
    expect(['approval.minted', 'approval.revoked', 'decision.rejected', 'apply.completed', 'apply.refused', 'rollback.completed', 'postapply.checked'].every(sealsOnRecord)).toBe(true);
    expect(['analysis.completed', 'operator.unlocked', 'checkpoint.created'].some(sealsOnRecord)).toBe(false);
    core = await open();
    const analysed = core.context.audit.record({ action: 'analysis.completed', subject: 'proposal:r/p', payload: {} });
    expect(lastHead(core)?.seq ?? 0).toBeLessThan(analysed.seq);
    for (const action of ['approval.minted', 'apply.completed', 'rollback.completed']) {
      const event = core.context.audit.record({ action, subject: 'proposal:r/p', payload: {} });
      expect(lastHead(core)).toMatchObject({ seq: event.seq, hash: event.hash });
    }
    const last = core.context.audit.record({ action: 'analysis.completed', subject: 'proposal:r/p', payload: {} });
    await core.close();
    core = null;
    const reopened = await openAuditStore({ file: auditPaths(dataDir).file, clock: systemClock, readonly: true });
    try {
      expect(reopened.heads().at(-1)).toMatchObject({ seq: last.seq, hash: last.hash });
      expect(await reopened.verify({ requireSealed: true })).toMatchObject({ ok: true, lastAttestedSeq: last.seq });
    } finally {
      reopened.close();
    }
  });

  it('on a time interval', async () => {
    core = await open(20);
    const event = core.context.audit.record({ action: 'analysis.completed', subject: 'proposal:r/p', payload: {} });
    const c = core;
    await vi.waitFor(() => expect(lastHead(c)?.seq).toBe(event.seq), { timeout: 10_000, interval: 20 });
  });

  it('records, first thing, events it found past the last signed head (a crash between append and seal)', async () => {
    const paths = auditPaths(dataDir);
    const store = await openAuditStore({ file: paths.file, clock: systemClock, workstationKey: loadOrCreateWorkstationKey(paths.keysDir), headsDir: paths.headsDir });
    store.append({ actor: 'x', role: 'tool', action: 'ci.check', subject: 's', payload: {} });
    store.append({ actor: 'x', role: 'tool', action: 'ci.check', subject: 's', payload: {} });
    store.close({ seal: false });
    core = await open();
    const found = core.context.auditStore.search({ action: 'audit.unsealed-found', limit: 10 }).events;
    expect(found).toEqual([expect.objectContaining({ seq: 3, payload: { fromSeq: 1, toSeq: 2, lastSignedSeq: 0 } })]);
  });

  it("verifies in the console against the auditor's heads copy when GATEHOUSE_AUDITOR_HEADS names one", async () => {
    core = await open();
    for (let i = 0; i < 3; i++) core.context.audit.record({ action: 'approval.minted', subject: `proposal:r/${i}`, payload: {} });
    const copy = join(dataDir, '..', `copy-${Date.now()}.jsonl`);
    copyFileSync(auditPaths(dataDir).headsFile, copy);
    await core.close();
    await reforge(auditPaths(dataDir).file, 2);
    dropHeads(dataDir);
    await resign(dataDir);
    core = await open();
    const control = { current: null };
    expect(await auditVerify(core.context, control)).toMatchObject({ ok: true, auditorHeadsFile: null });
    process.env.GATEHOUSE_AUDITOR_HEADS = copy;
    const report = await auditVerify(core.context, control);
    expect(report).toMatchObject({ ok: false, auditorHeadsFile: copy });
    expect(report.reason).toMatch(/^head-mismatch/);
  });

  it('gives the lead the current signed head to publish, and it verifies', async () => {
    core = await open();
    const event = core.context.audit.record({ action: 'analysis.completed', subject: 'proposal:r/p', payload: {} });
    const head = core.context.auditStore.currentSignedHead();
    expect(head).toMatchObject({ seq: event.seq, hash: event.hash });
    expect(chainHeadProblem(await loadCanonicalize(), head as ChainHead, new Set([(head as ChainHead).keyId]), new Map())).toBeNull();
  });
});

/**
 * Audit exports for an auditor (issue 14) through the real core and dispatcher: the filtered view as CSV
 * into a chosen folder, re-opened and verified; a tampered cell caught; the whole log as JSON Lines
 * verified with its signed heads; never an overwrite, never a relative folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../electron/core/create-core';
import { createDispatcher } from '../../../electron/ipc/dispatch';
import type { Channel, ChannelInput } from '../../../shared/ipc/contract';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let dataDir: string;
let folder: string;
let core: Core;

function call<C extends Channel>(channel: C, input: ChannelInput<C>) {
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['test:'], session: () => core.callerSession(), logger: quiet });
  return dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'test:' }, channel, input);
}

async function value<C extends Channel>(channel: C, input: ChannelInput<C>) {
  const result = await call(channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as never;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-export-'));
  folder = mkdtempSync(join(tmpdir(), 'gh-export-out-'));
  core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet });
  await value('app:createDemo', {});
  await value('session:unlock', { name: 'ava', passphrase: 'ava-demo-passphrase' });
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
});

describe('audit exports', () => {
  it('exports the filtered view as CSV into the chosen folder, and verifies it when re-opened', async () => {
    const wanted: { total: number } = await value('audit:search', { subjectContains: 'QUOTE-formula', limit: 1000 });
    expect(wanted.total).toBeGreaterThan(0);
    const exported: { file: string; events: number; chainVerifiable: boolean } = await value('audit:exportView', {
      scope: 'filtered',
      format: 'csv',
      filter: { subjectContains: 'QUOTE-formula' },
      directory: folder,
    });
    expect(exported.file.startsWith(folder)).toBe(true);
    expect(exported).toMatchObject({ events: wanted.total, chainVerifiable: false });
    expect(readFileSync(exported.file, 'utf8').split('\n')[0]).toBe('seq,ts,actor,role,action,subject,payload,prevHash,hash');
    const verified: { ok: boolean; kind: string; matchedLocal: number; statements: string[] } = await value('audit:verifyExport', { file: exported.file });
    expect(verified).toMatchObject({ ok: true, kind: 'events', matchedLocal: wanted.total });
    expect(verified.statements.join(' ')).toMatch(/cannot show that none was left out/);

    // One changed cell is caught.
    const tampered = join(folder, 'tampered.csv');
    writeFileSync(tampered, readFileSync(exported.file, 'utf8').replace('pricing-agent', 'someone-else'));
    const caught: { ok: boolean; hashesIntact: number; events: number } = await value('audit:verifyExport', { file: tampered });
    expect(caught.ok).toBe(false);
    expect(caught.hashesIntact).toBeLessThan(caught.events);
  });

  it('exports the whole log as JSON Lines that verify with their signed head, and never overwrites', async () => {
    const first: { file: string } = await value('audit:exportView', { scope: 'whole', format: 'jsonl', filter: {}, directory: folder });
    const second: { file: string } = await value('audit:exportView', { scope: 'whole', format: 'jsonl', filter: {}, directory: folder });
    expect(second.file).not.toBe(first.file);
    const verified: { ok: boolean; kind: string; headsChecked: number; statements: string[] } = await value('audit:verifyExport', { file: first.file });
    expect(verified).toMatchObject({ ok: true, kind: 'chain' });
    expect(verified.headsChecked).toBeGreaterThan(0);
    expect(await call('audit:exportView', { scope: 'whole', format: 'csv', filter: {}, directory: 'relative/folder' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('audit:verifyExport', { file: join(folder, 'missing.jsonl') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

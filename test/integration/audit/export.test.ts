import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/model/result';
import {
  canonicalRecord,
  EXPORT_FORMAT,
  loadCanonicalize,
  loadOrCreateWorkstationKey,
  openAuditStore,
  sha256Hex,
  verifyJsonl,
  type ChainFields,
  type VerifyReport,
} from '../../../electron/services/audit';
import { appendSamples, openTestStore, removeDir, steppingClock, tempDir, type TestStore } from '../../unit/services/audit/helpers';

// 12 events with heads at 5 and 10; the export seals it with a head at 12. Lines:
// 0 header | 1-5 events 1-5 | 6 head 5 | 7-11 events 6-10 | 12 head 10 | 13-14 events 11-12 | 15 head 12
let dir: string;
let t: TestStore;
let file: string;
let lines: string[];

beforeEach(async () => {
  dir = tempDir();
  t = await openTestStore(dir, { headEvery: 5 });
  appendSamples(t.store, 12);
  file = join(dir, 'export.jsonl');
  await t.store.exportJsonl(file);
  lines = readFileSync(file, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
});
afterEach(() => {
  t.store.close();
  removeDir(dir);
});

/** The line index of event `seq` in the untouched export. */
function eventLine(seq: number): number {
  const at = lines.findIndex((l) => l.startsWith('{"type":"event"') && (JSON.parse(l) as { seq: number }).seq === seq);
  if (at < 0) throw new Error(`no line for event ${seq}`);
  return at;
}

async function verifyLines(changed: ReadonlyArray<string>, options: Parameters<typeof verifyJsonl>[1] = {}): Promise<VerifyReport> {
  const tampered = join(dir, 'tampered.jsonl');
  writeFileSync(tampered, `${changed.join('\n')}\n`);
  return verifyJsonl(tampered, options);
}

function edit(index: number, change: (value: Record<string, unknown>) => Record<string, unknown>): string[] {
  const copy = [...lines];
  copy[index] = JSON.stringify(change(JSON.parse(copy[index] ?? '') as Record<string, unknown>));
  return copy;
}

describe("the export's exact bytes are what is attested", () => {
  it('refuses CRLF line ends, though every line still parses to the same JSON', async () => {
    const tampered = join(dir, 'crlf.jsonl');
    writeFileSync(tampered, lines.map((l) => `${l}\r\n`).join(''));
    expect(await verifyJsonl(tampered)).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringContaining('line 1 is not byte for byte') });
    // One CRLF in the middle is enough.
    const one = [...lines];
    one[eventLine(7)] = `${one[eventLine(7)] ?? ''}\r`;
    expect(await verifyLines(one)).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: 7 });
  });

  it('refuses a re-serialised event line (same fields and values, other key order or spacing)', async () => {
    const reordered = edit(eventLine(3), (o) => Object.fromEntries(Object.entries(o).reverse()));
    expect(await verifyLines(reordered)).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: 3 });
    const spaced = [...lines];
    spaced[eventLine(3)] = JSON.stringify(JSON.parse(spaced[eventLine(3)] ?? ''), null, 1).replace(/\n/g, '');
    expect(await verifyLines(spaced)).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: 3 });
    // A character written as a \u escape is the same JSON string, but not the same bytes.
    const escaped = [...lines];
    escaped[eventLine(4)] = (escaped[eventLine(4)] ?? '').replace('"type":"event"', '"type":"\\u0065vent"');
    expect(JSON.parse(escaped[eventLine(4)] ?? '')).toEqual(JSON.parse(lines[eventLine(4)] ?? ''));
    expect(await verifyLines(escaped)).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: 4 });
  });

  it('refuses a re-serialised head line and header line, and a BOM', async () => {
    const head = lines.findIndex((l) => l.startsWith('{"type":"head"'));
    expect(await verifyLines(edit(head, (o) => Object.fromEntries(Object.entries(o).reverse())))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(await verifyLines(edit(0, (o) => Object.fromEntries(Object.entries(o).reverse())))).toMatchObject({ ok: false, reason: 'malformed' });
    const bom = [...lines];
    bom[0] = `\uFEFF${bom[0] ?? ''}`;
    expect(await verifyLines(bom)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('accepts the untouched file: byte-identical to what the exporter wrote', async () => {
    expect(await verifyLines(lines)).toMatchObject({ ok: true, checked: 12 });
  });
});

describe('export', () => {
  it('round-trips: the export verifies with no database, sealed at the last event', async () => {
    const report = await verifyJsonl(file);
    expect(report).toMatchObject({ ok: true, checked: 12, lastSeq: 12, lastHash: t.store.latest()?.hash, lastAttestedSeq: 12, headsChecked: 3, keyIds: [t.key.keyId] });
    expect(await verifyJsonl(file, { trustedKeyIds: [t.key.keyId], headsFile: t.paths.headsFile })).toMatchObject({ ok: true });
  });

  it('is strict JSON Lines: one object with a type per line, a header first, heads after their events', async () => {
    expect(lines).toHaveLength(16);
    const values = lines.map((l) => JSON.parse(l) as { type: string; seq?: number });
    expect(values.map((v) => v.type)).toEqual(['header', ...Array(5).fill('event'), 'head', ...Array(5).fill('event'), 'head', 'event', 'event', 'head']);
    expect(values[0]).toMatchObject({ type: 'header', format: EXPORT_FORMAT, version: 1, genesisHash: '0'.repeat(64) });
    expect(values.filter((v) => v.type === 'head').map((v) => v.seq)).toEqual([5, 10, 12]);
    expect(readFileSync(file, 'utf8')).not.toMatch(/\r/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('carries what an independent verifier needs: each hash is SHA-256 of the RFC 8785 form of the fields', async () => {
    const canonicalize = await loadCanonicalize();
    let prev = '0'.repeat(64);
    for (const line of lines.filter((l) => l.startsWith('{"type":"event"'))) {
      const { type: _type, hash, ...fields } = JSON.parse(line) as ChainFields & { type: string; hash: string };
      expect(fields.prevHash).toBe(prev);
      expect(sha256Hex(canonicalRecord(canonicalize, fields))).toBe(hash);
      prev = hash;
    }
  });

  it('refuses to overwrite unless asked, and exports an empty log', async () => {
    await expect(t.store.exportJsonl(file)).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(t.store.exportJsonl(file, { overwrite: true })).resolves.toMatchObject({ events: 12, sealed: true });
    const empty = await openAuditStore({ file: join(dir, 'empty.sqlite'), clock: steppingClock(), workstationKey: t.key });
    try {
      const out = join(dir, 'empty.jsonl');
      expect(await empty.exportJsonl(out)).toMatchObject({ events: 0, heads: 0, sealed: true });
      expect(await verifyJsonl(out)).toMatchObject({ ok: true, checked: 0 });
    } finally {
      empty.close();
    }
    await expect(verifyJsonl(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});

describe('an export with an extra line fails', () => {
  it.each<[string, () => string[], Partial<VerifyReport>]>([
    ['a blank line', () => [...lines.slice(0, 4), '', ...lines.slice(4)], { reason: 'malformed', firstBadSeq: 4 }],
    ['a repeated event line', () => [...lines.slice(0, 4), lines[3] ?? '', ...lines.slice(4)], { reason: 'reordered', firstBadSeq: 4 }],
    ['a line of garbage', () => [...lines.slice(0, 8), 'garbage', ...lines.slice(8)], { reason: 'malformed', firstBadSeq: 7 }],
    ['a second header', () => [...lines.slice(0, 2), lines[0] ?? '', ...lines.slice(2)], { reason: 'malformed', firstBadSeq: 2 }],
    ['a repeated head line', () => [...lines.slice(0, 9), lines[6] ?? '', ...lines.slice(9)], { reason: 'malformed' }],
    ['an array line', () => [...lines.slice(0, 3), '[1,2]', ...lines.slice(3)], { reason: 'malformed' }],
  ])('%s', async (_name, build, expected) => {
    expect(await verifyLines(build())).toMatchObject({ ok: false, ...expected });
  });

  it('a forged event appended after the seal, correctly chained and hashed: unattested', async () => {
    const canonicalize = await loadCanonicalize();
    const last = JSON.parse(lines[eventLine(12)] ?? '') as ChainFields & { hash: string };
    const fields: ChainFields = { ...last, seq: 13, prevHash: last.hash, actor: 'mallory', payload: { note: 'approved, honest' } };
    const record = canonicalRecord(canonicalize, fields);
    const forged = `{"type":"event","hash":"${sha256Hex(record)}",${record.slice(1)}`;
    expect(await verifyLines([...lines, forged])).toMatchObject({ ok: false, reason: 'unattested', firstBadSeq: 13, checked: 13 });
    // With the seal requirement off, the chain itself is consistent: the seal is what catches it.
    expect(await verifyLines([...lines, forged], { requireSealed: false })).toMatchObject({ ok: true, checked: 13 });
  });

  it('an event line with an extra field: malformed', async () => {
    expect(await verifyLines(edit(eventLine(3), (v) => ({ ...v, note: 'x' })))).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: 3 });
  });
});

describe('an export with an altered line fails', () => {
  it('a payload value changed: modified at that event', async () => {
    const changed = edit(eventLine(7), (v) => ({ ...v, payload: { ...(v['payload'] as object), index: 99 } }));
    expect(await verifyLines(changed)).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 7, checked: 6 });
  });

  it('an event changed and re-hashed: modified at that event', async () => {
    const canonicalize = await loadCanonicalize();
    const changed = edit(eventLine(7), (v) => {
      const fields = { ...(v as unknown as ChainFields), actor: 'mallory' };
      return { ...v, actor: 'mallory', hash: sha256Hex(canonicalRecord(canonicalize, fields)) };
    });
    expect(await verifyLines(changed)).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 7 });
  });

  it('a hash changed: modified at that event', async () => {
    expect(await verifyLines(edit(eventLine(2), (v) => ({ ...v, hash: 'b'.repeat(64) })))).toMatchObject({ ok: false, reason: 'modified', firstBadSeq: 2 });
  });

  it('an event line removed: missing', async () => {
    const copy = lines.filter((_, i) => i !== eventLine(4));
    expect(await verifyLines(copy)).toMatchObject({ ok: false, reason: 'missing', firstBadSeq: 4, checked: 3 });
  });

  it('two event lines swapped: reordered', async () => {
    const copy = [...lines];
    const [a, b] = [eventLine(3), eventLine(8)];
    [copy[a], copy[b]] = [lines[b] ?? '', lines[a] ?? ''];
    expect(await verifyLines(copy)).toMatchObject({ ok: false, reason: 'reordered', firstBadSeq: 3 });
  });

  it('the seal removed or the tail cut: unattested, and truncated against the auditor’s heads file', async () => {
    expect(await verifyLines(lines.slice(0, -1))).toMatchObject({ ok: false, reason: 'unattested', firstBadSeq: 11 });
    const cut = lines.slice(0, eventLine(8) + 1);
    expect(await verifyLines(cut)).toMatchObject({ ok: false, reason: 'unattested', firstBadSeq: 6 });
    expect(await verifyLines(cut, { headsFile: t.paths.headsFile })).toMatchObject({ ok: false, reason: 'truncated', firstBadSeq: 9 });
    expect(await verifyLines(cut, { requireSealed: false })).toMatchObject({ ok: true, checked: 8 });
  });

  it('a head line altered or signed by another key: head-signature-invalid', async () => {
    const altered = edit(12, (v) => ({ ...v, ts: '2030-01-01T00:00:00.000Z' }));
    expect(await verifyLines(altered)).toMatchObject({ ok: false, reason: 'head-signature-invalid', firstBadSeq: 10 });
    const other = loadOrCreateWorkstationKey(join(dir, 'other-keys'));
    expect(await verifyJsonl(file, { trustedKeyIds: [other.keyId] })).toMatchObject({ ok: false, reason: 'head-signature-invalid', firstBadSeq: 5 });
  });

  it('a byte-order mark or bytes that are not UTF-8: malformed', async () => {
    const bom = join(dir, 'bom.jsonl');
    writeFileSync(bom, `\uFEFF${lines.join('\n')}\n`);
    expect(await verifyJsonl(bom)).toMatchObject({ ok: false, reason: 'malformed' });
    const latin1 = join(dir, 'latin1.jsonl');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${lines.slice(0, 3).join('\n')}\n`), Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]));
    expect(await verifyJsonl(latin1)).toMatchObject({ ok: false, reason: 'malformed', firstBadSeq: 3 });
  });
});

/**
 * Audit exports as an auditor needs them: the whole log (JSON Lines that verify on their own: the chain
 * and its signed heads) or exactly the filtered view, as JSON Lines or CSV, into a chosen folder; and
 * opening an exported file to verify it, saying plainly what was and was not attested.
 *
 * CSV is written with csv-stringify and read back with csv-parse (RFC 4180 quoting); cells that a
 * spreadsheet would run as a formula are prefixed with `'` (OWASP "CSV injection"), and the verifier
 * takes that prefix off again before hashing.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, realpathSync, statSync, writeSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { AuditExportView, AuditFilterInput, ExportVerifyView } from '../../shared/ipc/channels/audit';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { canonicalRecord, loadCanonicalize, sha256Hex } from '../services/audit/chain';
import { AuditRole, type AuditEvent, type JsonObject } from '../services/audit/events';
import { EXPORT_FORMAT, verifyJsonl } from '../services/audit/jsonl';
import type { AuditFilter } from '../services/audit/query';
import { auditFilterOf } from './audit-log';
import type { CoreContext } from './context';

/** The CSV columns, in order. */
export const CSV_COLUMNS = ['seq', 'ts', 'actor', 'role', 'action', 'subject', 'payload', 'prevHash', 'hash'] as const;

/** Largest exported file the console opens for verification (a filtered view is read whole). */
const MAX_FILTERED_FILE_BYTES = 256 * 1024 * 1024;

// A leading = + - @ (or tab / CR) makes spreadsheets evaluate the cell; a quote keeps it text.
function cellSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cellValue(value: string): string {
  return /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

function exportFolder(ctx: CoreContext, directory: string | undefined): string {
  if (directory === undefined) return ctx.layout.exportsDir;
  if (!isAbsolute(directory)) throw new GatehouseError(ErrorCode.InvalidInput, 'the export folder must be an absolute path');
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new GatehouseError(ErrorCode.NotFound, `no folder at ${directory}`);
  return realpathSync(directory);
}

function newFile(folder: string, stem: string, extension: string): { readonly file: string; readonly fd: number } {
  for (let n = 1; n < 1000; n += 1) {
    const file = join(folder, `${stem}${n === 1 ? '' : `-${n}`}.${extension}`);
    try {
      // `wx`: never overwrite or follow an existing file or link.
      return { file, fd: openSync(file, 'wx', 0o600) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new GatehouseError(ErrorCode.Conflict, `too many exports named ${stem} in ${folder}`);
}

/** Every event matching a filter, oldest first, a page at a time. */
function* matching(ctx: CoreContext, filter: AuditFilter): Generator<AuditEvent> {
  let after = 0;
  for (;;) {
    const page = ctx.auditStore.search({ ...filter, order: 'asc', limit: 1000, ...(after > 0 ? { afterSeq: after } : {}) });
    for (const event of page.events) yield event;
    const last = page.events[page.events.length - 1];
    if (last === undefined || !page.hasNewer) return;
    after = last.seq;
  }
}

function csvRow(event: AuditEvent): string[] {
  return [String(event.seq), event.ts, cellSafe(event.actor), event.role, event.action, cellSafe(event.subject), cellSafe(JSON.stringify(event.payload)), event.prevHash, event.hash];
}

/** Exports the whole log or the filtered view as JSON Lines or CSV into a folder; a new file every time. */
export async function exportAuditView(
  ctx: CoreContext,
  input: { readonly scope: 'whole' | 'filtered'; readonly format: 'jsonl' | 'csv'; readonly filter: AuditFilterInput; readonly directory?: string | undefined },
): Promise<AuditExportView> {
  const folder = exportFolder(ctx, input.directory);
  const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
  const stem = `audit-${input.scope === 'whole' ? 'log' : 'filtered'}-${stamp}`;
  if (input.scope === 'whole' && input.format === 'jsonl') {
    // The verifiable export: the chain with its signed heads, sealed by the store.
    // The store creates the file itself and refuses one that exists.
    let file = join(folder, `${stem}.jsonl`);
    for (let n = 2; existsSync(file); n += 1) file = join(folder, `${stem}-${n}.jsonl`);
    const summary = await ctx.auditStore.exportJsonl(file);
    return { file: summary.file, events: summary.events, scope: 'whole', format: 'jsonl', chainVerifiable: true };
  }
  const filter = input.scope === 'whole' ? {} : auditFilterOf(input.filter);
  const { file, fd } = newFile(folder, stem, input.format);
  let events = 0;
  try {
    if (input.format === 'csv') writeSync(fd, stringifyCsv([[...CSV_COLUMNS]]));
    let batch: AuditEvent[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      writeSync(fd, input.format === 'csv' ? stringifyCsv(batch.map(csvRow)) : `${batch.map((event) => JSON.stringify(event)).join('\n')}\n`);
      batch = [];
    };
    for (const event of matching(ctx, filter)) {
      batch.push(event);
      events += 1;
      if (batch.length >= 500) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { file, events, scope: input.scope, format: input.format, chainVerifiable: false };
}

interface ExportedEvent {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly subject: string;
  readonly payload: JsonObject;
  readonly prevHash: string;
  readonly hash: string;
}

function readEvents(file: string, text: string): ExportedEvent[] {
  const bad = (line: number, why: string): never => {
    throw new GatehouseError(ErrorCode.InvalidInput, `${basename(file)} line ${line}: ${why}`);
  };
  if (file.toLowerCase().endsWith('.csv')) {
    let rows: string[][];
    try {
      rows = parseCsv(text, { relax_column_count: false, skip_empty_lines: true }) as string[][];
    } catch (error) {
      throw new GatehouseError(ErrorCode.InvalidInput, `${basename(file)} is not CSV: ${error instanceof Error ? error.message : String(error)}`);
    }
    const [header, ...body] = rows;
    if (header === undefined || header.join(',') !== CSV_COLUMNS.join(',')) bad(1, `the header must be ${CSV_COLUMNS.join(',')}`);
    return body.map((row, index) => {
      let payload: unknown;
      try {
        payload = JSON.parse(cellValue(row[6] ?? ''));
      } catch {
        return bad(index + 2, 'the payload is not JSON');
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return bad(index + 2, 'the payload is not a JSON object');
      return {
        seq: Number(row[0]),
        ts: row[1] ?? '',
        actor: cellValue(row[2] ?? ''),
        role: row[3] ?? '',
        action: row[4] ?? '',
        subject: cellValue(row[5] ?? ''),
        payload: payload as JsonObject,
        prevHash: row[7] ?? '',
        hash: row[8] ?? '',
      };
    });
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return bad(index + 1, 'not JSON');
      }
      const event = value as Partial<ExportedEvent>;
      if (typeof event !== 'object' || event === null || typeof event.seq !== 'number' || typeof event.hash !== 'string' || typeof event.payload !== 'object') {
        return bad(index + 1, 'not an audit event');
      }
      return event as ExportedEvent;
    });
}

function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8').split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

/**
 * Verifies an exported file. A whole-log JSON Lines export is checked as the CLI's `audit verify --jsonl`
 * does (every link, every signed head). A filtered view cannot prove that nothing was left out; each of
 * its events is checked on its own: its hash recomputes from its fields, and this workstation's log holds
 * the same event with the same hash.
 */
export async function verifyAuditExport(ctx: CoreContext, file: string): Promise<ExportVerifyView> {
  if (!isAbsolute(file)) throw new GatehouseError(ErrorCode.InvalidInput, 'give the absolute path of the exported file');
  if (!existsSync(file) || !lstatSync(file).isFile()) throw new GatehouseError(ErrorCode.NotFound, `no exported file at ${file}`);
  if (file.toLowerCase().endsWith('.jsonl') && firstLine(file).includes(EXPORT_FORMAT)) {
    const report = await verifyJsonl(file, { requireSealed: true });
    const statements = [
      report.ok
        ? `Every link of the chain holds: ${report.checked} events, each hash recomputed from its fields and its predecessor.`
        : `The chain does not hold${report.firstBadSeq === null ? '' : ` from event ${report.firstBadSeq}`}: ${report.message}`,
      report.headsChecked > 0
        ? `${report.headsChecked} signed head${report.headsChecked === 1 ? '' : 's'} verified; events up to ${report.lastAttestedSeq} are attested by key${report.keyIds.length === 1 ? '' : 's'} ${report.keyIds.join(', ')}.`
        : 'No signed head: nothing attests that the file is the whole log or was not rewritten as a whole.',
    ];
    return {
      file,
      kind: 'chain',
      ok: report.ok,
      events: report.checked,
      hashesIntact: report.checked,
      matchedLocal: null,
      headsChecked: report.headsChecked,
      lastAttestedSeq: report.lastAttestedSeq,
      firstBadSeq: report.firstBadSeq,
      statements,
    };
  }
  if (statSync(file).size > MAX_FILTERED_FILE_BYTES) throw new GatehouseError(ErrorCode.InvalidInput, 'the file is too large to open here; use gatehouse audit verify');
  const events = readEvents(file, readFileSync(file, 'utf8'));
  const canonicalize = await loadCanonicalize();
  let intact = 0;
  let matched = 0;
  let firstBad: number | null = null;
  for (const event of events) {
    const role = AuditRole.safeParse(event.role);
    const recomputed = role.success
      ? sha256Hex(
          canonicalRecord(canonicalize, {
            seq: event.seq,
            ts: event.ts,
            actor: event.actor,
            role: role.data,
            action: event.action,
            subject: event.subject,
            payload: event.payload,
            prevHash: event.prevHash,
          }),
        )
      : null;
    const selfOk = recomputed === event.hash;
    if (selfOk) intact += 1;
    const local = Number.isSafeInteger(event.seq) && event.seq > 0 ? ctx.auditStore.search({ atSeq: event.seq, order: 'asc', limit: 1 }).events[0] : undefined;
    const localOk = local !== undefined && local.seq === event.seq && local.hash === event.hash;
    if (localOk) matched += 1;
    if ((!selfOk || !localOk) && firstBad === null) firstBad = event.seq;
  }
  const ok = events.length > 0 && intact === events.length && matched === events.length;
  const heads = ctx.auditStore.heads().length;
  const statements = [
    `${intact} of ${events.length} events: the hash recomputes from the event's own fields.`,
    `${matched} of ${events.length} events are in this workstation's log with the same hash.`,
    'A filtered view holds only some events: it cannot show that none was left out. Export the whole log to verify the chain.',
    heads > 0
      ? `This workstation's log has ${heads} signed head${heads === 1 ? '' : 's'}; run Verify now on the log itself to check them.`
      : "This workstation's log has no signed head: nothing attests the log itself.",
  ];
  return { file, kind: 'events', ok, events: events.length, hashesIntact: intact, matchedLocal: matched, headsChecked: 0, lastAttestedSeq: 0, firstBadSeq: firstBad, statements };
}

/**
 * `gatehouse audit append|verify|export|search|heads`: the audit log from scripts, CI and auditors.
 *
 * The key and heads file default to the folders next to the database (`keys/`, `audit-heads/`), the same
 * layout the app uses, so the CLI and the app sign with one key and feed one heads file.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { systemClock } from '../../../shared/model/clock';
import {
  appendHeadsToFile,
  auditPaths,
  AuditInputError,
  loadOrCreateWorkstationKey,
  openAuditStore,
  prestartVerifyWorkers,
  readHeadsFile,
  readWorkstationPublicKey,
  verifyJsonl,
  type AuditEvent,
  type AuditSearchRequest,
  type AuditStore,
  type ChainHead,
  type JsonObject,
  type VerifyReport,
} from '../../services/audit';
import { CliExit, emit, EXIT_CHECK_FAILED, EXIT_USAGE } from '../io';

/** Roles an outside tool may record with `audit append`. */
const OUTSIDE_ROLES = ['tool', 'agent'] as const;

interface Common {
  readonly json?: boolean;
  readonly db?: string;
  readonly dataDir?: string;
}

interface Layout {
  readonly file: string;
  readonly keysDir: string;
  readonly headsDir: string;
}

function layout(options: Common & { readonly keysDir?: string; readonly headsDir?: string }): Layout {
  const file = options.db ?? (options.dataDir ? auditPaths(options.dataDir).file : undefined);
  if (file === undefined) throw new CliExit(EXIT_USAGE, '--db <file> is required');
  const defaults = auditPaths(dirname(resolve(file)));
  return { file, keysDir: options.keysDir ?? defaults.keysDir, headsDir: options.headsDir ?? defaults.headsDir };
}

function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new AuditInputError(`${name} must be a whole number`);
  return Number(value);
}

function parsePayload(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonObject;
  } catch (error) {
    throw new AuditInputError(`--payload is not JSON: ${(error as Error).message}`);
  }
}

async function withStore<T>(open: Promise<AuditStore>, use: (store: AuditStore) => Promise<T> | T): Promise<T> {
  const store = await open;
  try {
    return await use(store);
  } finally {
    store.close();
  }
}

/** The warning shown when --allow-unsealed let events past the last signed head through, or null. */
function unsealedWarning(report: VerifyReport): string | null {
  if (!report.ok || report.lastAttestedSeq >= report.lastSeq) return null;
  const count = report.lastSeq - report.lastAttestedSeq;
  return `${count} event${count === 1 ? '' : 's'} after seq ${report.lastAttestedSeq} ${count === 1 ? 'is' : 'are'} not covered by a signed head: nothing proves ${count === 1 ? 'it was' : 'they were'} not added, nor that later events were not cut`;
}

function reportText(report: VerifyReport, headsFile: string | undefined): string {
  const keys = report.keyIds.length > 0 ? ` (head keys: ${report.keyIds.join(', ')})` : '';
  const against = headsFile === undefined ? '' : `; checked against the heads copy ${headsFile}`;
  const warning = unsealedWarning(report);
  return report.ok
    ? `ok: ${report.message}; last seq ${report.lastSeq}, hash ${report.lastHash}, sealed up to seq ${report.lastAttestedSeq}${against}${keys}${warning === null ? '' : `\nWARNING: ${warning}`}`
    : `FAILED: ${report.reason ?? 'unknown'}${report.firstBadSeq === null ? '' : ` at seq ${report.firstBadSeq}`}: ${report.message}${against}${keys}${report.reason === 'unattested' ? '\n(--allow-unsealed turns this into a warning)' : ''}${headsFile === undefined ? '\n(an auditor verifies against their own copy of the heads: --heads FILE)' : ''}`;
}

function eventLine(event: AuditEvent): string {
  return [event.seq, event.ts, `${event.role}:${event.actor}`, event.action, event.subject, JSON.stringify(event.payload)].join('\t');
}

function headText(head: ChainHead): string {
  return [head.seq, head.hash, head.ts, head.keyId].join('\t');
}

/**
 * Appends to `file` the heads it lacks (by seq, hash and signature), in seq order, and counts the heads
 * in `file` the database does not hold: after a re-forge, the auditor's copy keeps heads the workstation lost.
 */
function copyHeads(heads: ReadonlyArray<ChainHead>, file: string): { file: string; added: number; total: number; unknown: number } {
  const idOf = (h: ChainHead): string => `${h.seq}:${h.hash}:${h.signature}`;
  const existing = existsSync(file) ? readHeadsFile(file) : { heads: [], malformedLines: [] };
  if (existing.malformedLines.length > 0) {
    throw new AuditInputError(`${file} line ${existing.malformedLines[0]} is not a signed chain head; not touching it`);
  }
  const inFile = new Set(existing.heads.map(idOf));
  const inDb = new Set(heads.map(idOf));
  const missing = heads.filter((h) => !inFile.has(idOf(h)));
  appendHeadsToFile(file, missing);
  return { file, added: missing.length, total: existing.heads.length + missing.length, unknown: existing.heads.filter((h) => !inDb.has(idOf(h))).length };
}

/** Registers `gatehouse audit ...`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('append')
    .description('record an event (for outside tools); prints the new seq')
    .option('--db <file>', 'audit database (default: <data-dir>/audit.sqlite)')
    .requiredOption('--actor <name>', 'who acted')
    .requiredOption('--action <action>', 'what happened, e.g. ci.scan-finished')
    .requiredOption('--subject <subject>', 'what it happened to')
    .option('--payload <json>', 'details as a JSON object', '{}')
    .option('--role <role>', 'tool | agent (operator roles are recorded only by the app and the CLI commands that unlock one)', 'tool')
    .option('--keys-dir <dir>', 'folder of the workstation key (default: keys/ next to the database)')
    .option('--heads-dir <dir>', 'folder of the heads file (default: audit-heads/ next to the database)')
    .option('--json', 'print the event as JSON')
    .action(async (options: Common & { actor: string; action: string; subject: string; payload: string; role: string; keysDir?: string; headsDir?: string }, command: Command) => {
      const where = layout({ ...command.optsWithGlobals<Common>(), ...options });
      if (!(OUTSIDE_ROLES as ReadonlyArray<string>).includes(options.role)) {
        // Anyone who can run the CLI could otherwise record "lead: approval.approve"; operators act only unlocked.
        throw new AuditInputError(`--role must be one of ${OUTSIDE_ROLES.join(', ')}: an outside tool cannot record an operator's or the system's role`);
      }
      const payload = parsePayload(options.payload);
      const open = openAuditStore({
        file: where.file,
        clock: systemClock,
        workstationKey: loadOrCreateWorkstationKey(where.keysDir),
        headsDir: where.headsDir,
        warn: (message, error) => process.stderr.write(`gatehouse: ${message}: ${(error as Error).message}\n`),
      });
      const event = await withStore(open, (store) =>
        store.append({ actor: options.actor, role: options.role as AuditEvent['role'], action: options.action, subject: options.subject, payload }),
      );
      emit(options.json === true, event, () => String(event.seq));
    });

  audit
    .command('verify')
    .description('verify a database (--db) or an export (--jsonl); exit 1 with firstBadSeq and reason when not intact')
    .option('--db <file>', 'audit database')
    .option('--jsonl <file>', 'exported JSON Lines file (no database needed)')
    .option('--heads <file>', "a heads file kept elsewhere (the auditor's copy) whose heads must all hold")
    .option('--trust-key <keyId...>', 'accept heads only from these key ids')
    .option('--keys-dir <dir>', 'with --db: trust the workstation key found here (default: keys/ next to the database)')
    .option('--deep', 'with --db: also re-serialise every record and compare (slower)')
    .option('--allow-unsealed', 'only warn (exit 0) when events follow the last signed head; by default that fails')
    .option('--jobs <n>', 'with --db: verify in N threads, this one and N-1 workers (default: the cores, at most 4)')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        options: Common & { jsonl?: string; heads?: string; trustKey?: string[]; keysDir?: string; deep?: boolean; allowUnsealed?: boolean; jobs?: string },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<Common>();
        if ((options.db !== undefined) === (options.jsonl !== undefined)) {
          throw new CliExit(EXIT_USAGE, 'give exactly one of --db <file> or --jsonl <file>');
        }
        let report: VerifyReport;
        if (options.jsonl !== undefined) {
          report = await verifyJsonl(options.jsonl, {
            headsFile: options.heads,
            trustedKeyIds: options.trustKey,
            requireSealed: options.allowUnsealed !== true,
          });
        } else {
          const where = layout({ ...globals, ...options });
          const workers = wholeNumber('--jobs', options.jobs) ?? Math.min(availableParallelism(), 4);
          // The worker threads start first, so they boot on the other core while the store opens.
          const startedWorkers = options.deep === true || workers < 2 ? null : prestartVerifyWorkers(where.file, workers);
          try {
            // Pin the workstation key when it is here; an auditor elsewhere pins with --trust-key instead.
            const pinned = options.trustKey ?? [];
            const local = pinned.length === 0 ? readWorkstationPublicKey(where.keysDir) : null;
            report = await withStore(
              openAuditStore({ file: where.file, clock: systemClock, readonly: true, headsDir: where.headsDir }),
              (store) =>
                store.verify({
                  headsFile: options.heads,
                  trustedKeyIds: local ? [local.keyId] : pinned,
                  deep: options.deep === true,
                  requireSealed: options.allowUnsealed !== true,
                  workers,
                  startedWorkers,
                }),
            );
          } finally {
            startedWorkers?.close();
          }
        }
        const warning = unsealedWarning(report);
        emit(options.json === true, { ...report, headsFile: options.heads ?? null, warning }, () => reportText(report, options.heads));
        if (!report.ok) process.exitCode = EXIT_CHECK_FAILED;
      },
    );

  audit
    .command('export')
    .description('write the log as strict JSON Lines, sealed with a signed head')
    .option('--db <file>', 'audit database')
    .requiredOption('--out <file>', 'the .jsonl file to write')
    .option('--force', 'replace an existing file')
    .option('--no-seal', 'do not sign a head at the last event (read-only copies)')
    .option('--keys-dir <dir>', 'folder of the workstation key (default: keys/ next to the database)')
    .option('--heads-dir <dir>', 'folder of the heads file (default: audit-heads/ next to the database)')
    .option('--json', 'print the summary as JSON')
    .action(async (options: Common & { out: string; force?: boolean; seal: boolean; keysDir?: string; headsDir?: string }, command: Command) => {
      const where = layout({ ...command.optsWithGlobals<Common>(), ...options });
      const open = openAuditStore({
        file: where.file,
        clock: systemClock,
        readonly: !options.seal,
        workstationKey: options.seal ? loadOrCreateWorkstationKey(where.keysDir) : null,
        headsDir: where.headsDir,
      });
      const summary = await withStore(open, (store) => store.exportJsonl(options.out, { overwrite: options.force === true, seal: options.seal }));
      emit(options.json === true, summary, () =>
        `exported ${summary.events} events and ${summary.heads} heads to ${summary.file}${summary.sealed ? ', sealed' : ', NOT sealed'}`,
      );
    });

  audit
    .command('search')
    .description('find events (newest first unless --order asc)')
    .option('--db <file>', 'audit database')
    .option('--from <time>', 'at or after this RFC 3339 time')
    .option('--to <time>', 'before this RFC 3339 time')
    .option('--actor <name>', 'exact actor')
    .option('--role <role>', 'exact role')
    .option('--action <action>', 'exact action, or a family like approval.*')
    .option('--subject <subject>', 'exact subject')
    .option('--text <words>', 'words in the payload (a trailing * matches a prefix)')
    .option('--after-seq <seq>', 'the page after this seq')
    .option('--before-seq <seq>', 'the page before this seq')
    .option('--at-seq <seq>', 'the page starting at this seq')
    .option('--limit <n>', 'events per page (1..1000)', '50')
    .option('--order <order>', 'asc or desc', 'desc')
    .option('--count', 'also count every match')
    .option('--json', 'print the page as JSON')
    .action(
      async (
        options: Common & {
          from?: string;
          to?: string;
          actor?: string;
          role?: string;
          action?: string;
          subject?: string;
          text?: string;
          afterSeq?: string;
          beforeSeq?: string;
          atSeq?: string;
          limit: string;
          order: string;
          count?: boolean;
        },
        command: Command,
      ) => {
        const where = layout({ ...command.optsWithGlobals<Common>(), ...options });
        const request: AuditSearchRequest = {
          from: options.from,
          to: options.to,
          actor: options.actor,
          role: options.role as AuditSearchRequest['role'],
          action: options.action,
          subject: options.subject,
          text: options.text,
          afterSeq: wholeNumber('--after-seq', options.afterSeq),
          beforeSeq: wholeNumber('--before-seq', options.beforeSeq),
          atSeq: wholeNumber('--at-seq', options.atSeq),
          limit: wholeNumber('--limit', options.limit),
          order: options.order as AuditSearchRequest['order'],
          withCount: options.count === true,
        };
        const page = await withStore(openAuditStore({ file: where.file, clock: systemClock, readonly: true }), (store) => store.search(request));
        emit(options.json === true, page, () =>
          [...page.events.map(eventLine), ...(page.count === null ? [] : [`${page.count} matching events`])].join('\n'),
        );
      },
    );

  audit
    .command('heads')
    .description("list the signed chain heads, or add the new ones to the auditor's heads copy (--copy-to)")
    .option('--db <file>', 'audit database')
    .option('--copy-to <file>', "append the heads FILE lacks to FILE (the auditor's copy, kept elsewhere; created 0600)")
    .option('--json', 'print the heads as JSON')
    .action(async (options: Common & { copyTo?: string }, command: Command) => {
      const where = layout({ ...command.optsWithGlobals<Common>(), ...options });
      const heads = await withStore(openAuditStore({ file: where.file, clock: systemClock, readonly: true }), (store) => store.heads());
      if (options.copyTo === undefined) {
        emit(options.json === true, heads, () => heads.map(headText).join('\n'));
        return;
      }
      const copied = copyHeads(heads, options.copyTo);
      emit(options.json === true, copied, () =>
        [
          `${copied.added} new head${copied.added === 1 ? '' : 's'} added to ${copied.file} (it holds ${copied.total})`,
          ...(copied.unknown > 0
            ? [`WARNING: ${copied.file} holds ${copied.unknown} head${copied.unknown === 1 ? '' : 's'} this database does not: it may have been re-forged; verify with --heads ${copied.file}`]
            : []),
        ].join('\n'),
      );
      if (copied.unknown > 0) process.exitCode = EXIT_CHECK_FAILED;
    });
}

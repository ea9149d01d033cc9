/**
 * Queries for the auditor view: filters, full-text search over payloads, keyset pagination by seq,
 * match counts and counts per action.
 *
 * Every page is an index range walk by seq (each filter column's index carries seq; FTS5 walks its
 * doclist in rowid = seq order), so cost follows the page size, not the log size. Shown fields always come
 * from the hashed record, never from the derived columns and indexes the filters use.
 */
import type Database from 'better-sqlite3';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { Db } from '../db/sqlite';
import { AuditInputError, checkRole, type AuditEvent, type AuditRole, type JsonObject } from './events';
import type { AuditFeatures } from './schema';

/** Filters; all given ones must hold. */
export interface AuditFilter {
  /** Events at or after this time (RFC 3339). */
  readonly from?: string;
  /** Events before this time (RFC 3339). */
  readonly to?: string;
  readonly actor?: string;
  readonly role?: AuditRole;
  /** An exact action, or a family ending in `.*` (`approval.*`). */
  readonly action?: string;
  readonly subject?: string;
  /**
   * Words to find in payloads (FTS5). Every word must occur; a word ending in `*` matches as a prefix.
   * FTS syntax is not interpreted: quotes, `OR`, `NEAR` and the like are taken as plain words.
   */
  readonly text?: string;
  /** Part of the actor's name, any case (`ri` finds `Rita`). */
  readonly actorContains?: string;
  /** Part of the subject, any case (`quote-formula` finds `proposal:<uuid>/quote-formula`). */
  readonly subjectContains?: string;
  /**
   * Anywhere in the event: part of its subject, actor or action (any case), or words of its payload (as
   * `text`). What a person types into one search box.
   */
  readonly anywhere?: string;
}

/** Which page of a filtered list to fetch. Cursors are seqs; give at most one of them. */
export interface AuditSearchRequest extends AuditFilter {
  /** The page of matches right after this seq (towards newer). */
  readonly afterSeq?: number;
  /** The page of matches right before this seq (towards older). */
  readonly beforeSeq?: number;
  /** The page starting at this seq in display order (`asc`: seq >= atSeq; `desc`: seq <= atSeq). */
  readonly atSeq?: number;
  /** Rows per page, 1..1000 (default 50). */
  readonly limit?: number;
  /** Display order (default `desc`, newest first). Without a cursor, the first page in this order. */
  readonly order?: 'asc' | 'desc';
  /** Also count all matches (an extra query whose cost grows with the number of matches). */
  readonly withCount?: boolean;
}

/** One page of matches. */
export interface AuditPage {
  /** In the requested order. */
  readonly events: ReadonlyArray<AuditEvent>;
  /** Matches exist with a seq below every event on this page (or below the cursor when empty). */
  readonly hasOlder: boolean;
  /** Matches exist with a seq above every event on this page (or above the cursor when empty). */
  readonly hasNewer: boolean;
  /** All matches, when asked for. */
  readonly count: number | null;
}

/** Matches per action. */
export interface ActionCount {
  readonly action: string;
  readonly count: number;
}

/** Prepared statements by SQL text, owned by one store. */
export type StatementCache = Map<string, Database.Statement>;

const MAX_LIMIT = 1000;
const MAX_TEXT = 500;
const MAX_TERMS = 16;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const ACTION_FILTER = /^[a-z]+(\.[a-z-]+)*(\.\*)?$/;

function prepared(db: Db, cache: StatementCache, sql: string): Database.Statement {
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** Normalises an RFC 3339 time to the stored form (UTC, milliseconds) so text comparison orders it. */
export function normaliseTime(name: string, value: string): string {
  const ms = RFC3339.test(value) ? Date.parse(value.replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(ms)) throw new AuditInputError(`${name} must be an RFC 3339 time such as 2025-01-31T12:00:00Z`);
  return new Date(ms).toISOString();
}

/**
 * Turns what a person typed into a safe FTS5 query: each whitespace-separated word becomes a quoted
 * phrase (so no FTS operator or column filter can be injected), all of them required.
 */
export function ftsQuery(text: string): string {
  if (text.length > MAX_TEXT) throw new AuditInputError(`search text must be at most ${MAX_TEXT} characters`);
  const terms = text
    .split(/\s+/u)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .map((word) => {
      const prefix = word.endsWith('*');
      const bare = prefix ? word.replace(/\*+$/u, '') : word;
      return `"${bare.replaceAll('"', '""')}"${prefix ? '*' : ''}`;
    });
  if (terms.length === 0) throw new AuditInputError('search text has no words to look for');
  if (terms.length > MAX_TERMS) throw new AuditInputError(`search text may have at most ${MAX_TERMS} words`);
  return terms.join(' AND ');
}

interface Compiled {
  /** The FROM clause. */
  readonly from: string;
  readonly where: ReadonlyArray<string>;
  readonly params: ReadonlyArray<string | bigint>;
  /** The column carrying seq in this FROM. */
  readonly seq: string;
  /**
   * The seqs a time range allows (all by default). Every query gets exactly one lower and one upper seq
   * bound, merged with its cursor here: given two lower bounds, SQLite walks from one and filters by the
   * other, which turns a page into a scan.
   */
  readonly range: { readonly lo: number; readonly hi: number };
  /**
   * An action family with several members, expanded: each page is then fetched per action and merged,
   * because one index range over several actions is not in seq order.
   */
  readonly actions: ReadonlyArray<string> | null;
  /** Nothing can match (an empty family, a time range outside the log). */
  readonly empty: boolean;
}

/**
 * The actions in the log that belong to a family, by a loose index scan: one index probe per distinct
 * action, whatever the number of events.
 */
function familyMembers(db: Db, cache: StatementCache, stem: string): string[] {
  const next = prepared(db, cache, 'SELECT action FROM events WHERE action > ? AND action < ? ORDER BY action LIMIT 1').pluck();
  const end = `${stem.slice(0, -1)}/`; // "/" sorts right after "."
  const members: string[] = [];
  for (let after = stem; ; ) {
    const action = next.get(after, end) as string | undefined;
    if (action === undefined || members.length >= 1000) return members;
    members.push(action);
    after = action;
  }
}

/**
 * The seq range a time range covers. Times never decrease along the chain (the insert trigger refuses it,
 * and a file edited to break that fails verification), so the events in [from, to) are exactly those
 * between the first seq at or after `from` and the last seq before `to`: two index probes, after which
 * every other filter walks its own index in seq order and counts stay index-only.
 */
function seqRangeOf(db: Db, cache: StatementCache, from: string | null, to: string | null): { lo: number; hi: number } | null {
  let lo = 1;
  let hi = Number.MAX_SAFE_INTEGER;
  if (from !== null) {
    const first = prepared(db, cache, 'SELECT seq FROM events WHERE ts >= ? ORDER BY ts, seq LIMIT 1').pluck().get(from) as number | undefined;
    if (first === undefined) return null;
    lo = first;
  }
  if (to !== null) {
    const last = prepared(db, cache, 'SELECT seq FROM events WHERE ts < ? ORDER BY ts DESC, seq DESC LIMIT 1').pluck().get(to) as number | undefined;
    if (last === undefined) return null;
    hi = last;
  }
  return lo <= hi ? { lo, hi } : null;
}

function compile(db: Db, cache: StatementCache, features: AuditFeatures, filter: AuditFilter): Compiled {
  const where: string[] = [];
  const params: Array<string | bigint> = [];
  let empty = false;
  let actions: string[] | null = null;
  const text = filter.text?.trim() ?? '';
  const usesText = text.length > 0;
  if (usesText && !features.search) {
    throw new GatehouseError(ErrorCode.Unavailable, 'this audit database predates full-text search; open it writable once to upgrade it');
  }
  const seq = usesText ? 'events_fts.rowid' : 'e.seq';
  if (usesText) {
    where.push('events_fts MATCH ?');
    params.push(ftsQuery(text));
  }
  const from = filter.from === undefined ? null : normaliseTime('from', filter.from);
  const to = filter.to === undefined ? null : normaliseTime('to', filter.to);
  let range = { lo: 1, hi: Number.MAX_SAFE_INTEGER };
  if (from !== null || to !== null) {
    const covered = seqRangeOf(db, cache, from, to);
    if (covered === null) empty = true;
    else range = covered;
  }
  if (filter.actor !== undefined) {
    if (typeof filter.actor !== 'string') throw new AuditInputError('actor must be a string');
    where.push('e.actor = ?');
    params.push(filter.actor);
  }
  if (filter.role !== undefined) {
    where.push('e.role = ?');
    params.push(checkRole(filter.role));
  }
  if (filter.action !== undefined) {
    if (typeof filter.action !== 'string' || filter.action.length > 100 || !ACTION_FILTER.test(filter.action)) {
      throw new AuditInputError('action filter must be an action (approval.minted) or a family (approval.*)');
    }
    const members = filter.action.endsWith('.*') ? familyMembers(db, cache, filter.action.slice(0, -1)) : [filter.action];
    if (members.length === 0) empty = true;
    else if (members.length === 1) {
      where.push('e.action = ?');
      params.push(members[0] as string);
    } else {
      where.push(`e.action IN (${members.map(() => '?').join(', ')})`);
      params.push(...members);
      actions = members;
    }
  }
  if (filter.subject !== undefined) {
    if (typeof filter.subject !== 'string') throw new AuditInputError('subject must be a string');
    where.push('e.subject = ?');
    params.push(filter.subject);
  }
  if (filter.actorContains !== undefined) {
    where.push("e.actor LIKE ? ESCAPE '\\'");
    params.push(containsPattern('actorContains', filter.actorContains));
  }
  if (filter.subjectContains !== undefined) {
    where.push("e.subject LIKE ? ESCAPE '\\'");
    params.push(containsPattern('subjectContains', filter.subjectContains));
  }
  if (filter.anywhere !== undefined && filter.anywhere.trim() !== '') {
    const value = filter.anywhere.trim();
    const pattern = containsPattern('anywhere', value);
    const words = features.search ? wordsQuery(value) : null;
    const parts = ["e.subject LIKE ? ESCAPE '\\'", "e.actor LIKE ? ESCAPE '\\'", "e.action LIKE ? ESCAPE '\\'"];
    params.push(pattern, pattern, pattern);
    if (words !== null) {
      parts.push('e.seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)');
      params.push(words);
    }
    where.push(`(${parts.join(' OR ')})`);
  }
  return {
    from: usesText ? 'events_fts JOIN events e ON e.seq = events_fts.rowid' : 'events e',
    where,
    params,
    seq,
    range,
    actions: usesText ? null : actions,
    empty,
  };
}

const MAX_CONTAINS = 500;

/**
 * A LIKE pattern matching `value` anywhere, with LIKE's own wildcards taken literally. SQLite's LIKE
 * ignores case for ASCII letters; other letters match as typed.
 */
export function containsPattern(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new AuditInputError(`${name} must be a string`);
  if (value.length > MAX_CONTAINS) throw new AuditInputError(`${name} must be at most ${MAX_CONTAINS} characters`);
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The FTS query of a search box's words, or null when it has none to look for (only substring matching then). */
function wordsQuery(text: string): string | null {
  try {
    return ftsQuery(text);
  } catch (error) {
    if (error instanceof AuditInputError && /no words/.test(error.message)) return null;
    throw error;
  }
}

function whereClause(conditions: ReadonlyArray<string>): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

/**
 * A seq as a bound parameter. better-sqlite3 binds JS numbers as REAL, and FTS5 ignores a REAL rowid
 * constraint and walks the whole doclist instead (measured: 150 ms instead of 1 ms at a million events).
 */
function seqParam(seq: number): bigint {
  return BigInt(seq);
}

/** Builds an event from a stored row; the fields come from the hashed record. */
export function eventFromRow(seq: number, record: string, hash: string): AuditEvent {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(record) as Record<string, unknown>;
  } catch {
    throw new GatehouseError(ErrorCode.VerificationFailed, `audit event ${seq} is unreadable; run verify`);
  }
  return {
    seq,
    ts: String(parsed['ts']),
    actor: String(parsed['actor']),
    role: parsed['role'] as AuditRole,
    action: String(parsed['action']),
    subject: String(parsed['subject']),
    payload: (parsed['payload'] ?? {}) as JsonObject,
    prevHash: String(parsed['prevHash']),
    hash,
  };
}

function checkCursor(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AuditInputError(`${name} must be a whole number >= 0`);
  }
  return value;
}

/** One query per action of an expanded family (or one query), each with `action = ?` in place of IN. */
function perAction(q: Compiled): Array<{ where: ReadonlyArray<string>; params: ReadonlyArray<string | bigint> }> {
  if (q.actions === null) return [{ where: q.where, params: q.params }];
  const inAt = q.where.findIndex((w) => w.startsWith('e.action IN ('));
  const before = q.where.slice(0, inAt).reduce((n, w) => n + (w.match(/\?/g)?.length ?? 0), 0);
  return q.actions.map((action) => ({
    where: q.where.map((w, i) => (i === inAt ? 'e.action = ?' : w)),
    params: [...q.params.slice(0, before), action, ...q.params.slice(before + (q.actions?.length ?? 0))],
  }));
}

/** Fetches one page of events matching a filter. */
export function searchEvents(db: Db, cache: StatementCache, features: AuditFeatures, request: AuditSearchRequest): AuditPage {
  const order = request.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new AuditInputError('order must be asc or desc');
  const limit = request.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new AuditInputError(`limit must be 1..${MAX_LIMIT}`);
  const afterSeq = checkCursor('afterSeq', request.afterSeq);
  const beforeSeq = checkCursor('beforeSeq', request.beforeSeq);
  const atSeq = checkCursor('atSeq', request.atSeq);
  if ([afterSeq, beforeSeq, atSeq].filter((c) => c !== undefined).length > 1) {
    throw new AuditInputError('give at most one of afterSeq, beforeSeq, atSeq');
  }
  const q = compile(db, cache, features, request);
  const count = request.withCount ? countEvents(db, cache, features, request) : null;
  if (q.empty) return { events: [], hasOlder: false, hasNewer: false, count };

  // Walk up (towards newer) or down from the cursor, one row more than the page to learn if more follow.
  const { lo, hi } = q.range;
  let walkUp: boolean;
  let cursor: { readonly lo: number; readonly hi: number };
  if (afterSeq !== undefined) [walkUp, cursor] = [true, { lo: afterSeq + 1, hi }];
  else if (beforeSeq !== undefined) [walkUp, cursor] = [false, { lo, hi: beforeSeq - 1 }];
  else if (atSeq !== undefined) {
    walkUp = order === 'asc';
    cursor = walkUp ? { lo: atSeq, hi } : { lo, hi: atSeq };
  } else [walkUp, cursor] = [order === 'asc', { lo, hi }];
  const between = `${q.seq} >= ? AND ${q.seq} <= ?`;
  const within = (a: number, b: number): [number, number] => [Math.max(lo, a), Math.min(hi, b)];

  const parts = perAction(q);
  const fetched: Array<[number, string, string]> = [];
  for (const part of parts) {
    const sql = `SELECT e.seq, e.record, e.hash FROM ${q.from}${whereClause([...part.where, between])} ORDER BY ${q.seq} ${walkUp ? 'ASC' : 'DESC'} LIMIT ?`;
    const [a, b] = within(cursor.lo, cursor.hi);
    if (a > b) continue;
    fetched.push(...(prepared(db, cache, sql).raw(true).all(...part.params, seqParam(a), seqParam(b), limit + 1) as Array<[number, string, string]>));
  }
  if (parts.length > 1) fetched.sort((x, y) => (walkUp ? x[0] - y[0] : y[0] - x[0]));
  const more = fetched.length > limit;
  const page = fetched.slice(0, limit);

  const existsBetween = (from: number, to: number): boolean => {
    const [a, b] = within(from, to);
    if (a > b) return false;
    return parts.some((part) => {
      // Walking up from the low end finds the first match without reading the rest.
      const existsSql = `SELECT 1 FROM ${q.from}${whereClause([...part.where, between])} ORDER BY ${q.seq} ASC LIMIT 1`;
      return prepared(db, cache, existsSql).pluck().get(...part.params, seqParam(a), seqParam(b)) !== undefined;
    });
  };
  let hasOlder: boolean;
  let hasNewer: boolean;
  const first = page[0];
  const last = page[page.length - 1];
  if (first && last) {
    const lowest = walkUp ? first[0] : last[0];
    const highest = walkUp ? last[0] : first[0];
    hasOlder = walkUp ? existsBetween(1, lowest - 1) : more;
    hasNewer = walkUp ? more : existsBetween(highest + 1, Number.MAX_SAFE_INTEGER);
  } else {
    // Nothing past the cursor in the walking direction; look the other way from it.
    hasOlder = walkUp && cursor.lo > 1 ? existsBetween(1, cursor.lo - 1) : false;
    hasNewer = !walkUp && cursor.hi < Number.MAX_SAFE_INTEGER ? existsBetween(cursor.hi + 1, Number.MAX_SAFE_INTEGER) : false;
  }
  const events = page.map(([seq, record, hash]) => eventFromRow(seq, record, hash));
  if (walkUp !== (order === 'asc')) events.reverse();
  return { events, hasOlder, hasNewer, count };
}

/** Counts the events matching a filter. */
export function countEvents(db: Db, cache: StatementCache, features: AuditFeatures, filter: AuditFilter): number {
  const q = compile(db, cache, features, filter);
  if (q.empty) return 0;
  // Only a time range, or nothing: seqs have no gaps, so the count is arithmetic on the last seq.
  if (q.where.length === 0) {
    const last = Number(prepared(db, cache, 'SELECT coalesce(max(seq), 0) FROM events').pluck().get());
    return Math.max(0, Math.min(last, q.range.hi) - q.range.lo + 1);
  }
  const sql = `SELECT count(*) FROM ${q.from}${whereClause([...q.where, `${q.seq} >= ? AND ${q.seq} <= ?`])}`;
  return Number(prepared(db, cache, sql).pluck().get(...q.params, seqParam(q.range.lo), seqParam(q.range.hi)));
}

/** Counts the events matching a filter per action, most frequent first. */
export function countByAction(db: Db, cache: StatementCache, features: AuditFeatures, filter: AuditFilter): ReadonlyArray<ActionCount> {
  const q = compile(db, cache, features, filter);
  if (q.empty) return [];
  if (q.where.length === 0 && features.actionCounts) {
    const kept = prepared(db, cache, 'SELECT action, events AS count FROM action_counts WHERE events > 0 ORDER BY events DESC, action').all() as Array<{
      action: string;
      count: number;
    }>;
    if (q.range.lo === 1 && q.range.hi === Number.MAX_SAFE_INTEGER) return kept.map((r) => ({ action: r.action, count: Number(r.count) }));
    // A time range alone: count each action's index entries in the seq range, never touching the rows.
    const inRange = prepared(db, cache, 'SELECT count(*) FROM events WHERE action = ? AND seq >= ? AND seq <= ?').pluck();
    return kept
      .map((r) => ({ action: r.action, count: Number(inRange.get(r.action, seqParam(q.range.lo), seqParam(q.range.hi))) }))
      .filter((c) => c.count > 0)
      .sort((a, b) => b.count - a.count || (a.action < b.action ? -1 : 1));
  }
  const sql = `SELECT e.action AS action, count(*) AS count FROM ${q.from}${whereClause([...q.where, `${q.seq} >= ? AND ${q.seq} <= ?`])} GROUP BY e.action ORDER BY count DESC, action`;
  const rows = prepared(db, cache, sql).all(...q.params, seqParam(q.range.lo), seqParam(q.range.hi)) as Array<{ action: string; count: number }>;
  return rows.map((r) => ({ action: r.action, count: Number(r.count) }));
}

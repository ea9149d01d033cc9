/**
 * What an audit event is: its fields, the closed set of roles that may appear in it, the known actions,
 * and the validation every event passes before it is hashed into the chain.
 */
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { Role } from '../../../shared/model/domain';

/**
 * Who acted, as recorded in an audit event.
 *
 * - `reviewer`, `auditor`, `lead`: an unlocked operator in that role (shared/model/domain `Role`).
 * - `system`: Gatehouse itself (discovery, scheduled checkpoints, its own key handling).
 * - `agent`: the AI agent that proposed a change (imports, agent-supplied metadata).
 * - `tool`: an outside tool writing through `gatehouse audit append` (CI jobs, scanners).
 */
// A plain list rather than a zod enum: the audit log is on `gatehouse audit append`'s start-up path, and
// loading zod (with every locale) costs more than the append itself.
const ROLE_LIST = ['reviewer', 'auditor', 'lead', 'system', 'agent', 'tool'] as const;
export type AuditRole = (typeof ROLE_LIST)[number];
// Every operator Role is an audit role: this fails to compile if shared/model/domain gains one.
const operatorRolesCovered: Exclude<Role, AuditRole> extends never ? true : never = true;
void operatorRolesCovered;

/** The audit roles, with the two zod-like calls callers use. */
export const AuditRole = {
  options: ROLE_LIST,
  safeParse(value: unknown): { readonly success: true; readonly data: AuditRole } | { readonly success: false } {
    return typeof value === 'string' && (ROLE_LIST as ReadonlyArray<string>).includes(value)
      ? { success: true, data: value as AuditRole }
      : { success: false };
  },
} as const;

/** Every role an audit event may carry. */
export const AUDIT_ROLES: ReadonlyArray<AuditRole> = ROLE_LIST;

/** Actions Gatehouse itself records; outside tools may append any name matching {@link ACTION_PATTERN}. */
export const AUDIT_ACTIONS = [
  'proposal.discovered',
  'analysis.completed',
  'sandbox.run',
  'sandbox.exec',
  'approval.minted',
  'approval.revoked',
  'decision.rejected',
  'apply.completed',
  'apply.refused',
  'checkpoint.created',
  'rollback.completed',
  'policy.changed',
  'operator.created',
  'unlock.failed',
  'repository.added',
  'audit.unsealed-found',
] as const;

/** One of Gatehouse's own actions. */
export type KnownAuditAction = (typeof AUDIT_ACTIONS)[number];

/** The shape of an action name: lower-case dotted words, e.g. `approval.minted`, `ci.scan-finished`. */
export const ACTION_PATTERN = /^[a-z]+(\.[a-z-]+)+$/;

/** Longest accepted action name. */
export const MAX_ACTION_LENGTH = 100;
/** Longest accepted actor. */
export const MAX_ACTOR_LENGTH = 200;
/** Longest accepted subject. */
export const MAX_SUBJECT_LENGTH = 1000;
/** Largest accepted payload, in UTF-8 bytes of its canonical JSON. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Deepest accepted payload nesting. */
export const MAX_PAYLOAD_DEPTH = 32;

/** A JSON value as a payload may hold it. */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | JsonObject;
/** A JSON object. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** What a caller supplies to record an event; seq, time and hashes are added by the store. */
export interface AuditEventInput {
  readonly actor: string;
  readonly role: AuditRole;
  readonly action: string;
  readonly subject: string;
  /** Any JSON object; defaults to `{}`. */
  readonly payload?: JsonObject;
}

/** One event as stored in the chain. */
export interface AuditEvent {
  /** Position in the chain, from 1, without gaps. */
  readonly seq: number;
  /**
   * RFC 3339 UTC time from the store's clock, millisecond precision (`2025-01-02T03:04:05.678Z`). Never
   * earlier than the previous event's: a clock that steps back is held at the last time recorded.
   */
  readonly ts: string;
  readonly actor: string;
  readonly role: AuditRole;
  readonly action: string;
  readonly subject: string;
  readonly payload: JsonObject;
  /** The previous event's hash; {@link GENESIS_HASH} for seq 1. */
  readonly prevHash: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of every field above. */
  readonly hash: string;
}

/** Raised when an event, query or file given to the audit store is not acceptable. */
export class AuditInputError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.InvalidInput, message, details);
  }
}

// A lone UTF-16 surrogate cannot be stored as UTF-8 by SQLite (it becomes U+FFFD), so the bytes read back
// would no longer hash to the stored value; RFC 8785 §3.2.2.2 also requires well-formed strings. With the
// `u` flag this class only matches surrogates that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F]/;

/** Whether a string is well-formed Unicode (no lone surrogates). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function checkLabel(name: string, value: unknown, min: number, max: number): string {
  if (typeof value !== 'string') throw new AuditInputError(`${name} must be a string`);
  if (value.length < min) throw new AuditInputError(`${name} must not be empty`);
  if (value.length > max) throw new AuditInputError(`${name} must be at most ${max} characters`);
  if (!isWellFormedText(value)) throw new AuditInputError(`${name} contains a lone UTF-16 surrogate`);
  if (CONTROL_CHARACTER.test(value)) throw new AuditInputError(`${name} must not contain control characters`);
  return value;
}

/** Checks an action name against {@link ACTION_PATTERN}; returns it. */
export function checkAction(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_ACTION_LENGTH || !ACTION_PATTERN.test(value)) {
    throw new AuditInputError(
      `action must look like "area.verb" (lower-case words joined by dots, e.g. approval.minted), at most ${MAX_ACTION_LENGTH} characters`,
    );
  }
  return value;
}

/** Checks a role against {@link AUDIT_ROLES}; returns it. */
export function checkRole(value: unknown): AuditRole {
  const parsed = AuditRole.safeParse(value);
  if (!parsed.success) throw new AuditInputError(`role must be one of ${AUDIT_ROLES.join(', ')}`);
  return parsed.data;
}

/** Checks an actor name; returns it. */
export function checkActor(value: unknown): string {
  return checkLabel('actor', value, 1, MAX_ACTOR_LENGTH);
}

/** Checks a subject; returns it. */
export function checkSubject(value: unknown): string {
  return checkLabel('subject', value, 0, MAX_SUBJECT_LENGTH);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_PAYLOAD_DEPTH) throw new AuditInputError(`payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels at ${path}`);
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditInputError(`payload ${path} is not a finite number`);
    return;
  }
  if (typeof value === 'string') {
    if (!isWellFormedText(value)) throw new AuditInputError(`payload ${path} contains a lone UTF-16 surrogate`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => checkJson(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (!isWellFormedText(key)) throw new AuditInputError(`payload key at ${path} contains a lone UTF-16 surrogate`);
      checkJson(item, `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw new AuditInputError(`payload ${path} is not JSON (${typeof value})`);
}

/**
 * Checks that a payload is a plain JSON object the chain can hash and store losslessly.
 *
 * Rejects what JSON or RFC 8785 cannot carry faithfully: undefined, functions, symbols, bigints, NaN and
 * infinities, class instances (Dates, Maps...), lone surrogates, and anything nested deeper than
 * {@link MAX_PAYLOAD_DEPTH}. The size limit is checked on the canonical form by the store.
 */
export function checkPayload(value: unknown): JsonObject {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !isPlainObject(value)) {
    throw new AuditInputError('payload must be a JSON object');
  }
  checkJson(value, '$', 0);
  return value as JsonObject;
}

/** Validates an event as a caller gave it, returning a normalised copy. */
export function checkEventInput(input: unknown): Required<AuditEventInput> {
  if (input === null || typeof input !== 'object') throw new AuditInputError('an audit event must be an object');
  const event = input as Record<string, unknown>;
  return {
    actor: checkActor(event['actor']),
    role: checkRole(event['role']),
    action: checkAction(event['action']),
    subject: checkSubject(event['subject']),
    payload: checkPayload(event['payload']),
  };
}

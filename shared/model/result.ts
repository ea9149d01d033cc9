/**
 * The Result envelope every IPC call and core use case returns.
 *
 * Electron keeps only an error's message across IPC, so failures travel as data with a stable `code`
 * from {@link ErrorCode}; stack traces never leave the main process.
 */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ResultError };

/** A failure as the renderer and the CLI see it. */
export interface ResultError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Optional structured detail (e.g. which policy condition failed); always plain JSON. */
  readonly details?: unknown;
}

const GATEHOUSE_ERROR = Symbol.for('gatehouse.GatehouseError');

/** Every error code a Gatehouse call can return. */
export const ErrorCode = {
  /** Input failed the contract's schema. */
  InvalidInput: 'INVALID_INPUT',
  /** The channel is not part of the contract. */
  UnknownChannel: 'UNKNOWN_CHANNEL',
  /** The IPC sender is not our window, top frame and origin. */
  ForbiddenSender: 'FORBIDDEN_SENDER',
  /** No unlocked operator session. */
  Locked: 'LOCKED',
  /** The operator's role may not do this. */
  ForbiddenRole: 'FORBIDDEN_ROLE',
  /** A referenced thing does not exist. */
  NotFound: 'NOT_FOUND',
  /** The request conflicts with current state (head moved, dirty tree, merge conflict...). */
  Conflict: 'CONFLICT',
  /** Hostile or malformed content was refused (bad path, symlink escape, bad patch...). */
  Refused: 'REFUSED',
  /** The policy gate refused. */
  PolicyDenied: 'POLICY_DENIED',
  /** A policy file is missing or invalid. */
  PolicyInvalid: 'POLICY_INVALID',
  /** Signature, token or chain verification failed. */
  VerificationFailed: 'VERIFICATION_FAILED',
  /** Too many attempts; try later. */
  RateLimited: 'RATE_LIMITED',
  /** A required outside service (Docker) is not reachable. */
  Unavailable: 'UNAVAILABLE',
  /** The operation was cancelled. */
  Cancelled: 'CANCELLED',
  /** Anything unexpected; the message is safe to show, the detail stays in main's log. */
  Internal: 'INTERNAL',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Wraps a value as a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failed Result. */
export function err<T = never>(code: ErrorCode, message: string, details?: unknown): Result<T> {
  return details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };
}

/**
 * The base class for typed errors thrown inside services and core.
 *
 * The IPC edge and the CLI turn it into a {@link ResultError} with its code; any other thrown value
 * becomes {@link ErrorCode.Internal}.
 */
export class GatehouseError extends Error {
  /** The brand {@link isGatehouseError} reads (a registered symbol: the same in every bundle). */
  readonly [GATEHOUSE_ERROR] = true;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Whether `value` is a {@link GatehouseError} from any copy of this module. The CLI ships as several
 * bundles (its entry and one per command, build/build.mjs), each with its own copy of the class, so an
 * error a command throws fails `instanceof` against the entry's copy; the brand is a `Symbol.for`
 * symbol, which every copy shares.
 */
export function isGatehouseError(value: unknown): value is GatehouseError {
  return value instanceof GatehouseError || (value instanceof Error && (value as unknown as Record<symbol, unknown>)[GATEHOUSE_ERROR] === true && typeof (value as { code?: unknown }).code === 'string');
}

/** Closes a union: a compile error if a case is missed, a throw if one arrives at run time. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

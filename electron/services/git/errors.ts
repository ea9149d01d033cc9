/**
 * Typed errors of the git service. Each carries an {@link ErrorCode} so the IPC edge and the CLI can
 * report it without a stack trace.
 */
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

/** A path from a tree, a diff, an import or a symlink target was refused. */
export class UnsafePathError extends GatehouseError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(ErrorCode.Refused, `refused path ${JSON.stringify(path)}: ${reason}`, { path, reason });
  }
}

/** Hostile or malformed content (bad patch, oversize change set, corrupt object) was refused. */
export class GitRefusedError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.Refused, message, details);
  }
}

/** The repository is not in the state the request needs (head moved, dirty tree, merge conflict...). */
export class GitConflictError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.Conflict, message, details);
  }
}

/** A repository, ref, object, path or checkpoint does not exist. */
export class GitNotFoundError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.NotFound, message, details);
  }
}

/** The caller's input is malformed (bad oid, bad ref name, schema violation). */
export class GitInvalidInputError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.InvalidInput, message, details);
  }
}

/** The repository uses a format this service does not read (split index, SHA-256 objects...). */
export class GitUnsupportedError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.Unavailable, message, details);
  }
}

/**
 * Typed errors of the sandbox service.
 */
import { GatehouseError, type ErrorCode } from '../../../shared/model/result';

/** A sandbox request was refused or could not be served; `code` says why. */
export class SandboxError extends GatehouseError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message, details);
  }
}

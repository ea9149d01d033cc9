/**
 * Output and exit codes shared by every `gatehouse` command.
 *
 * Exit codes scripts and CI rely on: 0 ok, 1 a check failed, 2 usage or input error.
 */
import { ErrorCode, GatehouseError } from '../../shared/model/result';

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a check ran and failed (verification, policy, gate). */
export const EXIT_CHECK_FAILED = 1;
/** Exit code: bad usage or bad input. */
export const EXIT_USAGE = 2;

/** Raised by a command to end with a given exit code and message. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly json?: unknown,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** Prints a command's result: the JSON value with `--json`, otherwise the text. */
export function emit(json: boolean, value: unknown, text: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const out = text();
    if (out.length > 0) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  }
}

/** Maps an error to the exit code a script should see. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliExit) return error.exitCode;
  if (error instanceof GatehouseError) {
    switch (error.code) {
      case ErrorCode.VerificationFailed:
      case ErrorCode.PolicyDenied:
      case ErrorCode.PolicyInvalid:
        return EXIT_CHECK_FAILED;
      case ErrorCode.Internal:
      case ErrorCode.Unavailable:
        return EXIT_CHECK_FAILED;
      default:
        return EXIT_USAGE;
    }
  }
  return EXIT_CHECK_FAILED;
}

/** Reports an error on stderr (or stdout as JSON with `--json`) and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  const code = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  const errorCode = error instanceof GatehouseError ? error.code : error instanceof CliExit ? undefined : ErrorCode.Internal;
  if (json) {
    const body = error instanceof CliExit && error.json !== undefined ? error.json : { ok: false, code: errorCode, message };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else process.stderr.write(`gatehouse: ${message}\n`);
  return code;
}

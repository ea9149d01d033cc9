/**
 * Output and exit codes shared by every `gatehouse` command.
 *
 * Exit codes scripts and CI rely on: 0 ok, 1 a check failed, 2 usage or input error.
 */
import { ErrorCode, isGatehouseError } from '../../shared/model/result';

const CLI_EXIT = Symbol.for('gatehouse.CliExit');

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a check ran and failed (verification, policy, gate). */
export const EXIT_CHECK_FAILED = 1;
/** Exit code: bad usage or bad input. */
export const EXIT_USAGE = 2;

/** Raised by a command to end with a given exit code and message. */
export class CliExit extends Error {
  /** The brand {@link isCliExit} reads: commands are bundles of their own (see isGatehouseError). */
  readonly [CLI_EXIT] = true;

  constructor(
    readonly exitCode: number,
    message: string,
    readonly json?: unknown,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** Whether `value` is a {@link CliExit} from any bundle's copy of this module. */
function isCliExit(value: unknown): value is CliExit {
  return value instanceof CliExit || (value instanceof Error && (value as unknown as Record<symbol, unknown>)[CLI_EXIT] === true && typeof (value as { exitCode?: unknown }).exitCode === 'number');
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
  if (isCliExit(error)) return error.exitCode;
  if (isGatehouseError(error)) {
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
  const errorCode = isGatehouseError(error) ? error.code : isCliExit(error) ? undefined : ErrorCode.Internal;
  if (json) {
    const body = isCliExit(error) && error.json !== undefined ? error.json : { ok: false, code: errorCode, message };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else process.stderr.write(`gatehouse: ${message}\n`);
  return code;
}

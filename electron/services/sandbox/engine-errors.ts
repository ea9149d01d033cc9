/**
 * Telling an unreachable Docker Engine from an engine that answered with an error, and bounding
 * how long an engine call may take.
 */

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
  'ENGINE_TIMEOUT',
]);

/** A Node system error's `code` (ENOENT, ECONNREFUSED...), if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** The HTTP status of an engine error (docker-modem sets `statusCode`), if any. */
export function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number'
    ? error.statusCode
    : undefined;
}

/** The engine's own message for an HTTP error, or the error's message. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'json' in error) {
    const json = error.json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') return json.message.trim();
  }
  return error instanceof Error ? error.message : String(error);
}

/** A connection-level failure (no socket, refused, timed out), as opposed to an HTTP error from a live engine. */
export function isUnreachable(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return true;
  return statusCode(error) === undefined && /socket hang up|connect|timed out/i.test(engineMessage(error));
}

/** Rejects with code ENGINE_TIMEOUT when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: 'ENGINE_TIMEOUT' }));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Inflating many small zlib streams of known size (pack entries) through one reused zlib handle.
 *
 * A review diff inflates a couple of thousand pack entries of a few kilobytes each. `inflateSync`
 * builds a whole `zlib.Inflate` stream (a native handle, zlib's 7 KiB state and 32 KiB window, a
 * Transform's bookkeeping) for each of them and throws it away: measured here, about three quarters of
 * its cost per small object is that construction, not the inflating. Node offers no public way to
 * reuse a handle synchronously, so this module keeps one `zlib.Inflate` instance and drives its native
 * handle directly, as Node's own `processChunkSync` does: `_handle.writeSync(flush, in, inOff, inLen,
 * out, outOff, outLen)`, the amounts left in `_writeState` ([availOut, availIn]), `_handle.reset()`
 * between streams, and an `onerror` of ours so a zlib error is recorded instead of destroying the
 * stream.
 *
 * Those are Node internals (stable since Node 12, but not promised), hence: a check when this module
 * loads that inflates a known stream, a known corrupt stream and a known truncated one through them and
 * gets exactly the expected answers; and `inflateSync` as the fallback whenever the internals are
 * missing or answer anything else. Both paths give the same results and the same typed errors.
 *
 * What a caller gets is checked as git checks a pack entry: the output buffer is the declared size
 * plus one byte, so a stream that inflates to more than it declared (a zip bomb declared small) stops
 * there and is refused without allocating what it would have become; the stream must end (zlib's
 * Z_STREAM_END, which zlib returns only after the Adler-32 of the output matched); and the size must
 * be exact. After any error the handle is closed and a fresh one made for the next stream, so no state
 * of a hostile stream carries over.
 */
import zlib from 'node:zlib';
import { GitRefusedError } from './errors';

/** Why a stream was refused: it ended early (more input may help), it is corrupt, or its size is wrong. */
export type InflateFailure = 'truncated' | 'corrupt' | 'size';

/** A zlib stream that could not be inflated to exactly its declared size. */
export class InflateError extends GitRefusedError {
  constructor(
    readonly failure: InflateFailure,
    message: string,
  ) {
    super(`zlib stream refused: ${message}`, { failure });
  }
}

/** The parts of Node's native zlib handle used here (see the module comment). */
interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

/** One reusable native inflater. */
interface Inflater {
  readonly handle: NativeHandle;
  /** [bytes of output space left, bytes of input left] after the last write. */
  readonly state: Uint32Array;
  /** The message of the error zlib reported during the last write, if any. */
  error: string | null;
  errno: number;
}

function createInflater(): Inflater | null {
  const stream = zlib.createInflate() as unknown as { _handle?: unknown; _writeState?: unknown };
  const handle = stream._handle as Partial<NativeHandle> | undefined;
  const state = stream._writeState;
  if (handle === undefined || handle === null || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || typeof handle.close !== 'function') return null;
  if (!(state instanceof Uint32Array) || state.length < 2) return null;
  const inflater: Inflater = { handle: handle as NativeHandle, state, error: null, errno: 0 };
  // Ours instead of Node's (which destroys the stream and emits 'error' later): record, and let the
  // caller throw and discard the handle.
  inflater.handle.onerror = (message: string, errno: number) => {
    inflater.error = message;
    inflater.errno = errno;
  };
  return inflater;
}

let current: Inflater | null = null;
let forceFallback = false;

function discard(inflater: Inflater): void {
  if (current === inflater) current = null;
  try {
    inflater.handle.close();
  } catch {
    // Already closed: nothing holds it.
  }
}

const Z_BUF_ERROR = -5;

function viaHandle(input: Uint8Array, size: number): Buffer {
  const inflater = current ?? createInflater();
  if (inflater === null) return viaInflateSync(input, size);
  current = inflater;
  // One byte more than declared: a stream that has more to give fills it, and is refused.
  const out = Buffer.allocUnsafe(size + 1);
  inflater.error = null;
  inflater.handle.writeSync(zlib.constants.Z_FINISH, input, 0, input.length, out, 0, size + 1);
  if (inflater.error !== null) {
    const { error, errno } = inflater;
    discard(inflater);
    // Z_BUF_ERROR with output space left under Z_FINISH: the input ran out before the stream ended.
    throw new InflateError(errno === Z_BUF_ERROR ? 'truncated' : 'corrupt', error);
  }
  const produced = size + 1 - (inflater.state[0] as number);
  if (produced > size) {
    discard(inflater);
    throw new InflateError('size', `inflates to more than the ${size} bytes declared`);
  }
  // Under Z_FINISH zlib stops with output space left only at the stream's end (after the Adler-32
  // check) or on an error (reported above): this stream ended.
  inflater.handle.reset();
  if (produced !== size) throw new InflateError('size', `inflates to ${produced} bytes, not the ${size} declared`);
  return out.subarray(0, size);
}

function viaInflateSync(input: Uint8Array, size: number): Buffer {
  let data: Buffer;
  try {
    // An output chunk of exactly the declared size plus one, and no more than that allowed.
    data = zlib.inflateSync(input, { maxOutputLength: size + 1, chunkSize: Math.max(size + 1, 64) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new InflateError('size', `inflates to more than the ${size} bytes declared`);
    const message = error instanceof Error ? error.message : String(error);
    throw new InflateError(code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt', message);
  }
  if (data.length > size) throw new InflateError('size', `inflates to more than the ${size} bytes declared`);
  if (data.length !== size) throw new InflateError('size', `inflates to ${data.length} bytes, not the ${size} declared`);
  return data;
}

/**
 * Inflates the zlib stream at the start of `input` (bytes after its end are ignored) to exactly `size`
 * bytes; an {@link InflateError} when it is corrupt, ends early, or inflates to any other size.
 */
export function inflateExact(input: Uint8Array, size: number): Buffer {
  return usable && !forceFallback ? viaHandle(input, size) : viaInflateSync(input, size);
}

/** Whether the reused native handle is in use (false: every stream goes through `inflateSync`). */
export function inflateUsesNativeHandle(): boolean {
  return usable && !forceFallback;
}

/** For the tests: send every stream through the `inflateSync` fallback (true) or not (false). */
export function forceInflateFallback(force: boolean): void {
  forceFallback = force;
}

/** Whether the native handle gives exactly `inflateSync`'s answers on known streams (checked once). */
function probe(): boolean {
  const first = createInflater();
  if (first === null) return false;
  current = first;
  try {
    const text = Buffer.from('gatehouse probe: one handle, many streams\n'.repeat(4));
    const good = zlib.deflateSync(text);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] as number) ^ 0xff; // breaks the Adler-32
    const agrees = (fn: () => void, failure: InflateFailure | null): boolean => {
      try {
        fn();
        return failure === null;
      } catch (error) {
        return error instanceof InflateError && error.failure === failure;
      }
    };
    const same = (): void => {
      // Twice, with trailing bytes: the handle must reset between streams and stop at a stream's end.
      for (let i = 0; i < 2; i += 1) {
        if (!viaHandle(Buffer.concat([good, Buffer.from('next entry')]), text.length).equals(text)) throw new Error('differs');
      }
    };
    return (
      agrees(same, null) &&
      agrees(() => viaHandle(corrupt, text.length), 'corrupt') &&
      agrees(() => viaHandle(good.subarray(0, good.length - 6), text.length), 'truncated') &&
      agrees(() => viaHandle(good, text.length - 1), 'size') &&
      agrees(() => viaHandle(good, text.length + 1), 'size') &&
      agrees(same, null)
    );
  } catch {
    return false;
  } finally {
    if (current !== null) discard(current);
  }
}

const usable = probe();

/**
 * Calls over `window.gatehouse`, turning a failed Result into a thrown {@link GatehouseCallError} so
 * react-query's error states carry the error code and message (never a stack trace).
 */
import type { Channel, ChannelInput, ChannelOutput, GatehouseApi } from '../../shared/ipc/contract';
import { ErrorCode, type Result } from '../../shared/model/result';

/** A refused or failed call, with the Result's code. */
export class GatehouseCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly channel: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'GatehouseCallError';
  }
}

/** The API the preload or the bridge installed, or a call error saying it is missing. */
export function gatehouseApi(channel: string): GatehouseApi {
  const api = window.gatehouse;
  if (api === undefined) {
    throw new GatehouseCallError(
      ErrorCode.Unavailable,
      'window.gatehouse is missing: open the console through Gatehouse (npm start), not as a plain page',
      channel,
    );
  }
  return api;
}

/** Calls one channel and returns its value, or throws a {@link GatehouseCallError}. */
export async function call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const api = gatehouseApi(channel);
  let result: Result<ChannelOutput<C>>;
  try {
    result = await api.invoke(channel, input);
  } catch (thrown) {
    // invoke() never throws for a refusal; a throw means the bridge itself broke.
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new GatehouseCallError(ErrorCode.Internal, `the call did not reach Gatehouse: ${message}`, channel);
  }
  if (!result.ok) throw new GatehouseCallError(result.error.code, result.error.message, channel, result.error.details);
  return result.value;
}

/** A failure as the console shows it: code and a one-line message. */
export interface ShownError {
  readonly code: string;
  readonly message: string;
}

function isShownError(value: unknown): value is ShownError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Describes anything thrown (or a `{ code, message }` from an event) as code + message, without a stack. */
export function describeError(error: unknown): ShownError {
  if (error instanceof GatehouseCallError || isShownError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: ErrorCode.Internal, message: error.message || error.name };
  return { code: ErrorCode.Internal, message: typeof error === 'string' ? error : 'unknown error' };
}

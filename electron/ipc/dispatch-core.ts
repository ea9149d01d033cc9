/**
 * The dispatcher's checks over a channel table it is given: electron/ipc/dispatch.ts runs them over the
 * whole contract; a command that needs only a few channels (the CLI's `rollback`) runs them over those
 * channels' own definitions from shared/ipc/channels, without building every other channel's schemas.
 *
 * In order: the sender must be our window's top frame on our origin (VS Code's validatedIpcMain);
 * the channel must be in the table; the input must parse with the channel's schema (Mattermost's
 * ipcValidate); the unlocked operator's role must be allowed — roles come from the session held in
 * main, never from the renderer. The answer is always a Result, because Electron keeps only an
 * error's message across IPC (Signal's sql_channel); stack traces stay in main's log.
 */
import { ZodError } from 'zod';
import type { Access, ChannelDefinition } from '../../shared/ipc/define';
import type { CallerRole } from '../../shared/model/domain';
import { ErrorCode, GatehouseError, err, ok, type Result } from '../../shared/model/result';

/** Who is calling, as the shell (Electron or the bridge) saw it. */
export interface SenderInfo {
  /** The call came from the window (webContents / page) we created. */
  readonly fromOurWindow: boolean;
  /** The call came from that window's top frame, not an iframe. */
  readonly fromTopFrame: boolean;
  /** The frame's origin, e.g. `app://gatehouse`. */
  readonly origin: string;
}

/** The operator a call runs as, from the session held in main. */
export interface CallerSession {
  /** The operator's id, or the agent's id for role `agent`. */
  readonly operatorId: string;
  readonly name: string;
  readonly role: CallerRole;
}

/** What a handler receives besides its input. */
export interface CallContext {
  /** The unlocked operator, or null. Channels with access other than `public` always get one. */
  readonly session: CallerSession | null;
}

/** Where dispatch reports what it refused or what broke. */
export interface DispatchLogger {
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

/** Dispatches one untrusted call. Never throws. */
export type Dispatch = (sender: SenderInfo, channel: unknown, input: unknown) => Promise<Result<unknown>>;

/** A handler as the checks call it: its input parsed by the channel's schema. */
export type UntypedHandler = (input: never, context: CallContext) => unknown;

/** Options of {@link createChannelDispatcher}: a handler for every channel of the table. */
export interface ChannelDispatcherOptions<T extends Readonly<Record<string, ChannelDefinition>>> {
  readonly handlers: { readonly [C in keyof T]: UntypedHandler };
  /** Origins our renderer is served from (`app://gatehouse`, the bridge's origin). */
  readonly allowedOrigins: ReadonlyArray<string>;
  /** The current session; called on every call so an idle lock takes effect at once. */
  readonly session: () => CallerSession | null;
  /** Called before every non-public call: an operator's activity postpones the idle lock. */
  readonly touch?: () => void;
  readonly logger: DispatchLogger;
}

/** Describes who may call, for refusal messages. */
export function describeAccess(access: Access): string {
  if (access === 'public') return 'anyone';
  if (access === 'session') return 'any unlocked operator';
  return access.length === 1 ? `a ${access[0]}` : `a ${access.slice(0, -1).join(', ')} or ${access.at(-1)}`;
}

function zodMessage(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`)
    .join('; ');
}

/** Builds the dispatcher over a channel table and its handlers. */
export function createChannelDispatcher<T extends Readonly<Record<string, ChannelDefinition>>>(table: T, options: ChannelDispatcherOptions<T>): Dispatch {
  const origins = new Set(options.allowedOrigins);
  const isChannel = (name: unknown): name is keyof T & string => typeof name === 'string' && Object.prototype.hasOwnProperty.call(table, name);
  return async function dispatch(sender, channelName, rawInput) {
    if (!sender.fromOurWindow || !sender.fromTopFrame || !origins.has(sender.origin)) {
      options.logger.warn('refused IPC from an unexpected sender', { sender, channel: String(channelName).slice(0, 100) });
      return err(ErrorCode.ForbiddenSender, 'calls are accepted only from the Gatehouse window');
    }
    if (!isChannel(channelName)) {
      return err(ErrorCode.UnknownChannel, `unknown channel: ${String(channelName).slice(0, 100)}`);
    }
    const definition = table[channelName] as ChannelDefinition;
    // Deny by default for agents, before anything else: only channels that name `agent` — not
    // public ones, not `session` ones.
    const caller = options.session();
    if (caller?.role === 'agent' && (typeof definition.access === 'string' || !definition.access.includes('agent'))) {
      options.logger.warn('refused a channel to an agent', { channel: channelName, agent: caller.name });
      return err(ErrorCode.ForbiddenRole, `${channelName} is not open to agents; ${caller.name} is an agent`);
    }
    const parsed = definition.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      return err(ErrorCode.InvalidInput, `${channelName}: ${zodMessage(parsed.error)}`);
    }
    const access = definition.access;
    let session = options.session();
    if (access !== 'public') {
      if (session === null) return err(ErrorCode.Locked, `${channelName} needs an unlocked operator`);
      if (access !== 'session' && !access.includes(session.role)) {
        return err(
          ErrorCode.ForbiddenRole,
          `${channelName} needs ${describeAccess(access)}; ${session.name} is a ${session.role}`,
        );
      }
      options.touch?.();
      session = options.session();
    }
    try {
      const handler = options.handlers[channelName] as UntypedHandler;
      const value = await handler(parsed.data as never, { session });
      const checked = definition.output.safeParse(value);
      if (!checked.success) {
        options.logger.error(`${channelName} returned a value outside its contract`, zodMessage(checked.error));
        return err(ErrorCode.Internal, `${channelName} produced an invalid answer; see the main process log`);
      }
      return ok(checked.data);
    } catch (error) {
      return toResultError(channelName, error, options.logger);
    }
  };
}

/** Turns a thrown value into a failed Result: typed errors keep their code, others become Internal. */
export function toResultError(channelName: string, error: unknown, logger: DispatchLogger): Result<never> {
  if (error instanceof GatehouseError) return err(error.code, error.message, sanitizeDetails(error.details));
  if (error instanceof ZodError) return err(ErrorCode.InvalidInput, `${channelName}: ${zodMessage(error)}`);
  logger.error(`${channelName} failed`, error);
  const message = error instanceof Error ? error.message : String(error);
  return err(ErrorCode.Internal, `${channelName} failed: ${message.split('\n')[0]?.slice(0, 300) ?? 'unknown error'}`);
}

// Details cross into the renderer: keep them plain JSON, never an Error with a stack.
function sanitizeDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(details)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * How core writes to the audit log: every use case records what it did, as whom.
 *
 * The actor and role come from the unlocked session in main (or `system` for the app's own work, such
 * as periodic checkpoints and post-apply rollbacks), never from the renderer.
 */
import type { AuditEvent, AuditRole, AuditStore, JsonObject } from '../services/audit';
import type { SessionManager } from '../services/identity';
import type { EventBus } from './events';

/** One thing core did. */
export interface AuditEntry {
  readonly action: string;
  readonly subject: string;
  readonly payload: JsonObject;
  /** Who, when not the unlocked operator (e.g. `system`, `cli`, an agent's name). */
  readonly actor?: string;
  readonly role?: AuditRole;
}

/** Records audit events. */
export interface AuditTrail {
  record(entry: AuditEntry): AuditEvent;
}

/** An audit trail over the store, taking actor and role from the session unless told otherwise. */
export function createAuditTrail(deps: {
  readonly store: AuditStore;
  readonly sessions: () => SessionManager | null;
  readonly events: EventBus;
  /** Actor when nobody is signed in (`system` in the app, `cli:<user>` in the CLI). */
  readonly defaultActor: string;
}): AuditTrail {
  return {
    record(entry) {
      const session = deps.sessions()?.current() ?? null;
      const event = deps.store.append({
        actor: entry.actor ?? session?.name ?? deps.defaultActor,
        role: entry.role ?? session?.role ?? 'system',
        action: entry.action,
        subject: entry.subject,
        payload: entry.payload,
      });
      deps.events.emit('audit:appended', { seq: event.seq, action: event.action });
      return event;
    },
  };
}

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

/**
 * Action families whose events are sealed (a head signed over them) as soon as they are recorded:
 * decisions, revocations, applies, rollbacks and what follows them, and recoveries of interrupted work.
 * A cut or a rewrite of the log after one of these then contradicts a signed head.
 */
export const SEALING_FAMILIES: ReadonlyArray<string> = ['approval', 'decision', 'apply', 'postapply', 'rollback', 'recovery', 'operator.created'];

/** Whether recording `action` seals the log at once. */
export function sealsOnRecord(action: string): boolean {
  return SEALING_FAMILIES.some((family) => action === family || action.startsWith(`${family}.`));
}

/** Default time between periodic seals of what the app recorded: one minute. */
export const DEFAULT_SEAL_INTERVAL_MS = 60_000;

/**
 * Seals the store's own tail every `intervalMs` (unref'd, so it never keeps a process alive); returns stop.
 *
 * Events recorded between decisions (unlocks, analyses, checkpoints) are so covered by a signed head
 * within a minute; shutdown seals the rest (AuditStore.close).
 */
export function startPeriodicSealing(store: AuditStore, intervalMs: number, warn: (message: string, error: unknown) => void): () => void {
  const timer = setInterval(() => {
    try {
      store.sealOwnTail();
    } catch (error) {
      warn('could not seal the audit log', error);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Records, as the first thing this process writes, that the log already held events after its last signed
 * head when it was opened: a crash between an append and its seal, or rows added or cut while Gatehouse
 * was not running. Sealing later covers them, so this event is what keeps the fact on the record.
 */
export function recordUnsealedAtOpen(trail: AuditTrail, store: AuditStore): void {
  const found = store.unsealedAtOpen;
  if (found === null) return;
  trail.record({
    action: 'audit.unsealed-found',
    subject: 'audit-log',
    actor: 'gatehouse',
    role: 'system',
    payload: { fromSeq: found.fromSeq, toSeq: found.toSeq, lastSignedSeq: found.lastSignedSeq },
  });
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
      if (sealsOnRecord(event.action)) deps.store.sealOwnTail();
      deps.events.emit('audit:appended', { seq: event.seq, action: event.action });
      return event;
    },
  };
}

/**
 * The main → renderer event bus. Core emits; the Electron shell and the Chromium bridge forward
 * each event to their window; the CLI prints some of them (sandbox output).
 */
import { events, type EventName, type EventPayload } from '../../shared/ipc/event-contract';

/** A listener for every event. */
export type AnyEventListener = (name: EventName, payload: unknown) => void;

/** Publishes events to whoever listens. */
export interface EventBus {
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: AnyEventListener): () => void;
}

/** Creates an event bus; payloads are checked against the contract so a bad event fails loudly in tests. */
export function createEventBus(): EventBus {
  const listeners = new Set<AnyEventListener>();
  return {
    emit(name, payload) {
      const parsed = events[name].payload.parse(payload);
      for (const listener of listeners) listener(name, parsed);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

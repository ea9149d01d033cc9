/** Reading what a test's core recorded, from the audit file itself (a reading core would add its own events). */
import { join } from 'node:path';
import type { AuditEvent } from '../../electron/services/audit/events';
import { openAuditStore } from '../../electron/services/audit/store';

/** The audit events of the data directory `dataDir` after seq `after`, oldest first (at most 500). */
export async function auditEventsAfter(dataDir: string, after: number): Promise<AuditEvent[]> {
  const store = await openAuditStore({ file: join(dataDir, 'audit.sqlite'), clock: { now: () => new Date() }, readonly: true });
  try {
    return store.search({ order: 'asc', limit: 500 }).events.filter((e) => e.seq > after);
  } finally {
    store.close();
  }
}

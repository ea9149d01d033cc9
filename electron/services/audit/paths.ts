/**
 * Where the audit log, the workstation key and the heads file live inside a data directory.
 *
 * The app and the `gatehouse audit` CLI both derive them from the folder holding `audit.sqlite`, so they
 * sign with the same key and append to the same heads file.
 */
import { join } from 'node:path';
import { HEADS_FILE } from './chain-heads';

/** The files of one audit log. */
export interface AuditPaths {
  /** The audit SQLite file. */
  readonly file: string;
  /** Folder holding the workstation key. */
  readonly keysDir: string;
  /** Folder holding the heads file (copy it, or point it at storage the auditor controls). */
  readonly headsDir: string;
  /** The heads file itself. */
  readonly headsFile: string;
}

/** The default layout under a data directory: audit.sqlite, keys/, audit-heads/chain-heads.jsonl. */
export function auditPaths(dataDir: string): AuditPaths {
  const headsDir = join(dataDir, 'audit-heads');
  return {
    file: join(dataDir, 'audit.sqlite'),
    keysDir: join(dataDir, 'keys'),
    headsDir,
    headsFile: join(headsDir, HEADS_FILE),
  };
}

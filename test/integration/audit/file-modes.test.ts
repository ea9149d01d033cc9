/**
 * Files at rest are the owner's only (issue 11, item 14): the app and audit databases with their WAL and
 * SHM files, the heads file, exports, and the workstation key, on real files made by a real core.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditExport } from '../../../electron/core/audit-log';
import { createCore } from '../../../electron/core/create-core';
import { createStderrLogger } from '../../../electron/core/logger';
import { openDatabase } from '../../../electron/services/db/sqlite';

const onPosix = process.platform !== 'win32';
let dir: string;
let umask: number;

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-modes-'));
  // The usual default: files 0644 unless the code asks for less.
  umask = process.umask(0o022);
});

afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(onPosix)('data files are created 0600', () => {
  it('app and audit databases, their WAL and SHM files, the heads file, an export and the key', async () => {
    const dataDir = join(dir, 'data');
    const core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: createStderrLogger({ quiet: true }) });
    try {
      core.context.audit.record({ action: 'test.event', subject: 'modes', payload: {} });
      core.context.auditStore.signHead();
      const exported = await auditExport(core.context);
      const files = {
        'gatehouse.sqlite': join(dataDir, 'gatehouse.sqlite'),
        'gatehouse.sqlite-wal': join(dataDir, 'gatehouse.sqlite-wal'),
        'gatehouse.sqlite-shm': join(dataDir, 'gatehouse.sqlite-shm'),
        'audit.sqlite': join(dataDir, 'audit.sqlite'),
        'audit.sqlite-wal': join(dataDir, 'audit.sqlite-wal'),
        'audit.sqlite-shm': join(dataDir, 'audit.sqlite-shm'),
        'chain-heads.jsonl': join(dataDir, 'audit-heads', 'chain-heads.jsonl'),
        export: exported.file,
        'workstation key': join(dataDir, 'keys', 'workstation-ed25519.pem'),
      };
      const modes = Object.fromEntries(Object.entries(files).map(([name, path]) => [name, mode(path)]));
      expect(modes).toEqual(Object.fromEntries(Object.keys(files).map((name) => [name, '600'])));
      expect(mode(join(dataDir, 'keys'))).toBe('700');
      expect(mode(join(dataDir, 'audit-heads'))).toBe('700');
    } finally {
      await core.close();
    }
  });

  it('takes group and other access away from a database an older version left 0644', () => {
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    old.close();
    chmodSync(file, 0o644);
    expect(mode(file)).toBe('644');
    const db = openDatabase({ file });
    db.exec('INSERT INTO t VALUES (1)');
    try {
      for (const name of readdirSync(dir).filter((n) => n.startsWith('old.sqlite'))) expect([name, mode(join(dir, name))]).toEqual([name, '600']);
    } finally {
      db.close();
    }
  });
});

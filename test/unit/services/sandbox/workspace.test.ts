import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/model/result';
import { checkWorkspace, makeReadableBySandbox } from '../../../../electron/services/sandbox/workspace';

describe('checkWorkspace', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a readable tree and returns its real path', async () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.py'), 'print(1)\n');
    // A symlink pointing out of the tree is harmless: inside the container it resolves there.
    symlinkSync('/etc/passwd', join(dir, 'src', 'link'));
    symlinkSync(dir, join(dir, '..', `${dir.split('/').pop()}-link`));
    try {
      expect(await checkWorkspace(`${dir}-link`)).toBe(dir);
    } finally {
      rmSync(`${dir}-link`);
    }
  });

  it.each(['relative/path', '/', '/proc', '/var/run', '/run/user', '/etc', '/dev/shm'])('refuses %s', async (path) => {
    await expect(checkWorkspace(path)).rejects.toMatchObject({ code: ErrorCode.Refused });
  });

  it('refuses a missing directory and a file', async () => {
    await expect(checkWorkspace(join(dir, 'missing'))).rejects.toMatchObject({ code: ErrorCode.NotFound });
    writeFileSync(join(dir, 'file'), '');
    await expect(checkWorkspace(join(dir, 'file'))).rejects.toMatchObject({ code: ErrorCode.Refused });
  });

  it('refuses a tree the sandbox user cannot enter', async () => {
    chmodSync(dir, 0o750);
    await expect(checkWorkspace(dir)).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
  });

  it('refuses a tree holding a socket or a FIFO, however deep', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'a', 'b', 'docker.sock'), resolve));
    try {
      await expect(checkWorkspace(dir)).rejects.toThrow(/holding a socket/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(spawnSync('mkfifo', [join(dir, 'a', 'pipe')]).status).toBe(0);
    await expect(checkWorkspace(dir)).rejects.toThrow(/holding a FIFO/);
  });

  it('makeReadableBySandbox opens a private tree to "other" for reading only', async () => {
    mkdirSync(join(dir, 'sub'), { mode: 0o700 });
    writeFileSync(join(dir, 'sub', 'data'), 'x', { mode: 0o600 });
    writeFileSync(join(dir, 'sub', 'tool'), '#!/bin/sh\n', { mode: 0o700 });
    symlinkSync('/etc/hostname', join(dir, 'sub', 'link'));
    await makeReadableBySandbox(dir);
    const mode = (path: string): number => statSync(join(dir, path)).mode & 0o777;
    expect(mode('sub')).toBe(0o705);
    expect(mode('sub/data')).toBe(0o604);
    expect(mode('sub/tool')).toBe(0o705);
    expect(await checkWorkspace(dir)).toBe(dir);
  });
});

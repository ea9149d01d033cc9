/**
 * A CLI command that never runs a sandbox never reaches the engine: the start-up and shutdown sweeps of
 * stale containers wait for the first real use. The "engine" is a real Unix socket that records every
 * HTTP request line it receives (and answers 500), so what Gatehouse sends is observed, not mocked.
 */
import Dockerode from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxOnFirstUse } from '../../../electron/cli/core-session';
import { createSandbox } from '../../../electron/services/sandbox';

describe('sandboxOnFirstUse', () => {
  let dir: string;
  let server: Server;
  let requests: string[];
  let socketPath: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-sandbox-use-'));
    socketPath = join(dir, 'engine.sock');
    requests = [];
    server = createServer((socket) => {
      socket.on('data', (chunk) => {
        for (const line of chunk.toString('latin1').split('\r\n')) if (/^(GET|POST|DELETE|HEAD) /.test(line)) requests.push(line);
        socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{"message":"no"}\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends nothing to the engine when the command never uses the sandbox', async () => {
    const sandbox = sandboxOnFirstUse(createSandbox({ docker: new Dockerode({ socketPath }) }));
    await sandbox.cleanupStale();
    expect(sandbox.activity()).toBeDefined();
    expect(await sandbox.shutdown()).toEqual({ cancelled: 0, removed: 0, remaining: 0 });
    expect(requests).toEqual([]);
  });

  it('runs the held start-up sweep when the engine is first reached, and the shutdown sweep after', async () => {
    const sandbox = sandboxOnFirstUse(createSandbox({ docker: new Dockerode({ socketPath }), engineTimeoutMs: 2000 }));
    void sandbox.cleanupStale();
    expect(requests).toEqual([]);
    const probe = await sandbox.probeEngine();
    expect(probe.reachable).toBe(false);
    await expect.poll(() => requests.some((r) => r.startsWith('GET /containers/json'))).toBe(true);
    const before = requests.length;
    await sandbox.shutdown().catch(() => undefined);
    expect(requests.slice(before).some((r) => r.startsWith('GET /containers/json'))).toBe(true);
  });

  it('does not sweep at first use when the core never asked for a sweep', async () => {
    const sandbox = sandboxOnFirstUse(createSandbox({ docker: new Dockerode({ socketPath }), engineTimeoutMs: 2000 }));
    await sandbox.probeEngine();
    expect(requests.some((r) => r.startsWith('GET /containers/json'))).toBe(false);
    expect(requests.some((r) => r.includes('/version') || r.includes('/info'))).toBe(true);
  });
});

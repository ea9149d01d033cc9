/**
 * No reachable engine: runs are `unavailable` with the reason, never a pass. Uses real sockets that
 * are not there (a missing Unix socket path, a closed TCP port), so no engine is needed.
 */
import Dockerode from 'dockerode';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../../../electron/services/sandbox/sandbox';

describe('sandbox without a reachable engine', () => {
  let workspace: string;
  const savedHost = process.env.DOCKER_HOST;

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'gh-'));
    chmodSync(workspace, 0o755);
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  afterEach(() => {
    if (savedHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = savedHost;
  });

  it('reports a missing socket as unavailable, never a pass', async () => {
    const sandbox = createSandbox({ docker: new Dockerode({ socketPath: join(workspace, 'no-engine.sock') }) });
    const probe = await sandbox.probeEngine();
    expect(probe).toMatchObject({ reachable: false, engineVersion: null, runcVersion: null });
    expect(probe.reason).toMatch(/Docker Engine unreachable: .*ENOENT/);
    const result = await sandbox.run({ workspaceDir: workspace, command: ['true'] });
    expect(result).toMatchObject({ status: 'unavailable', exitCode: null, timedOut: false, oomKilled: false });
    expect(result.reason).toMatch(/Docker Engine unreachable/);
  });

  it('honours DOCKER_HOST by default', async () => {
    process.env.DOCKER_HOST = `unix://${join(workspace, 'from-docker-host.sock')}`;
    const probe = await createSandbox().probeEngine();
    expect(probe.reachable).toBe(false);
    expect(probe.reason).toContain('from-docker-host.sock');
  });

  it('reports a refused TCP engine as unavailable', async () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    const sandbox = createSandbox({ engineTimeoutMs: 3_000 });
    const result = await sandbox.run({ workspaceDir: workspace, command: ['true'] });
    expect(result.status).toBe('unavailable');
    expect(result.reason).toMatch(/ECONNREFUSED/);
  });

  it('compare() reports both sides unavailable: nothing fixed, nothing broken, no benchmark', async () => {
    const sandbox = createSandbox({ docker: new Dockerode({ socketPath: join(workspace, 'no-engine.sock') }) });
    const comparison = await sandbox.compare({
      materialise: async () => undefined,
      testCommand: ['true'],
      benchmarkCommand: ['true'],
    });
    expect(comparison).toMatchObject({
      testsPassedBase: false,
      testsPassedHead: false,
      fixed: false,
      broken: false,
      benchmarkChange: null,
      regression: false,
      benchmark: null,
    });
    expect(comparison.base.status).toBe('unavailable');
    expect(comparison.head.status).toBe('unavailable');
  });
});

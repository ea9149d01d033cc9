/**
 * The sandbox service against the real Docker Engine: queue and cancel, pinned images, start
 * failures, base-against-head comparison, stale-container cleanup and shutdown.
 */
import Dockerode from 'dockerode';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/model/result';
import type { SandboxRunResult } from '../../../shared/model/sandbox';
import { DEFAULT_SANDBOX_IMAGE, SandboxLabel } from '../../../electron/services/sandbox/container-spec';
import { SandboxError } from '../../../electron/services/sandbox/errors';
import { createSandbox, type Sandbox } from '../../../electron/services/sandbox/sandbox';
import { checkEngine, containersOf, ensureImage, makeWorkspace, removeWorkspace, requireEngine, skipWithoutEngine } from './engine';

const docker = new Dockerode();
const engine = await checkEngine(docker);

describe.skipIf(skipWithoutEngine(engine, 'sandbox service tests'))('sandbox service (real Docker Engine)', () => {
  let sandbox: Sandbox;
  let workspace: string;
  let imageId: string;

  beforeAll(async () => {
    requireEngine(engine);
    imageId = await ensureImage(docker);
    sandbox = createSandbox({ docker, concurrency: 2 });
    workspace = makeWorkspace({ 'hello.txt': 'hello\n' });
  }, 20 * 60_000);

  afterEach(async () => {
    if (!sandbox) return;
    expect(await containersOf(docker, sandbox.instanceId)).toEqual([]);
  });

  afterAll(async () => {
    await sandbox?.shutdown();
    if (workspace) removeWorkspace(workspace);
  });

  it('reports the engine, API and runc versions', async () => {
    const probe = await sandbox.probeEngine();
    expect(probe.reachable).toBe(true);
    const version = await docker.version();
    expect(probe.engineVersion).toBe(version.Version);
    expect(probe.apiVersion).toBe(version.ApiVersion);
    expect(probe.runcVersion).toBe(version.Components?.find((c) => c.Name.toLowerCase() === 'runc')?.Version ?? null);
    expect(Array.isArray(probe.warnings)).toBe(true);
  });

  it('runs 20 queued runs to completion with never more than 2 running', async () => {
    const checks: Array<Promise<number>> = [];
    let maxActive = 0;
    const runs = Array.from({ length: 20 }, (_, i) =>
      sandbox.run({
        workspaceDir: workspace,
        command: ['sh', '-c', `sleep 0.2; echo run ${i}`],
        onStart: () => {
          maxActive = Math.max(maxActive, sandbox.activity().running.length);
          // The engine's own view: running containers carrying this instance's label.
          checks.push(
            docker
              .listContainers({ filters: { label: [`${SandboxLabel.instance}=${sandbox.instanceId}`], status: ['running'] } })
              .then((list) => list.length),
          );
        },
      }),
    );
    expect(sandbox.activity().queued.length).toBe(18);
    const results = await Promise.all(runs);
    expect(results.map((r) => [r.status, r.exitCode, r.stdout])).toEqual(results.map((_, i) => ['completed', 0, `run ${i}\n`]));
    const runningSeen = await Promise.all(checks);
    expect(runningSeen).toHaveLength(20);
    expect(Math.max(...runningSeen)).toBeLessThanOrEqual(2);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(sandbox.activity()).toEqual({ running: [], queued: [] });
  });

  it('cancels a queued run without starting it, and a running one by killing it', async () => {
    const single = createSandbox({ docker, concurrency: 1 });
    try {
      let started = 0;
      let firstStarted: () => void = () => undefined;
      const firstRunning = new Promise<void>((resolve) => (firstStarted = resolve));
      const running = single.run({
        workspaceDir: workspace,
        runId: 'long-run',
        command: ['sleep', '60'],
        onStart: () => {
          started++;
          firstStarted();
        },
      });
      const queued = single.run({ workspaceDir: workspace, runId: 'queued-run', command: ['true'], onStart: () => started++ });
      expect(single.activity()).toEqual({ running: ['long-run'], queued: ['queued-run'] });
      expect(single.cancel('queued-run')).toBe(true);
      const queuedResult = await queued;
      expect(queuedResult).toMatchObject({ status: 'cancelled', reason: 'cancelled while queued', exitCode: null });
      expect(single.cancel('no-such-run')).toBe(false);

      const controller = new AbortController();
      const viaSignal = single.run({
        workspaceDir: workspace,
        command: ['sleep', '60'],
        signal: controller.signal,
        onStart: () => {
          started++;
          controller.abort();
        },
      });
      // Cancel the first run once it is running; the signal-driven one follows in the freed slot.
      await firstRunning;
      expect(single.cancel('long-run')).toBe(true);
      const [first, second] = await Promise.all([running, viaSignal]);
      expect(first).toMatchObject({ status: 'cancelled', exitCode: null, timedOut: false });
      expect(second).toMatchObject({ status: 'cancelled', exitCode: null });
      expect(started).toBe(2);
      expect(await containersOf(docker, single.instanceId)).toEqual([]);
    } finally {
      await single.shutdown();
    }
  });

  it('refuses unlimited limits before the engine sees them', async () => {
    const unlimited: ReadonlyArray<Record<string, number>> = [
      { memoryMb: 0 },
      { memoryMb: -1 },
      { pidsLimit: -1 },
      { pidsLimit: 0 },
      { nofile: Number.POSITIVE_INFINITY },
      { fsizeMb: 2 ** 64 - 1 },
      { timeoutSeconds: 0 },
      { cpus: 0 },
      { outputBytes: -1 },
      { tmpfsMb: Number.NaN },
      { memoryMb: 1 },
    ];
    for (const limits of unlimited) {
      const attempt = sandbox.run({ workspaceDir: workspace, command: ['true'], limits });
      await expect(attempt, JSON.stringify(limits)).rejects.toBeInstanceOf(SandboxError);
      await expect(attempt).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    }
    await expect(sandbox.run({ workspaceDir: workspace, command: ['true'], limits: { swapMb: 512 } as never })).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
    });
  });

  it('runs a pinned image only when its id matches the pin', async () => {
    const pinned = await sandbox.run({ workspaceDir: workspace, command: ['cat', 'hello.txt'], imageDigest: imageId });
    expect(pinned).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'hello\n', imageDigest: imageId });
    const other = `sha256:${'0'.repeat(64)}`;
    const refused = await sandbox.run({ workspaceDir: workspace, command: ['true'], imageDigest: other });
    expect(refused.status).toBe('failed-to-start');
    expect(refused.reason).toContain(`policy pins ${other}`);
    expect(refused.exitCode).toBeNull();
  });

  it('reports a missing image and a missing program as failed to start, leaving nothing behind', async () => {
    const noImage = await sandbox.run({ workspaceDir: workspace, command: ['true'], image: 'gatehouse/no-such-image:0' });
    expect(noImage.status).toBe('failed-to-start');
    expect(noImage.reason).toContain('build/sandbox-image/build.sh');
    const noProgram = await sandbox.run({ workspaceDir: workspace, command: ['/no/such/program'] });
    expect(noProgram.status).toBe('failed-to-start');
    expect(noProgram.reason).toMatch(/no such file or directory/);
  });

  it('refuses a workspace holding a socket, and one the sandbox user cannot read', async () => {
    const withSocket = makeWorkspace();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(withSocket, 'agent.sock'), resolve));
    try {
      await expect(sandbox.run({ workspaceDir: withSocket, command: ['true'] })).rejects.toMatchObject({ code: ErrorCode.Refused });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeWorkspace(withSocket);
    }
    const privateDir = makeWorkspace();
    spawnSync('chmod', ['0700', privateDir]);
    try {
      await expect(sandbox.run({ workspaceDir: privateDir, command: ['true'] })).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    } finally {
      removeWorkspace(privateDir);
    }
    await expect(sandbox.run({ workspaceDir: '/var/run', command: ['true'] })).rejects.toMatchObject({ code: ErrorCode.Refused });
  });

  it('runs a materialised tree, readable by the sandbox user, and removes it afterwards', async () => {
    let tree = '';
    const result = await sandbox.runTree({
      side: 'head',
      materialise: async (dir) => {
        tree = dir;
        writeFileSync(join(dir, 'private.txt'), 'secret\n', { mode: 0o600 });
        mkdirSync(join(dir, 'sub'), { mode: 0o700 });
        writeFileSync(join(dir, 'sub', 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o700 });
      },
      command: ['sh', '-c', 'cat private.txt && ./sub/run.sh'],
    });
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'secret\nran\n', side: 'head' });
    expect(existsSync(tree)).toBe(false);
  });

  it("does not run a named image's own entrypoint", async () => {
    const source = await docker.createContainer({ Image: DEFAULT_SANDBOX_IMAGE, Cmd: ['true'] });
    const tag = `entrypoint-${process.pid}`;
    try {
      await source.commit({ repo: 'gatehouse/entrypoint-test', tag, changes: ['ENTRYPOINT ["/bin/echo", "entrypoint ran"]'] });
      const result = await sandbox.run({ workspaceDir: workspace, image: `gatehouse/entrypoint-test:${tag}`, command: ['echo', 'command ran'] });
      expect(result).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'command ran\n' });
    } finally {
      await source.remove({ force: true });
      await docker.getImage(`gatehouse/entrypoint-test:${tag}`).remove({ force: true }).catch(() => undefined);
    }
  });

  it('compares base and head: tests broken, tests fixed', async () => {
    const materialise =
      (baseExit: number, headExit: number) =>
      async (side: 'base' | 'head', dir: string): Promise<void> => {
        writeFileSync(join(dir, 'test.py'), `import sys\nprint("${side} tests")\nsys.exit(${side === 'base' ? baseExit : headExit})\n`);
      };
    const dirs: string[] = [];
    const broken = await sandbox.compare({
      materialise: async (side, dir) => {
        dirs.push(dir);
        await materialise(0, 1)(side, dir);
      },
      testCommand: ['python3', 'test.py'],
      limits: { timeoutSeconds: 30 },
    });
    expect(broken).toMatchObject({ testsPassedBase: true, testsPassedHead: false, broken: true, fixed: false, benchmarkChange: null, regression: false, benchmark: null });
    expect(broken.base).toMatchObject({ side: 'base', stdout: 'base tests\n', exitCode: 0 });
    expect(broken.head).toMatchObject({ side: 'head', stdout: 'head tests\n', exitCode: 1 });
    // The temp trees are gone afterwards.
    expect(dirs).toHaveLength(2);
    expect(dirs.some((d) => existsSync(d))).toBe(false);

    const fixed = await sandbox.compare({ materialise: materialise(1, 0), testCommand: ['python3', 'test.py'], limits: { timeoutSeconds: 30 } });
    expect(fixed).toMatchObject({ testsPassedBase: false, testsPassedHead: true, broken: false, fixed: true });
  });

  it('flags a significant slowdown beyond the minimum effect as a regression, keeps every sample, and not one within it', async () => {
    const bench = (baseFigure: number, headFigure: number) => async (side: 'base' | 'head', dir: string): Promise<void> => {
      writeFileSync(join(dir, 'bench.py'), `print("warming up")\nprint(${side === 'base' ? baseFigure : headFigure})\n`);
    };
    const slower = await sandbox.compare({
      materialise: bench(100, 150),
      testCommand: ['true'],
      benchmarkCommand: ['python3', 'bench.py'],
      benchmarkPairs: 10,
      limits: { timeoutSeconds: 30 },
    });
    expect(slower.regression).toBe(true);
    expect(slower.benchmarkChange).toBeCloseTo(0.5);
    expect(slower.benchmark).toMatchObject({ outcome: 'regression', source: 'stdout', baseFigure: 100, headFigure: 150, pairsWanted: 10 });
    expect(slower.benchmark?.pValue).toBeLessThan(0.01);
    expect(slower.benchmark?.samples).toHaveLength(10);
    // The first side alternates every pair.
    expect(slower.benchmark?.samples.map((s) => s.order).slice(0, 2)).toEqual(['base-first', 'head-first']);
    // Significant at a tenth of the level after the minimum pairs: no more pairs needed.
    expect(slower.benchmarkRuns?.pairs).toHaveLength(10);
    expect(slower.benchmark?.stop).toBe('significant');

    // Three pairs cannot show significance at p < 0.01: a 50 % slowdown is inconclusive, never a regression.
    const few = await sandbox.compare({
      materialise: bench(100, 150),
      testCommand: ['true'],
      benchmarkCommand: ['python3', 'bench.py'],
      benchmarkPairs: 3,
      benchmarkMaxPairs: 3,
      limits: { timeoutSeconds: 30 },
    });
    expect(few).toMatchObject({ regression: false, benchmark: { outcome: 'inconclusive' } });

    const within = await sandbox.compare({
      materialise: bench(100, 105),
      testCommand: ['true'],
      benchmarkCommand: ['python3', 'bench.py'],
      benchmarkPairs: 10,
      benchmarkMaxPairs: 10,
      regressionThreshold: 0.1,
      limits: { timeoutSeconds: 30 },
    });
    expect(within.regression).toBe(false);
    expect(within.benchmark?.outcome).toBe('no-regression');
    expect(within.benchmarkChange).toBeCloseTo(0.05);

    // A head benchmark that cannot finish is not a pass; the pairs stop at the first failure.
    const hangs = await sandbox.compare({
      materialise: async (side, dir) => {
        writeFileSync(join(dir, 'bench.py'), side === 'base' ? 'print(1)\n' : 'while True: pass\n');
      },
      testCommand: ['true'],
      benchmarkCommand: ['python3', 'bench.py'],
      benchmarkPairs: 10,
      limits: { timeoutSeconds: 1 },
    });
    expect(hangs.regression).toBe(true);
    expect(hangs.benchmarkChange).toBeNull();
    expect(hangs.benchmarkRuns?.pairs).toHaveLength(1);
    expect(hangs.benchmarkRuns?.pairs[0]?.head.timedOut).toBe(true);
  });

  it('removes stale containers of a dead Gatehouse process on this host, and nothing else', async () => {
    const dead = spawnSync('true');
    const live = spawn('sleep', ['60']);
    const create = (owner: string) =>
      docker.createContainer({
        Image: DEFAULT_SANDBOX_IMAGE,
        Cmd: ['true'],
        Labels: { [SandboxLabel.sandbox]: '1', [SandboxLabel.instance]: 'stale-test', [SandboxLabel.owner]: owner },
        HostConfig: { NetworkMode: 'none' },
      });
    const stale = await create(`${hostname()}:${dead.pid}`);
    const otherHost = await create(`another-workstation:${dead.pid}`);
    const liveOwner = await create(`${hostname()}:${live.pid}`);
    try {
      const removed = await sandbox.cleanupStale();
      // Leftovers of an earlier crashed test process would be removed too; these three are what we know.
      expect(removed).toContain(stale.id);
      expect(removed).not.toContain(otherHost.id);
      expect(removed).not.toContain(liveOwner.id);
      const left = (await docker.listContainers({ all: true, filters: { label: [`${SandboxLabel.instance}=stale-test`] } })).map((c) => c.Id);
      expect(left.sort()).toEqual([otherHost.id, liveOwner.id].sort());
    } finally {
      live.kill();
      for (const c of [stale, otherHost, liveOwner]) await c.remove({ force: true }).catch(() => undefined);
    }
  });

  it('shutdown kills and removes every container and cancels what is queued', async () => {
    const closing = createSandbox({ docker, concurrency: 1 });
    let onStarted: () => void = () => undefined;
    const startedOnce = new Promise<void>((resolve) => (onStarted = resolve));
    const running = closing.run({ workspaceDir: workspace, command: ['sleep', '60'], onStart: () => onStarted() });
    const queued = closing.run({ workspaceDir: workspace, command: ['true'] });
    await startedOnce;
    expect(await containersOf(docker, closing.instanceId)).toHaveLength(1);
    const summary = await closing.shutdown();
    expect(summary.cancelled).toBe(2);
    expect(summary.remaining).toBe(0);
    const results: SandboxRunResult[] = await Promise.all([running, queued]);
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(await containersOf(docker, closing.instanceId)).toEqual([]);
    const afterwards = await closing.run({ workspaceDir: workspace, command: ['true'] });
    expect(afterwards).toMatchObject({ status: 'cancelled', reason: 'the sandbox service has shut down' });
  });
});

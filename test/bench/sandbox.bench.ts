/**
 * Sandbox launcher benchmarks against the docker CLI, in the same run on the same engine and image.
 *
 *   node --import tsx test/bench/sandbox.bench.ts      (BENCH_QUICK=1 for fewer iterations)
 *
 * 1. Start-to-exit of `true`: the launcher's `run()` (ping, image check, create, attach, start, wait,
 *    inspect, remove) against `docker run --rm` with the same image, command and containment flags;
 *    iterations alternate between the two; medians are printed, with the ratio launcher / CLI.
 * 2. Throughput of 20 runs queued at once through the launcher (concurrency 2), against 20
 *    `docker run --rm` run two at a time; runs per second, with the ratio launcher / CLI.
 * One JSON line per figure on stdout; progress on stderr.
 */
import Dockerode from 'dockerode';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SANDBOX_IMAGE } from '../../electron/services/sandbox/container-spec';
import { median } from '../../electron/services/sandbox/benchmark';
import { createSandbox } from '../../electron/services/sandbox/sandbox';
import { SandboxLimits } from '../../shared/model/sandbox';

const quick = process.env.BENCH_QUICK === '1';
const ITERATIONS = quick ? 3 : 15;
const QUEUED_RUNS = 20;
const CONCURRENCY = 2;

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function progress(message: string): void {
  process.stderr.write(`sandbox.bench: ${message}\n`);
}

/** The docker CLI flags that match the launcher's container settings for the default limits. */
function cliArgs(workspace: string, limits: SandboxLimits): string[] {
  const mib = 1024 * 1024;
  return [
    'run', '--rm', '--network', 'none', '--read-only',
    '--tmpfs', `/tmp:rw,exec,nosuid,nodev,size=${limits.tmpfsMb}m,mode=1777`,
    '--tmpfs', `/home/sandbox:rw,noexec,nosuid,nodev,size=${limits.tmpfsMb}m,mode=0700,uid=65534,gid=65534`,
    '--mount', `type=bind,source=${workspace},target=/workspace,readonly`,
    '--user', '65534:65534', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true',
    '--memory', `${limits.memoryMb}m`, '--memory-swap', `${limits.memoryMb}m`, '--cpus', String(limits.cpus),
    '--pids-limit', String(limits.pidsLimit),
    '--ulimit', `nofile=${limits.nofile}:${limits.nofile}`, '--ulimit', 'core=0:0',
    '--ulimit', `fsize=${limits.fsizeMb * mib}:${limits.fsizeMb * mib}`,
    '--log-driver', 'none', '--workdir', '/workspace',
    DEFAULT_SANDBOX_IMAGE, 'true',
  ];
}

function dockerCli(args: ReadonlyArray<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args[0]} exited ${String(code)}: ${stderr.trim()}`))));
  });
}

async function main(): Promise<void> {
  const docker = new Dockerode();
  try {
    await docker.getImage(DEFAULT_SANDBOX_IMAGE).inspect();
  } catch (error) {
    throw new Error(`image ${DEFAULT_SANDBOX_IMAGE} or the engine is missing (run build/ensure-docker.sh and build/sandbox-image/build.sh): ${String(error)}`);
  }
  const sandbox = createSandbox({ docker, concurrency: CONCURRENCY });
  const probe = await sandbox.probeEngine();
  progress(`engine ${String(probe.engineVersion)}, runc ${String(probe.runcVersion)}, ${ITERATIONS} iterations`);
  const workspace = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  chmodSync(workspace, 0o755);
  const limits = SandboxLimits.parse({});
  try {
    const launcherRun = async (): Promise<number> => {
      const t0 = performance.now();
      const result = await sandbox.run({ workspaceDir: workspace, command: ['true'], limits });
      if (result.status !== 'completed' || result.exitCode !== 0) throw new Error(`launcher run failed: ${JSON.stringify(result)}`);
      return performance.now() - t0;
    };
    const cliRun = async (): Promise<number> => {
      const t0 = performance.now();
      await dockerCli(cliArgs(workspace, limits));
      return performance.now() - t0;
    };

    // Warm both paths (page cache, engine's image layer lookups) before measuring.
    await launcherRun();
    await cliRun();
    const launcher: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      launcher.push(await launcherRun());
      cli.push(await cliRun());
      progress(`start-to-exit ${i + 1}/${ITERATIONS}: launcher ${launcher[i]?.toFixed(0)} ms, docker run ${cli[i]?.toFixed(0)} ms`);
    }
    const launcherMedian = median(launcher);
    const cliMedian = median(cli);
    emit({ bench: 'sandbox.start_to_exit', value: round(launcherMedian), unit: 'ms', command: 'true', iterations: ITERATIONS, stat: 'median' });
    emit({ bench: 'sandbox.start_to_exit.docker_cli', value: round(cliMedian), unit: 'ms', command: 'docker run --rm <same flags> true', iterations: ITERATIONS, stat: 'median' });
    emit({ bench: 'sandbox.start_to_exit.ratio', value: round(launcherMedian / cliMedian, 3), unit: 'ratio', note: 'launcher / docker CLI; below 1 is faster' });

    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: QUEUED_RUNS }, () => sandbox.run({ workspaceDir: workspace, command: ['true'], limits })));
    const launcherSeconds = (performance.now() - t0) / 1000;
    if (results.some((r) => r.status !== 'completed' || r.exitCode !== 0)) throw new Error('a queued run failed');
    const launcherRate = QUEUED_RUNS / launcherSeconds;

    const t1 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < QUEUED_RUNS) {
        next++;
        await dockerCli(cliArgs(workspace, limits));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const cliRate = QUEUED_RUNS / ((performance.now() - t1) / 1000);
    emit({ bench: 'sandbox.queue_throughput', value: round(launcherRate, 2), unit: 'runs/s', runs: QUEUED_RUNS, concurrency: CONCURRENCY });
    emit({ bench: 'sandbox.queue_throughput.docker_cli', value: round(cliRate, 2), unit: 'runs/s', runs: QUEUED_RUNS, concurrency: CONCURRENCY });
    emit({ bench: 'sandbox.queue_throughput.ratio', value: round(launcherRate / cliRate, 3), unit: 'ratio', note: 'launcher / docker CLI; above 1 is faster' });
  } finally {
    await sandbox.shutdown();
    rmSync(workspace, { recursive: true, force: true });
  }
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((error: unknown) => {
  progress(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

/**
 * The sandbox launcher: runs a command on a revision's tree in a locked-down container over the
 * Docker Engine API (dockerode), with a bounded queue, cancel, base-against-head comparison and
 * cleanup of every container it starts.
 *
 * Fails closed: no reachable engine makes a run `unavailable` with the reason, never a pass.
 */
import type Dockerode from 'dockerode';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { systemClock, type Clock } from '../../../shared/model/clock';
import { ErrorCode } from '../../../shared/model/result';
import type { BenchmarkSummary, SandboxComparison, SandboxLimits, SandboxRunResult, SandboxSide } from '../../../shared/model/sandbox';
import {
  benchmarkSucceeded,
  collectPairs,
  compareBenchmarks,
  DEFAULT_BENCHMARK_SETTINGS,
  DEFAULT_MAX_BENCHMARK_PAIRS,
  type BenchmarkRunPair,
  type BenchmarkVerdict,
  type PairsStop,
} from './benchmark';
import {
  assertContained,
  containerSpec,
  DEFAULT_SANDBOX_IMAGE,
  parseSandboxLimits,
  SandboxLabel,
  validateCommand,
} from './container-spec';
import { engineMessage, errorCode, isUnreachable, statusCode, withTimeout } from './engine-errors';
import { SandboxError } from './errors';
import { createDemuxer, createOutputCap, formatBytes, type OutputStream } from './output';
import { createRunQueue, type RunQueueState, type RunSlot } from './run-queue';
import { runcWarnings } from './runc-version';
import { sampleContainerStats, type StatsSampler } from './stats';
import { probePidsEvents, type PidsEventsProbe } from './pids-events';
import { checkWorkspace, makeReadableBySandbox } from './workspace';

/** Limits as a policy writes them: every field optional, defaults from `SandboxLimits`. */
export type SandboxLimitsInput = z.input<typeof SandboxLimits>;

/** Dependencies and settings of {@link createSandbox}. */
export interface CreateSandboxOptions {
  /** The engine client; default `new Dockerode()`, which honours DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
  readonly docker?: Dockerode;
  /** Source of the created-at label; durations use the monotonic clock. */
  readonly clock?: Clock;
  /** Runs in flight at once (1..64); default 2. */
  readonly concurrency?: number;
  /** The image when a request names none; default {@link DEFAULT_SANDBOX_IMAGE}. */
  readonly defaultImage?: string;
  /** How long the engine may take to answer before it counts as unreachable; default 5000 ms. */
  readonly engineTimeoutMs?: number;
}

/** What {@link Sandbox.probeEngine} found out about the engine. */
export interface EngineProbe {
  readonly reachable: boolean;
  readonly engineVersion: string | null;
  readonly apiVersion: string | null;
  readonly runcVersion: string | null;
  readonly containerdVersion: string | null;
  readonly cgroupVersion: string | null;
  readonly operatingSystem: string | null;
  readonly cpus: number | null;
  /** Old runc (container-escape CVEs), missing seccomp, limits the kernel cannot enforce. */
  readonly warnings: ReadonlyArray<string>;
  /** Why the engine is unreachable. */
  readonly reason?: string;
}

/** A run that has started in its container. */
export interface SandboxRunStarted {
  readonly runId: string;
  readonly containerId: string;
  readonly imageId: string;
}

/** One command to run in a sandbox. */
export interface SandboxRunRequest {
  /** Host directory holding the tree to test; mounted read-only at /workspace; must be o+rx. */
  readonly workspaceDir: string;
  /** The program and its arguments (no shell unless the command names one). */
  readonly command: ReadonlyArray<string>;
  readonly limits?: SandboxLimitsInput;
  /** Image name or id; default the service's `defaultImage`. */
  readonly image?: string;
  /** When set, the run is refused unless the image's id or one of its repo digests is this `sha256:...`. */
  readonly imageDigest?: string;
  readonly side?: SandboxSide;
  readonly env?: Readonly<Record<string, string>>;
  /** Caller-chosen id (letters, digits, `_.-`, up to 128); default a random UUID. */
  readonly runId?: string;
  /** Live output, decoded as UTF-8, within the per-stream cap (and the truncation marker once). */
  readonly onOutput?: (stream: OutputStream, chunk: string) => void;
  /** Called once the container is running. */
  readonly onStart?: (started: SandboxRunStarted) => void;
  /** Aborting cancels the run, like {@link Sandbox.cancel}. */
  readonly signal?: AbortSignal;
}

/** One command on a tree the caller writes into a temp directory the sandbox creates and removes. */
export interface SandboxTreeRunRequest extends Omit<SandboxRunRequest, 'workspaceDir'> {
  /** Writes the tree into `dir` (empty, private to this process until the sandbox makes it readable by 65534). */
  readonly materialise: (dir: string) => Promise<void>;
}

/** Base against head: the tests on both sides, and optionally a benchmark. */
export interface SandboxCompareRequest {
  /** Writes one side's tree into `dir` (an empty, private temp directory the sandbox creates and removes). */
  readonly materialise: (side: SandboxSide, dir: string) => Promise<void>;
  readonly testCommand: ReadonlyArray<string>;
  /** Its figure: the last stdout line when it is a number, otherwise the run's wall time (see benchmark.ts). */
  readonly benchmarkCommand?: ReadonlyArray<string>;
  /** Benchmark pairs at least: base and head run one after the other, the first side alternating. Default 10, 1..100. */
  readonly benchmarkPairs?: number;
  /** Benchmark pairs at most, while the verdict is open (see benchmark.ts); default 40, up to 200. */
  readonly benchmarkMaxPairs?: number;
  /** Stop starting pairs once the benchmark phase has taken this long (ms); default 600 000. */
  readonly benchmarkBudgetMs?: number;
  /** Minimum effect size: a median slowdown at or below this fraction is never a regression; default 0.10. */
  readonly regressionThreshold?: number;
  /** The one-sided rank test's p-value must be below this for a regression; default 0.01. */
  readonly regressionSignificance?: number;
  readonly limits?: SandboxLimitsInput;
  readonly image?: string;
  readonly imageDigest?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly onOutput?: (side: SandboxSide, phase: 'test' | 'benchmark', stream: OutputStream, chunk: string) => void;
  readonly onStart?: (side: SandboxSide, phase: 'test' | 'benchmark', started: SandboxRunStarted) => void;
  readonly signal?: AbortSignal;
}

/** The benchmark part of a comparison: the verdict and every run pair behind it. */
export interface SandboxBenchmarkReport extends BenchmarkVerdict {
  readonly pairs: ReadonlyArray<BenchmarkRunPair>;
  readonly stop: PairsStop;
}

/** `SandboxComparison` plus the benchmark runs behind its samples. */
export interface SandboxComparisonReport extends SandboxComparison {
  readonly benchmarkRuns: SandboxBenchmarkReport | null;
}

/** The sandbox service. */
export interface Sandbox {
  /** Id of this service instance, on every container it starts (label org.gatehouse.instance). */
  readonly instanceId: string;
  /** Engine, API and runc versions, with warnings; never throws. */
  probeEngine(): Promise<EngineProbe>;
  /** Runs one command; waits for a queue slot first. Throws only on invalid input. */
  run(request: SandboxRunRequest): Promise<SandboxRunResult>;
  /** Materialises one tree into a temp directory, runs the command on it, and removes the directory. */
  runTree(request: SandboxTreeRunRequest): Promise<SandboxRunResult>;
  /** Materialises base and head, runs the tests (and benchmark) on both, and compares. */
  compare(request: SandboxCompareRequest): Promise<SandboxComparisonReport>;
  /** Cancels a queued or running run; false when no such run is in flight. */
  cancel(runId: string): boolean;
  /** Run ids holding a slot and waiting for one. */
  activity(): RunQueueState;
  /** Removes containers labelled as Gatehouse's that a crashed process on this host left behind. */
  cleanupStale(): Promise<ReadonlyArray<string>>;
  /** Cancels everything, kills and removes every container this instance started; later runs are cancelled. */
  shutdown(): Promise<SandboxShutdown>;
}

/** What {@link Sandbox.shutdown} did. */
export interface SandboxShutdown {
  /** Runs that were queued or running and got cancelled. */
  readonly cancelled: number;
  /** Containers removed by the final sweep (runs remove their own first). */
  readonly removed: number;
  /** Containers the engine would not remove (left for the next start's cleanupStale). */
  readonly remaining: number;
}

interface RunControl {
  readonly controller: AbortController;
  done: Promise<unknown>;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MiB = 1024 * 1024;
/** How long the attach stream may lag behind the container's exit before it is cut. */
const OUTPUT_DRAIN_MS = 5_000;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** The persisted, renderer-facing part of a benchmark verdict: every sample and the statistics. */
export function benchmarkSummary(verdict: BenchmarkVerdict & { readonly stop?: PairsStop }): BenchmarkSummary {
  return {
    outcome: verdict.outcome,
    source: verdict.source,
    change: verdict.change,
    pValue: verdict.pValue,
    baseFigure: verdict.baseFigure,
    headFigure: verdict.headFigure,
    minEffect: verdict.settings.minEffect,
    significance: verdict.settings.significance,
    pairsWanted: verdict.settings.pairsWanted,
    samples: verdict.samples,
    note: verdict.note,
    ...(verdict.stop === undefined ? {} : { stop: verdict.stop }),
  };
}

/** Creates the sandbox service. */
export function createSandbox(options: CreateSandboxOptions = {}): Sandbox {
  // dockerode (with its gRPC and protobuf dependencies) loads when the engine is first reached, not with
  // every CLI command that never runs a sandbox (measured: the largest start-up cost of `gatehouse verify`).
  let engine: Dockerode | undefined = options.docker;
  const docker = (): Dockerode => (engine ??= new (createRequire(__filename)('dockerode') as typeof Dockerode)());
  const clock = options.clock ?? systemClock;
  const queue = createRunQueue(options.concurrency ?? 2);
  const defaultImage = options.defaultImage ?? DEFAULT_SANDBOX_IMAGE;
  const engineTimeoutMs = options.engineTimeoutMs ?? 5_000;
  const instanceId = randomUUID();
  const owner = `${hostname()}:${process.pid}`;
  const runs = new Map<string, RunControl>();
  const containers = new Set<string>();
  let engineCpus: number | undefined;
  let closed = false;

  if (!IMAGE_REF.test(defaultImage)) throw new SandboxError(ErrorCode.InvalidInput, `invalid default sandbox image: ${defaultImage}`);

  async function probeEngine(): Promise<EngineProbe> {
    try {
      const [version, info] = await withTimeout(Promise.all([docker().version(), docker().info()]), engineTimeoutMs, 'Docker Engine');
      const components = Array.isArray(version.Components) ? version.Components : [];
      const component = (name: string): string | null =>
        components.find((c) => typeof c?.Name === 'string' && c.Name.toLowerCase() === name)?.Version ?? null;
      const runcVersion = component('runc') ?? (typeof info?.RuncCommit?.ID === 'string' ? info.RuncCommit.ID : null);
      const warnings = [...runcWarnings(runcVersion)];
      const securityOptions: ReadonlyArray<string> = Array.isArray(info?.SecurityOptions) ? info.SecurityOptions : [];
      if (!securityOptions.some((o) => o.includes('name=seccomp'))) {
        warnings.push('the engine reports no seccomp support: sandboxed code would run without a syscall filter');
      }
      if (info?.MemoryLimit === false) warnings.push('the engine cannot enforce memory limits');
      if (info?.SwapLimit === false) warnings.push('the engine cannot limit swap: memory+swap equal to memory is not enforced');
      if (info?.PidsLimit === false) warnings.push('the engine cannot enforce a pids limit: a fork bomb is not contained');
      if (info?.CpuCfsQuota === false) warnings.push('the engine cannot enforce a CPU quota');
      if (typeof info?.NCPU === 'number') engineCpus = info.NCPU;
      return {
        reachable: true,
        engineVersion: typeof version.Version === 'string' ? version.Version : null,
        apiVersion: typeof version.ApiVersion === 'string' ? version.ApiVersion : null,
        runcVersion,
        containerdVersion: component('containerd'),
        cgroupVersion: typeof info?.CgroupVersion === 'string' ? info.CgroupVersion : null,
        operatingSystem: typeof info?.OperatingSystem === 'string' ? info.OperatingSystem : null,
        cpus: typeof info?.NCPU === 'number' ? info.NCPU : null,
        warnings,
      };
    } catch (error) {
      return {
        reachable: false,
        engineVersion: null,
        apiVersion: null,
        runcVersion: null,
        containerdVersion: null,
        cgroupVersion: null,
        operatingSystem: null,
        cpus: null,
        warnings: [],
        reason: `Docker Engine unreachable: ${engineMessage(error)}`,
      };
    }
  }

  /** Force-removes a container; true when it is gone (also when it was already). */
  async function removeContainer(id: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await withTimeout(docker().getContainer(id).remove({ force: true, v: true }), 30_000, 'container remove');
        containers.delete(id);
        return true;
      } catch (error) {
        if (statusCode(error) === 404) {
          containers.delete(id);
          return true;
        }
        // 409 "removal already in progress": the engine is finishing it; ask again shortly.
        if (statusCode(error) !== 409) break;
        await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
      }
    }
    // Left for shutdown()/cleanupStale(): the owner label lets the next start find it.
    return false;
  }

  async function killContainer(container: Dockerode.Container): Promise<void> {
    try {
      await container.kill({ signal: 'SIGKILL' });
    } catch {
      // Already exited (409) or gone (404): nothing left to kill.
    }
  }

  function resultOf(
    base: Pick<SandboxRunResult, 'runId' | 'side' | 'image' | 'command' | 'limits'>,
    fields: Partial<SandboxRunResult> & Pick<SandboxRunResult, 'status'>,
  ): SandboxRunResult {
    const result: SandboxRunResult = {
      runId: base.runId,
      image: base.image,
      imageDigest: null,
      command: base.command,
      limits: base.limits,
      exitCode: null,
      durationMs: 0,
      timedOut: false,
      oomKilled: false,
      peakMemoryBytes: null,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      violations: [],
      ...fields,
    };
    return base.side === undefined ? result : { ...result, side: base.side };
  }

  async function execute(
    request: SandboxRunRequest,
    base: Pick<SandboxRunResult, 'runId' | 'side' | 'image' | 'command' | 'limits'>,
    workspaceDir: string,
    signal: AbortSignal,
  ): Promise<SandboxRunResult> {
    const { limits } = base;
    const cancelled = (reason = 'cancelled before the container started'): SandboxRunResult =>
      resultOf(base, { status: 'cancelled', reason });

    try {
      await withTimeout(docker().ping(), engineTimeoutMs, 'Docker Engine');
    } catch (error) {
      return resultOf(base, { status: 'unavailable', reason: `Docker Engine unreachable: ${engineMessage(error)}` });
    }
    if (signal.aborted) return cancelled();

    let image: Dockerode.ImageInspectInfo;
    try {
      image = await withTimeout(docker().getImage(base.image).inspect(), 30_000, 'image inspect');
    } catch (error) {
      if (isUnreachable(error)) return resultOf(base, { status: 'unavailable', reason: `Docker Engine unreachable: ${engineMessage(error)}` });
      const missing = statusCode(error) === 404;
      return resultOf(base, {
        status: 'failed-to-start',
        reason: missing
          ? `image ${base.image} is not on the engine; build it with build/sandbox-image/build.sh or name another image`
          : `cannot inspect image ${base.image}: ${engineMessage(error)}`,
      });
    }
    const repoDigests = (image.RepoDigests ?? []).map((d) => d.slice(d.indexOf('@') + 1));
    if (request.imageDigest !== undefined && image.Id !== request.imageDigest && !repoDigests.includes(request.imageDigest)) {
      return resultOf(base, {
        status: 'failed-to-start',
        imageDigest: image.Id,
        reason: `refused: image ${base.image} is ${image.Id}${repoDigests.length ? ` (${repoDigests.join(', ')})` : ''}, but policy pins ${request.imageDigest}`,
      });
    }
    const imageDigest = image.Id;

    if (engineCpus === undefined) {
      try {
        const info = await withTimeout(docker().info(), engineTimeoutMs, 'Docker Engine');
        if (typeof info?.NCPU === 'number') engineCpus = info.NCPU;
      } catch {
        // Without the CPU count the quota is passed as asked; the engine refuses it if too large.
      }
    }
    const spec = containerSpec({
      runId: base.runId,
      instanceId,
      owner,
      // Create from the id just checked, so a tag moved in between cannot swap the image.
      imageId: image.Id,
      command: base.command,
      workspaceDir,
      limits,
      env: request.env,
      side: base.side,
      createdAt: clock.now(),
      engineCpus,
    });
    assertContained(spec);

    let container: Dockerode.Container;
    try {
      container = await withTimeout(docker().createContainer(spec), 60_000, 'container create');
    } catch (error) {
      if (isUnreachable(error)) return resultOf(base, { status: 'unavailable', imageDigest, reason: `Docker Engine unreachable: ${engineMessage(error)}` });
      return resultOf(base, { status: 'failed-to-start', imageDigest, reason: `container create failed: ${engineMessage(error)}` });
    }
    containers.add(container.id);
    let attachStream: NodeJS.ReadWriteStream | null = null;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let stats: StatsSampler | undefined;
    let pids: PidsEventsProbe | undefined;
    try {
      if (signal.aborted) return resultOf(base, { status: 'cancelled', imageDigest, reason: 'cancelled before the container started' });

      const caps = { stdout: createOutputCap('stdout', limits.outputBytes), stderr: createOutputCap('stderr', limits.outputBytes) };
      const emit = (stream: OutputStream, text: string): void => {
        if (text === '' || !request.onOutput) return;
        try {
          request.onOutput(stream, text);
        } catch {
          // A failing listener must not end the run or lose its output.
        }
      };
      const demuxer = createDemuxer((stream, payload) => emit(stream, caps[stream].push(payload)));
      try {
        attachStream = await withTimeout(container.attach({ stream: true, stdout: true, stderr: true }), 30_000, 'attach');
      } catch (error) {
        if (isUnreachable(error)) return resultOf(base, { status: 'unavailable', imageDigest, reason: `Docker Engine unreachable: ${engineMessage(error)}` });
        return resultOf(base, { status: 'failed-to-start', imageDigest, reason: `attach failed: ${engineMessage(error)}` });
      }
      const outputDone = new Promise<void>((resolve) => {
        attachStream?.on('end', resolve);
        attachStream?.on('close', resolve);
        attachStream?.on('error', () => resolve());
      });
      attachStream.on('data', (chunk: Buffer) => demuxer.push(chunk));

      let cancelledRunning = false;
      onAbort = (): void => {
        cancelledRunning = true;
        void killContainer(container); // fire-and-forget: wait() below observes the exit
      };
      signal.addEventListener('abort', onAbort, { once: true });

      try {
        await withTimeout(container.start(), 60_000, 'container start');
      } catch (error) {
        if (isUnreachable(error)) return resultOf(base, { status: 'unavailable', imageDigest, reason: `Docker Engine unreachable: ${engineMessage(error)}` });
        const stderr = caps.stderr.result();
        return resultOf(base, {
          status: 'failed-to-start',
          imageDigest,
          stderr: stderr.text,
          stderrTruncated: stderr.truncated,
          reason: `container start failed: ${engineMessage(error)}`,
        });
      }
      const startedAt = performance.now();
      if (signal.aborted) await killContainer(container);
      let timedOut = false;
      // The kernel's count of forks the pids limit refused (pids-events.ts): read until the container goes.
      pids = probePidsEvents(container.id);
      const probe = pids;
      timer = setTimeout(() => {
        timedOut = true;
        probe.read(); // before the kill removes the cgroup
        void killContainer(container); // fire-and-forget: wait() below observes the exit
      }, limits.timeoutSeconds * 1000);
      stats = await sampleContainerStats(container, limits.pidsLimit);
      if (request.onStart) {
        try {
          request.onStart({ runId: base.runId, containerId: container.id, imageId: image.Id });
        } catch {
          // A failing listener must not leave the container unattended.
        }
      }

      let exitCode: number | null;
      try {
        const waited = (await container.wait()) as { StatusCode?: number };
        exitCode = typeof waited.StatusCode === 'number' ? waited.StatusCode : null;
      } catch (error) {
        return resultOf(base, {
          status: 'unavailable',
          imageDigest,
          durationMs: performance.now() - startedAt,
          reason: `lost the Docker Engine during the run: ${engineMessage(error)}`,
        });
      }
      const durationMs = performance.now() - startedAt;
      clearTimeout(timer);
      // The attach stream carries output written just before exit; give it a bounded moment to drain.
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([outputDone, new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, OUTPUT_DRAIN_MS)))]);
      clearTimeout(drainTimer);
      stats.stop();
      pids.stop();
      emit('stdout', caps.stdout.flush());
      emit('stderr', caps.stderr.flush());

      let oomKilled = false;
      try {
        const inspected = await withTimeout(container.inspect(), 30_000, 'container inspect');
        oomKilled = inspected.State?.OOMKilled === true;
        if (typeof inspected.State?.ExitCode === 'number') exitCode = inspected.State.ExitCode;
      } catch {
        // The exit code from wait() stands; OOM stays unknown (false) only if inspect failed.
      }

      const stdout = caps.stdout.result();
      const stderr = caps.stderr.result();
      // An OOM kill means the cgroup reached its limit, whether or not a stats sample caught it.
      const peakMemoryBytes = oomKilled ? Math.max(stats.tracker.peakBytes() ?? 0, limits.memoryMb * MiB) : stats.tracker.peakBytes();
      const violations: string[] = [];
      if (timedOut) violations.push(`timed out after ${limits.timeoutSeconds} s`);
      if (oomKilled) violations.push(`OOM-killed at ${limits.memoryMb} MiB`);
      if (stats.tracker.pidsLimitReached() || (pids.refused() ?? 0) > 0) violations.push(`pids limit reached (${limits.pidsLimit})`);
      if (stdout.truncated) violations.push(`output capped: stdout at ${formatBytes(limits.outputBytes)} (${stdout.droppedBytes} bytes dropped)`);
      if (stderr.truncated) violations.push(`output capped: stderr at ${formatBytes(limits.outputBytes)} (${stderr.droppedBytes} bytes dropped)`);
      // 128 + SIGXFSZ (25): a process wrote past RLIMIT_FSIZE and the shell reported it.
      if (exitCode === 153 && !timedOut && !cancelledRunning) violations.push(`file size limit reached (${limits.fsizeMb} MiB)`);

      const common = {
        imageDigest,
        durationMs,
        timedOut,
        oomKilled,
        peakMemoryBytes,
        stdout: stdout.text,
        stderr: stderr.text,
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        violations,
      };
      if (cancelledRunning && !timedOut) {
        return resultOf(base, { ...common, status: 'cancelled', exitCode: null, reason: 'cancelled while running; the container was killed' });
      }
      return resultOf(base, { ...common, status: 'completed', exitCode });
    } finally {
      clearTimeout(timer);
      stats?.stop();
      pids?.stop();
      if (onAbort) signal.removeEventListener('abort', onAbort);
      (attachStream as unknown as { destroy?: () => void } | null)?.destroy?.();
      await removeContainer(container.id);
    }
  }

  async function run(request: SandboxRunRequest): Promise<SandboxRunResult> {
    const limits: SandboxLimits = parseSandboxLimits(request.limits);
    validateCommand(request.command, request.env);
    const image = request.image ?? defaultImage;
    if (typeof image !== 'string' || !IMAGE_REF.test(image) || image.includes('..') || image.includes('//')) {
      throw new SandboxError(ErrorCode.InvalidInput, `invalid sandbox image reference: ${String(image)}`);
    }
    if (request.imageDigest !== undefined && !DIGEST.test(request.imageDigest)) {
      throw new SandboxError(ErrorCode.InvalidInput, 'a pinned image digest must be sha256: followed by 64 lowercase hex digits');
    }
    const runId = request.runId ?? randomUUID();
    if (!RUN_ID.test(runId)) throw new SandboxError(ErrorCode.InvalidInput, `invalid sandbox run id: ${runId}`);
    if (runs.has(runId)) throw new SandboxError(ErrorCode.Conflict, `sandbox run ${runId} is already queued or running`);
    const base = { runId, side: request.side, image, command: [...request.command], limits };
    if (closed) return resultOf(base, { status: 'cancelled', reason: 'the sandbox service has shut down' });
    if (request.signal?.aborted) return resultOf(base, { status: 'cancelled', reason: 'cancelled before it was queued' });

    // Registered and queued before the first await, so cancel(), activity() and shutdown() see the run at once.
    const controller = new AbortController();
    const control: RunControl = { controller, done: Promise.resolve() };
    runs.set(runId, control);
    const forward = (): void => controller.abort();
    request.signal?.addEventListener('abort', forward, { once: true });
    const acquiring = queue.acquire(runId);
    const withdraw = (): void => void queue.withdraw(runId, 'cancelled while queued');
    controller.signal.addEventListener('abort', withdraw, { once: true });
    const work = (async (): Promise<SandboxRunResult> => {
      let slot: RunSlot;
      try {
        slot = await acquiring;
      } catch (error) {
        if (error instanceof SandboxError && error.code === ErrorCode.Cancelled) {
          return resultOf(base, { status: 'cancelled', reason: closed ? 'the sandbox service has shut down' : 'cancelled while queued' });
        }
        throw error;
      } finally {
        controller.signal.removeEventListener('abort', withdraw);
      }
      try {
        if (controller.signal.aborted) return resultOf(base, { status: 'cancelled', reason: closed ? 'the sandbox service has shut down' : 'cancelled while queued' });
        const workspaceDir = await checkWorkspace(request.workspaceDir);
        return await execute(request, base, workspaceDir, controller.signal);
      } finally {
        slot.release();
      }
    })();
    control.done = work.catch(() => undefined);
    try {
      return await work;
    } finally {
      runs.delete(runId);
      request.signal?.removeEventListener('abort', forward);
    }
  }

  /** A fresh temp directory holding one materialised tree, readable by the sandbox user. */
  async function materialiseTree(label: string, materialise: (dir: string) => Promise<void>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `gatehouse-sandbox-${label}-`));
    try {
      // The sandbox user (65534) must read the tree; mkdtemp creates it 0700.
      await chmod(dir, 0o755);
      await materialise(dir);
      await makeReadableBySandbox(dir);
      return dir;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async function runTree(request: SandboxTreeRunRequest): Promise<SandboxRunResult> {
    if (typeof request.materialise !== 'function') throw new SandboxError(ErrorCode.InvalidInput, 'runTree needs a materialise callback');
    // Validate before writing anything to disk.
    parseSandboxLimits(request.limits);
    validateCommand(request.command, request.env);
    const { materialise, ...rest } = request;
    const dir = await materialiseTree(request.side ?? 'tree', materialise);
    try {
      return await run({ ...rest, workspaceDir: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function testsPassed(result: SandboxRunResult): boolean {
    return benchmarkSucceeded(result);
  }

  async function compare(request: SandboxCompareRequest): Promise<SandboxComparisonReport> {
    const threshold = request.regressionThreshold ?? DEFAULT_BENCHMARK_SETTINGS.minEffect;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 100) {
      throw new SandboxError(ErrorCode.InvalidInput, 'regressionThreshold must be a finite fraction from 0 to 100');
    }
    const significance = request.regressionSignificance ?? DEFAULT_BENCHMARK_SETTINGS.significance;
    if (typeof significance !== 'number' || !(significance > 0 && significance <= 0.5)) {
      throw new SandboxError(ErrorCode.InvalidInput, 'regressionSignificance must be a p-value above 0 and at most 0.5');
    }
    const pairsWanted = request.benchmarkPairs ?? DEFAULT_BENCHMARK_SETTINGS.pairsWanted;
    if (!Number.isInteger(pairsWanted) || pairsWanted < 1 || pairsWanted > 100) {
      throw new SandboxError(ErrorCode.InvalidInput, 'benchmarkPairs must be a whole number from 1 to 100');
    }
    const maxPairs = request.benchmarkMaxPairs ?? Math.max(pairsWanted, DEFAULT_MAX_BENCHMARK_PAIRS);
    if (!Number.isInteger(maxPairs) || maxPairs < pairsWanted || maxPairs > 200) {
      throw new SandboxError(ErrorCode.InvalidInput, 'benchmarkMaxPairs must be a whole number from benchmarkPairs to 200');
    }
    const budgetMs = request.benchmarkBudgetMs ?? 600_000;
    if (typeof budgetMs !== 'number' || !Number.isFinite(budgetMs) || budgetMs <= 0) {
      throw new SandboxError(ErrorCode.InvalidInput, 'benchmarkBudgetMs must be a positive number of milliseconds');
    }
    if (typeof request.materialise !== 'function') throw new SandboxError(ErrorCode.InvalidInput, 'compare needs a materialise callback');
    parseSandboxLimits(request.limits);
    validateCommand(request.testCommand, request.env);
    if (request.benchmarkCommand !== undefined) validateCommand(request.benchmarkCommand, request.env);

    const dirs: Partial<Record<SandboxSide, string>> = {};
    try {
      for (const side of ['base', 'head'] as const) {
        dirs[side] = await materialiseTree(side, (dir) => request.materialise(side, dir));
      }
      const runSide = (side: SandboxSide, phase: 'test' | 'benchmark', command: ReadonlyArray<string>): Promise<SandboxRunResult> =>
        run({
          workspaceDir: dirs[side] as string,
          command,
          limits: request.limits,
          image: request.image,
          imageDigest: request.imageDigest,
          side,
          env: request.env,
          signal: request.signal,
          onOutput: request.onOutput ? (stream, chunk) => request.onOutput?.(side, phase, stream, chunk) : undefined,
          onStart: request.onStart ? (started) => request.onStart?.(side, phase, started) : undefined,
        });
      const [baseRun, headRun] = await Promise.all([runSide('base', 'test', request.testCommand), runSide('head', 'test', request.testCommand)]);

      let benchmark: SandboxBenchmarkReport | null = null;
      const engineServed = baseRun.status === 'completed' && headRun.status === 'completed';
      if (request.benchmarkCommand !== undefined && engineServed) {
        const command = request.benchmarkCommand;
        const settings = { minEffect: threshold, significance, pairsWanted };
        // One run at a time, the first side swapping every pair, so drift and warm-up on the machine
        // hit both sides alike; more pairs while the verdict is open (see collectPairs).
        const collected = await collectPairs<SandboxRunResult>({
          run: (side) => runSide(side, 'benchmark', command),
          succeeded: benchmarkSucceeded,
          verdict: (pairs) => compareBenchmarks(pairs, settings),
          settings,
          maxPairs,
          budgetMs,
          now: () => performance.now(),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        benchmark = { ...compareBenchmarks(collected.pairs, settings), pairs: collected.pairs, stop: collected.stop };
      }
      const testsPassedBase = testsPassed(baseRun);
      const testsPassedHead = testsPassed(headRun);
      return {
        base: baseRun,
        head: headRun,
        testsPassedBase,
        testsPassedHead,
        // Fixed/broken only between two runs the engine actually completed.
        fixed: engineServed && !testsPassedBase && testsPassedHead,
        broken: engineServed && testsPassedBase && !testsPassedHead,
        benchmarkChange: benchmark?.change ?? null,
        regression: benchmark?.regression ?? false,
        benchmark: benchmark === null ? null : benchmarkSummary(benchmark),
        benchmarkRuns: benchmark,
      };
    } finally {
      for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
    }
  }

  function cancel(runId: string): boolean {
    const control = runs.get(runId);
    if (!control) return false;
    control.controller.abort();
    return true;
  }

  async function listOurs(filter: string): Promise<ReadonlyArray<Dockerode.ContainerInfo>> {
    return withTimeout(docker().listContainers({ all: true, filters: { label: [filter] } }), 30_000, 'container list');
  }

  async function cleanupStale(): Promise<ReadonlyArray<string>> {
    const removed: string[] = [];
    const host = hostname();
    for (const info of await listOurs(`${SandboxLabel.sandbox}=1`)) {
      const labels = info.Labels ?? {};
      if (labels[SandboxLabel.instance] === instanceId) continue;
      const ownerLabel = labels[SandboxLabel.owner] ?? '';
      const at = ownerLabel.lastIndexOf(':');
      const ownerHost = ownerLabel.slice(0, at);
      const ownerPid = Number(ownerLabel.slice(at + 1));
      // A shared (DOCKER_HOST) engine also runs other workstations' sandboxes: only this host's dead owners' are stale.
      if (at < 0 || ownerHost !== host || !Number.isInteger(ownerPid) || ownerPid <= 0) continue;
      // Another sandbox instance in this very process, or a live process, still owns it.
      if (ownerPid === process.pid || isProcessAlive(ownerPid)) continue;
      if (await removeContainer(info.Id)) removed.push(info.Id);
    }
    return removed;
  }

  async function shutdown(): Promise<SandboxShutdown> {
    closed = true;
    const inFlight = [...runs.values()];
    queue.withdrawAll('the sandbox service has shut down');
    for (const control of inFlight) control.controller.abort();
    await Promise.race([
      Promise.allSettled(inFlight.map((c) => c.done)),
      new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref()),
    ]);
    let removed = 0;
    let remaining = 0;
    const leftovers = new Set(containers);
    try {
      for (const info of await listOurs(`${SandboxLabel.instance}=${instanceId}`)) leftovers.add(info.Id);
    } catch {
      // Engine gone: the owner label lets cleanupStale() find these on the next start.
    }
    for (const id of leftovers) {
      if (await removeContainer(id)) removed++;
      else remaining++;
    }
    return { cancelled: inFlight.length, removed, remaining };
  }

  return {
    instanceId,
    probeEngine,
    run,
    runTree,
    compare,
    cancel,
    activity: () => queue.state(),
    cleanupStale,
    shutdown,
  };
}

/**
 * A pool of analysis worker threads, so the Electron main process never blocks on parsing.
 *
 * A request's files are split across the workers by size and the partial reports merged; a request can
 * be cancelled with an AbortSignal, which terminates the threads working on it (parsing is synchronous,
 * so terminating is the only prompt way to stop) and rejects with {@link AnalysisCancelledError}.
 * Idle workers are unref'd and do not keep the process alive.
 *
 * A request whose files no grammar parses (text, configuration, documents) gets only the secret scan,
 * a few regular expressions: that runs in the calling thread, since starting a thread costs more (the CI
 * gate `gatehouse verify` of a changed text file waited about 250 ms for one).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Finding } from '../../../shared/model/domain';
import { GatehouseError, type ErrorCode } from '../../../shared/model/result';
import { compareFindings, createAnalyzer, type Analyzer } from './engine';
import { AnalysisCancelledError, AnalysisFailedError } from './errors';
import { languagesOf } from './languages';
import { workerInit, type AnalyzeRequest, type WorkerResponse } from './protocol';
import type { AnalysisFile, AnalysisReport, AnalyzerOptions, SkippedFile } from './types';

/** Options of {@link createAnalysisPool}. */
export interface AnalysisPoolOptions extends AnalyzerOptions {
  /** The worker entry; default: the built `dist/workers/analysis-worker.cjs`, or `worker.ts` from source. */
  readonly workerFile?: string;
  /** Number of worker threads (default: available cores, at most 4). */
  readonly size?: number;
}

/** At most this much text (UTF-16 code units) of files no grammar parses is scanned in the calling thread. */
const INLINE_MAX_CHARS = 1024 * 1024;

/** Options of one {@link AnalysisPool.analyze} call. */
export interface AnalyzeOptions {
  readonly signal?: AbortSignal;
}

/** Analysis in worker threads. */
export interface AnalysisPool {
  readonly size: number;
  /** Analyses files off the calling thread. */
  analyze(files: ReadonlyArray<AnalysisFile>, options?: AnalyzeOptions): Promise<AnalysisReport>;
  /** Stops every worker; pending requests reject as cancelled. */
  close(): Promise<void>;
}

/** One analysis pool per distinct list of denied imports (a policy's), created when first asked for. */
export interface AnalysisPools {
  /** The pool for `deniedImports` (any order). */
  get(deniedImports: ReadonlyArray<string>): AnalysisPool;
  /** Closes every pool created. */
  close(): Promise<void>;
}

/** Creates the pools of one core; each pool has `size` workers. */
export function createAnalysisPools(size: number): AnalysisPools {
  const pools = new Map<string, AnalysisPool>();
  return {
    get(deniedImports) {
      const key = JSON.stringify([...deniedImports].sort());
      let pool = pools.get(key);
      if (!pool) {
        pool = createAnalysisPool({ deniedImports: [...deniedImports], size });
        pools.set(key, pool);
      }
      return pool;
    },
    close: async () => {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}

/**
 * Where the worker entry is: next to this file when running from TypeScript source (vitest, tsx),
 * otherwise `../workers/analysis-worker.cjs` from the bundle this code was built into (dist/main, dist/cli).
 */
export function defaultWorkerFile(): string {
  if (__filename.endsWith('.ts')) return join(__dirname, 'worker.ts');
  return join(__dirname, '..', 'workers', 'analysis-worker.cjs');
}

function startWorker(workerFile: string, workerData: unknown): Worker {
  if (!workerFile.endsWith('.ts')) return new Worker(workerFile, { workerData });
  // Running from TypeScript source (vitest, tsx): Node 20 does not apply `--import` loader hooks to a
  // worker's own entry file, so a small CommonJS bootstrap registers tsx's require hook, then loads it.
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  const bootstrap = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(workerFile)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

interface Job {
  readonly started: number;
  readonly parts: AnalysisReport[];
  readonly tasks: Task[];
  remaining: number;
  settled: boolean;
  readonly resolve: (report: AnalysisReport) => void;
  readonly reject: (error: Error) => void;
}

interface Task {
  readonly id: number;
  readonly files: ReadonlyArray<AnalysisFile>;
  readonly job: Job;
  slot?: Slot;
}

interface Slot {
  readonly worker: Worker;
  task?: Task;
  /** Set when we terminate it on purpose, so its exit is not reported as a crash. */
  retired: boolean;
}

function splitBySize(files: ReadonlyArray<AnalysisFile>, parts: number): AnalysisFile[][] {
  const buckets = Array.from({ length: Math.max(1, Math.min(parts, files.length)) }, () => ({ size: 0, files: [] as AnalysisFile[] }));
  const order = files.map((f, i) => ({ f, i })).sort((a, b) => b.f.text.length - a.f.text.length || a.i - b.i);
  for (const { f } of order) {
    let smallest = buckets[0];
    for (const b of buckets) if (smallest === undefined || b.size < smallest.size) smallest = b;
    if (smallest === undefined) break;
    smallest.files.push(f);
    smallest.size += f.text.length + 256;
  }
  return buckets.map((b) => b.files).filter((b) => b.length > 0);
}

function mergeReports(parts: ReadonlyArray<AnalysisReport>, durationMs: number): AnalysisReport {
  const findings: Finding[] = parts.flatMap((p) => p.findings).sort(compareFindings);
  const skipped: SkippedFile[] = parts.flatMap((p) => p.skipped).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parseErrors = parts.flatMap((p) => p.parseErrors ?? []).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sum = (key: 'files' | 'parsedFiles' | 'lines' | 'bytes'): number => parts.reduce((n, p) => n + p.stats[key], 0);
  return {
    findings,
    skipped,
    parseErrors,
    stats: { files: sum('files'), parsedFiles: sum('parsedFiles'), lines: sum('lines'), bytes: sum('bytes'), durationMs },
  };
}

/** Starts a pool of analysis worker threads (lazily: a thread starts when work arrives). */
export function createAnalysisPool(options: AnalysisPoolOptions = {}): AnalysisPool {
  const workerFile = options.workerFile ?? defaultWorkerFile();
  const size = Math.max(1, Math.floor(options.size ?? Math.min(4, availableParallelism())));
  const init = workerInit(options);
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;
  // the analyser for text-only requests: no grammar, so no wasm is loaded in this thread
  let inline: Promise<Analyzer> | undefined;

  async function analyzeInline(files: ReadonlyArray<AnalysisFile>, started: number, signal: AbortSignal | undefined): Promise<AnalysisReport> {
    inline ??= createAnalyzer({ deniedImports: init.deniedImports, languages: [], ...(init.maxFileBytes === undefined ? {} : { maxFileBytes: init.maxFileBytes }) });
    const analyzer = await inline;
    if (closed) throw new AnalysisCancelledError('analysis pool closed');
    if (signal?.aborted === true) throw new AnalysisCancelledError();
    return mergeReports([analyzer.analyzeFiles(files)], performance.now() - started);
  }

  function failJob(job: Job, error: Error): void {
    if (job.settled) return;
    job.settled = true;
    for (const task of job.tasks) {
      const queued = queue.indexOf(task);
      if (queued !== -1) queue.splice(queued, 1);
      if (task.slot !== undefined && task.slot.task === task) retire(task.slot);
    }
    job.reject(error);
    dispatch();
  }

  function retire(slot: Slot): void {
    slot.retired = true;
    slot.task = undefined;
    const i = slots.indexOf(slot);
    if (i !== -1) slots.splice(i, 1);
    // fire and forget: terminate() resolves when the thread is gone, nothing waits on it here
    void slot.worker.terminate();
  }

  function finishTask(slot: Slot, task: Task, response: WorkerResponse): void {
    slot.task = undefined;
    task.slot = undefined;
    slot.worker.unref();
    const job = task.job;
    if (!job.settled) {
      if (response.type === 'error') {
        failJob(job, new GatehouseError(response.code as ErrorCode, response.message));
      } else {
        job.parts.push(response.report);
        job.remaining--;
        if (job.remaining === 0) {
          job.settled = true;
          job.resolve(mergeReports(job.parts, performance.now() - job.started));
        }
      }
    }
    dispatch();
  }

  function spawn(): Slot {
    if (!existsSync(workerFile)) throw new AnalysisFailedError(`analysis worker not found at ${workerFile} (run the build)`);
    const worker = startWorker(workerFile, init);
    const slot: Slot = { worker, retired: false };
    worker.on('message', (response: WorkerResponse) => {
      const task = slot.task;
      if (task === undefined || response.id !== task.id) return;
      finishTask(slot, task, response);
    });
    const crashed = (error: Error): void => {
      if (slot.retired) return;
      const task = slot.task;
      retire(slot);
      if (task !== undefined) failJob(task.job, new AnalysisFailedError(`analysis worker failed: ${error.message}`));
      else dispatch();
    };
    worker.on('error', crashed);
    worker.on('exit', (code) => crashed(new Error(`exited with code ${code}`)));
    worker.unref();
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    while (queue.length > 0) {
      let slot = slots.find((s) => s.task === undefined);
      if (slot === undefined) {
        if (slots.length >= size) return;
        try {
          slot = spawn();
        } catch (error) {
          const task = queue.shift();
          if (task !== undefined) failJob(task.job, error instanceof Error ? error : new Error(String(error)));
          continue;
        }
      }
      const task = queue.shift();
      if (task === undefined) return;
      slot.task = task;
      task.slot = slot;
      slot.worker.ref();
      const request: AnalyzeRequest = { type: 'analyze', id: task.id, files: task.files };
      slot.worker.postMessage(request);
    }
  }

  function analyze(files: ReadonlyArray<AnalysisFile>, callOptions: AnalyzeOptions = {}): Promise<AnalysisReport> {
    const { signal } = callOptions;
    if (closed) return Promise.reject(new AnalysisCancelledError('analysis pool is closed'));
    if (signal?.aborted === true) return Promise.reject(new AnalysisCancelledError());
    const started = performance.now();
    if (files.length === 0) {
      return Promise.resolve({ findings: [], skipped: [], parseErrors: [], stats: { files: 0, parsedFiles: 0, lines: 0, bytes: 0, durationMs: 0 } });
    }
    if (languagesOf(files).length === 0 && files.reduce((n, f) => n + f.text.length, 0) <= INLINE_MAX_CHARS) return analyzeInline(files, started, signal);
    return new Promise<AnalysisReport>((resolve, reject) => {
      const onAbort = (): void => failJob(job, new AnalysisCancelledError());
      const job: Job = {
        started,
        parts: [],
        tasks: [],
        remaining: 0,
        settled: false,
        resolve: (report) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(report);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      for (const chunk of splitBySize(files, size)) {
        const task: Task = { id: nextId++, files: chunk, job };
        job.tasks.push(task);
        queue.push(task);
      }
      job.remaining = job.tasks.length;
      signal?.addEventListener('abort', onAbort, { once: true });
      dispatch();
    });
  }

  async function close(): Promise<void> {
    closed = true;
    void inline?.then((a) => a.close(), () => undefined);
    for (const task of [...queue]) failJob(task.job, new AnalysisCancelledError('analysis pool closed'));
    const running = [...slots];
    for (const slot of running) {
      if (slot.task !== undefined) failJob(slot.task.job, new AnalysisCancelledError('analysis pool closed'));
    }
    await Promise.all(
      running.map((slot) => {
        slot.retired = true;
        return slot.worker.terminate();
      }),
    );
    slots.length = 0;
  }

  return { size, analyze, close };
}

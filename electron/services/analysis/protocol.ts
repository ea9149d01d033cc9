/**
 * Messages between the analysis pool (main thread) and its worker threads.
 */
import type { ErrorCode } from '../../../shared/model/result';
import type { AnalysisFile, AnalysisReport, AnalyzerOptions } from './types';

/** What a worker is started with (`workerData`). */
export interface WorkerInit {
  readonly deniedImports: ReadonlyArray<string>;
  readonly maxFileBytes?: number;
}

/** Main → worker. */
export interface AnalyzeRequest {
  readonly type: 'analyze';
  readonly id: number;
  readonly files: ReadonlyArray<AnalysisFile>;
}

/** Worker → main. */
export type WorkerResponse =
  | { readonly type: 'result'; readonly id: number; readonly report: AnalysisReport }
  | { readonly type: 'error'; readonly id: number; readonly code: ErrorCode; readonly message: string };

/** Builds the worker's start data from analyser options. */
export function workerInit(options: AnalyzerOptions): WorkerInit {
  return {
    deniedImports: [...(options.deniedImports ?? [])],
    ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
  };
}

/** Narrows an incoming message to an {@link AnalyzeRequest}. */
export function isAnalyzeRequest(value: unknown): value is AnalyzeRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; id?: unknown; files?: unknown };
  return v.type === 'analyze' && typeof v.id === 'number' && Array.isArray(v.files);
}

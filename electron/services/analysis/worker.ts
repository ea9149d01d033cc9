/**
 * Worker-thread entry of the analysis pool (bundled to dist/workers/analysis-worker.cjs).
 *
 * Parsing and rule matching are synchronous CPU work; running them here keeps the Electron main
 * process responsive. One analyser per thread, created from `workerData` and reused; it loads the
 * grammar of a language when the first file of that language arrives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { createAnalyzer } from './engine';
import { languagesOf } from './languages';
import { isAnalyzeRequest, type WorkerInit, type WorkerResponse } from './protocol';

function start(): void {
  const port = parentPort;
  if (port === null) throw new Error('analysis worker must run in a worker thread');
  const init = (workerData ?? { deniedImports: [] }) as WorkerInit;
  const analyzer = createAnalyzer({
    languages: [],
    deniedImports: Array.isArray(init.deniedImports) ? init.deniedImports.filter((d): d is string => typeof d === 'string') : [],
    ...(typeof init.maxFileBytes === 'number' ? { maxFileBytes: init.maxFileBytes } : {}),
  });
  // a failed start is reported per request, so no request waits forever
  analyzer.catch(() => undefined);
  port.on('message', (message: unknown) => {
    if (!isAnalyzeRequest(message)) return;
    const { id } = message;
    analyzer
      .then(async (a) => {
        await a.load(languagesOf(message.files));
        const response: WorkerResponse = { type: 'result', id, report: a.analyzeFiles(message.files) };
        port.postMessage(response);
      })
      .catch((error: unknown) => {
        const response: WorkerResponse = {
          type: 'error',
          id,
          code: error instanceof GatehouseError ? error.code : ErrorCode.Internal,
          message: error instanceof Error ? error.message : String(error),
        };
        port.postMessage(response);
      });
  });
}

start();

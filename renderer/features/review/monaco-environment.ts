/**
 * Where Monaco gets its web workers. Runs before Monaco loads (imported first by monaco-setup.ts).
 *
 * Each worker is a separate same-origin file emitted by Vite (`?worker`), never a blob: or data: URL,
 * so the CSP's `worker-src 'self'` holds.
 */
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker';

let prespawned: Worker | null = null;

/**
 * Starts Monaco's editor worker before Monaco itself is loaded: fetching, compiling and starting it then
 * runs on its own thread while the page loads, and Monaco takes this worker when it first needs one (the
 * worker waits for Monaco's first message before it does anything).
 */
export function prespawnEditorWorker(): void {
  prespawned ??= new EditorWorker({ name: 'monaco-editor' });
}

self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    // JSON folding runs in its own worker; diffing and everything else in the editor worker.
    if (label === 'json') return new JsonWorker({ name: 'monaco-json' });
    const early = prespawned;
    if (early !== null) {
      prespawned = null;
      return early;
    }
    return new EditorWorker({ name: 'monaco-editor' });
  },
};

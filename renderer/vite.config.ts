/**
 * Vite build of the renderer: served by main from a custom protocol (or loaded by the Chromium bridge)
 * under a CSP without 'unsafe-eval' or blob:, so every script and worker must be a same-origin file.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// This folder, whatever the working directory (Vite sets import.meta.dirname when it loads the config).
const root = import.meta.dirname;

/**
 * Monaco's layers (vs/base, vs/platform, vs/editor/common, vs/editor/browser) as chunks of their own.
 *
 * As one 3.3 MB chunk, Monaco was parsed by a single background thread while the first diff waited for
 * it (a Chromium trace of a review link: `v8.parseOnBackground` of that chunk was the longest wait on the
 * path to the first diff). Split, the chunks are fetched together (Vite preloads a dynamic import's
 * dependencies in parallel) and parsed on several threads at once. The split follows VS Code's own
 * layering (base ← platform ← editor/common ← editor/browser, enforced upstream by its layer checks), so
 * no chunk imports a later one and they evaluate in order. The contributions, the standalone services
 * and the React wrapper stay in the diff pane's chunk.
 */
function monacoLayerChunk(id: string): string | undefined {
  // Vite's preload helper (a dependency of Monaco's lazy language loaders) would otherwise be pulled into
  // one of these chunks, and the entry, which needs it too, would load that chunk at start-up.
  if (id.includes('vite/preload-helper')) return 'preload-helper';
  const match = /\/node_modules\/monaco-editor\/esm\/vs\/(base|platform|editor\/common|editor\/browser)\//.exec(id);
  return match === null ? undefined : `monaco-${(match[1] ?? '').replace('/', '-')}`;
}

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [react()],
  // Only NODE_ENV is replaced; no global `process` object is ever defined in the page (the E2E test
  // asserts `typeof process === 'undefined'`).
  define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
  build: {
    // Relative to root.
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome130',
    // Inlined assets become data: URLs; fonts and images may be data: under the CSP, scripts and
    // workers may not, and Vite never inlines those unless asked (`?worker&inline`).
    assetsInlineLimit: 4096,
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: { manualChunks: monacoLayerChunk },
      onwarn(warning, warn) {
        // zod ships comments Rollup cannot place; they only cost tree-shaking hints, not correctness.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/zod/') === true) return;
        warn(warning);
      },
    },
  },
  // Monaco's workers import modules dynamically, which only the ES worker format can split.
  worker: { format: 'es' },
  server: { strictPort: true },
}));

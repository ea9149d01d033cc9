/**
 * Vite build of the renderer: served by main from a custom protocol (or loaded by the Chromium bridge)
 * under a CSP without 'unsafe-eval' or blob:, so every script and worker must be a same-origin file.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// This folder, whatever the working directory (Vite sets import.meta.dirname when it loads the config).
const root = import.meta.dirname;

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

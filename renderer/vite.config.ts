/**
 * Vite build of the renderer: served by main from a custom protocol (or loaded by the Chromium bridge)
 * under a CSP without 'unsafe-eval' or blob:, so every script and worker must be a same-origin file.
 */
import react from '@vitejs/plugin-react';
import { defineConfig, type HtmlTagDescriptor, type Plugin } from 'vite';
import type { OutputBundle, OutputChunk } from 'rollup';

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

/** The modules whose chunks a proposal's link needs: the review (its plain diff is the first diff) and the diff editor (the views load the rest). */
const REVIEW_LINK_MODULES = ['/features/review/ReviewView.tsx', '/features/review/DiffPane.tsx'];

/**
 * Adds the link boot script (app/link-boot.ts, an entry of its own) to index.html, with a `<template>`
 * of `modulepreload` links to every chunk the review of a link needs: the review view's and the diff
 * pane's chunks and all they import (Monaco's layers), minus what index.html loads anyway. The script
 * puts the links in the document on a review link only, so those chunks stream in beside the entry
 * instead of after it. Chunk names are hashed, hence built here from the bundle.
 */
function reviewLinkPreload(): Plugin {
  return {
    name: 'gatehouse-review-link-preload',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context): HtmlTagDescriptor[] {
        const bundle: OutputBundle | undefined = context.bundle;
        if (bundle === undefined) return [];
        const chunks = Object.values(bundle).filter((output): output is OutputChunk => output.type === 'chunk');
        const boot = chunks.find((chunk) => chunk.isEntry && chunk.facadeModuleId?.endsWith('/app/link-boot.ts') === true);
        const main = context.chunk;
        if (boot === undefined || main === undefined) throw new Error('the link boot entry or the main entry is missing from the bundle');
        if (boot.imports.length > 0) throw new Error(`link-boot.ts must import no shared chunk (it imports ${boot.imports.join(', ')})`);
        const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk] as const));
        // What index.html already loads: the entry and its static imports.
        const loaded = new Set<string>([main.fileName, ...main.imports]);
        const wanted: string[] = [];
        const visit = (fileName: string): void => {
          if (loaded.has(fileName) || wanted.includes(fileName)) return;
          wanted.push(fileName);
          for (const imported of byName.get(fileName)?.imports ?? []) visit(imported);
        };
        for (const module of REVIEW_LINK_MODULES) {
          // The chunk holding the module (a chunk shared by two dynamic imports has no facade module).
          const chunk = chunks.find((candidate) => candidate.moduleIds.some((id) => id.endsWith(module)));
          if (chunk === undefined) throw new Error(`no chunk for ${module}`);
          visit(chunk.fileName);
        }
        return [
          {
            tag: 'template',
            attrs: { id: 'review-link-chunks' },
            children: wanted.map((fileName) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `./${fileName}` } })),
            injectTo: 'head',
          },
          { tag: 'script', attrs: { type: 'module', async: true, crossorigin: true, src: `./${boot.fileName}` }, injectTo: 'head' },
        ];
      },
    },
  };
}

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [react(), reviewLinkPreload()],
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
      // The link boot script is an entry of its own (see reviewLinkPreload), loaded beside the main one.
      input: { index: `${root}/index.html`, 'link-boot': `${root}/app/link-boot.ts` },
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

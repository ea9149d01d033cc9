#!/usr/bin/env node
// Builds every part of Gatehouse into dist/: the Electron main process, the sandboxed preload (CommonJS),
// the CLI, the Chromium bridge host, worker threads (esbuild), the renderer (Vite) and the audit verifier's
// SQLite extension (build/native.mjs; skipped with a reason where it cannot be compiled).
// Skips work whose output is newer than every source file, so `npm start` and `npm test` stay fast.
// `--force` rebuilds everything.
import { build as esbuild } from 'esbuild';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_CHAIN_OUT, AUDIT_CHAIN_SOURCE, buildAuditChain } from './native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');

/**
 * The CLI's first two lines, a launcher that is both sh and JavaScript (to Node, line 2 is a string and a
 * comment). Node 20 parses the NODE_EXTRA_CA_CERTS file before it runs any script, 48 ms of an 80 ms start
 * where it names the system bundle; the launcher moves the variable to GATEHOUSE_DEFERRED_EXTRA_CA_CERTS
 * and the CLI applies it itself on its first TLS connection (electron/services/records/deferred-ca-certs.ts).
 * With --use-openssl-ca in NODE_OPTIONS (trust OpenSSL's store, not Node's) it defers nothing. `node
 * gatehouse.cjs` skips the launcher, and Node reads the variable as usual.
 */
const CLI_LAUNCHER = [
  '#!/bin/sh',
  '":" //; [ -z "$NODE_EXTRA_CA_CERTS" ] || case "$NODE_OPTIONS" in *--use-openssl-ca*) ;; *) export GATEHOUSE_DEFERRED_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= ;; esac; exec node "$0" "$@"',
].join('\n');

/** Node-side bundles: entry (relative to root) → output file. */
const nodeBundles = [
  { entry: 'electron/main/main.ts', out: 'dist/main/main.cjs', external: ['electron'] },
  // The preload runs sandboxed: it may only require('electron'), so everything else is bundled in.
  { entry: 'electron/preload/preload.ts', out: 'dist/preload/preload.cjs', external: ['electron'], bundleAll: true },
  // The CLI entry holds only commander and the command table; each command module is its own bundle in
  // dist/cli-commands/, required when its command runs, so `gatehouse --version` compiles a few KB.
  // CLI bundles turn import() into require(): Node would otherwise start its ES module loader and run
  // cjs-module-lexer over every CommonJS file so imported (the 90-760 KB command bundles, canonicalize).
  // commander stays in node_modules here: bundled, its 130 KB would be compiled by `gatehouse --version` too.
  { entry: 'electron/cli/main.ts', out: 'dist/cli/gatehouse.cjs', banner: CLI_LAUNCHER, plugins: [cliCommandChunks()], requireImports: true, cliExternal: ['commander'] },
  ...['workspace', 'rollback', 'scan', 'audit', 'policy', 'approval', 'verify', 'sync', 'comment', 'agent', 'key-agent'].map((name) => ({
    entry: `electron/cli/commands/${name}.ts`,
    out: `dist/cli-commands/${name}.cjs`,
    requireImports: true,
    // The MCP SDK (external) checks our zod schemas against its own zod: one copy for both.
    cliExternal: name === 'agent' ? ['zod', 'zod/*'] : [],
  })),
  { entry: 'electron/bridge/host.ts', out: 'dist/bridge/host.cjs' },
  { entry: 'electron/services/analysis/worker.ts', out: 'dist/workers/analysis-worker.cjs' },
  { entry: 'electron/services/audit/verify-worker.ts', out: 'dist/workers/audit-verify-worker.cjs' },
];

/**
 * What the CLI bundles leave to node_modules: native addons, packages that find files next to themselves
 * (wasm grammars), and large ones only some commands use, loaded where they are used. Everything else is
 * bundled, so a command resolves, reads and compiles one file (esbuild also drops what is never imported,
 * such as zod's locales and the isomorphic-git commands Gatehouse does not call).
 */
const CLI_EXTERNAL = [
  'better-sqlite3',
  'web-tree-sitter',
  '@vscode/tree-sitter-wasm',
  'dockerode',
  '@stdlib/*',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/sdk/*',
  'playwright-core',
  'electron',
];

/**
 * zod re-exports all of its ~60 message locales as `z.locales`, so every bundle with zod carried 370 KB of
 * them (13% of the verify bundle) that each command read, hashed and compiled. Gatehouse configures only
 * English, which zod itself loads directly (`config(en())`): in the CLI bundles `z.locales` holds `en` alone.
 */
function zodEnglishOnly() {
  return {
    name: 'zod-english-only',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir) ? { path: join(args.resolveDir, '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(args.path)};`,
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
    },
  };
}

/** Resolves program.ts's `import('./commands/NAME')` to the separately built dist/cli-commands/NAME.cjs. */
function cliCommandChunks() {
  return {
    name: 'cli-command-chunks',
    setup(build) {
      build.onResolve({ filter: /^\.\/commands\/[a-z-]+$/ }, (args) =>
        args.importer.endsWith(join('electron', 'cli', 'program.ts'))
          ? { path: `../cli-commands/${args.path.slice('./commands/'.length)}.cjs`, external: true }
          : undefined,
      );
    },
  };
}

function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') walk(join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) walk(join(root, p));
  return newest;
}

function upToDate(outputs, sources) {
  if (force) return false;
  let oldestOut = Infinity;
  for (const o of outputs) {
    const p = join(root, o);
    if (!existsSync(p)) return false;
    oldestOut = Math.min(oldestOut, newestMtime([o]));
  }
  return newestMtime(sources) <= oldestOut;
}

const nodeSources = ['electron', 'shared', 'package.json', 'build/build.mjs'];
const present = nodeBundles.filter((b) => existsSync(join(root, b.entry)));
if (!upToDate(present.map((b) => b.out), nodeSources)) {
  await Promise.all(
    present.map((b) =>
      esbuild({
        entryPoints: [join(root, b.entry)],
        outfile: join(root, b.out),
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        sourcemap: 'linked',
        packages: b.bundleAll || b.requireImports ? undefined : 'external',
        external: b.requireImports ? [...CLI_EXTERNAL, ...(b.cliExternal ?? [])] : (b.external ?? []),
        logLevel: 'warning',
        banner: b.banner ? { js: b.banner } : undefined,
        plugins: [...(b.plugins ?? []), ...(b.requireImports && !(b.cliExternal ?? []).includes('zod') ? [zodEnglishOnly()] : [])],
        supported: b.requireImports ? { 'dynamic-import': false } : undefined,
      }),
    ),
  );
  chmodSync(join(root, 'dist/cli/gatehouse.cjs'), 0o755);
  console.log(`built ${present.map((b) => relative(root, join(root, b.out))).join(', ')}`);
}

const rendererSources = ['renderer', 'shared', 'package.json'];
if (existsSync(join(root, 'renderer/index.html')) && !upToDate(['dist/renderer/index.html'], rendererSources)) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
  console.log('built dist/renderer');
}

// The audit verifier's SQLite extension: optional (the verifier's JavaScript path gives the same verdicts),
// so a machine that cannot compile it says why and goes on.
const nativeSources = [AUDIT_CHAIN_SOURCE, 'build/native.mjs', 'node_modules/better-sqlite3/package.json'];
if (!upToDate([AUDIT_CHAIN_OUT], nativeSources)) {
  const notBuilt = buildAuditChain(root);
  console.log(notBuilt === null ? `built ${AUDIT_CHAIN_OUT}` : `${AUDIT_CHAIN_OUT} not built: ${notBuilt} (audit verification runs in JavaScript alone)`);
}

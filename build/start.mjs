#!/usr/bin/env node
// `npm start`: build if needed, then launch Electron; when the Electron binary is missing (offline
// machines install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), say so in one line and open the console in
// Chromium through the bridge instead. Arguments after `--` pass through (e.g. --headless --screenshot F).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

const built = spawnSync(process.execPath, [join(root, 'build/build.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

function electronBinary() {
  try {
    // The electron package exports the binary's path, and throws when the binary was never downloaded.
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const electron = electronBinary();
let child;
if (electron && !args.includes('--bridge')) {
  child = spawn(electron, [root, ...args], { stdio: 'inherit' });
} else {
  if (!args.includes('--bridge')) {
    console.error('Electron binary not installed here; opening the Gatehouse console in Chromium instead.');
  }
  child = spawn(process.execPath, [join(root, 'dist/bridge/host.cjs'), ...args.filter((a) => a !== '--bridge')], {
    stdio: 'inherit',
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));

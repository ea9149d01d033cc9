/**
 * `node dist/bridge/host.cjs` — opens the Gatehouse console in Chromium through the bridge.
 *
 * Used by `npm start` when the Electron binary is missing, and for checks:
 * `--headless --screenshot FILE` renders once, writes a PNG and exits.
 */
import { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createCore } from '../core/create-core';
import { resolveDataDir } from '../core/data-dir';
import { launchBridge } from './launch';

async function main(): Promise<number> {
  const program = new Command('gatehouse-bridge')
    .description('Open the Gatehouse console in Chromium (no Electron binary needed)')
    .option('--data-dir <dir>', 'data directory (default: GATEHOUSE_DATA_DIR or the per-user folder)')
    .option('--headless', 'run Chromium without a window')
    .option('--screenshot <file>', 'render once, write a PNG and exit')
    .option('--chromium <path>', 'Chromium executable (default: GATEHOUSE_CHROMIUM, /usr/bin/chromium)')
    .parse(process.argv);
  const options = program.opts<{ dataDir?: string; headless?: boolean; screenshot?: string; chromium?: string }>();
  const headless = options.headless === true || options.screenshot !== undefined || !hasDisplay();
  const core = await createCore({
    dataDir: resolveDataDir(options.dataDir),
    shell: { shell: 'chromium-bridge', electron: null, chromium: null },
    periodicCheckpoints: true,
  });
  const bridge = await launchBridge({
    core,
    rendererDir: join(__dirname, '..', 'renderer'),
    headless,
    profileDir: core.layout.browserProfileDir,
    ...(options.chromium ? { chromiumPath: options.chromium } : {}),
  });
  const shutdown = async () => {
    await bridge.close().catch(() => undefined);
    await core.close();
  };
  process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));

  if (options.screenshot !== undefined) {
    try {
      await bridge.page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      const file = resolve(options.screenshot);
      mkdirSync(dirname(file), { recursive: true });
      await bridge.page.screenshot({ path: file, fullPage: false });
      process.stdout.write(`wrote ${file}\n`);
      return 0;
    } finally {
      await shutdown();
    }
  }
  if (headless) {
    process.stdout.write(`Gatehouse is running headless in Chromium (data: ${core.layout.root}); Ctrl-C to stop.\n`);
  }
  await new Promise<void>((resolveClosed) => bridge.page.on('close', () => resolveClosed()));
  await shutdown();
  return 0;
}

function hasDisplay(): boolean {
  if (process.platform === 'win32' || process.platform === 'darwin') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

/**
 * E2E fixtures: each test gets its own data directory, a real core over it, and the console running in
 * Chromium through the bridge (the same handler table the Electron shell uses).
 */
import { test as base, expect, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, type Core } from '../../electron/core/create-core';
import { launchBridge, type Bridge } from '../../electron/bridge/launch';
import type { Logger } from '../../electron/core/logger';

const root = join(__dirname, '..', '..');

/** What a console test works with. */
export interface ConsoleFixture {
  readonly page: Page;
  readonly dataDir: string;
  readonly core: Core;
  readonly bridge: Bridge;
  /** Main-process log lines, to attach when a test fails. */
  readonly log: ReadonlyArray<string>;
}

function collectingLogger(lines: string[]): Logger {
  const push = (level: string) => (message: string, detail?: unknown) => {
    lines.push(`${level} ${message}${detail === undefined ? '' : ` ${detail instanceof Error ? detail.stack : JSON.stringify(detail)}`}`);
  };
  return { info: push('info'), warn: push('warn'), error: push('error') };
}

/** Playwright's test with a `gatehouse` fixture: the console in the Chromium bridge. */
export const test = base.extend<{ gatehouse: ConsoleFixture }>({
  gatehouse: async ({}, use, testInfo) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
    const log: string[] = [];
    const core = await createCore({
      dataDir,
      shell: { shell: 'chromium-bridge', electron: null, chromium: null },
      logger: collectingLogger(log),
    });
    const bridge = await launchBridge({ core, rendererDir: join(root, 'dist', 'renderer'), headless: true });
    const pageErrors: string[] = [];
    bridge.page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await use({ page: bridge.page, dataDir, core, bridge, log });
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('main-log', { body: log.join('\n'), contentType: 'text/plain' });
        await testInfo.attach('page-errors', { body: pageErrors.join('\n'), contentType: 'text/plain' });
      }
      await bridge.close().catch(() => undefined);
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect };

/**
 * The same checks in the real Electron shell, plus the window's webPreferences. Runs wherever the
 * Electron binary is installed; skipped with a one-line reason elsewhere (offline build machines
 * install with ELECTRON_SKIP_BINARY_DOWNLOAD=1).
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function electronBinary(): string | undefined {
  try {
    const path = createRequire(__filename)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();

test.describe('Electron shell', () => {
  test.skip(binary === undefined, 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); the Chromium bridge specs cover the renderer');

  test('secure window, app:info on screen, no Node in the renderer, refusals as Result errors', async ({}, testInfo) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-electron-'));
    const app = await electron.launch({ executablePath: binary, args: [root, '--data-dir', dataDir] });
    try {
      const window = await app.firstWindow();
      await window.waitForSelector('body[data-ready="true"]');
      await expect(window.getByTestId('app-info')).toContainText(dataDir);
      // main.ts publishes the preferences it created the window with (Electron has no public getter).
      const prefs = await app.evaluate(() => (globalThis as Record<string, unknown>).gatehouseWebPreferences);
      expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
      expect(window.url()).toMatch(/^app:\/\/gatehouse\//);
      const reach = await window.evaluate(() => [typeof (globalThis as Record<string, unknown>).process, typeof (globalThis as Record<string, unknown>).require]);
      expect(reach).toEqual(['undefined', 'undefined']);
      const refused = await window.evaluate(async () => {
        const api = (window as unknown as { gatehouse: { invoke(c: string, i: unknown): Promise<unknown> } }).gatehouse;
        return [await api.invoke('fs:readFile', {}), await api.invoke('session:unlock', { name: 1 })];
      });
      expect(refused).toMatchObject([{ ok: false, error: { code: 'UNKNOWN_CHANNEL' } }, { ok: false, error: { code: 'INVALID_INPUT' } }]);
      const opened = await window.evaluate(() => globalThis.open('https://example.com') === null);
      expect(opened).toBe(true);
      await window.screenshot({ path: testInfo.outputPath('electron.png') });
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

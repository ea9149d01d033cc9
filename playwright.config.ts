/**
 * Playwright runs the E2E specs: the console in Chromium through the bridge (each test with its own
 * data directory and core), and the Electron spec wherever the Electron binary is installed.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  // Two cores here: one Chromium at a time keeps timings sane and results stable.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  retries: 0,
  reporter: process.env.CI ? [['list'], ['html', { outputFolder: 'test-results/e2e-report', open: 'never' }]] : 'list',
});

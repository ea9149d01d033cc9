/**
 * The foundation round trip: the console opens in Chromium through the bridge, shows app:info from the
 * real core, cannot reach Node, and every refused call comes back as a Result error.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BRIDGE_ORIGIN, launchBridge } from '../../electron/bridge/launch';
import { expect, test } from './fixtures';

test('the console opens with app:info from the core, and the renderer cannot reach Node', async ({ gatehouse }, testInfo) => {
  const { page, dataDir } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  await expect(page.getByTestId('app-shell')).toBeVisible();

  const info = page.getByTestId('app-info');
  await expect(info).toContainText('0.1.0');
  await expect(info).toContainText(dataDir);

  const reach = await page.evaluate(() => ({
    process: typeof (globalThis as Record<string, unknown>).process,
    require: typeof (globalThis as Record<string, unknown>).require,
    module: typeof (globalThis as Record<string, unknown>).module,
  }));
  expect(reach).toEqual({ process: 'undefined', require: 'undefined', module: 'undefined' });

  await page.screenshot({ path: testInfo.outputPath('console.png') });
  await testInfo.attach('console', { path: testInfo.outputPath('console.png'), contentType: 'image/png' });
});

test('unknown channels and malformed input are refused with a Result error', async ({ gatehouse }) => {
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  const results = await page.evaluate(async () => {
    const api = (window as unknown as { gatehouse: { invoke(c: string, i: unknown): Promise<unknown> } }).gatehouse;
    return {
      unknown: await api.invoke('fs:readFile', { path: '/etc/passwd' }),
      malformed: await api.invoke('session:unlock', { name: 42 }),
      locked: await api.invoke('checkpoint:rollback', { repositoryId: 'r', checkpointId: 'c', confirm: true }),
      info: await api.invoke('app:info', {}),
    };
  });
  expect(results.unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  expect(results.malformed).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  expect(results.locked).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
  expect(results.info).toMatchObject({ ok: true, value: { name: 'Gatehouse', shell: 'chromium-bridge' } });
});

test('an iframe or another origin cannot call main', async ({ gatehouse }) => {
  const { page, bridge } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  // The dispatcher sees the frame and origin the call came from; simulate a foreign sender directly.
  const foreign = await bridge.dispatch({ fromOurWindow: true, fromTopFrame: false, origin: 'https://gatehouse.invalid' }, 'app:info', {});
  expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
  // And a request to any other origin never leaves the page.
  const fetched = await page.evaluate(async () => {
    try {
      await fetch('https://example.com/');
      return 'reached';
    } catch {
      return 'blocked';
    }
  });
  expect(fetched).toBe('blocked');
});

test('the page reaches no other server, not even one on this machine', async ({ gatehouse }) => {
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  // A local service the page must never reach: every request it receives is recorded.
  const received: string[] = [];
  const service = createServer((request, response) => {
    received.push(`${request.method ?? ''} ${request.headers.host ?? ''}${request.url ?? ''}`);
    response.end('reached');
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const port = (service.address() as AddressInfo).port;
  try {
    // Navigations are outside the CSP's reach, so they test the network confinement itself.
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://gatehouse.localhost:${port}/`, `http://other.localhost:${port}/`]) {
      const response = await page.goto(url).catch(() => null);
      if (response !== null) expect(await response.text().catch(() => ''), url).not.toContain('reached');
      // The bridge takes the page back to the console.
      await page.waitForURL(`${BRIDGE_ORIGIN}/index.html`);
      await page.waitForSelector('body[data-ready="true"]');
    }
    // And from the page's own scripts (the CSP refuses these before the network does).
    const fetched = await page.evaluate(async (target) => {
      try {
        await fetch(target);
        return 'reached';
      } catch {
        return 'blocked';
      }
    }, `http://127.0.0.1:${port}/`);
    expect(fetched).toBe('blocked');
    expect(received).toEqual([]);
  } finally {
    await new Promise<void>((resolve) => service.close(() => resolve()));
  }
});

test('a second console on the same browser profile is refused with a clear error, and the first keeps working', async ({ gatehouse }) => {
  const { core, page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  const profileDir = mkdtempSync(join(tmpdir(), 'gh-e2e-profile-'));
  const rendererDir = join(__dirname, '..', '..', 'dist', 'renderer');
  const first = await launchBridge({ core, rendererDir, headless: true, profileDir });
  try {
    await expect(launchBridge({ core, rendererDir, headless: true, profileDir })).rejects.toThrow(`the browser profile ${profileDir} is in use by another Gatehouse console`);
    await first.page.waitForSelector('body[data-ready="true"]');
  } finally {
    await first.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
});

test('main-to-renderer events reach window.gatehouse listeners', async ({ gatehouse }) => {
  const { page, core } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => {
    const api = (window as unknown as { gatehouse: { on(n: string, l: (p: unknown) => void): () => void } }).gatehouse;
    (window as unknown as { seen: unknown[] }).seen = [];
    api.on('repo:changed', (p) => (window as unknown as { seen: unknown[] }).seen.push(p));
  });
  core.events.emit('repo:changed', { repositoryId: 'r1', what: 'test' });
  await expect.poll(() => page.evaluate(() => (window as unknown as { seen: unknown[] }).seen)).toEqual([{ repositoryId: 'r1', what: 'test' }]);
});

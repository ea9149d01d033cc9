/**
 * The Chromium bridge: the Gatehouse renderer in Chromium (driven by playwright-core) against the same
 * core and the same IPC handler table the Electron shell uses, where no Electron binary is installed.
 *
 * No HTTP server and no open port: every request to the renderer's origin is answered from the built
 * files through Playwright's request routing, any other request is aborted, and `window.gatehouse` is
 * installed with `exposeBinding` into the same dispatcher (same sender, schema and role checks, same
 * Result envelope). Main → renderer events are delivered by evaluating a dispatcher the init script
 * installs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventNames } from '../../shared/ipc/contract';
import { createDispatcher, type Dispatch } from '../ipc/dispatch';
import { CONTENT_SECURITY_POLICY } from '../ipc/csp';
import type { Core } from '../core/create-core';

/** The bridge's origin. `.invalid` is reserved (RFC 2606): if routing ever failed, nothing resolves. */
export const BRIDGE_ORIGIN = 'https://gatehouse.invalid';

/** Chromium flags for a quiet, offline, GPU-less run. */
export const CHROMIUM_ARGS: ReadonlyArray<string> = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Finds a Chromium: `GATEHOUSE_CHROMIUM`, Debian's `/usr/bin/chromium`, or Playwright's own browser. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.GATEHOUSE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  // Playwright's bundled browser, when `npx playwright install chromium` was possible.
  try {
    const bundled = chromium.executablePath();
    if (bundled && existsSync(bundled)) return bundled;
  } catch {
    // No bundled browser registered.
  }
  return undefined;
}

/** Options of {@link launchBridge}. */
export interface BridgeOptions {
  readonly core: Core;
  /** The built renderer (dist/renderer). */
  readonly rendererDir: string;
  readonly headless: boolean;
  readonly chromiumPath?: string;
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** A running bridge. */
export interface Bridge {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly dispatch: Dispatch;
  /** Closes the browser (the core stays open; its owner closes it). */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Maps a request path to a file inside the renderer folder, or null if it would leave it. */
export function rendererFile(rendererDir: string, pathname: string): string | null {
  const decoded = decodeURIComponent(pathname);
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = normalize(join(rendererDir, relative));
  if (file !== rendererDir && !file.startsWith(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep)) return null;
  return file;
}

// Runs in the page before any of its scripts: builds window.gatehouse over the binding, then hides the
// binding's name. Same shape as the preload's API.
function initScript(binding: string, eventDispatcher: string, allowedEvents: ReadonlyArray<string>): string {
  return `(() => {
  const invokeBinding = window[${JSON.stringify(binding)}];
  const allowed = new Set(${JSON.stringify(allowedEvents)});
  const listeners = new Map();
  const api = Object.freeze({
    invoke(channel, input) { return invokeBinding(String(channel), input === undefined ? {} : input); },
    on(name, listener) {
      if (!allowed.has(name) || typeof listener !== 'function') throw new Error('unknown event: ' + String(name));
      let set = listeners.get(name);
      if (!set) { set = new Set(); listeners.set(name, set); }
      set.add(listener);
      return () => { set.delete(listener); };
    },
  });
  Object.defineProperty(window, 'gatehouse', { value: api, enumerable: true });
  Object.defineProperty(window, ${JSON.stringify(eventDispatcher)}, {
    value(name, payload) {
      const set = listeners.get(name);
      if (set) for (const listener of set) { try { listener(payload); } catch (e) { console.error(e); } }
    },
  });
})();`;
}

/** Launches Chromium with the renderer wired to the core. */
export async function launchBridge(options: BridgeOptions): Promise<Bridge> {
  const executablePath = options.chromiumPath ?? findChromium();
  if (executablePath === undefined) {
    throw new Error(
      'no Chromium found: install Debian\'s chromium (apt-get install chromium) or set GATEHOUSE_CHROMIUM',
    );
  }
  const rendererDir = normalize(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(rendererDir, 'index.html')} is missing): run npm run build`);
  }
  const browser = await chromium.launch({ executablePath, headless: options.headless, args: [...CHROMIUM_ARGS] });
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1440, height: 900 },
    serviceWorkers: 'block',
    acceptDownloads: false,
    colorScheme: null,
  });
  const page = await context.newPage();

  const core = options.core;
  core.setShellInfo({ shell: 'chromium-bridge', electron: null, chromium: browser.version() });
  const dispatch = createDispatcher({
    handlers: core.handlers,
    allowedOrigins: [BRIDGE_ORIGIN],
    session: () => core.callerSession(),
    touch: () => core.touch(),
    logger: core.logger,
  });

  // Serve our origin from disk; refuse every other request (no network for the renderer).
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== BRIDGE_ORIGIN) return route.abort('blockedbyclient');
    const file = rendererFile(rendererDir, url.pathname);
    if (file === null || !existsSync(file) || !statSync(file).isFile()) {
      return route.fulfill({ status: 404, body: 'not found', contentType: 'text/plain' });
    }
    return route.fulfill({
      status: 200,
      body: readFileSync(file),
      headers: {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
    });
  });

  const binding = '__gatehouseInvoke';
  const eventDispatcher = '__gatehouseDispatchEvent';
  await page.exposeBinding(binding, async (source, channelName: unknown, input: unknown) => {
    const frameUrl = source.frame.url();
    let origin = '';
    try {
      origin = new URL(frameUrl).origin;
    } catch {
      origin = '';
    }
    return dispatch(
      { fromOurWindow: source.page === page, fromTopFrame: source.frame === page.mainFrame(), origin },
      channelName,
      input,
    );
  });
  await page.addInitScript(initScript(binding, eventDispatcher, eventNames));

  // No new windows, no navigation away from our origin.
  context.on('page', (other) => {
    if (other !== page) void other.close(); // deliberate fire-and-forget: the popup is refused
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && !frame.url().startsWith(BRIDGE_ORIGIN) && frame.url() !== 'about:blank') {
      void page.goto(`${BRIDGE_ORIGIN}/index.html`); // deliberate fire-and-forget: back to our origin
    }
  });

  const unsubscribe = core.events.subscribe((name, payload) => {
    // deliberate fire-and-forget: a closed page simply misses the event
    void page
      .evaluate(([d, n, p]) => {
        // Runs in the page: globalThis is the window there.
        const target = (globalThis as unknown as Record<string, unknown>)[d as string];
        if (typeof target === 'function') (target as (n: unknown, p: unknown) => void)(n, p);
      }, [eventDispatcher, name, payload] as const)
      .catch(() => undefined);
  });

  await page.goto(`${BRIDGE_ORIGIN}/index.html`);

  return {
    browser,
    context,
    page,
    dispatch,
    async close() {
      unsubscribe();
      await browser.close();
    },
  };
}

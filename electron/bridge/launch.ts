/**
 * The Chromium bridge: the Gatehouse renderer in Chromium (driven by playwright-core) against the same
 * core and the same IPC handler table the Electron shell uses, where no Electron binary is installed.
 *
 * The renderer's files come from a loopback HTTP server that Chromium reaches natively: the origin is
 * `http://gatehouse.localhost` (a secure context), which Chromium's host rules map to the server's
 * port. Nothing else is reachable: every other request (any other host, port, IP address or scheme
 * Chromium would fetch over the network) is sent to a proxy, which is the same server, and it refuses
 * them all. Chromium's own network stack serves the files, so a console keeps its HTTP and V8 code
 * caches in its browser profile between starts, as Electron does for its `app://` scheme. (Playwright's
 * request routing, used before, carried every file through the DevTools protocol, and Playwright turns
 * Chromium's cache off while any route is set.)
 *
 * `window.gatehouse` is installed with `exposeBinding` into the same dispatcher (same sender, schema
 * and role checks, same Result envelope). Main → renderer events are delivered by evaluating a
 * dispatcher the init script installs.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventNames } from '../../shared/ipc/contract';
import { createDispatcher, type Dispatch } from '../ipc/dispatch';
import { CONTENT_SECURITY_POLICY } from '../ipc/csp';
import type { Core } from '../core/create-core';

/** The bridge's host: `.localhost` never leaves the machine, and Chromium treats its origins as secure. */
export const BRIDGE_HOST = 'gatehouse.localhost';
/** The bridge's origin (port 80, which Chromium's host rules send to the loopback server). */
export const BRIDGE_ORIGIN = `http://${BRIDGE_HOST}`;

/**
 * Chromium features the console turns off. Chromium reads only the last `--disable-features`, and ours
 * comes after Playwright's, so Playwright's own list is repeated first to keep those off too
 * (playwright-core 1.65, its `chromiumSwitches`, without its two Edge-only names).
 */
export const DISABLED_FEATURES: ReadonlyArray<string> = [
  ...['AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades', 'HttpsFirstBalancedModeAutoEnable'],
  ...['LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect'],
  ...['TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch'],
  // Chromium's browser UI loads its omnibox popups as WebUI pages in a renderer of their own at start-up:
  // 0.4-1.0 s of CPU, on a 2-core machine, while the console's page loads. A console has no omnibox.
  ...['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup'],
  // With it, Chromium streams module scripts through a path that never uses V8's code cache: the
  // console's modules were parsed and compiled again on every start, however often it had run them.
  'BackgroundResourceFetch',
];

/** Chromium flags for a quiet, offline, GPU-less run. */
export const CHROMIUM_ARGS: ReadonlyArray<string> = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  `--disable-features=${DISABLED_FEATURES.join(',')}`,
];

/**
 * The flags that confine Chromium's network to the renderer's server on `port`: our host on port 80 is
 * mapped to it and fetched directly; every other request goes to the proxy, that same server, which
 * refuses it. `<-loopback>` makes loopback addresses (localhost, 127.0.0.1, other `.localhost` names)
 * go through the proxy too instead of being fetched directly.
 */
export function confinementArgs(port: number): string[] {
  return [
    `--host-resolver-rules=MAP ${BRIDGE_HOST}:80 127.0.0.1:${port}`,
    `--proxy-server=http://127.0.0.1:${port}`,
    `--proxy-bypass-list=<-loopback>;${BRIDGE_HOST}:80`,
  ];
}

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
  /**
   * Chromium's profile folder, kept between starts (its HTTP and code caches make the next start
   * faster). Without it, a temporary profile is used and removed on close.
   */
  readonly profileDir?: string;
  /** Where the first page load goes, e.g. a proposal's link `#/review/<repository>/<proposal>`; default the start page. */
  readonly initialHash?: string;
  /** Scripts run in every page load before the console's own (benches use one to record timings). */
  readonly initScripts?: ReadonlyArray<string>;
}

/** A running bridge. */
export interface Bridge {
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

/** Maps a request path to a file inside the renderer folder, or null if it would leave it (or is malformed). */
export function rendererFile(rendererDir: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = normalize(join(rendererDir, relative));
  if (file !== rendererDir && !file.startsWith(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep)) return null;
  return file;
}

/**
 * How long Chromium may keep a file: the build's `assets/` are named by their content's hash, so they
 * never change under the same name; everything else (index.html names the current assets) is checked
 * again on every load.
 */
export function cacheControlFor(pathname: string): string {
  return pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(message);
}

/** Answers one request to the renderer's server: a file of the renderer for our origin, a refusal for anything else. */
async function serveRenderer(rendererDir: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // A proxied request (any other host, port or address) arrives in absolute form; ours in origin form.
  const target = request.url ?? '';
  if (!target.startsWith('/') || request.headers.host !== BRIDGE_HOST) {
    return refuse(response, 403, 'the Gatehouse console is offline: only its own files are served');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'method not allowed');
  const pathname = new URL(target, BRIDGE_ORIGIN).pathname;
  const file = rendererFile(rendererDir, pathname);
  if (file === null) return refuse(response, 404, 'not found');
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return refuse(response, 404, 'not found');
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return refuse(response, 404, 'not found');
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': cacheControlFor(pathname),
      'last-modified': info.mtime.toUTCString(),
    });
    response.end(request.method === 'HEAD' ? undefined : await handle.readFile());
  } finally {
    await handle.close();
  }
}

/** The renderer's loopback server (also the proxy that refuses everything else); resolves once listening. */
export async function startRendererServer(rendererDir: string): Promise<{ readonly server: Server; readonly port: number }> {
  const server = createServer((request, response) => {
    serveRenderer(rendererDir, request, response).catch(() => {
      if (!response.headersSent) refuse(response, 500, 'could not read the file');
      else response.destroy();
    });
  });
  // CONNECT (HTTPS, WebSocket through the proxy): refused by closing the connection.
  server.on('connect', (_request, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
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

/** True when Chromium refused to start because another instance holds the profile (its `SingletonLock`). */
function profileInUse(error: unknown): boolean {
  return error instanceof Error && error.message.includes('ProcessSingleton');
}

/** Launches Chromium with the renderer wired to the core. */
export async function launchBridge(options: BridgeOptions): Promise<Bridge> {
  const executablePath = options.chromiumPath ?? findChromium();
  if (executablePath === undefined) {
    throw new Error(
      'no Chromium found: install Debian\'s chromium (apt-get install chromium) or set GATEHOUSE_CHROMIUM',
    );
  }
  if (options.initialHash !== undefined && !options.initialHash.startsWith('#')) {
    throw new Error(`the first page load takes a hash route (#/...), not ${JSON.stringify(options.initialHash)}`);
  }
  const rendererDir = normalize(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(rendererDir, 'index.html')} is missing): run npm run build`);
  }
  const { server, port } = await startRendererServer(rendererDir);
  const profileDir = options.profileDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
  const cleanUp = (): void => {
    server.close();
    server.closeAllConnections();
    if (options.profileDir === undefined) rmSync(profileDir, { recursive: true, force: true });
  };
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: options.headless,
      args: [...CHROMIUM_ARGS, ...confinementArgs(port)],
      viewport: options.viewport ?? { width: 1440, height: 900 },
      serviceWorkers: 'block',
      acceptDownloads: false,
      colorScheme: null,
    });
  } catch (error) {
    cleanUp();
    throw profileInUse(error) ? new Error(`the browser profile ${profileDir} is in use by another Gatehouse console (or Chromium): close that one, or use another data directory`) : error;
  }
  try {
    return await wireConsole(context, options, cleanUp);
  } catch (error) {
    await context.close().catch(() => undefined);
    cleanUp();
    throw error;
  }
}

/** Installs `window.gatehouse`, the events and the navigation guards in the context's page, then opens the console. */
async function wireConsole(context: BrowserContext, options: BridgeOptions, cleanUp: () => void): Promise<Bridge> {
  const core = options.core;
  const page = context.pages()[0] ?? (await context.newPage());

  const cdp = await context.newCDPSession(page);
  const { product } = await cdp.send('Browser.getVersion');
  await cdp.detach();
  core.setShellInfo({ shell: 'chromium-bridge', electron: null, chromium: product.replace(/^[^/]*\//, '') });
  const dispatch = createDispatcher({
    handlers: core.handlers,
    allowedOrigins: [BRIDGE_ORIGIN],
    session: () => core.callerSession(),
    touch: () => core.touch(),
    logger: core.logger,
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
  for (const script of options.initScripts ?? []) await page.addInitScript(script);

  // No new windows, no navigation away from our origin.
  context.on('page', (other) => {
    if (other !== page) void other.close(); // deliberate fire-and-forget: the popup is refused
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && !frame.url().startsWith(`${BRIDGE_ORIGIN}/`) && frame.url() !== 'about:blank') {
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

  await page.goto(`${BRIDGE_ORIGIN}/index.html${options.initialHash ?? ''}`);

  return {
    context,
    page,
    dispatch,
    async close() {
      unsubscribe();
      try {
        await context.close();
      } finally {
        cleanUp();
      }
    },
  };
}

/**
 * The Electron main process: the secure window, the `app://` protocol, IPC, and the core.
 *
 * Everything with authority lives in the core (electron/core); this file only adapts Electron to it.
 */
import { app, BrowserWindow, ipcMain, net, protocol, safeStorage, session } from 'electron';
import { existsSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wire } from '../../shared/ipc/contract';
import { createCore, type Core } from '../core/create-core';
import { resolveDataDir } from '../core/data-dir';
import { createDispatcher } from '../ipc/dispatch';
import { CONTENT_SECURITY_POLICY } from '../ipc/csp';

const SCHEME = 'app';
const HOST = 'gatehouse';
/** Our renderer's origin. */
const ORIGIN = `${SCHEME}://${HOST}`;
const rendererDir = join(__dirname, '..', 'renderer');

// Must run before `ready`: a standard, secure scheme gives the renderer a real origin that module
// workers (Monaco) and our sender check can rely on, unlike file://. `codeCache` lets V8 keep the
// compiled code of the renderer's scripts between starts (Chromium does it only for http(s) unless a
// scheme asks): about 4 MB of script, most of it Monaco, is otherwise parsed and compiled on every start.
protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
// Chromium's background fetch of module scripts skips V8's code cache (measured with Chromium 156 in the
// bridge: a module's compiled code was never reused across starts until this feature was off; see
// DISABLED_FEATURES in electron/bridge/launch.ts). Set before `ready`, as Chromium reads it at start-up.
app.commandLine.appendSwitch('disable-features', 'BackgroundResourceFetch');

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index >= 0) return process.argv[index + 1];
  const prefixed = process.argv.find((a) => a.startsWith(`${name}=`));
  return prefixed?.slice(name.length + 1);
}

function serveRenderer(): void {
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== HOST) return new Response('not found', { status: 404 });
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
    const file = normalize(join(rendererDir, relative));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file)) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

function lockDownSessions(): void {
  // Every permission request (camera, notifications, clipboard-read, ...) is denied.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    // No new windows at all: the renderer shows hostile text and must not open anything.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

/** The window's web preferences: the renderer is untrusted. */
const webPreferences = Object.freeze({
  preload: join(__dirname, '..', 'preload', 'preload.cjs'),
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
  navigateOnDragDrop: false,
  devTools: !app.isPackaged,
  // Keep a script's compiled code from its first run, not only from the second (Chromium's heat check):
  // the console's own scripts are the same on every start, so the second start is already a warm one.
  v8CacheOptions: 'bypassHeatCheck',
} satisfies Electron.WebPreferences);
// Published for the Electron E2E spec and diagnostics (Electron has no public getter for them).
Object.defineProperty(globalThis, 'gatehouseWebPreferences', { value: webPreferences });

function createWindow(core: Core): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'Gatehouse',
    show: false,
    webPreferences: { ...webPreferences },
  });
  window.once('ready-to-show', () => window.show());

  const dispatch = createDispatcher({
    handlers: core.handlers,
    allowedOrigins: [ORIGIN],
    session: () => core.callerSession(),
    touch: () => core.touch(),
    logger: core.logger,
  });
  // The one place raw ipcMain is used: every call goes through the dispatcher's checks.
  ipcMain.handle(wire.invoke, (event, channelName: unknown, input: unknown) => {
    const frame = event.senderFrame;
    let origin = '';
    try {
      origin = frame ? new URL(frame.url).origin : '';
    } catch {
      origin = '';
    }
    return dispatch(
      {
        fromOurWindow: event.sender === window.webContents,
        fromTopFrame: frame !== null && frame === window.webContents.mainFrame,
        origin,
      },
      channelName,
      input,
    );
  });
  const unsubscribe = core.events.subscribe((name, payload) => {
    if (!window.isDestroyed()) window.webContents.send(wire.event, name, payload);
  });
  window.on('closed', () => {
    unsubscribe();
    ipcMain.removeHandler(wire.invoke);
  });
  void window.loadURL(`${ORIGIN}/index.html`); // deliberate fire-and-forget: failures surface in the window
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  lockDownSessions();
  serveRenderer();
  const dataDir = resolveDataDir(argValue('--data-dir') ?? process.env.GATEHOUSE_DATA_DIR ?? app.getPath('userData'));
  const core = await createCore({
    dataDir,
    shell: { shell: 'electron', electron: process.versions.electron ?? null, chromium: process.versions.chrome ?? null },
    // Operator keys: the OS keystore wraps the passphrase-sealed key, except Linux's basic_text
    // backend (a hard-coded password), which the identity service refuses.
    keystore: safeStorage,
    periodicCheckpoints: true,
  });
  createWindow(core);
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void core.close().finally(() => app.exit(0)); // deliberate: quit once sandbox runs are stopped
  });
  app.on('window-all-closed', () => app.quit());
}

void start().catch((error: unknown) => {
  process.stderr.write(`gatehouse: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  app.exit(1);
});

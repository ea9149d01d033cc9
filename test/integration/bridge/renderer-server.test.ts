/**
 * The Chromium bridge's loopback server (electron/bridge/launch.ts), over real HTTP: it serves the
 * renderer's files to the bridge's own origin only, and as Chromium's proxy it refuses every other
 * request the page could make. Each attack is a request a hostile page (or a local process) could send.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_HOST, CHROMIUM_ARGS, cacheControlFor, confinementArgs, rendererFile, startRendererServer } from '../../../electron/bridge/launch';
import { CONTENT_SECURITY_POLICY } from '../../../electron/ipc/csp';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

let dir: string;
let rendererDir: string;
let server: Server;
let port: number;

/** Sends one raw request line (origin form or absolute form) with the given Host header. */
function send(method: string, target: string, host: string = BRIDGE_HOST): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: target, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-bridge-server-'));
  rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(rendererDir, 'assets', 'index-abc123.js'), 'export const answer = 42;\n');
  writeFileSync(join(dir, 'secret.txt'), 'not for the page');
  ({ server, port } = await startRendererServer(rendererDir));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("the bridge's renderer server", () => {
  it('serves the renderer to its own origin with the CSP, nosniff and a cache rule per file', async () => {
    const page = await send('GET', '/index.html');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    const script = await send('GET', '/assets/index-abc123.js');
    expect(script.status).toBe(200);
    expect(script.body).toBe('export const answer = 42;\n');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const head = await send('HEAD', '/assets/index-abc123.js');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String('export const answer = 42;\n'.length));
  });

  it('refuses, as a proxy, a request for any other host, port, address or scheme', async () => {
    for (const target of [
      'http://example.com/',
      'http://127.0.0.1:22/',
      `http://127.0.0.1:${port}/index.html`,
      'http://localhost:8080/admin',
      `http://${BRIDGE_HOST}:9000/index.html`,
      `http://${BRIDGE_HOST}/index.html`,
      'ftp://example.com/file',
    ]) {
      const answer = await send('GET', target, new URL(target).host);
      expect(answer.status, target).toBe(403);
      expect(answer.body).toContain('offline');
    }
  });

  it("refuses origin-form requests that name another host (DNS rebinding, another local client)", async () => {
    for (const host of ['evil.example', `127.0.0.1:${port}`, `${BRIDGE_HOST}:${port}`, '']) {
      const answer = await send('GET', '/index.html', host);
      expect(answer.status, host).toBe(403);
    }
  });

  it('closes CONNECT tunnels (HTTPS and WebSocket through the proxy) without a byte', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toBe('');
  });

  it('refuses every method but GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) expect((await send(method, '/index.html')).status, method).toBe(405);
  });

  it('never serves a file outside the renderer folder, a folder, or a malformed path', async () => {
    for (const target of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/%E0%A4%A', '/assets', '/assets/', '/index.html%00.js', '/missing.js']) {
      const answer = await send('GET', target);
      expect(answer.status, target).toBe(404);
      expect(answer.body).not.toContain('not for the page');
    }
  });
});

describe('the pieces', () => {
  it('maps paths inside the folder and refuses the rest', () => {
    expect(rendererFile(rendererDir, '/')).toBe(join(rendererDir, 'index.html'));
    expect(rendererFile(rendererDir, '/assets/a.js')).toBe(join(rendererDir, 'assets', 'a.js'));
    expect(rendererFile(rendererDir, '/../x')).toBeNull();
    expect(rendererFile(rendererDir, '/%zz')).toBeNull();
    expect(rendererFile(rendererDir, '/a%00b')).toBeNull();
  });

  it('keeps only hashed assets', () => {
    expect(cacheControlFor('/assets/index-abc.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('/index.html')).toBe('no-cache');
    expect(cacheControlFor('/')).toBe('no-cache');
  });

  it('sends every request but our host on port 80 to the refusing proxy, loopback included', () => {
    expect(confinementArgs(4321)).toEqual([
      `--host-resolver-rules=MAP ${BRIDGE_HOST}:80 127.0.0.1:4321`,
      '--proxy-server=http://127.0.0.1:4321',
      `--proxy-bypass-list=<-loopback>;${BRIDGE_HOST}:80`,
    ]);
  });

  it('turns Chromium features off with one --disable-features (Chromium reads only the last one)', () => {
    const lists = CHROMIUM_ARGS.filter((arg) => arg.startsWith('--disable-features='));
    expect(lists).toHaveLength(1);
    const features = (lists[0] ?? '').slice('--disable-features='.length).split(',');
    // The code cache of module scripts, and no omnibox WebUI renderer competing with the console at start.
    expect(features).toEqual(expect.arrayContaining(['BackgroundResourceFetch', 'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup']));
    // Playwright's own list, which ours replaces, stays off.
    expect(features).toEqual(expect.arrayContaining(['HttpsUpgrades', 'PaintHolding', 'DestroyProfileOnBrowserClose']));
  });
});

/**
 * The Gatehouse MCP server over Streamable HTTP, for an agent running in a container: loopback only,
 * every request carrying the agent's credential as a bearer token, DNS-rebinding protection on, and
 * request bodies bounded. One MCP session per `initialize`, each with its own server over the same core.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { agentActor } from '../core/agents';
import { createMcpServer, type McpServerOptions } from './server';

/** Largest request body accepted, in bytes. */
export const MAX_HTTP_BODY_BYTES = 80 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Options of {@link runMcpHttp}. */
export interface McpHttpOptions extends McpServerOptions {
  /** `127.0.0.1`, `::1` or `localhost`; anything else is refused. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The agent's credential, expected as `Authorization: Bearer …` on every request. */
  readonly credential: string;
  /** Called with the URL once listening. */
  readonly onListening?: (url: string) => void;
  /** Resolves to stop the server. */
  readonly stop: Promise<void>;
}

/** Parses `--http HOST:PORT`, refusing anything but a loopback host. */
export function parseLoopbackAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new GatehouseError(ErrorCode.InvalidInput, `--http takes HOST:PORT (e.g. 127.0.0.1:7411), not ${text}`);
  }
  if (!LOOPBACK.has(host)) throw new GatehouseError(ErrorCode.Refused, `--http listens on loopback only (127.0.0.1, ::1 or localhost), not ${host}`);
  return { host, port };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_HTTP_BODY_BYTES) {
        reject(new GatehouseError(ErrorCode.Refused, `request body over ${MAX_HTTP_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/** Serves one agent over Streamable HTTP on a loopback address until `stop` resolves. */
export async function runMcpHttp(options: McpHttpOptions): Promise<void> {
  if (!LOOPBACK.has(options.host)) throw new GatehouseError(ErrorCode.Refused, `loopback only, not ${options.host}`);
  const expected = sha256(options.credential);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let lastRefusalAudit = 0;
  let port = options.port;

  const refuseAuth = (res: ServerResponse, why: string): void => {
    // One audit event per second at most: a flood of bad tokens must not become a flood of events.
    if (Date.now() - lastRefusalAudit >= 1000) {
      lastRefusalAudit = Date.now();
      options.core.context.audit.record({
        action: 'agent.refused',
        subject: `agent:${options.agent.name}`,
        actor: agentActor(options.agent.name),
        role: 'agent',
        payload: { tool: 'http', code: ErrorCode.VerificationFailed, message: why },
      });
    }
    reply(res, 401, why, { 'www-authenticate': 'Bearer realm="gatehouse"' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? '').split('?')[0] !== '/mcp') return reply(res, 404, 'the MCP endpoint is /mcp');
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    if (token === undefined) return refuseAuth(res, 'a bearer token (the agent credential) is required');
    if (!timingSafeEqual(sha256(token), expected)) return refuseAuth(res, 'wrong bearer token');
    const sessionId = req.headers['mcp-session-id'];
    const known = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req);
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply(res, 400, 'the body is not JSON');
      }
    }
    if (known) return known.handleRequest(req, res, body);
    if (req.method !== 'POST' || !isInitializeRequest(body)) return reply(res, 400, 'no valid MCP session: send initialize first');
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableDnsRebindingProtection: true,
      allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`],
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    const server = createMcpServer(options);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.core.logger.warn('mcp http', error instanceof Error ? error.message : error);
      reply(res, error instanceof GatehouseError && error.code === ErrorCode.Refused ? 413 : 500, error instanceof Error ? error.message : 'error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  options.onListening?.(`http://${shown}:${port}/mcp`);
  await options.stop;
  await Promise.allSettled([...sessions.values()].map((t) => t.close()));
  await new Promise<void>((resolve) => http.close(() => resolve()));
}

/** Runs the Gatehouse MCP server over stdio until the client closes stdin. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type McpServerOptions } from './server';

/** Largest JSON-RPC message accepted on stdin, in bytes (a 64 MiB diff, JSON-escaped, fits). */
export const MAX_STDIO_MESSAGE_BYTES = 160 * 1024 * 1024;

/** Serves one agent over this process's stdin/stdout; resolves when the client goes away. */
export async function runMcpStdio(options: McpServerOptions): Promise<void> {
  const server = createMcpServer(options);
  const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_STDIO_MESSAGE_BYTES });
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  // The SDK's transport does not end on EOF: the client closing stdin ends the session.
  process.stdin.once('end', () => void server.close());
  await server.connect(transport);
  await closed;
}

/** What the local stand-ins for AWS endpoints (bus, gateway, SES proxy) share: their server and body reading. */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';

/**
 * An HTTP server standing in for an AWS endpoint: it keeps idle connections for 65 s, as AWS's
 * endpoints keep them long. With Node's default of 5 s, a busy process can reuse a connection just
 * as the server drops it: "socket hang up", which for SES is an email whose fate is unknown.
 */
export function endpointServer(listener: RequestListener): Server {
  const server = createServer(listener);
  server.keepAliveTimeout = 65_000;
  return server;
}

export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Starts the server on `port` (0: any free one) and answers its endpoint, `http://host:port`. */
export async function listening(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
}

/** Drops idle keep-alive connections (they would hold the close for 65 s), then closes. */
export async function closed(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

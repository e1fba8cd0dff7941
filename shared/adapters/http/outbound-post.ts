/**
 * A POST to a URL outside the product (a shop's webhook receiver), to the addresses the URL check
 * approved: the connection is made to them, not to whatever the name resolves to a moment later
 * (DNS rebinding). Redirects are not followed (one could lead past the check); the answer's body
 * is read to a bounded size and dropped.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

export type PostOutcome = { status: number } | { error: 'network' | 'timeout'; detail: string };

export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { addresses: string[]; timeoutMs: number },
): Promise<PostOutcome> {
  const target = new URL(url);
  const [address] = options.addresses;
  const family = address ? isIP(address) || 4 : 4;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
        timeout: options.timeoutMs,
        lookup: (_host, lookupOptions, callback) => {
          if (!address) {
            callback(new Error('no approved address'), '', 4);
            return;
          }
          // Newer Node asks for every address (`all`); older for one.
          if ((lookupOptions as { all?: boolean }).all)
            (callback as unknown as (error: null, all: { address: string; family: number }[]) => void)(null, [
              { address, family },
            ]);
          else callback(null, address, family);
        },
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) response.destroy();
        });
        response.on('close', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', () => resolve({ status: response.statusCode ?? 0 }));
      },
    );
    request.on('timeout', () => {
      request.destroy();
      resolve({ error: 'timeout', detail: `no answer within ${options.timeoutMs} ms` });
    });
    request.on('error', (error) => resolve({ error: 'network', detail: error.message }));
    request.end(body);
  });
}

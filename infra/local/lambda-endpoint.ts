/**
 * A local Lambda `Invoke` endpoint (`POST /2015-03-31/functions/{name}/invocations`), for the
 * real `@aws-sdk/client-lambda`: what redriving a dead letter calls. `Event` invocations are
 * answered 202 and run through the bus's asynchronous delivery (its retries, its dead letters);
 * `RequestResponse` ones answer the function's result, or its error with `X-Amz-Function-Error`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closed, endpointServer, listening, readBody } from './http-server.ts';
import type { LocalFunction } from './lambda-runtime.ts';

/** Lambda's limit on an asynchronous invocation's payload. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export class LocalLambda {
  private server: Server | undefined;
  private readonly functions = new Map<string, LocalFunction>();
  endpoint = '';

  constructor(private readonly invokeAsync: (target: LocalFunction, payload: unknown) => void) {}

  add(fn: LocalFunction) {
    this.functions.set(fn.spec.name, fn);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = endpointServer((request, response) => {
      this.handle(request, response).catch((error) =>
        reply(response, 500, { Type: 'Service', message: String(error) }),
      );
    });
    this.endpoint = await listening(this.server, port, host);
  }

  async close(): Promise<void> {
    await closed(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://local').pathname);
    const match = request.method === 'POST' ? INVOKE_PATH.exec(path) : null;
    if (!match)
      return reply(response, 400, {
        Type: 'User',
        message: `the local Lambda implements Invoke only, not ${request.method} ${path}`,
      });
    // A name or an ARN (`arn:aws:lambda:region:account:function:name`) names the function.
    const name = (match[1] ?? '').split(':function:').at(-1)?.split(':')[0] ?? '';
    const fn = this.functions.get(name);
    if (!fn)
      return reply(
        response,
        404,
        { Type: 'User', message: `Function not found: ${name}` },
        'ResourceNotFoundException',
      );
    const body = await readBody(request, MAX_PAYLOAD_BYTES + 1);
    if (body.length > MAX_PAYLOAD_BYTES)
      return reply(
        response,
        413,
        { Type: 'User', message: 'Request must be smaller than 1 MB' },
        'RequestTooLargeException',
      );
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      return reply(
        response,
        400,
        { Type: 'User', message: 'Could not parse request body into json' },
        'InvalidRequestContentException',
      );
    }
    if (request.headers['x-amz-invocation-type'] === 'Event') {
      this.invokeAsync(fn, payload);
      response.writeHead(202, { 'x-amzn-requestid': crypto.randomUUID() });
      return response.end();
    }
    try {
      const result = await fn.invoke(payload);
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
      response.end(JSON.stringify(result ?? null));
    } catch (error) {
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
      response.end(
        JSON.stringify({
          errorType: error instanceof Error ? error.name : 'Error',
          errorMessage: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }
}

function reply(response: ServerResponse, status: number, payload: unknown, errorType?: string) {
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(JSON.stringify(payload));
}

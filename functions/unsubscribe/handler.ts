import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import {
  bodyBytes,
  type HttpEvent,
  type HttpResult,
  httpErrors,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretValue } from '../../shared/adapters/secrets.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { observed } from '../../shared/observability.ts';
import { applyInput } from '../apply-event/apply.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { commented, rated } from './feedback.ts';
import { messagePage } from './page.ts';
import { changePreferences, html, showPreferences } from './unsubscribe.ts';

/** The longest form a page takes (a comment of MAX_COMMENT_CHARS, encoded, fits many times over). */
const MAX_FORM_BYTES = 16_384;

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'BRAND_NAME',
  'UNSUBSCRIBE_SECRET',
  'UNSUBSCRIBE_SECRET_ID',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
]);
const engine = applyDeps(dynamoDocumentClient(), config);
const deps = {
  secret: secretValue(config.UNSUBSCRIBE_SECRET, config.UNSUBSCRIBE_SECRET_ID, 'UNSUBSCRIBE_SECRET'),
  customers: engine.store,
  settings: engine.settings,
  apply: (customerId: string, input: Parameters<typeof applyInput>[1]) =>
    applyInput(customerId, input, engine),
  brandName: config.BRAND_NAME,
  now: () => clock.now(),
  newId: () => randomUUID(),
};

function tooLarge() {
  return html(
    413,
    messagePage(config.BRAND_NAME, 'Too long', 'What you sent is too long for this page: please shorten it.'),
  );
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(observed())
  .use(httpErrors())
  .handler(async (event) => {
    const token = event.pathParameters?.token ?? '';
    const post = event.requestContext.http.method === 'POST';
    const body = post ? bodyBytes(event, MAX_FORM_BYTES) : Buffer.alloc(0);
    const rating = event.rawPath.startsWith('/f/');
    const page =
      body.length > MAX_FORM_BYTES
        ? tooLarge()
        : rating
          ? post
            ? await commented(token, body.toString('utf8'), deps)
            : await rated(token, event.rawPath, deps)
          : post
            ? await changePreferences(token, body.toString('utf8'), event.rawPath, deps)
            : await showPreferences(token, event.rawPath, deps);
    return {
      statusCode: page.status,
      headers: {
        'content-type': `${page.contentType}; charset=utf-8`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      },
      body: page.body,
    };
  });

import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoSourceStore } from '../../shared/adapters/dynamodb/source-store.ts';
import { sourceTally } from '../../shared/adapters/dynamodb/source-tally.ts';
import {
  bodyBytes,
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
  json,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretDigests } from '../../shared/adapters/secrets.ts';
import { productPublisher } from '../../shared/adapters/sqs/customer-inputs.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { MAX_BATCH_BYTES } from '../../shared/domain/segment.ts';
import { countedAsMetrics, log, observed } from '../../shared/observability.ts';
import { ingest } from './ingest.ts';

const config = loadConfig([
  'EVENT_BUS_NAME',
  'CUSTOMER_INPUTS_QUEUE_URL',
  'WRITE_KEY',
  'WRITE_KEY_SECRET_ID',
  'TABLE_NAME',
]);
const sources = new DynamoSourceStore(dynamoDocumentClient(), config.TABLE_NAME);
const tally = countedAsMetrics(
  sourceTally(sources, (error) => log.warn('ingest: source numbers not recorded', { error: String(error) })),
);
const writeKeyDigests = secretDigests(config.WRITE_KEY, config.WRITE_KEY_SECRET_ID, 'WRITE_KEY');
const publisher = productPublisher(config);

export const handler = middy<HttpEvent, HttpResult>()
  .use(observed())
  .use(httpErrors())
  .handler(async (event) => {
    const result = await ingest(
      {
        endpoint: event.pathParameters?.type ?? '',
        body: bodyBytes(event, MAX_BATCH_BYTES),
        authorization: header(event, 'authorization'),
      },
      {
        publisher,
        writeKeyDigests,
        sources: () => sources.list(),
        record: tally,
        now: () => clock.now(),
      },
    );
    return json(result.status, result.body);
  });

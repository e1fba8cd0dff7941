import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { productPublisher } from '../../shared/adapters/sqs/customer-inputs.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, observed } from '../../shared/observability.ts';
import { sweep } from './sweep.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'CUSTOMER_INPUTS_QUEUE_URL']);
const deps = {
  dueIndex: new DynamoDueIndex(dynamoDocumentClient(), config.TABLE_NAME),
  publisher: productPublisher(config),
};

/**
 * Invoked by the schedules: every minute (the dispatcher) and nightly, both for everything
 * (`{"only": "deferred"}` dispatches deferred messages alone). Sweeps as of the time it runs.
 */
export const handler = middy<{ only?: string } | undefined, void>()
  .use(observed())
  .handler(async (event) => {
    const result = await sweep(clock.now(), deps, event?.only === 'deferred' ? { only: 'deferred' } : {});
    log.info('sweep', { ...result });
  });

import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge/publisher.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { log } from '../../shared/log.ts';
import { sweep } from './sweep.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME']);
const deps = {
  dueIndex: new DynamoDueIndex(dynamoDocumentClient(), config.TABLE_NAME),
  publisher: new EventBridgePublisher(config.EVENT_BUS_NAME),
};

/**
 * Invoked by the schedules: every minute (the dispatcher) and nightly, both for everything
 * (`{"only": "deferred"}` dispatches deferred messages alone). Sweeps as of the time it runs.
 */
export const handler = middy<{ only?: string } | undefined, void>().handler(async (event) => {
  const result = await sweep(clock.now(), deps, event?.only === 'deferred' ? { only: 'deferred' } : {});
  log.info('sweep', { ...result });
});

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

/** Invoked by the nightly schedule; sweeps as of the time it runs. */
export const handler = middy<unknown, void>().handler(async () => {
  const result = await sweep(clock.now(), deps);
  log.info('sweep', { ...result });
});

import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { loadConfig } from '../../shared/config.ts';
import { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import { log } from '../../shared/log.ts';
import { applyCustomerEvents, applyTimers } from './apply.ts';
import { applyDeps } from './deps.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'OFFER_SECRET', 'OFFER_SECRET_ID']);
const deps = applyDeps(dynamoDocumentClient(), config);

export const handler = middy<EventBridgeEvent<string, unknown>, void>().handler(async (event) => {
  // A malformed detail throws: the bus retries it, then parks it in the dead-letter queue with the reason.
  const outcome =
    event['detail-type'] === TimerDue.detailType
      ? await applyTimers(TimerDue.schema.parse(event.detail), deps)
      : await applyCustomerEvents(CustomerEventsReceived.schema.parse(event.detail), deps);
  log.info('applied', { kind: event['detail-type'], ...outcome });
});

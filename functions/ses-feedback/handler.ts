import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { DynamoSuppressions } from '../../shared/adapters/dynamodb/suppressions.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, observed } from '../../shared/observability.ts';
import { applyInput } from '../apply-event/apply.ts';
import { applyDeps as wireApply } from '../apply-event/deps.ts';
import { handleSesEvent, sesEventDetail } from './feedback.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'OFFER_SECRET', 'OFFER_SECRET_ID']);
const db = dynamoDocumentClient();
const applyDeps = wireApply(db, config);
const deps = {
  ledger: new DynamoLedger(db, config.TABLE_NAME),
  suppressions: new DynamoSuppressions(db, config.TABLE_NAME),
  apply: (customerId: string, input: Parameters<typeof applyInput>[1]) =>
    applyInput(customerId, input, applyDeps),
  log: (level: 'info' | 'error', message: string, fields: Record<string, unknown>) =>
    log[level](message, fields),
};

export const handler = middy<EventBridgeEvent<string, unknown>, void>()
  .use(observed())
  .handler(async (event) => {
    const outcome = await handleSesEvent(
      {
        id: event.id,
        detailType: event['detail-type'],
        time: event.time,
        detail: sesEventDetail.parse(event.detail),
      },
      deps,
    );
    log.info('ses-feedback', { detailType: event['detail-type'], outcome });
  });

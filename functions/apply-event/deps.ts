/**
 * The wiring of the lifecycle engine's use case, shared by every function that applies inputs
 * (events, timers, consent, engagement, re-evaluations): one store, its event log, the bus and
 * the settings, read for every delivery so a marketer's change applies to the next decision.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoSettingsStore, storedEngineSettings } from '../../shared/adapters/dynamodb/settings-store.ts';
import { productPublisher } from '../../shared/adapters/sqs/customer-inputs.ts';
import type { ApplyDeps } from './apply.ts';

export function applyDeps(
  db: DynamoDBDocumentClient,
  config: {
    TABLE_NAME: string;
    EVENT_BUS_NAME: string;
    CUSTOMER_INPUTS_QUEUE_URL?: string | undefined;
    OFFER_SECRET?: string;
    OFFER_SECRET_ID?: string;
  },
): ApplyDeps & { store: DynamoCustomerStore } {
  const store = new DynamoCustomerStore(db, config.TABLE_NAME);
  return {
    store,
    history: store,
    publisher: productPublisher(config),
    settings: storedEngineSettings(new DynamoSettingsStore(db, config.TABLE_NAME), config),
  };
}

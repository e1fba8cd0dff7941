import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { timerSettings } from '../../shared/domain/settings.ts';
import { log } from '../../shared/log.ts';
import { nightlyModel } from './model.ts';

const config = loadConfig(['TABLE_NAME']);
const db = dynamoDocumentClient();
const settingsStore = new DynamoSettingsStore(db, config.TABLE_NAME);
const deps = {
  base: new DynamoCustomerBase(db, config.TABLE_NAME),
  store: new DynamoCustomerStore(db, config.TABLE_NAME),
  models: new DynamoModelStore(db, config.TABLE_NAME),
  // Timers need the campaigns' numbers and the model, not the offer secret.
  settings: async () => timerSettings(await settingsStore.load()),
  now: () => clock.now(),
};

/** Nightly, before the sweep: fit the models on yesterday's history, then the reschedule pass. */
export const handler = middy<unknown, void>().handler(async () => {
  log.info('model', await nightlyModel(deps));
});

/**
 * `npm run model -- fit --as-of YYYY-MM-DD [--save]`
 *
 * Fits BG/NBD and Gamma-Gamma on the orders stored in the table (the running local stack's
 * DynamoDB Local by default, or whatever `AWS_ENDPOINT_URL_DYNAMODB` names; `--aws` for the
 * deployed table with your AWS credentials), using orders on or before the date, and prints one
 * JSON line. `--save` also stores the fit as the current model (as the nightly job does) and
 * evaluates every customer again through the engine, so predictive timers and segments follow it
 * at once (their changes are published to the bus: the local one, or with `--aws` the deployed one).
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { reevaluate } from '../functions/apply-event/apply.ts';
import { fitOnHistory, modelReport, reevaluateBase } from '../functions/model/model.ts';
import { RESOURCE_NAMES } from '../infra/topology.ts';
import { DynamoCustomerBase } from '../shared/adapters/dynamodb/customer-base.ts';
import { DynamoCustomerStore } from '../shared/adapters/dynamodb/customer-store.ts';
import { DynamoModelStore } from '../shared/adapters/dynamodb/model-store.ts';
import { DynamoSettingsStore, storedEngineSettings } from '../shared/adapters/dynamodb/settings-store.ts';
import { EventBridgePublisher } from '../shared/adapters/eventbridge/publisher.ts';

const USAGE = 'usage: npm run model -- fit --as-of YYYY-MM-DD [--save] [--aws] [--table NAME]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function documentClient(aws: boolean) {
  const local = !aws && !process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const client = new DynamoDBClient(
    local
      ? {
          endpoint: `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? '8000'}`,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function eventBridgeClient(aws: boolean) {
  const local = !aws && !process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  return new EventBridgeClient(
    local
      ? {
          endpoint: `http://127.0.0.1:${process.env.EVENTBRIDGE_PORT ?? '8010'}`,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
}

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      'as-of': { type: 'string' },
      save: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals[0] !== 'fit') fail(`unknown command: ${positionals[0] ?? '(none)'}`);
  const asOf = values['as-of'] ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) {
    fail(`--as-of must be a date, YYYY-MM-DD, not ${asOf || '(missing)'}`);
  }
  const tableName = values.table ?? process.env.TABLE_NAME ?? RESOURCE_NAMES.table;
  const db = documentClient(values.aws);
  const base = new DynamoCustomerBase(db, tableName);
  const started = performance.now();
  const model = await fitOnHistory(asOf, { base, now: () => new Date() });
  const fitSeconds = (performance.now() - started) / 1000;
  let saved = {};
  if (values.save) {
    await new DynamoModelStore(db, tableName).save(model);
    const store = new DynamoCustomerStore(db, tableName);
    const engine = {
      store,
      history: store,
      publisher: new EventBridgePublisher(
        process.env.EVENT_BUS_NAME ?? RESOURCE_NAMES.bus,
        eventBridgeClient(values.aws),
      ),
      settings: storedEngineSettings(new DynamoSettingsStore(db, tableName), {
        OFFER_SECRET: process.env.OFFER_SECRET ?? (values.aws ? undefined : 'dev-offer-secret'),
        OFFER_SECRET_ID: process.env.OFFER_SECRET_ID,
      }),
    };
    const now = new Date().toISOString();
    const pass = await reevaluateBase({ base, reevaluate: (id) => reevaluate(id, now, engine) });
    saved = { saved: true, reevaluation: pass };
  }
  console.log(JSON.stringify({ ...modelReport(model), seconds: Number(fitSeconds.toFixed(3)), ...saved }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

/** The lifecycle timelines through the real engine, apply and sweep, on DynamoDB Local. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../../shared/adapters/dynamodb/create-table.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { lifecycleScenarios } from '../support/lifecycle-scenarios.ts';
import { contactPolicyScenarios } from '../support/policy-scenarios.ts';
import { Scenario } from '../support/scenario.ts';
import { stack, uniqueId } from '../support/stack.ts';

async function onDynamoDbLocal() {
  // A table per scenario: each sweep then sees only its own customers.
  const tableName = uniqueId('scenario');
  const client = new DynamoDBClient({
    endpoint: stack().dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, tableName);
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return new Scenario(
    new DynamoCustomerStore(db, tableName),
    new DynamoLedger(db, tableName),
    new DynamoDueIndex(db, tableName),
  );
}

lifecycleScenarios(onDynamoDbLocal);
contactPolicyScenarios(onDynamoDbLocal);

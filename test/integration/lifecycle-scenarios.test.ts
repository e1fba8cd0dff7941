/** The lifecycle timelines through the real engine, apply and sweep, on DynamoDB Local. */

import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { lifecycleScenarios } from '../support/lifecycle-scenarios.ts';
import { contactPolicyScenarios } from '../support/policy-scenarios.ts';
import { predictiveScenarios } from '../support/predictive-scenarios.ts';
import { Scenario } from '../support/scenario.ts';
import { freshTable } from '../support/stack.ts';

async function onDynamoDbLocal(settings?: EngineSettings) {
  // A table per scenario: each sweep then sees only its own customers.
  const { db, tableName } = await freshTable('scenario');
  return new Scenario(
    new DynamoCustomerStore(db, tableName),
    new DynamoLedger(db, tableName),
    new DynamoDueIndex(db, tableName),
    settings,
  );
}

lifecycleScenarios(onDynamoDbLocal);
contactPolicyScenarios(onDynamoDbLocal);
predictiveScenarios(onDynamoDbLocal);

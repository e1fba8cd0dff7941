import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DUE_INDEX, TABLE_KEYS } from './table.ts';

const INDEXES: GlobalSecondaryIndex[] = [
  {
    IndexName: DUE_INDEX.name,
    KeySchema: [
      { AttributeName: DUE_INDEX.partition, KeyType: 'HASH' },
      { AttributeName: DUE_INDEX.sort, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  },
];

const ATTRIBUTES = [TABLE_KEYS.partition, TABLE_KEYS.sort, DUE_INDEX.partition, DUE_INDEX.sort];

/**
 * Creates the single table (as the CDK stack defines it) when it does not exist yet. Used by the
 * local stack and the integration tests; in AWS the stateful stack owns the table.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<'created' | 'exists' | 'updated'> {
  try {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    // A table kept in DATA_DIR by an earlier version gets the indexes added since (one at a time, as DynamoDB wants).
    const present = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = INDEXES.filter((index) => !present.has(index.IndexName));
    for (const index of missing) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: ATTRIBUTES.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    }
    // ... and the change stream the projections follow.
    if (!table?.StreamSpecification?.StreamEnabled) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      );
      return 'updated';
    }
    return missing.length > 0 ? 'updated' : 'exists';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ATTRIBUTES.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: INDEXES,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    }),
  );
  return 'created';
}

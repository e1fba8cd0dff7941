import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hooked } from '../client-hooks.ts';
import { DYNAMODB_RETRY, retryStrategy } from '../retry.ts';

/**
 * One client per process, created on first use and reused across invocations. The endpoint comes
 * from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` locally, so this code is the same in both places.
 */
let documentClient: DynamoDBDocumentClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  if (!documentClient) {
    const client = hooked(new DynamoDBClient({ retryStrategy: retryStrategy(DYNAMODB_RETRY) }), 'dynamodb');
    documentClient = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    if (process.env.DYNAMODB_CAPACITY_METRICS === '1') meterCapacity(documentClient);
  }
  return documentClient;
}

/** Capacity this process consumed, by operation (what `ReturnConsumedCapacity` reports). */
export const consumedCapacity = {
  readUnits: 0,
  writeUnits: 0,
  byOperation: {} as Record<string, { calls: number; readUnits: number; writeUnits: number }>,
};

const METERED = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'TransactGetItemsCommand',
]);

interface Consumed {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Asks DynamoDB for the capacity each call consumed and adds it up (`DYNAMODB_CAPACITY_METRICS=1`;
 * the local stack sets it, for `GET /_local/metrics` and the ingest benchmark). Off in AWS, where
 * CloudWatch reports consumed capacity per table.
 */
export function meterCapacity(client: DynamoDBDocumentClient) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = context.commandName ?? 'unknown';
      if (!METERED.has(operation)) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const reported = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const entries = Array.isArray(reported) ? reported : reported ? [reported] : [];
      consumedCapacity.byOperation[operation] ??= { calls: 0, readUnits: 0, writeUnits: 0 };
      const counts = consumedCapacity.byOperation[operation];
      counts.calls++;
      for (const entry of entries) {
        const write =
          entry.WriteCapacityUnits ??
          (operation.match(/Put|Update|Delete|Write/) ? entry.CapacityUnits : 0) ??
          0;
        const read = entry.ReadCapacityUnits ?? (write ? 0 : (entry.CapacityUnits ?? 0));
        consumedCapacity.writeUnits += write;
        consumedCapacity.readUnits += read;
        counts.writeUnits += write;
        counts.readUnits += read;
      }
      return result;
    },
    { step: 'initialize', name: 'meterConsumedCapacity' },
  );
}

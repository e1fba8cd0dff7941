import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DueCustomer, DueIndex } from '../../ports.ts';
import { DUE_INDEX, dueUpTo, TABLE_KEYS } from './table.ts';

/**
 * Reads the sparse, sharded due index: one query per shard, all shards at once, each reading only
 * entries whose day has passed. What it reads grows with the customers due, not the table.
 */
export class DynamoDueIndex implements DueIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *due(now: string): AsyncIterable<{ customers: DueCustomer[]; itemsRead: number }> {
    const pending = new Map<
      number,
      Promise<{ shard: number; page: Awaited<ReturnType<DynamoDueIndex['page']>> }>
    >();
    const start = (shard: number, startKey?: Record<string, unknown>) =>
      pending.set(
        shard,
        this.page(shard, now, startKey).then((page) => ({ shard, page })),
      );
    for (let shard = 0; shard < DUE_INDEX.shards; shard++) start(shard);
    while (pending.size > 0) {
      const { shard, page } = await Promise.race(pending.values());
      pending.delete(shard);
      if (page.nextKey) start(shard, page.nextKey);
      yield { customers: page.customers, itemsRead: page.itemsRead };
    }
  }

  private async page(shard: number, now: string, startKey?: Record<string, unknown>) {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: '#shard = :shard AND #due < :upTo',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partition, '#due': DUE_INDEX.sort },
        ExpressionAttributeValues: {
          ':shard': `DUE#${String(shard).padStart(2, '0')}`,
          ':upTo': dueUpTo(now),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    const customers = (result.Items ?? []).map((item) => ({
      customerId: String(item[TABLE_KEYS.partition]).replace(/^CUSTOMER#/, ''),
      dueKey: String(item[DUE_INDEX.sort]),
    }));
    return {
      customers,
      itemsRead: result.ScannedCount ?? customers.length,
      nextKey: result.LastEvaluatedKey,
    };
  }
}

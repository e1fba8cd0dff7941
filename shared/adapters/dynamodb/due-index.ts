import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEFINITION_ID } from '../../domain/conditions.ts';
import type { DueCustomer, DueIndex, LedgerKey } from '../../ports.ts';
import { DUE_INDEX, dueUpTo, sendUpTo, TABLE_KEYS } from './table.ts';

type Item = Record<string, unknown>;
type Page = { items: Item[]; itemsRead: number; nextKey?: Item };

/**
 * Reads the sparse, sharded due index: one query per shard, all shards at once, each reading only
 * entries whose time has come. What it reads grows with what is due, not with the table. Two
 * families share the index: `DUE#nn` (customers with a timer) and `SEND#nn` (deferred messages).
 */
export class DynamoDueIndex implements DueIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *due(now: string): AsyncIterable<{ customers: DueCustomer[]; itemsRead: number }> {
    for await (const page of this.shards('DUE', dueUpTo(now))) {
      const customers = page.items.map((item) => ({
        customerId: String(item[TABLE_KEYS.partition]).replace(/^CUSTOMER#/, ''),
        dueKey: String(item[DUE_INDEX.sort]),
      }));
      yield { customers, itemsRead: page.itemsRead };
    }
  }

  async *deferred(now: string): AsyncIterable<{ messages: LedgerKey[]; itemsRead: number }> {
    for await (const page of this.shards('SEND', sendUpTo(now))) {
      const messages = page.items.flatMap((item): LedgerKey[] => {
        // dueSK = <sendAt>#<customerId>#<campaignId>#<occurrence>; a customer id may hold '#'.
        const parts = String(item[DUE_INDEX.sort]).split('#');
        const occurrence = Number(parts.pop());
        const campaignId = parts.pop() ?? '';
        const customerId = parts.slice(1).join('#');
        return DEFINITION_ID.test(campaignId) ? [{ customerId, campaignId, occurrence }] : [];
      });
      yield { messages, itemsRead: page.itemsRead };
    }
  }

  /** Queries every shard of a family at once, yielding pages as they arrive. */
  private async *shards(family: 'DUE' | 'SEND', upTo: string): AsyncIterable<Page> {
    const pending = new Map<number, Promise<{ shard: number; page: Page }>>();
    const start = (shard: number, startKey?: Item) =>
      pending.set(
        shard,
        this.page(`${family}#${String(shard).padStart(2, '0')}`, upTo, startKey).then((page) => ({
          shard,
          page,
        })),
      );
    for (let shard = 0; shard < DUE_INDEX.shards; shard++) start(shard);
    while (pending.size > 0) {
      const { shard, page } = await Promise.race(pending.values());
      pending.delete(shard);
      if (page.nextKey) start(shard, page.nextKey);
      yield page;
    }
  }

  private async page(partition: string, upTo: string, startKey?: Item): Promise<Page> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: '#shard = :shard AND #due < :upTo',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partition, '#due': DUE_INDEX.sort },
        ExpressionAttributeValues: { ':shard': partition, ':upTo': upTo },
        ExclusiveStartKey: startKey,
      }),
    );
    const items = result.Items ?? [];
    return {
      items,
      itemsRead: result.ScannedCount ?? items.length,
      ...(result.LastEvaluatedKey ? { nextKey: result.LastEvaluatedKey } : {}),
    };
  }
}

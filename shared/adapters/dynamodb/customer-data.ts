import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerData } from '../../ports.ts';
import { pageEvents, profileFromItem, queryAll } from './customer-store.ts';
import { DynamoDirectory } from './directory.ts';
import { keys, TABLE_KEYS } from './table.ts';

type Item = Record<string, unknown>;

/** Items as a person reads them: a profile with its compressed data opened up. */
function readable(item: Item): Item {
  if (item.entity === 'events' && item.data) {
    const { data: _data, ...rest } = item;
    return { ...rest, events: pageEvents(item) };
  }
  if (item.entity !== 'profile' || !item.data) return item;
  const { data: _data, applied: _applied, format: _format, ...keysAndIndexes } = item;
  return { ...keysAndIndexes, ...profileFromItem(item) };
}

/**
 * Everything held about a customer lives in their partition and in the partitions of the ids
 * merged into them (alias pointers, event log pages, what was recorded before the merge), and in
 * the directory's two entries: export reads them all, erasure deletes them all.
 */
export class DynamoCustomerData implements CustomerData {
  private readonly directory: DynamoDirectory;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.directory = new DynamoDirectory(db, tableName);
  }

  async collect(id: string) {
    const customerId = await this.resolve(id);
    if (!customerId) return undefined;
    const stored = await this.profileItem(customerId);
    const profile = stored ? readable(stored) : undefined;
    const partitions = [customerId, ...((profile?.anonymousIds as string[] | undefined) ?? [])];
    const items: Item[] = [];
    for (const partition of partitions)
      items.push(...(await queryAll(this.db, this.tableName, keys.customer(partition))).map(readable));
    // The directory's copies of the address and name, kept by the projections.
    if (stored?.entity === 'profile') items.push(...(await this.directory.itemsOf(profileFromItem(stored))));
    // Their reply address (it names the customer), which each of their emails names.
    const replyIds = new Set(
      items.flatMap((item) => (typeof item.replyId === 'string' ? [item.replyId] : [])),
    );
    for (const replyId of replyIds) {
      const { Item: address } = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partition]: `REPLY#${replyId}`, [TABLE_KEYS.sort]: 'ADDRESS' },
        }),
      );
      if (address) items.push(address);
    }
    const addresses = new Set<string>();
    for (const item of items) {
      for (const value of [item.email, item.recipient, (item.traits as Item | undefined)?.email]) {
        if (typeof value === 'string' && value.includes('@')) addresses.add(value.trim().toLowerCase());
      }
    }
    return { customerId, items, addresses: [...addresses] };
  }

  async erase(id: string) {
    const collected = await this.collect(id);
    if (!collected) return undefined;
    const requests = collected.items.map((item) => ({
      DeleteRequest: {
        Key: { [TABLE_KEYS.partition]: item[TABLE_KEYS.partition], [TABLE_KEYS.sort]: item[TABLE_KEYS.sort] },
      },
    }));
    for (let start = 0; start < requests.length; start += 25) {
      let pending = requests.slice(start, start + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const result = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (result.UnprocessedItems?.[this.tableName] as typeof pending | undefined) ?? [];
      }
    }
    return { customerId: collected.customerId, deleted: requests.length, addresses: collected.addresses };
  }

  /** An anonymous id that was merged answers for the customer it was merged into. */
  private async resolve(id: string): Promise<string | undefined> {
    const item = await this.profileItem(id);
    if (!item) return undefined;
    return item.entity === 'alias' ? String(item.mergedInto) : id;
  }

  private async profileItem(id: string): Promise<Item | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [TABLE_KEYS.partition]: keys.customer(id), [TABLE_KEYS.sort]: keys.profile },
        ConsistentRead: true,
      }),
    );
    return item;
  }
}

import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { BaseChunk, ChunkedBase, CustomerBase, CustomerBasePage } from '../../ports.ts';
import { profileFromItem } from './customer-store.ts';
import { entryFromItem } from './ledger.ts';
import { keys, TABLE_KEYS } from './table.ts';

type Item = Record<string, unknown>;

/**
 * The whole customer base by a parallel scan: `segments` workers each read their slice of the
 * table, filtered to profiles (and ledger entries), and pages are handed on as they arrive. A scan
 * is paid for by the size of the table, events included, so only the nightly model job and the
 * metrics use it; nothing on the path of an event does.
 */
export class DynamoCustomerBase implements CustomerBase, ChunkedBase {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly segments = 8,
  ) {}

  async *scan(options: { messages?: boolean } = {}): AsyncIterable<CustomerBasePage> {
    const entities = options.messages ? ['profile', 'message'] : ['profile'];
    const workers = Array.from({ length: this.segments }, (_, segment) => this.segment(segment, entities));
    yield* merged(workers);
  }

  /**
   * One chunk of a whole-base job: up to `limit` items of the table read in slice `part` of
   * `parts`, from `cursor` on; the ids of the profiles among them, and the cursor after them.
   */
  async chunk(request: { part: number; parts: number; cursor?: string; limit: number }): Promise<BaseChunk> {
    const page = await this.db.send(
      new ScanCommand({
        TableName: this.tableName,
        Segment: request.part,
        TotalSegments: request.parts,
        Limit: request.limit,
        FilterExpression: '#entity = :profile',
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#entity': 'entity', '#pk': TABLE_KEYS.partition },
        ExpressionAttributeValues: { ':profile': 'profile' },
        ...(request.cursor
          ? {
              ExclusiveStartKey: JSON.parse(
                Buffer.from(request.cursor, 'base64url').toString('utf8'),
              ) as Item,
            }
          : {}),
      }),
    );
    const cursor = page.LastEvaluatedKey
      ? Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url')
      : undefined;
    return {
      customerIds: (page.Items ?? []).map((item) => keys.customerIdOf(String(item[TABLE_KEYS.partition]))),
      itemsRead: page.ScannedCount ?? 0,
      ...(cursor ? { cursor } : {}),
    };
  }

  private async *segment(segment: number, entities: string[]): AsyncIterable<CustomerBasePage> {
    let startKey: Item | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: this.segments,
          FilterExpression: `#entity IN (${entities.map((_, index) => `:e${index}`).join(', ')})`,
          ExpressionAttributeNames: { '#entity': 'entity' },
          ExpressionAttributeValues: Object.fromEntries(
            entities.map((entity, index) => [`:e${index}`, entity]),
          ),
          ExclusiveStartKey: startKey,
        }),
      );
      const items = page.Items ?? [];
      yield {
        profiles: items.filter((item) => item.entity === 'profile').map(profileFromItem),
        messages: items.filter((item) => item.entity === 'message').map(entryFromItem),
      };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}

/** The pages of several iterators, in the order they arrive. */
async function* merged<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const next = (index: number) =>
    (iterators[index] as AsyncIterator<T>).next().then((result) => ({ index, result }));
  const pending = new Map(iterators.map((_, index) => [index, next(index)]));
  while (pending.size > 0) {
    const { index, result } = await Promise.race(pending.values());
    if (result.done) {
      pending.delete(index);
    } else {
      pending.set(index, next(index));
      yield result.value;
    }
  }
}

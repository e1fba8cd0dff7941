import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { GAUGES } from '../../domain/counters.ts';
import type { CounterMoves, CounterStore } from '../../ports.ts';
import { TABLE_KEYS } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const COUNTS = 'COUNTS';

/**
 * The counters, in the `COUNTS` partition: `GAUGES` for the whole base, `DAY#<date>` for dated
 * numbers, one attribute per counter (ADD creates it at zero).
 */
export class DynamoCounterStore implements CounterStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Moves the counters in one transaction whose ClientRequestToken is `token`: DynamoDB applies a
   * transaction with a token it saw in the last 10 minutes only once (a stream's retries come
   * within seconds; the projections' retries stop before 10 minutes are up).
   */
  async apply(token: string, moves: CounterMoves): Promise<void> {
    const byItem = new Map<string, [string, number][]>();
    for (const [key, value] of moves) {
      const slash = key.indexOf('/');
      const item = key.slice(0, slash);
      byItem.set(item, [...(byItem.get(item) ?? []), [key.slice(slash + 1), value]]);
    }
    if (byItem.size === 0) return;
    if (byItem.size > 100)
      throw new Error(`one transaction moves at most 100 counter items, not ${byItem.size}`);
    const updates = [...byItem].map(
      ([item, attributes]): TransactItem => ({
        Update: {
          TableName: this.tableName,
          Key: { [pk]: COUNTS, [sk]: item },
          UpdateExpression: `ADD ${attributes.map((_, index) => `#a${index} :v${index}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(
            attributes.map(([name], index) => [`#a${index}`, name]),
          ),
          ExpressionAttributeValues: Object.fromEntries(
            attributes.map(([, value], index) => [`:v${index}`, value]),
          ),
        },
      }),
    );
    await this.db.send(
      new TransactWriteCommand({ TransactItems: updates, ClientRequestToken: token.slice(0, 36) }),
    );
  }

  async gauges(item = GAUGES): Promise<Record<string, number>> {
    const { Item: stored } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { [pk]: COUNTS, [sk]: item } }),
    );
    return countsOf(stored);
  }

  async days(from: string, to: string) {
    const days: { date: string; counts: Record<string, number> }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
          ExpressionAttributeValues: { ':pk': COUNTS, ':from': `DAY#${from}`, ':to': `DAY#${to}` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? [])
        days.push({ date: String(item[sk]).slice(4), counts: countsOf(item) });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return days;
  }
}

function countsOf(item: Record<string, unknown> | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name, value] of Object.entries(item ?? {}))
    if (typeof value === 'number' && name !== 'expiresAt') counts[name] = value;
  return counts;
}

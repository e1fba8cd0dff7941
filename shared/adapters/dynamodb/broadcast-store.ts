import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Broadcast, BroadcastStatus } from '../../domain/broadcasts.ts';
import type { BroadcastStore } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const PARTITION = 'BROADCASTS';
const keyOf = (id: string) => ({ [pk]: PARTITION, [sk]: `BROADCAST#${id}` });

/**
 * Broadcasts, one item each in the `BROADCASTS` partition (a shop sends a few a week: one query
 * lists them all). Created once; the status moves on only from the statuses it may come from.
 */
export class DynamoBroadcastStore implements BroadcastStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(broadcast: Broadcast): Promise<'created' | 'exists'> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(broadcast.id), entity: 'broadcast', ...broadcast },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': pk },
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'exists';
      throw error;
    }
  }

  async get(id: string): Promise<Broadcast | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }),
    );
    return item ? broadcastOf(item) : undefined;
  }

  async list(): Promise<Broadcast[]> {
    const items = await queryAll(this.db, this.tableName, PARTITION, 'BROADCAST#');
    return items.map(broadcastOf).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  async transition(
    id: string,
    move: { from: BroadcastStatus[]; to: BroadcastStatus; set?: Partial<Broadcast> },
  ): Promise<Broadcast | undefined> {
    const set = Object.entries({ ...move.set, status: move.to });
    try {
      const { Attributes: after } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: `SET ${set.map((_, index) => `#s${index} = :s${index}`).join(', ')}`,
          ConditionExpression: `#status IN (${move.from.map((_, index) => `:from${index}`).join(', ')})`,
          ExpressionAttributeNames: {
            '#status': 'status',
            ...Object.fromEntries(set.map(([name], index) => [`#s${index}`, name])),
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(set.map(([, value], index) => [`:s${index}`, value])),
            ...Object.fromEntries(move.from.map((status, index) => [`:from${index}`, status])),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return after ? broadcastOf(after) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

function broadcastOf(item: Record<string, unknown>): Broadcast {
  const { [pk]: _pk, [sk]: _sk, entity: _entity, ...broadcast } = item;
  return broadcast as unknown as Broadcast;
}

import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReplyAddresses } from '../../ports.ts';
import { TABLE_KEYS } from './table.ts';

/**
 * A customer's reply address is written with their first email and kept 400 days from then; the
 * send of an email after 300 days writes it again, so an address in use never expires.
 */
const KEPT_SECONDS = 400 * 86_400;

const keyOf = (id: string) => ({ [TABLE_KEYS.partition]: `REPLY#${id}`, [TABLE_KEYS.sort]: 'ADDRESS' });

export class DynamoReplyAddresses implements ReplyAddresses {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(id: string, customerId: string, now: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(id),
          entity: 'reply-address',
          customerId,
          expiresAt: Math.floor(now.getTime() / 1000) + KEPT_SECONDS,
        },
      }),
    );
  }

  async get(id: string): Promise<{ customerId: string; expiresAt: string } | undefined> {
    const { Item: item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keyOf(id) }));
    return item
      ? {
          customerId: String(item.customerId),
          expiresAt: new Date(Number(item.expiresAt) * 1000).toISOString(),
        }
      : undefined;
  }
}

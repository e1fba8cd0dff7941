import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RepliedEmail } from '../../domain/reply-address.ts';
import type { ReplyAddresses } from '../../ports.ts';
import { TABLE_KEYS } from './table.ts';

/** Replies come weeks or months after an email; after about a year and a month, the address is forgotten. */
const KEPT_SECONDS = 400 * 86_400;

const keyOf = (id: string) => ({ [TABLE_KEYS.partition]: `REPLY#${id}`, [TABLE_KEYS.sort]: 'ADDRESS' });

export class DynamoReplyAddresses implements ReplyAddresses {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(id: string, email: RepliedEmail, now: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(id),
          entity: 'reply-address',
          ...email,
          expiresAt: Math.floor(now.getTime() / 1000) + KEPT_SECONDS,
        },
      }),
    );
  }

  async get(id: string): Promise<RepliedEmail | undefined> {
    const { Item: item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keyOf(id) }));
    if (!item) return undefined;
    return {
      customerId: String(item.customerId),
      campaignId: String(item.campaignId),
      occurrence: Number(item.occurrence),
    };
  }
}

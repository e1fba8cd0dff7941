import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Suppression, SuppressionStore } from '../../ports.ts';
import { sha256Hex } from '../../security.ts';
import { TABLE_KEYS } from './table.ts';

/** Addresses are compared as mailboxes are: trimmed and case-insensitive. */
export function suppressionKey(address: string) {
  return {
    [TABLE_KEYS.partition]: `SUPPRESSION#${sha256Hex(address.trim().toLowerCase())}`,
    [TABLE_KEYS.sort]: 'ADDRESS',
  };
}

export class DynamoSuppressions implements SuppressionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(address: string): Promise<Suppression | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: suppressionKey(address), ConsistentRead: true }),
    );
    if (!item) return undefined;
    return {
      reason: item.reason as Suppression['reason'],
      at: String(item.at),
      ...(item.detail ? { detail: String(item.detail) } : {}),
    };
  }

  async put(address: string, suppression: Suppression): Promise<void> {
    // The first reason stands: a later bounce does not hide an earlier complaint.
    await this.db
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...suppressionKey(address), entity: 'suppression', ...suppression },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partition },
        }),
      )
      .catch((error: { name?: string }) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  async remove(address: string): Promise<boolean> {
    const result = await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: suppressionKey(address), ReturnValues: 'ALL_OLD' }),
    );
    return !!result.Attributes;
  }
}

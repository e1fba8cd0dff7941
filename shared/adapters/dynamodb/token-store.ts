import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiToken } from '../../domain/api-tokens.ts';
import type { TokenStore } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const PARTITION = 'TOKENS';
const keyOf = (id: string) => ({ [TABLE_KEYS.partition]: PARTITION, [TABLE_KEYS.sort]: `TOKEN#${id}` });
/** An expired or revoked token is still listed for a month, then DynamoDB's TTL removes it. */
const LISTED_AFTER_END_SECONDS = 30 * 86_400;
const USE_NOTED_EVERY_MS = 60_000;

/** API tokens under `TOKENS` / `TOKEN#<id>`: their digests, never the tokens. */
export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(token: ApiToken): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(token.id),
          entity: 'api-token',
          token,
          expiresAt: Math.floor(Date.parse(token.expiresAt) / 1000) + LISTED_AFTER_END_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partition },
      }),
    );
  }

  async get(id: string): Promise<ApiToken | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }),
    );
    return item?.token as ApiToken | undefined;
  }

  async list(): Promise<ApiToken[]> {
    return (await queryAll(this.db, this.tableName, PARTITION, 'TOKEN#')).map(
      (item) => item.token as ApiToken,
    );
  }

  async used(id: string, at: string): Promise<void> {
    const before = new Date(Date.parse(at) - USE_NOTED_EVERY_MS).toISOString();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: 'SET #token.lastUsedAt = :at',
          ConditionExpression:
            'attribute_exists(#token) AND (attribute_not_exists(#token.lastUsedAt) OR #token.lastUsedAt < :before)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':at': at, ':before': before },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async revoke(id: string, at: string): Promise<ApiToken | undefined> {
    try {
      const { Attributes: after } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          // The first revocation's time stands.
          UpdateExpression: 'SET #token.revokedAt = if_not_exists(#token.revokedAt, :at)',
          ConditionExpression: 'attribute_exists(#token)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return after?.token as ApiToken | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

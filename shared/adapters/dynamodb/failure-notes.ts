import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { FailureNotes } from '../../ports.ts';
import { TABLE_KEYS } from './table.ts';

/** Kept as long as the dead-letter queue keeps a message (14 days), and a day more. */
const KEPT_SECONDS = 15 * 86_400;
const keyOf = (messageId: string) => ({
  [TABLE_KEYS.partition]: `FAILURE#${messageId}`,
  [TABLE_KEYS.sort]: 'FAILURE',
});

/**
 * Why a queued message last failed, by its SQS message id: SQS moves a message to its dead-letter
 * queue without the reason, so the consumer notes it as the message fails.
 */
export class DynamoFailureNotes implements FailureNotes {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async note(failures: { messageId: string; reason: string; at: string }[]): Promise<void> {
    await Promise.all(
      failures.map((failure) =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keyOf(failure.messageId),
              entity: 'failure',
              reason: failure.reason.slice(0, 2000),
              at: failure.at,
              expiresAt: Math.floor(Date.parse(failure.at) / 1000) + KEPT_SECONDS,
            },
          }),
        ),
      ),
    );
  }

  async reasonOf(messageId: string): Promise<string | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(messageId) }),
    );
    return typeof item?.reason === 'string' ? item.reason : undefined;
  }
}

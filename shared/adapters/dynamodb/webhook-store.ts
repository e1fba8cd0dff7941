import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Delivery, StoredWebhook, WebhookStore } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const WEBHOOKS = 'WEBHOOKS';
/** Deliveries waiting for their next attempt, by its time: the minutely retry pass reads the due ones. */
const RETRIES = 'WEBHOOK_RETRIES';
/** A delivery's log entry is kept this long. */
const KEPT_SECONDS = 30 * 86_400;

const webhookKey = (id: string) => ({ [pk]: WEBHOOKS, [sk]: `WEBHOOK#${id}` });
const deliveryKey = (delivery: Pick<Delivery, 'webhookId' | 'createdAt' | 'id'>) => ({
  [pk]: `WEBHOOK#${delivery.webhookId}`,
  [sk]: `DELIVERY#${delivery.createdAt}#${delivery.id}`,
});
const retryKey = (delivery: Pick<Delivery, 'webhookId' | 'createdAt' | 'id'>, at: string) => ({
  [pk]: RETRIES,
  [sk]: `${at}#${delivery.webhookId}#${delivery.createdAt}#${delivery.id}`,
});

/**
 * Webhooks (one item each in the `WEBHOOKS` partition), their delivery log (in each webhook's own
 * partition, newest first, kept 30 days) and the deliveries waiting to be tried again.
 */
export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<StoredWebhook[]> {
    const items = await queryAll(this.db, this.tableName, WEBHOOKS, 'WEBHOOK#');
    return items.map(webhookOf).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async get(id: string): Promise<StoredWebhook | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: webhookKey(id), ConsistentRead: true }),
    );
    return item ? webhookOf(item) : undefined;
  }

  async put(webhook: StoredWebhook): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...webhookKey(webhook.id), entity: 'webhook', ...webhook },
      }),
    );
  }

  async delete(id: string): Promise<boolean> {
    const { Attributes: gone } = await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: webhookKey(id), ReturnValues: 'ALL_OLD' }),
    );
    return !!gone;
  }

  /**
   * A new delivery, and its place among the retries at its first attempt's time, in one
   * transaction: if the first attempt never finishes (a crash), the retry pass makes it.
   */
  async createDelivery(delivery: Delivery): Promise<'created' | 'exists'> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: deliveryItem(delivery),
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': pk },
              },
            },
            ...(delivery.nextAttemptAt
              ? [{ Put: { TableName: this.tableName, Item: retryItem(delivery, delivery.nextAttemptAt) } }]
              : []),
          ],
        }),
      );
      return 'created';
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      )
        return 'exists';
      throw error;
    }
  }

  /** The delivery after an attempt, and its place among the retries (moved, or removed when done). */
  async saveAttempt(delivery: Delivery, previousRetryAt: string | undefined): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: deliveryItem(delivery),
            },
          },
          ...(previousRetryAt
            ? [{ Delete: { TableName: this.tableName, Key: retryKey(delivery, previousRetryAt) } }]
            : []),
          ...(delivery.nextAttemptAt
            ? [{ Put: { TableName: this.tableName, Item: retryItem(delivery, delivery.nextAttemptAt) } }]
            : []),
        ],
      }),
    );
  }

  async deliveries(webhookId: string, limit: number): Promise<Delivery[]> {
    const { Items: items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: { ':pk': `WEBHOOK#${webhookId}`, ':prefix': 'DELIVERY#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return items.map(deliveryOf);
  }

  async dueRetries(now: string, limit: number): Promise<Delivery[]> {
    const { Items: items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: { ':pk': RETRIES, ':now': `${now}#~` },
        Limit: limit,
      }),
    );
    const deliveries: Delivery[] = [];
    for (const item of items) {
      const { Item: found } = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: item.delivery as Record<string, string>,
          ConsistentRead: true,
        }),
      );
      if (found) deliveries.push(deliveryOf(found));
      else
        await this.db.send(
          new DeleteCommand({ TableName: this.tableName, Key: { [pk]: item[pk], [sk]: item[sk] } }),
        );
    }
    return deliveries;
  }
}

/** Its place among the retries: the time of its next attempt, and where the delivery is. */
function retryItem(delivery: Delivery, at: string) {
  return { ...retryKey(delivery, at), entity: 'webhook-retry', delivery: deliveryKey(delivery) };
}

/** A delivery as stored: in its webhook's partition, leaving after KEPT_SECONDS. */
function deliveryItem(delivery: Delivery) {
  const expiresAt = Math.floor(Date.parse(delivery.createdAt) / 1000) + KEPT_SECONDS;
  return { ...deliveryKey(delivery), entity: 'webhook-delivery', ...delivery, expiresAt };
}

function webhookOf(item: Record<string, unknown>): StoredWebhook {
  const { [pk]: _pk, [sk]: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as StoredWebhook;
}

function deliveryOf(item: Record<string, unknown>): Delivery {
  const { [pk]: _pk, [sk]: _sk, entity: _entity, expiresAt: _expires, ...rest } = item;
  return rest as unknown as Delivery;
}

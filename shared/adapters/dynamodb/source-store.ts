import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Source } from '../../domain/sources.ts';
import type { SourceStats, SourceStore } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const PARTITION = 'SOURCES';
const sourceKey = (id: string) => ({ [pk]: PARTITION, [sk]: `SOURCE#${id}` });
const statsKey = (id: string, day: string) => ({ [pk]: PARTITION, [sk]: `STATS#${id}#${day}` });
/** A day's numbers of a source are kept 90 days. */
const STATS_SECONDS = 90 * 86_400;
/** A platform's delivery ids are remembered a week: platforms retry for up to two or three days. */
const SEEN_SECONDS = 7 * 86_400;
/** Each delivery in a partition of its own, so that no one partition takes every delivery. */
const deliveryKey = (id: string, delivery: string) => ({
  [pk]: `SEEN#${id}#${delivery.slice(0, 200)}`,
  [sk]: 'DELIVERY',
});
/** The latest reasons a source's events were refused, kept with the day's numbers. */
const KEPT_REASONS = 5;

/**
 * Sources, one item each in the `SOURCES` partition (a shop has a handful: one query reads them
 * all, on every ingest request, so a revoked key stops at once), and each source's numbers by day.
 */
export class DynamoSourceStore implements SourceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<Source[]> {
    const items = await queryAll(this.db, this.tableName, PARTITION, 'SOURCE#');
    return items.map(sourceOf);
  }

  async get(id: string): Promise<Source | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: sourceKey(id), ConsistentRead: true }),
    );
    return item ? sourceOf(item) : undefined;
  }

  async put(source: Source): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...sourceKey(source.id), entity: 'source', ...source },
      }),
    );
  }

  async record(
    id: string,
    at: string,
    counts: { accepted: number; rejected: number; ignored: number; reasons: string[] },
  ) {
    const day = at.slice(0, 10);
    const reasons = counts.reasons.slice(0, KEPT_REASONS).map((reason) => reason.slice(0, 300));
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: statsKey(id, day),
        UpdateExpression: `ADD accepted :accepted, rejected :rejected, ignored :ignored SET lastEventAt = :at, expiresAt = :expires, entity = :entity${reasons.length > 0 ? ', latestRejections = :reasons, lastRejectedAt = :at' : ''}`,
        ExpressionAttributeValues: {
          ':accepted': counts.accepted,
          ':rejected': counts.rejected,
          ':ignored': counts.ignored,
          ':at': at,
          ':expires': Math.floor(Date.parse(at) / 1000) + STATS_SECONDS,
          ':entity': 'source-stats',
          ...(reasons.length > 0 ? { ':reasons': reasons } : {}),
        },
      }),
    );
  }

  /** Whether a platform's delivery was taken already (its retries carry the same id). */
  async seen(id: string, delivery: string): Promise<boolean> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: deliveryKey(id, delivery), ConsistentRead: true }),
    );
    return !!item;
  }

  async remember(id: string, delivery: string, at: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...deliveryKey(id, delivery),
          entity: 'source-delivery',
          at,
          expiresAt: Math.floor(Date.parse(at) / 1000) + SEEN_SECONDS,
        },
      }),
    );
  }

  async stats(id: string, day: string): Promise<SourceStats | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: statsKey(id, day) }),
    );
    if (!item) return undefined;
    return {
      accepted: Number(item.accepted ?? 0),
      rejected: Number(item.rejected ?? 0),
      ignored: Number(item.ignored ?? 0),
      lastEventAt: String(item.lastEventAt),
      latestRejections: (item.latestRejections as string[] | undefined) ?? [],
    };
  }
}

function sourceOf(item: Record<string, unknown>): Source {
  const { [pk]: _pk, [sk]: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as Source;
}

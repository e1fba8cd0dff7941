import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEntry, type AuditQuery, matches } from '../../domain/audit.ts';
import type { AuditLog } from '../../ports.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
/** One partition a day: a day's changes are few, and a window is read day by day. */
const keyOf = (entry: Pick<AuditEntry, 'at' | 'id'>) => ({
  [pk]: `AUDIT#${entry.at.slice(0, 10)}`,
  [sk]: `${entry.at}#${entry.id}`,
});
const KEPT_SECONDS = 366 * 86_400;
const DAY_MS = 86_400_000;

export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keyOf(entry),
          entity: 'audit',
          entry,
          expiresAt: Math.floor(Date.parse(entry.at) / 1000) + KEPT_SECONDS,
        },
      }),
    );
  }

  async settle(
    entry: AuditEntry,
    outcome: Pick<AuditEntry, 'outcome' | 'after' | 'statesOmitted'>,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(entry),
        UpdateExpression: 'SET #entry = :entry',
        ExpressionAttributeNames: { '#entry': 'entry' },
        ExpressionAttributeValues: { ':entry': { ...entry, ...outcome } },
      }),
    );
  }

  async entries(query: AuditQuery, limit: number): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for (
      let day = Date.parse(query.to);
      day >= Date.parse(query.from) && found.length < limit;
      day -= DAY_MS
    ) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': pk },
            ExpressionAttributeValues: { ':pk': `AUDIT#${new Date(day).toISOString().slice(0, 10)}` },
            ScanIndexForward: false,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const entry = item.entry as AuditEntry;
          if (matches(entry, query) && found.length < limit) found.push(entry);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey && found.length < limit);
    }
    return found;
  }
}

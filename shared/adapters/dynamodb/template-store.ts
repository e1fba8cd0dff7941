import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredTemplate, TemplateDefinition } from '../../domain/templates.ts';
import type { TemplateStore, TemplateSummary } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const LIST = 'TEMPLATES';
const template = (name: string) => `TEMPLATE#${name}`;
const version = (number: number) => `VERSION#${String(number).padStart(6, '0')}`;

/**
 * Templates with versions: every save writes a new version (never overwriting one), `PUBLISHED`
 * points at the version campaigns send, and one list partition summarises every template.
 */
export class DynamoTemplateStore implements TemplateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<TemplateSummary[]> {
    const items = await queryAll(this.db, this.tableName, LIST);
    return items.map((item) => summaryFrom(item));
  }

  async summary(name: string): Promise<TemplateSummary | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { [pk]: LIST, [sk]: name }, ConsistentRead: true }),
    );
    return item ? summaryFrom(item) : undefined;
  }

  async get(name: string, number: number): Promise<StoredTemplate | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [pk]: template(name), [sk]: version(number) },
        ConsistentRead: true,
      }),
    );
    if (!item) return undefined;
    const { [pk]: _pk, [sk]: _sk, entity: _entity, ...stored } = item;
    return stored as StoredTemplate;
  }

  async versions(name: string): Promise<{ version: number; createdAt: string }[]> {
    const items = await queryAll(this.db, this.tableName, template(name), 'VERSION#');
    return items.map((item) => ({ version: Number(item.version), createdAt: String(item.createdAt) }));
  }

  async save(name: string, definition: TemplateDefinition, at: string): Promise<StoredTemplate> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.summary(name);
      const next = (current?.latest ?? 0) + 1;
      const stored: StoredTemplate = { ...definition, name, version: next, createdAt: at };
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { [pk]: template(name), [sk]: version(next), entity: 'template-version', ...stored },
                  ConditionExpression: 'attribute_not_exists(#sk)',
                  ExpressionAttributeNames: { '#sk': sk },
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: { [pk]: LIST, [sk]: name },
                  UpdateExpression:
                    'SET #name = :name, latest = :next, updatedAt = :at, description = :description',
                  ConditionExpression: current ? 'latest = :current' : 'attribute_not_exists(#sk)',
                  ExpressionAttributeNames: { '#name': 'name', ...(current ? {} : { '#sk': sk }) },
                  ExpressionAttributeValues: {
                    ':name': name,
                    ':next': next,
                    ':at': at,
                    ':description': definition.description ?? '',
                    ...(current ? { ':current': current.latest } : {}),
                  },
                },
              },
            ],
          }),
        );
        return stored;
      } catch (error) {
        // Someone saved a version at the same moment: take the next number.
        if (!(error instanceof TransactionCanceledException)) throw error;
      }
    }
    throw new Error(`template ${name}: could not save a new version (too many saves at once)`);
  }

  async publish(name: string, number: number, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { [pk]: template(name), [sk]: version(number) },
                ConditionExpression: 'attribute_exists(#sk)',
                ExpressionAttributeNames: { '#sk': sk },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { [pk]: LIST, [sk]: name },
                UpdateExpression: 'SET published = :version, publishedAt = :at',
                ConditionExpression: 'attribute_exists(#sk)',
                ExpressionAttributeNames: { '#sk': sk },
                ExpressionAttributeValues: { ':version': number, ':at': at },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  async delete(name: string): Promise<boolean> {
    const stored = await queryAll(this.db, this.tableName, template(name));
    const keys = [...stored.map((item) => ({ [pk]: item[pk], [sk]: item[sk] })), { [pk]: LIST, [sk]: name }];
    const existed = stored.length > 0;
    for (let start = 0; start < keys.length; start += 25) {
      let pending = keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } }));
      while (pending.length > 0) {
        const result = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (result.UnprocessedItems?.[this.tableName] as typeof pending | undefined) ?? [];
      }
    }
    return existed;
  }
}

function summaryFrom(item: Record<string, unknown>): TemplateSummary {
  const summary: TemplateSummary = {
    name: String(item.name ?? item[sk]),
    latest: Number(item.latest),
    updatedAt: String(item.updatedAt),
  };
  if (item.published !== undefined) summary.published = Number(item.published);
  if (typeof item.description === 'string' && item.description) summary.description = item.description;
  return summary;
}

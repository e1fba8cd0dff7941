import { gunzipSync, gzipSync } from 'node:zlib';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { JourneyBody, JourneyDefinition } from '../../domain/journeys.ts';
import type { JourneyStore } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const LIST = 'JOURNEYS';
const journey = (id: string) => `JOURNEY#${id}`;
const version = (number: number) => `VERSION#${String(number).padStart(6, '0')}`;

/**
 * A journey's definition, packed: gzipped JSON. Definitions nest deeper than DynamoDB's 32 levels
 * allow for a map (a branch in a waitFor in a branch, each with its condition), and packed they
 * take a fifth of the room in the settings item every decision reads.
 */
export function packDefinitions(definitions: Record<string, JourneyDefinition>): Uint8Array {
  return gzipSync(JSON.stringify(definitions));
}

export function unpackDefinitions(packed: unknown): Record<string, JourneyDefinition> {
  if (!(packed instanceof Uint8Array)) return {};
  return JSON.parse(gunzipSync(packed).toString('utf8')) as Record<string, JourneyDefinition>;
}

/**
 * Every saved version of every journey (drafts included): a save never overwrites one. One list
 * partition holds each journey's latest version, for listing without a scan.
 */
export class DynamoJourneyStore implements JourneyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<{ id: string; latest: number; updatedAt: string }[]> {
    const items = await queryAll(this.db, this.tableName, LIST);
    return items.map((item) => ({
      id: String(item[sk]),
      latest: Number(item.latest),
      updatedAt: String(item.updatedAt),
    }));
  }

  async get(id: string, number: number): Promise<JourneyDefinition | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [pk]: journey(id), [sk]: version(number) },
        ConsistentRead: true,
      }),
    );
    return item ? unpackDefinitions(item.definition)[String(number)] : undefined;
  }

  async versions(id: string): Promise<{ version: number; updatedAt: string }[]> {
    const items = await queryAll(this.db, this.tableName, journey(id), 'VERSION#');
    return items.map((item) => ({ version: Number(item.version), updatedAt: String(item.updatedAt) }));
  }

  async save(
    id: string,
    body: JourneyBody,
    at: string,
    expected?: number,
  ): Promise<JourneyDefinition | 'conflict'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { Item: summary } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: { [pk]: LIST, [sk]: id }, ConsistentRead: true }),
      );
      const latest = summary ? Number(summary.latest) : 0;
      if (expected !== undefined && expected !== latest) return 'conflict';
      const definition: JourneyDefinition = { ...body, id, version: latest + 1, updatedAt: at };
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    [pk]: journey(id),
                    [sk]: version(definition.version),
                    entity: 'journey-version',
                    version: definition.version,
                    updatedAt: at,
                    definition: packDefinitions({ [String(definition.version)]: definition }),
                  },
                  ConditionExpression: 'attribute_not_exists(#sk)',
                  ExpressionAttributeNames: { '#sk': sk },
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: { [pk]: LIST, [sk]: id },
                  UpdateExpression: 'SET latest = :next, updatedAt = :at, entity = :entity',
                  ConditionExpression: summary ? 'latest = :current' : 'attribute_not_exists(#sk)',
                  ExpressionAttributeNames: summary ? undefined : { '#sk': sk },
                  ExpressionAttributeValues: {
                    ':next': definition.version,
                    ':at': at,
                    ':entity': 'journey-summary',
                    ...(summary ? { ':current': latest } : {}),
                  },
                },
              },
            ],
          }),
        );
        return definition;
      } catch (error) {
        // Someone saved at the same moment: with an expected version that is a conflict, else take the next number.
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (expected !== undefined) return 'conflict';
      }
    }
    throw new Error(`journey ${id}: could not save a new version (too many saves at once)`);
  }
}

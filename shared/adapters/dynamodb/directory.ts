import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Profile } from '../../domain/profile.ts';
import type { CustomerDirectory, CustomerDirectoryIndex, DirectoryEntry } from '../../ports.ts';
import { DUE_INDEX, shardOf, TABLE_KEYS } from './table.ts';

type Item = Record<string, unknown>;
const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const shardKey = (shard: number) => `DIR#${String(shard).padStart(2, '0')}`;
const SHARDS = DUE_INDEX.shards;

/** The name a person is listed under: `name`, else first and last name. */
export function displayName(profile: Profile): string | undefined {
  const { name, firstName, lastName, first_name: first, last_name: last } = profile.traits;
  if (typeof name === 'string' && name.trim()) return name.trim();
  const parts = [firstName ?? first, lastName ?? last].filter(
    (part) => typeof part === 'string' && part.trim(),
  );
  return parts.length > 0 ? parts.join(' ').trim() : undefined;
}

/**
 * The directory items of a profile: one by email (or by id, for someone known only by name), and
 * one by name when it has one. A visitor known by neither has none: lists show people a
 * marketer can recognise (counts still count everyone), and a visitor's first page view costs
 * no directory write.
 */
function itemsOf(profile: Profile): Item[] {
  const partition = shardKey(shardOf(profile.id));
  const entry: DirectoryEntry = { id: profile.id };
  if (profile.email) entry.email = profile.email;
  const name = displayName(profile);
  if (name) entry.name = name;
  if (!profile.email && !name) return [];
  const items: Item[] = [
    {
      [pk]: partition,
      [sk]: `E#${profile.email?.toLowerCase() ?? '~'}#${profile.id}`,
      entity: 'directory',
      ...entry,
    },
  ];
  if (name)
    items.push({
      [pk]: partition,
      [sk]: `N#${name.toLowerCase()}#${profile.id}`,
      entity: 'directory',
      ...entry,
    });
  return items;
}

function entryOf(item: Item): DirectoryEntry {
  return {
    id: String(item.id),
    ...(typeof item.email === 'string' ? { email: item.email } : {}),
    ...(typeof item.name === 'string' ? { name: item.name } : {}),
  };
}

/**
 * The customer directory: small items in 16 partitions (by a hash of the id), sorted by email
 * (`E#`) and by name (`N#`), written only when a customer gets or changes an address or a name,
 * or goes. Prefix search asks every partition for its sort keys starting with the prefix.
 */
export class DynamoDirectory implements CustomerDirectoryIndex, CustomerDirectory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async update(before: Profile | undefined, after: Profile | undefined): Promise<void> {
    const old = new Map((before ? itemsOf(before) : []).map((item) => [`${item[pk]}|${item[sk]}`, item]));
    const wanted = new Map((after ? itemsOf(after) : []).map((item) => [`${item[pk]}|${item[sk]}`, item]));
    const requests: Item[] = [];
    for (const [key, item] of old)
      if (!wanted.has(key)) requests.push({ DeleteRequest: { Key: { [pk]: item[pk], [sk]: item[sk] } } });
    for (const [key, item] of wanted) {
      const previous = old.get(key);
      if (!previous || JSON.stringify(previous) !== JSON.stringify(item))
        requests.push({ PutRequest: { Item: item } });
    }
    for (let start = 0; start < requests.length; start += 25) {
      let batch: Item[] | undefined = requests.slice(start, start + 25);
      for (let attempt = 0; batch && batch.length > 0; attempt++) {
        const result = await this.db.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }),
        );
        batch = result.UnprocessedItems?.[this.tableName] as Item[] | undefined;
        if (batch?.length)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      }
    }
  }

  /** The customers with exactly this address (usually one). */
  async idsByEmail(email: string): Promise<string[]> {
    const wanted = `E#${email.trim().toLowerCase()}#`;
    const pages = await Promise.all(
      Array.from({ length: SHARDS }, (_, shard) =>
        this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
            ExpressionAttributeValues: { ':pk': shardKey(shard), ':prefix': wanted },
          }),
        ),
      ),
    );
    return pages.flatMap((page) => page.Items ?? []).map((item) => String(item.id));
  }

  /** The directory items a profile has (for export, and so that erasure deletes them too). */
  async itemsOf(profile: Profile): Promise<Item[]> {
    const found = await Promise.all(
      itemsOf(profile).map((item) =>
        this.db.send(new GetCommand({ TableName: this.tableName, Key: { [pk]: item[pk], [sk]: item[sk] } })),
      ),
    );
    return found.flatMap((result) => (result.Item ? [result.Item] : []));
  }

  async search(prefix: string, limit: number): Promise<DirectoryEntry[]> {
    const wanted = prefix.trim().toLowerCase();
    if (!wanted) return [];
    const found = new Map<string, DirectoryEntry>();
    const pages = await Promise.all(
      Array.from({ length: SHARDS }, (_, shard) =>
        Promise.all(
          ['E#', 'N#'].map((kind) =>
            this.db.send(
              new QueryCommand({
                TableName: this.tableName,
                KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
                ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
                ExpressionAttributeValues: { ':pk': shardKey(shard), ':prefix': `${kind}${wanted}` },
                Limit: limit,
              }),
            ),
          ),
        ),
      ),
    );
    for (const item of pages.flat().flatMap((page) => page.Items ?? []))
      found.set(String(item.id), entryOf(item));
    return [...found.values()]
      .sort((a, b) => ((a.email ?? a.name ?? a.id) < (b.email ?? b.name ?? b.id) ? -1 : 1))
      .slice(0, limit);
  }

  async page(limit: number, cursor?: string): Promise<{ entries: DirectoryEntry[]; cursor?: string }> {
    let position = cursor
      ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { shard: number; key?: Item })
      : { shard: 0 };
    const entries: DirectoryEntry[] = [];
    while (position.shard < SHARDS && entries.length < limit) {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :kind)',
          ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
          ExpressionAttributeValues: { ':pk': shardKey(position.shard), ':kind': 'E#' },
          Limit: limit - entries.length,
          ...(position.key ? { ExclusiveStartKey: position.key } : {}),
        }),
      );
      entries.push(...(page.Items ?? []).map(entryOf));
      position = page.LastEvaluatedKey
        ? { shard: position.shard, key: page.LastEvaluatedKey }
        : { shard: position.shard + 1 };
    }
    return {
      entries,
      ...(position.shard < SHARDS
        ? { cursor: Buffer.from(JSON.stringify(position)).toString('base64url') }
        : {}),
    };
  }
}

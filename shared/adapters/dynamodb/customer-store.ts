import { createHash, randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { dispatchAt } from '../../domain/ledger.ts';
import { DAY_MS, type Profile } from '../../domain/profile.ts';
import type { SegmentChange } from '../../domain/segments.ts';
import { EVENT_RETENTION_DAYS, type LoggedEvent } from '../../domain/signals.ts';
import type { CustomerCommit, CustomerStore, EventHistory, StoredCustomer } from '../../ports.ts';
import { dueIndexKeys, keys, sendIndexKeys, TABLE_KEYS } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

/** The profile item's layout: its data compressed (`data`), the applied-input keys packed (`applied`). */
const PROFILE_FORMAT = 2;

/**
 * Customers' profiles, one item each. Every event rewrites its customer's profile, so the item is
 * kept small: DynamoDB charges a write unit per KB, and a profile's JSON compresses about four to
 * one. The profile is stored brotli-compressed, the keys of the inputs it applied packed as 8
 * bytes each, and beside them only what DynamoDB itself reads: the version (the condition of
 * every write), the entity and the index keys. A commit that changes only the profile is one
 * conditional PutItem; ledger entries, conversions and alias links make it a transaction.
 */
export class DynamoCustomerStore implements CustomerStore, EventHistory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(id: string): Promise<StoredCustomer | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: profileKey(id), ConsistentRead: true }),
    );
    return item ? storedCustomer(id, item) : undefined;
  }

  /** Many customers in as few reads as DynamoDB allows (100 keys a BatchGetItem); absent ones are undefined. */
  async loadMany(ids: string[]): Promise<Map<string, StoredCustomer | undefined>> {
    const found = new Map<string, StoredCustomer | undefined>(ids.map((id) => [id, undefined]));
    const unique = [...found.keys()];
    for (let start = 0; start < unique.length; start += 100) {
      let request: Record<string, unknown>[] = unique.slice(start, start + 100).map(profileKey);
      for (let attempt = 0; request.length > 0; attempt++) {
        // Keys DynamoDB left unread (throttled, or the answer's 16 MB) are asked again, with backoff.
        if (attempt > 0) await delay(Math.min(1000, 25 * 2 ** attempt));
        const answer = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: request, ConsistentRead: true } },
          }),
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) {
          const id = keys.customerIdOf(String(item[TABLE_KEYS.partition]));
          found.set(id, storedCustomer(id, item));
        }
        request = answer.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  async history(profile: Profile): Promise<LoggedEvent[]> {
    const chains: [string, string | undefined][] = [
      [profile.id, profile.eventLog?.head],
      ...Object.entries(profile.eventLog?.linked ?? {}),
    ];
    const events: LoggedEvent[] = [...(profile.events ?? [])];
    for (const [id, head] of chains) {
      if (!head) continue;
      const items = await queryAll(this.db, this.tableName, keys.customer(id), keys.eventPagePrefix);
      const pages = new Map(
        items.map((item) => [String(item[TABLE_KEYS.sort]).slice(keys.eventPagePrefix.length), item]),
      );
      events.push(...chainFrom(head, pages));
    }
    const unique = [...new Map(events.map((event) => [event.key, event])).values()];
    return unique.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  async commit(commit: CustomerCommit): Promise<'committed' | 'conflict'> {
    const { expectedVersion } = commit;
    const { item, page } = sealedIfLarge({ ...commit.profile, version: expectedVersion + 1 });
    // The page goes first: a profile never names a page that is not there. If the profile's
    // write then fails, the page is an orphan no chain reaches (and its TTL takes it away).
    if (page) await this.db.send(new PutCommand({ TableName: this.tableName, Item: page }));
    const put = { TableName: this.tableName, Item: item, ...versionCondition(expectedVersion) };
    if (commit.aliases.length === 0 && commit.messages.length === 0 && commit.conversions.length === 0) {
      try {
        await this.db.send(new PutCommand(put));
        return 'committed';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'conflict';
        throw error;
      }
    }
    const items: TransactItem[] = [
      { Put: put },
      ...commit.aliases.map(
        (alias): TransactItem => ({
          Put: {
            TableName: this.tableName,
            Item: {
              ...profileKey(alias.id),
              entity: 'alias',
              id: alias.id,
              mergedInto: alias.mergedInto,
              version: alias.expectedVersion + 1,
            },
            ...versionCondition(alias.expectedVersion),
          },
        }),
      ),
      ...commit.conversions.map(
        (conversion): TransactItem => ({
          Update: {
            TableName: this.tableName,
            Key: {
              [TABLE_KEYS.partition]: keys.customer(conversion.key.customerId),
              [TABLE_KEYS.sort]: keys.message(conversion.key.campaignId, conversion.key.occurrence),
            },
            UpdateExpression: 'SET convertedAt = :at, convertedBy = :by',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.partition },
            ExpressionAttributeValues: { ':at': conversion.at, ':by': conversion.by },
          },
        }),
      ),
      ...commit.messages.map((entry): TransactItem => {
        // Listed for the dispatcher until claimed: a deferred message at its send time, a queued
        // one after a grace period (in case its request was lost on the way to send-message).
        const at = dispatchAt(entry);
        return {
          Put: {
            TableName: this.tableName,
            Item: {
              [TABLE_KEYS.partition]: keys.customer(entry.customerId),
              [TABLE_KEYS.sort]: keys.message(entry.campaignId, entry.occurrence),
              entity: 'message',
              ...entry,
              ...(at ? sendIndexKeys(entry.customerId, entry.campaignId, entry.occurrence, at) : {}),
            },
            ConditionExpression: 'attribute_not_exists(#sk)',
            ExpressionAttributeNames: { '#sk': TABLE_KEYS.sort },
          },
        };
      }),
    ];
    // The same commit retried by the SDK after a lost response is recognised by DynamoDB as done.
    // The token is the commit's content: another commit from the same version (a concurrent
    // delivery, or a redelivery with other timestamps) gets its own token, and so a plain
    // conflict, never an IdempotentParameterMismatch for ten minutes.
    const token = createHash('sha256').update(JSON.stringify(items)).digest('hex').slice(0, 36);
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
      return 'committed';
    } catch (error) {
      if (error instanceof TransactionCanceledException && isRetryableCancellation(error)) return 'conflict';
      throw error;
    }
  }
}

/**
 * A write costs a unit per KB of the item (counted here per 1,000 bytes, a margin for how DynamoDB
 * sizes names and numbers): the event log's tail rides in the profile for free until it would add
 * a unit to every write, and is then sealed into a page of its own.
 */
export const SEAL_AT_BYTES = 1000;

const writeUnits = (item: Item) => Math.max(1, Math.ceil(itemBytes(item) / SEAL_AT_BYTES));

/**
 * The profile's item, and the page its log's tail is sealed into when that saves a write unit: a
 * profile that is large without its tail (many orders, many journeys) keeps the tail until the
 * tail itself would cost a unit more, rather than sealing a page (a write of its own) every event.
 */
export function sealedIfLarge(profile: Profile): { item: Item; page?: Item } {
  const item = profileItem(profile);
  const tail = profile.events ?? [];
  if (tail.length === 0 || itemBytes(item) <= SEAL_AT_BYTES) return { item };
  const newest = tail.reduce((latest, event) => (event.at > latest ? event.at : latest), tail[0]?.at ?? '');
  const id = `${newest}~${randomBytes(4).toString('hex')}`;
  const previous = profile.eventLog?.head;
  // Never sooner than the page before (a late, old event must not make the chain lose its middle).
  const expiresAt = Math.max(
    Math.ceil((Date.parse(newest) + EVENT_RETENTION_DAYS * DAY_MS) / 1000),
    profile.eventLog?.expiresAt ?? 0,
  );
  const page: Item = {
    [TABLE_KEYS.partition]: keys.customer(profile.id),
    [TABLE_KEYS.sort]: `${keys.eventPagePrefix}${id}`,
    entity: 'events',
    ...(previous ? { prev: previous } : {}),
    count: tail.length,
    data: brotliCompressSync(Buffer.from(JSON.stringify(tail)), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
    }),
    expiresAt,
  };
  const sealed: Profile = { ...profile, events: [], eventLog: { ...profile.eventLog, head: id, expiresAt } };
  const sealedItem = profileItem(sealed);
  if (writeUnits(sealedItem) >= writeUnits(item)) return { item };
  return { item: sealedItem, page };
}

/** DynamoDB's size of an item as it bills it: names and values (strings, numbers, binary). */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (typeof value === 'number') bytes += Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
    else if (value instanceof Uint8Array) bytes += value.length;
    else if (value !== undefined) bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

/** The events a sealed page holds. */
export function pageEvents(page: Item): LoggedEvent[] {
  return unpackEvents(JSON.parse(brotliDecompressSync(page.data as Uint8Array).toString('utf8')));
}

/** The events of one chain of sealed pages, newest page first, following `prev` from `head`. */
function chainFrom(head: string | undefined, pages: Map<string, Item>): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  const seen = new Set<string>();
  for (let id = head; id && !seen.has(id); id = pages.get(id)?.prev as string | undefined) {
    seen.add(id);
    const page = pages.get(id);
    if (!page) break; // expired: everything older has expired before it
    events.push(...pageEvents(page));
  }
  return events;
}

/** Every item of a partition (optionally only sort keys starting with `sortPrefix`), page by page. */
export async function queryAll(
  db: DynamoDBDocumentClient,
  tableName: string,
  partition: string,
  sortPrefix = '',
) {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: sortPrefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: sortPrefix
          ? { '#pk': TABLE_KEYS.partition, '#sk': TABLE_KEYS.sort }
          : { '#pk': TABLE_KEYS.partition },
        ExpressionAttributeValues: sortPrefix
          ? { ':pk': partition, ':prefix': sortPrefix }
          : { ':pk': partition },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

function isRetryableCancellation(error: TransactionCanceledException) {
  const codes = (error.CancellationReasons ?? [])
    .map((reason) => reason.Code)
    .filter((code) => code && code !== 'None');
  return (
    codes.length > 0 &&
    codes.every((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')
  );
}

function versionCondition(expectedVersion: number): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  return expectedVersion === 0
    ? {
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partition },
      }
    : {
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': expectedVersion },
      };
}

function profileKey(id: string) {
  return { [TABLE_KEYS.partition]: keys.customer(id), [TABLE_KEYS.sort]: keys.profile };
}

/**
 * Lists the profile keeps many of, stored as tuples rather than objects: every byte of the
 * profile item counts against the 1 KB that one write unit pays for, and an event's field names
 * repeated in each entry are bytes the event log's tail could use. Objects (as stored before)
 * are read too.
 */
type PackedEvent = [name: string, at: number, key: string, properties?: Record<string, unknown>];
type PackedChange = [segment: string, change: 'e' | 'x', at: number];

export function packEvents(events: readonly LoggedEvent[]): PackedEvent[] {
  return events.map((event) =>
    event.properties
      ? [event.name, Date.parse(event.at), event.key, event.properties]
      : [event.name, Date.parse(event.at), event.key],
  );
}

export function unpackEvents(stored: readonly (PackedEvent | LoggedEvent)[]): LoggedEvent[] {
  return stored.map((entry) => {
    if (!Array.isArray(entry)) return entry;
    const [name, at, key, properties] = entry;
    return { name, at: new Date(at).toISOString(), key, ...(properties ? { properties } : {}) };
  });
}

function packed(profile: Omit<Profile, 'version' | 'applied'>) {
  const { events, segmentHistory, ...rest } = profile;
  return {
    ...rest,
    ...(events ? { events: packEvents(events) } : {}),
    ...(segmentHistory
      ? {
          segmentHistory: segmentHistory.map(
            (change): PackedChange => [
              change.segment,
              change.change === 'entered' ? 'e' : 'x',
              Date.parse(change.at),
            ],
          ),
        }
      : {}),
  };
}

function unpacked(data: ReturnType<typeof packed>): Omit<Profile, 'version' | 'applied'> {
  const { events, segmentHistory, ...rest } = data as ReturnType<typeof packed> & {
    segmentHistory?: (PackedChange | SegmentChange)[];
  };
  return {
    ...rest,
    ...(events ? { events: unpackEvents(events) } : {}),
    ...(segmentHistory
      ? {
          segmentHistory: segmentHistory.map((change) =>
            Array.isArray(change)
              ? {
                  segment: change[0],
                  change: change[1] === 'e' ? 'entered' : 'exited',
                  at: new Date(change[2]).toISOString(),
                }
              : change,
          ),
        }
      : {}),
  };
}

/** The stored item: the compressed profile, the packed input keys, and what DynamoDB reads. */
function storedCustomer(id: string, item: Item): StoredCustomer {
  if (item.entity === 'alias') {
    return { kind: 'alias', id, mergedInto: String(item.mergedInto), version: Number(item.version) };
  }
  return { kind: 'profile', profile: profileFromItem(item) };
}

export function profileItem(profile: Profile): Item {
  const { version, applied, ...rest } = profile;
  return {
    ...profileKey(profile.id),
    entity: 'profile',
    format: PROFILE_FORMAT,
    version,
    data: brotliCompressSync(Buffer.from(JSON.stringify(packed(rest))), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
    }),
    ...(applied?.length
      ? { applied: Buffer.concat(applied.map((key) => Buffer.from(key, 'base64url'))) }
      : {}),
    ...dueIndexKeys(profile.id, profile),
  };
}

/** Reads a stored profile (and profiles stored field by field, as versions before format 2 did). */
export function profileFromItem(item: Item): Profile {
  if (item.format !== PROFILE_FORMAT) return legacyProfile(item);
  const data = unpacked(JSON.parse(brotliDecompressSync(item.data as Uint8Array).toString('utf8')));
  const packed = item.applied as Uint8Array | undefined;
  const applied: string[] = [];
  for (let offset = 0; packed && offset + 8 <= packed.length; offset += 8)
    applied.push(Buffer.from(packed.subarray(offset, offset + 8)).toString('base64url'));
  return { ...data, version: Number(item.version), ...(applied.length > 0 ? { applied } : {}) };
}

const LEGACY_FIELDS = [
  'id',
  'version',
  'anonymousIds',
  'email',
  'traits',
  'traitTimes',
  'stage',
  'stageChangedAt',
  'firstSeenAt',
  'lastSeenAt',
  'visitCount',
  'lastVisitAt',
  'visitDays',
  'orders',
  'refunds',
  'campaigns',
  'marketingLog',
  'timezone',
  'timezoneAt',
  'lastComplaintAt',
  'lastClickAt',
  'consent',
  'stageHistory',
  'nextDueAt',
] as const satisfies readonly (keyof Profile)[];

function legacyProfile(item: Item): Profile {
  const profile: Item = {};
  for (const field of LEGACY_FIELDS) if (item[field] !== undefined) profile[field] = item[field];
  return profile as unknown as Profile;
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

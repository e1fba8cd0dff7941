import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Profile, summarize } from '../../domain/profile.ts';
import type { AppliedEvent, AppliedKey, CustomerCommit, CustomerStore, StoredCustomer } from '../../ports.ts';
import {
  DUE_INDEX,
  dueIndexKeys,
  EMAIL_INDEX,
  emailIndexKeys,
  emailKeyOf,
  keys,
  sendIndexKeys,
  TABLE_KEYS,
} from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

const PROFILE_FIELDS = [
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

export class DynamoCustomerStore implements CustomerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(id: string): Promise<StoredCustomer | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: profileKey(id), ConsistentRead: true }),
    );
    if (!item) return undefined;
    if (item.entity === 'alias') {
      return { kind: 'alias', id, mergedInto: String(item.mergedInto), version: Number(item.version) };
    }
    return { kind: 'profile', profile: profileFromItem(item) };
  }

  async findApplied(appliedKeys: AppliedKey[]): Promise<AppliedEvent[]> {
    const unique = new Map(appliedKeys.map((key) => [`${key.customerId}\u0000${key.messageId}`, key]));
    const wanted = [...unique.values()].map(({ customerId, messageId }) => ({
      [TABLE_KEYS.partition]: keys.customer(customerId),
      [TABLE_KEYS.sort]: keys.event(messageId),
    }));
    const found: AppliedEvent[] = [];
    for (let start = 0; start < wanted.length; start += 100) {
      let pending: Item[] = wanted.slice(start, start + 100);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await delay(Math.min(1000, 25 * 2 ** attempt));
        const result = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) found.push(appliedFromItem(item));
        pending = (result.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return found;
  }

  async commit(commit: CustomerCommit): Promise<'committed' | 'conflict'> {
    const { profile, expectedVersion } = commit;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: profileItem({ ...profile, version: expectedVersion + 1 }),
          ...versionCondition(expectedVersion),
        },
      },
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
      ...commit.applied.map(
        (applied): TransactItem => ({
          Put: {
            TableName: this.tableName,
            Item: {
              [TABLE_KEYS.partition]: keys.customer(applied.customerId),
              [TABLE_KEYS.sort]: keys.event(applied.messageId),
              entity: 'event',
              ...applied,
            },
            ConditionExpression: 'attribute_not_exists(#sk)',
            ExpressionAttributeNames: { '#sk': TABLE_KEYS.sort },
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
      ...commit.messages.map(
        (entry): TransactItem => ({
          Put: {
            TableName: this.tableName,
            Item: {
              [TABLE_KEYS.partition]: keys.customer(entry.customerId),
              [TABLE_KEYS.sort]: keys.message(entry.campaignId, entry.occurrence),
              entity: 'message',
              ...entry,
              // A deferred message is listed in the index until it is claimed for sending.
              ...(entry.status === 'deferred' && entry.sendAt
                ? sendIndexKeys(entry.customerId, entry.campaignId, entry.occurrence, entry.sendAt)
                : {}),
            },
            ConditionExpression: 'attribute_not_exists(#sk)',
            ExpressionAttributeNames: { '#sk': TABLE_KEYS.sort },
          },
        }),
      ),
    ];
    // The same commit retried by the SDK after a lost response is recognised by DynamoDB as done.
    const token = createHash('sha256')
      .update(
        `${profile.id}|${expectedVersion}|${commit.applied.map((applied) => applied.messageId).join(',')}`,
      )
      .digest('hex')
      .slice(0, 36);
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
      return 'committed';
    } catch (error) {
      if (error instanceof TransactionCanceledException && isRetryableCancellation(error)) return 'conflict';
      throw error;
    }
  }

  async reschedule(customerId: string, expectedVersion: number, nextDueAt: string | undefined) {
    const index = dueIndexKeys(customerId, nextDueAt);
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':next': expectedVersion + 1 };
    const names: Record<string, string> = { '#version': 'version', '#due': 'nextDueAt' };
    const sets = ['#version = :next'];
    const removes: string[] = [];
    if (nextDueAt && index) {
      values[':due'] = nextDueAt;
      sets.push('#due = :due');
      for (const [field, value] of Object.entries(index)) {
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
    } else {
      names['#duePK'] = DUE_INDEX.partition;
      names['#dueSK'] = DUE_INDEX.sort;
      removes.push('#due', '#duePK', '#dueSK');
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: profileKey(customerId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async idsByEmail(email: string): Promise<string[]> {
    const { Items: items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: EMAIL_INDEX.name,
        KeyConditionExpression: '#email = :email',
        ExpressionAttributeNames: { '#email': EMAIL_INDEX.partition },
        ExpressionAttributeValues: { ':email': emailKeyOf(email) },
        Limit: 50,
      }),
    );
    return items.map((item) => keys.customerIdOf(String(item[TABLE_KEYS.partition])));
  }

  async events(customerId: string): Promise<AppliedEvent[]> {
    const items = await queryAll(this.db, this.tableName, keys.customer(customerId), keys.eventPrefix);
    return items.map(appliedFromItem);
  }
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
 * The stored item carries the derived counters too, so the table reads well in the console, and
 * the due-index keys when the customer has a timer (absent otherwise: the index is sparse).
 */
function profileItem(profile: Profile): Item {
  return {
    ...profileKey(profile.id),
    entity: 'profile',
    ...profile,
    ...summarize(profile),
    ...dueIndexKeys(profile.id, profile.nextDueAt),
    ...emailIndexKeys(profile.email),
  };
}

export function profileFromItem(item: Item): Profile {
  const profile: Item = {};
  for (const field of PROFILE_FIELDS) if (item[field] !== undefined) profile[field] = item[field];
  return profile as unknown as Profile;
}

function appliedFromItem(item: Item): AppliedEvent {
  const { [TABLE_KEYS.partition]: _pk, [TABLE_KEYS.sort]: _sk, entity: _entity, ...applied } = item;
  return applied as unknown as AppliedEvent;
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isFinal, type LedgerEntry } from '../../domain/ledger.ts';
import type { Feedback, FeedbackKind, Ledger, LedgerKey, LedgerUpdate } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { DUE_INDEX, keys, TABLE_KEYS } from './table.ts';

export class DynamoLedger implements Ledger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(key: LedgerKey): Promise<LedgerEntry | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: itemKey(key), ConsistentRead: true }),
    );
    return item ? entryFromItem(item) : undefined;
  }

  async list(customerId: string): Promise<LedgerEntry[]> {
    const items = await queryAll(this.db, this.tableName, keys.customer(customerId), keys.messagePrefix);
    return items.map(entryFromItem);
  }

  async transition(key: LedgerKey, update: LedgerUpdate): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status', '#history': 'history' };
    const values: Record<string, unknown> = {
      ':status': update.status,
      ':history': [
        { status: update.status, at: update.at, ...(update.reason ? { reason: update.reason } : {}) },
      ],
    };
    const assignments = ['#status = :status', '#history = list_append(#history, :history)'];
    const fields: Record<string, unknown> = {
      ...update.set,
      ...(update.reason ? { reason: update.reason } : {}),
    };
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      assignments.push(`#${field} = :${field}`);
    }

    const allowed = update.from.map((status, index) => {
      values[`:from${index}`] = status;
      return `:from${index}`;
    });
    let condition = `#status IN (${allowed.join(', ')})`;
    if (update.claimToken) {
      names['#claimToken'] = 'claimToken';
      values[':heldToken'] = update.claimToken;
      condition = `(${condition}) AND #claimToken = :heldToken`;
    }
    if (update.leaseExpiredBefore) {
      names['#claimedUntil'] = 'claimedUntil';
      values[':claimed'] = 'claimed';
      values[':leaseEnd'] = update.leaseExpiredBefore;
      condition = `(${condition}) OR (#status = :claimed AND #claimedUntil < :leaseEnd)`;
    }

    // A finished entry leaves the dispatcher's index; until then it stays, in case its sender dies.
    const finished = isFinal(update.status);
    if (finished) {
      names['#duePK'] = DUE_INDEX.partition;
      names['#dueSK'] = DUE_INDEX.sort;
    }
    const removal = finished ? ' REMOVE #duePK, #dueSK' : '';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey(key),
          UpdateExpression: `SET ${assignments.join(', ')}${removal}`,
          ConditionExpression: `attribute_exists(#pk) AND (${condition})`,
          ExpressionAttributeNames: { ...names, '#pk': TABLE_KEYS.partition },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return this.doneByOurselves(key, update);
      throw error;
    }
  }

  /**
   * The condition failed, but possibly because of our own first try: when DynamoDB applied an
   * update and its answer was lost (a 500, a timeout), the SDK sends it again and finds the entry
   * already moved. An entry in the target status under our claim token is that case.
   */
  private async doneByOurselves(key: LedgerKey, update: LedgerUpdate): Promise<boolean> {
    const token = update.set?.claimToken ?? update.claimToken;
    if (!token) return false;
    const current = await this.get(key);
    return current?.status === update.status && current.claimToken === token;
  }

  async recordFeedback(key: LedgerKey, feedback: Feedback): Promise<'recorded' | 'duplicate' | 'missing'> {
    const first: Partial<Record<FeedbackKind, string>> = {
      delivery: 'deliveredAt',
      open: 'openedAt',
      click: 'clickedAt',
      bounce: 'bouncedAt',
      complaint: 'complainedAt',
    };
    const counter: Partial<Record<FeedbackKind, string>> = { open: 'opens', click: 'clicks' };
    const sets = ['#feedback = list_append(if_not_exists(#feedback, :none), :entry)'];
    const names: Record<string, string> = {
      '#pk': TABLE_KEYS.partition,
      '#feedback': 'feedback',
      '#seen': 'feedbackEvents',
    };
    const values: Record<string, unknown> = {
      ':none': [],
      ':entry': [
        { kind: feedback.kind, at: feedback.at, ...(feedback.detail ? { detail: feedback.detail } : {}) },
      ],
      ':id': feedback.eventId,
      ':ids': new Set([feedback.eventId]),
    };
    const firstField = first[feedback.kind];
    if (firstField) {
      names['#first'] = firstField;
      values[':at'] = feedback.at;
      sets.push('#first = if_not_exists(#first, :at)');
    }
    const adds = ['#seen :ids'];
    const counterField = counter[feedback.kind];
    if (counterField) {
      names['#count'] = counterField;
      values[':one'] = 1;
      adds.push('#count :one');
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey(key),
          UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
          // SES (and the bus) may deliver an event twice: each event counts once.
          ConditionExpression: 'attribute_exists(#pk) AND NOT contains(#seen, :id)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.get(key)) ? 'duplicate' : 'missing';
    }
  }
}

function itemKey(key: LedgerKey) {
  return {
    [TABLE_KEYS.partition]: keys.customer(key.customerId),
    [TABLE_KEYS.sort]: keys.message(key.campaignId, key.occurrence),
  };
}

export function entryFromItem(item: Record<string, unknown>): LedgerEntry {
  const { [TABLE_KEYS.partition]: _pk, [TABLE_KEYS.sort]: _sk, entity: _entity, ...entry } = item;
  return entry as unknown as LedgerEntry;
}

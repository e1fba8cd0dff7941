/**
 * The single table's shape, in one place: the CDK stack and the local stack both create the
 * table from these names, and the adapters build keys with these helpers. No SDK imports here.
 */
import type { CampaignId } from '../../domain/campaigns.ts';

export const TABLE_KEYS = { partition: 'PK', sort: 'SK' } as const;

/** Sparse index of customers with a timer, sharded so no single partition takes every write. */
export const DUE_INDEX = { name: 'due', partition: 'duePK', sort: 'dueSK', shards: 16 } as const;

/** Sparse index of profiles by their address (lower case), for looking a customer up by email. */
export const EMAIL_INDEX = { name: 'email', partition: 'emailKey' } as const;

/** The email index key of a profile with an address. */
export function emailIndexKeys(email: string | undefined) {
  return email ? { [EMAIL_INDEX.partition]: emailKeyOf(email) } : undefined;
}

export function emailKeyOf(email: string) {
  return email.trim().toLowerCase();
}

export const keys = {
  customer: (id: string) => `CUSTOMER#${id}`,
  /** The customer id in a customer partition key. */
  customerIdOf: (partition: string) => partition.replace(/^CUSTOMER#/, ''),
  profile: 'PROFILE',
  event: (messageId: string) => `EVENT#${messageId}`,
  eventPrefix: 'EVENT#',
  message: (campaignId: CampaignId, occurrence: number) =>
    `MESSAGE#${campaignId}#${String(occurrence).padStart(4, '0')}`,
  messagePrefix: 'MESSAGE#',
};

/**
 * The due index keys of a customer. The sort key carries the day at or after the due time (its
 * next midnight, UTC), not the exact time: moving a timer within the same day (every visit moves
 * the win-back timer) then does not rewrite the index, and a sweep reads only entries that are
 * really due. The price: a timer fires at the first sweep after its day ends.
 */
export function dueIndexKeys(customerId: string, nextDueAt: string | undefined) {
  if (!nextDueAt) return undefined;
  return {
    [DUE_INDEX.partition]: `DUE#${String(shardOf(customerId)).padStart(2, '0')}`,
    [DUE_INDEX.sort]: `${dueDay(nextDueAt)}#${customerId}`,
  };
}

/** The UTC day (YYYY-MM-DD) of the midnight at or after `iso`. */
export function dueDay(iso: string): string {
  const time = Date.parse(iso);
  const midnight = Math.ceil(time / 86_400_000) * 86_400_000;
  return new Date(midnight).toISOString().slice(0, 10);
}

/** Entries of days up to and including the day `now` falls in are due: their midnight has passed. */
export function dueUpTo(now: string): string {
  const nextDay = new Date(Math.floor(Date.parse(now) / 86_400_000 + 1) * 86_400_000);
  return nextDay.toISOString().slice(0, 10);
}

/** A stable shard for a customer id (FNV-1a), spreading index writes over the shards. */
export function shardOf(customerId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < customerId.length; index++) {
    hash ^= customerId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % DUE_INDEX.shards;
}

/** Index keys of a deferred message: the dispatcher reads them when their send time has come. */
export function sendIndexKeys(
  customerId: string,
  campaignId: CampaignId,
  occurrence: number,
  sendAt: string,
) {
  return {
    [DUE_INDEX.partition]: `SEND#${String(shardOf(customerId)).padStart(2, '0')}`,
    [DUE_INDEX.sort]: `${sendAt}#${customerId}#${campaignId}#${occurrence}`,
  };
}

/** Deferred messages whose send time is at or before `now` (`$` sorts right after `#`). */
export function sendUpTo(now: string): string {
  return `${now}$`;
}

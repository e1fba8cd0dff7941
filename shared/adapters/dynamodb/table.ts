/**
 * The single table's shape, in one place: the CDK stack and the local stack both create the
 * table from these names, and the adapters build keys with these helpers. No SDK imports here.
 */

export const TABLE_KEYS = { partition: 'PK', sort: 'SK' } as const;

/** Sparse index of customers with a timer, sharded so no single partition takes every write. */
export const DUE_INDEX = { name: 'due', partition: 'duePK', sort: 'dueSK', shards: 16 } as const;

export const keys = {
  customer: (id: string) => `CUSTOMER#${id}`,
  /** The customer id in a customer partition key. */
  customerIdOf: (partition: string) => partition.replace(/^CUSTOMER#/, ''),
  profile: 'PROFILE',
  event: (messageId: string) => `EVENT#${messageId}`,
  eventPrefix: 'EVENT#',
  message: (campaignId: string, occurrence: number) =>
    `MESSAGE#${campaignId}#${String(occurrence).padStart(4, '0')}`,
  messagePrefix: 'MESSAGE#',
  /** A sealed page of a customer's event log. */
  eventPagePrefix: 'EVENTS#',
};

/**
 * The due index keys of a customer: the bucket their next due time is filed under (to the minute
 * when near, by the day before when far: timers.ts `dueBucket`), then the id. A timer that moves
 * within its bucket does not rewrite the index. Profiles written before buckets existed are filed
 * by the day of their due time.
 */
export function dueIndexKeys(customerId: string, profile: { nextDueAt?: string; dueBucket?: string }) {
  if (!profile.nextDueAt) return undefined;
  const bucket = profile.dueBucket ?? profile.nextDueAt.slice(0, 10);
  return {
    [DUE_INDEX.partition]: `DUE#${String(shardOf(customerId)).padStart(2, '0')}`,
    [DUE_INDEX.sort]: `${bucket}#${customerId}`,
  };
}

/** Index entries filed under buckets up to the minute `now` falls in are due (`~` sorts after `#`). */
export function dueUpTo(now: string): string {
  return `${now.slice(0, 16)}~`;
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
export function sendIndexKeys(customerId: string, campaignId: string, occurrence: number, sendAt: string) {
  return {
    [DUE_INDEX.partition]: `SEND#${String(shardOf(customerId)).padStart(2, '0')}`,
    [DUE_INDEX.sort]: `${sendAt}#${customerId}#${campaignId}#${occurrence}`,
  };
}

/** Deferred messages whose send time is at or before `now` (`$` sorts right after `#`). */
export function sendUpTo(now: string): string {
  return `${now}$`;
}

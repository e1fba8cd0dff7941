/**
 * The single table's shape, in one place: the CDK stack and the local stack both create the
 * table from these names, and the adapters build keys with these helpers. No SDK imports here.
 */
import type { CampaignId } from '../../domain/campaigns.ts';

export const TABLE_KEYS = { partition: 'PK', sort: 'SK' } as const;

/** Sparse index of customers with a timer, sharded so no single partition takes every write. */
export const DUE_INDEX = { name: 'due', partition: 'duePK', sort: 'dueSK', shards: 16 } as const;

export const keys = {
  customer: (id: string) => `CUSTOMER#${id}`,
  profile: 'PROFILE',
  event: (messageId: string) => `EVENT#${messageId}`,
  eventPrefix: 'EVENT#',
  message: (campaignId: CampaignId, occurrence: number) =>
    `MESSAGE#${campaignId}#${String(occurrence).padStart(4, '0')}`,
  messagePrefix: 'MESSAGE#',
};

import * as z from 'zod';
import { CAMPAIGN_IDS } from '../campaigns.ts';
import { defineContract } from './contract.ts';

/** Published by apply-event after it has queued a message in the ledger; send-message sends it. */
export const MessageRequested = defineContract({
  source: 'lifecycle.engine',
  detailType: 'Message Requested',
  version: 1,
  schema: z.object({
    version: z.literal(1),
    customerId: z.string().min(1),
    campaignId: z.enum(CAMPAIGN_IDS),
    occurrence: z.number().int().positive(),
  }),
});

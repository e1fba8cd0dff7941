import * as z from 'zod';
import { DEFINITION_ID } from '../conditions.ts';
import { defineContract } from './contract.ts';

/** Published by apply-event after it has queued a message in the ledger; send-message sends it. */
export const MessageRequested = defineContract({
  source: 'lifecycle.engine',
  detailType: 'Message Requested',
  version: 1,
  schema: z.object({
    version: z.literal(1),
    customerId: z.string().min(1),
    /** The journey (or broadcast) the email belongs to. */
    campaignId: z.string().regex(DEFINITION_ID),
    occurrence: z.number().int().positive(),
  }),
});

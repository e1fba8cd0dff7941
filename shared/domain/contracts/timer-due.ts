import * as z from 'zod';
import { defineContract } from './contract.ts';

/**
 * Published by the sweep for each customer it found due: apply-event fires every timer of that
 * customer due at or before `now`. `messageId` makes a repeated delivery harmless.
 */
export const TimerDue = defineContract({
  source: 'lifecycle.sweep',
  detailType: 'Timer Due',
  version: 1,
  schema: z.object({
    version: z.literal(1),
    customerId: z.string().min(1),
    now: z.iso.datetime(),
    messageId: z.string().min(1),
  }),
});

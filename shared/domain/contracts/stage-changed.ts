import * as z from 'zod';
import { STAGES } from '../profile.ts';
import { defineContract } from './contract.ts';

/** Published by apply-event for every lifecycle transition, for metrics and other consumers. */
export const StageChanged = defineContract({
  source: 'lifecycle.engine',
  detailType: 'Stage Changed',
  version: 1,
  schema: z.object({
    version: z.literal(1),
    customerId: z.string().min(1),
    from: z.enum(STAGES).nullable(),
    to: z.enum(STAGES),
    at: z.iso.datetime(),
    triggeredBy: z.string(),
  }),
});

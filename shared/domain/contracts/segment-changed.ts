import * as z from 'zod';
import { defineContract } from './contract.ts';

const detail = z.object({
  version: z.literal(1),
  customerId: z.string().min(1),
  segment: z.string().min(1),
  at: z.iso.datetime(),
  /** The input whose decision changed the membership (an event's messageId, a sweep's, a build's). */
  triggeredBy: z.string(),
});

/** Published by apply-event when a customer enters a segment, for journeys, webhooks and the shop. */
export const SegmentEntered = defineContract({
  source: 'lifecycle.engine',
  detailType: 'Segment Entered',
  version: 1,
  schema: detail,
});

/** Published by apply-event when a customer leaves a segment. */
export const SegmentExited = defineContract({
  source: 'lifecycle.engine',
  detailType: 'Segment Exited',
  version: 1,
  schema: detail,
});

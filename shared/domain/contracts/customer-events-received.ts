import * as z from 'zod';
import { EVENT_TYPES } from '../segment.ts';
import { defineContract } from './contract.ts';

const record = z.record(z.string(), z.unknown());

export const customerEventSchema = z.object({
  type: z.enum(EVENT_TYPES),
  messageId: z.string().min(1),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  timestamp: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  originalTimestamp: z.iso.datetime().optional(),
  sentAt: z.iso.datetime().optional(),
  event: z.string().optional(),
  name: z.string().optional(),
  category: z.string().optional(),
  properties: record.optional(),
  traits: record.optional(),
  context: record.optional(),
  groupId: z.string().optional(),
  previousId: z.string().optional(),
});

/**
 * Published by ingest: the valid events of one request that belong to one customer, in the order
 * they were sent. Grouping by customer lets apply-event write each profile once per request.
 */
export const CustomerEventsReceived = defineContract({
  source: 'lifecycle.ingest',
  detailType: 'Customer Events Received',
  version: 1,
  schema: z.object({
    version: z.literal(1),
    customerKey: z.string().min(1),
    events: z.array(customerEventSchema).min(1),
  }),
});

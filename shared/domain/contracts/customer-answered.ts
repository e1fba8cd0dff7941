import * as z from 'zod';
import { EMAIL_REPLIED, FEEDBACK_GIVEN } from '../answers.ts';
import { defineContract } from './contract.ts';

const answer = z.object({
  version: z.literal(1),
  customerId: z.string().min(1),
  at: z.iso.datetime(),
  /** The event's properties: question, score, comment, reason, campaign, occurrence; or the reply's text. */
  properties: z.record(z.string(), z.unknown()),
  triggeredBy: z.string(),
});

/** Published by apply-event when a rating or a reason settles (after the prefetch window, or confirmed). */
export const FeedbackGiven = defineContract({
  source: 'lifecycle.engine',
  detailType: FEEDBACK_GIVEN,
  version: 1,
  schema: answer,
});

/** Published by apply-event when a customer's reply to our email arrives (automatic replies are not). */
export const EmailReplied = defineContract({
  source: 'lifecycle.engine',
  detailType: EMAIL_REPLIED,
  version: 1,
  schema: answer,
});

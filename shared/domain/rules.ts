/**
 * The engine's rules that are not journeys: the lifecycle's stage rules (when a customer is at
 * risk, when the relationship has ended; fixed delays or the fitted model), the contact policy,
 * and what each event name means. Each has defaults that marketers override; overrides are
 * validated here, with errors that name the field. The tactics (welcome kit, win-back, ...) are
 * journeys, data (shared/domain/defaults/journeys).
 */
import * as z from 'zod';
import type { CompiledJourneys } from './journey-set.ts';
import type { FittedModel } from './models/fitted.ts';
import type { CompiledSegments } from './segments.ts';

/** What an event means to the lifecycle, whatever the site calls it. */
export type Meaning = 'order' | 'refund' | 'visit';

const days = (max: number) =>
  z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(max);

export const offerSchema = z.strictObject({
  enabled: z.boolean(),
  /** Shown in the email next to the code, e.g. "10% off your next order". */
  description: z.string().trim().min(1).max(200),
  /** Codes look like PREFIX-7K3F9Q2M. */
  prefix: z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be 2 to 12 capital letters or digits'),
});
export type OfferSettings = z.infer<typeof offerSchema>;

/**
 * The lifecycle's stage rules. At risk (deterioration): no order, visit or click for
 * `afterDays` (fixed), or, for repeat buyers with a trustworthy model, P(alive) falling below
 * `aliveThreshold` (predictive); a one-time buyer is not at risk before the typical time between
 * purchases (`oneTimeBuyers.afterDays`, or the model's) and a grace after it. Ended
 * (termination): `ended.afterDays` in deterioration without an order.
 */
export const lifecycleSchema = z.strictObject({
  atRisk: z.strictObject({
    mode: z.enum(['fixed', 'predictive']),
    afterDays: days(730),
    aliveThreshold: z.number().gt(0, 'must be between 0 and 1').lt(1, 'must be between 0 and 1'),
    oneTimeBuyers: z.strictObject({ afterDays: days(365), graceDays: z.number().int().min(0).max(365) }),
  }),
  ended: z.strictObject({ afterDays: days(365) }),
});
export type LifecycleRules = z.infer<typeof lifecycleSchema>;

export function defaultLifecycle(): LifecycleRules {
  return {
    atRisk: {
      mode: 'fixed',
      afterDays: 90,
      aliveThreshold: 0.5,
      oneTimeBuyers: { afterDays: 60, graceDays: 14 },
    },
    ended: { afterDays: 30 },
  };
}

/** The contact policy: how often, and when, marketing may reach a customer. */
export const policySchema = z.strictObject({
  caps: z.strictObject({
    perDay: z.number().int().min(1, 'must be at least 1').max(50),
    perWeek: z.number().int().min(1, 'must be at least 1').max(100),
  }),
  quietHours: z.strictObject({
    enabled: z.boolean(),
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
    end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
    /**
     * The sender's time zone, for customers who did not tell us theirs. Unset (null), quiet hours
     * apply only to customers whose time zone is known: without one, "night" means nothing.
     */
    defaultTimezone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .nullable(),
  }),
  /** After a refund or a complaint, no promotional email for this many days. */
  cooldownDays: z.number().int().min(0).max(365),
  /** Traits the site sends beyond Segment's own, which templates may use by name. */
  customTraits: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a trait name')).max(200),
  /** The impression balance (impressions.ts): its window, weights and the events that count. */
  impressions: z
    .strictObject({
      windowDays: z.number().int().min(7, 'must be at least 7 days').max(365),
      goodWeight: z.number().min(0.1).max(100),
      badWeight: z.number().min(0.1).max(1000),
      goodEvents: z.array(z.string().trim().min(1).max(200)).max(50),
      badEvents: z.array(z.string().trim().min(1).max(200)).max(50),
    })
    .partial()
    .optional(),
  broadcasts: z
    .strictObject({
      /** The drop-in guard's default: no order, visit, click or consent in this many days. */
      quietDays: z.number().int().min(7, 'must be at least 7 days').max(3650),
      /** The share of the account's SES send rate broadcasts may take; journeys keep the rest. */
      rateShare: z.number().min(0.1, 'must be between 0.1 and 0.9').max(0.9, 'must be between 0.1 and 0.9'),
    })
    .optional(),
});
export type ContactPolicy = z.infer<typeof policySchema>;

/** What broadcasts follow: the policy's, or the defaults (180 quiet days, 80% of the send rate). */
export function broadcastPolicyOf(policy: ContactPolicy) {
  return policy.broadcasts ?? { quietDays: 180, rateShare: 0.8 };
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Makes the offer code of one email of a journey for one customer (unique, unguessable). */
export type OfferCodeMaker = (
  customerId: string,
  journeyId: string,
  occurrence: number,
  prefix: string,
) => string;

export interface EngineSettings {
  /** An email answering an event is only sent while the event is younger than this when received. */
  freshnessHours: number;
  /** An email after a wait or timer that falls due this long before it is decided is skipped. */
  staleTimerDays: number;
  /** Track event names mapped onto lifecycle meanings (Segment's e-commerce names are built in). */
  eventMeanings: Record<string, Meaning>;
  lifecycle: LifecycleRules;
  /** The published journeys (and the versions customers inside are on). */
  journeys: CompiledJourneys;
  policy: ContactPolicy;
  /** The event types some enabled webhook listens to: the only webhook-only events published. */
  webhookEvents: readonly string[];
  offerCodes: OfferCodeMaker;
  /** The latest fitted customer-base model, when there is one. */
  model?: FittedModel;
  /** Every segment, in dependency order, with the signals their conditions need. */
  segments: CompiledSegments;
}

export const DEFAULT_EVENT_MEANINGS: Record<string, Meaning> = {
  'Order Completed': 'order',
  'Order Refunded': 'refund',
  'Page Viewed': 'visit',
};

export function defaultPolicy(): ContactPolicy {
  return {
    caps: { perDay: 1, perWeek: 3 },
    quietHours: { enabled: true, start: '21:00', end: '08:00', defaultTimezone: null },
    cooldownDays: 14,
    customTraits: [],
  };
}

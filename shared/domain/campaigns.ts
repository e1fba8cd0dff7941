/**
 * Campaigns and the settings the engine reads. The ids are a public contract: they appear on
 * every email (`X-Campaign-Id`) and in every metric. Settings have defaults (the lifecycle table)
 * that marketers override; overrides are validated here, with errors that name the field.
 */
import * as z from 'zod';
import type { FittedModel } from './models/fitted.ts';
import type { CompiledSegments } from './segments.ts';

export const CAMPAIGN_IDS = [
  'welcome-kit',
  'second-purchase-nudge',
  're-engagement',
  'win-back',
  'farewell',
  'feedback-request',
  'loyalty-reward',
] as const;
export type CampaignId = (typeof CAMPAIGN_IDS)[number];

export function isCampaignId(value: string): value is CampaignId {
  return (CAMPAIGN_IDS as readonly string[]).includes(value);
}

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

/** Fields every campaign has. */
const commonShape = {
  enabled: z.boolean(),
  /** `service` mail is exempt from caps, quiet hours and marketing opt-outs; `marketing` is not. */
  category: z.enum(['marketing', 'service']),
  /** Name of the template the campaign renders. */
  template: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a template name (a-z, 0-9, -)'),
  /** How long after the email an order (or, for re-engagement, a visit) counts as its conversion. */
  conversionWindowDays: days(365),
  /** This share of eligible customers is held out (recorded, not sent), to measure the uplift. */
  holdoutPercent: z.number().min(0, 'must be between 0 and 50').max(50, 'must be between 0 and 50'),
};

/** Each campaign's own thresholds: the numbers of the lifecycle table. */
const campaignShapes = {
  'welcome-kit': { ...commonShape, offer: offerSchema.optional() },
  'second-purchase-nudge': {
    ...commonShape,
    afterDays: days(365),
    /** predictive: after the expected time between purchases of the fitted model, not after a fixed delay. */
    mode: z.enum(['fixed', 'predictive']),
    offer: offerSchema.optional(),
  },
  'loyalty-reward': {
    ...commonShape,
    orderCount: z.number().int().min(2, 'must be at least 2').max(1000),
    offer: offerSchema.optional(),
  },
  'feedback-request': commonShape,
  're-engagement': {
    ...commonShape,
    minVisitDays: z.number().int().min(2, 'must be at least 2').max(365),
    minQuietDays: days(365),
    gapMultiplier: z.number().min(1, 'must be at least 1').max(20),
  },
  'win-back': {
    ...commonShape,
    afterDays: days(730),
    /** predictive: when P(alive) falls below `aliveThreshold`, not after a fixed silence. */
    mode: z.enum(['fixed', 'predictive']),
    aliveThreshold: z.number().gt(0, 'must be between 0 and 1').lt(1, 'must be between 0 and 1'),
    offer: offerSchema.optional(),
  },
  farewell: { ...commonShape, afterDays: days(365) },
} as const;

export const campaignSchemas = Object.fromEntries(
  Object.entries(campaignShapes).map(([id, shape]) => [id, z.strictObject(shape)]),
) as { [K in CampaignId]: z.ZodObject<(typeof campaignShapes)[K]> };

export type CampaignSettingsOf<K extends CampaignId> = z.infer<(typeof campaignSchemas)[K]>;
export type CampaignsSettings = { [K in CampaignId]: CampaignSettingsOf<K> };
export type CampaignSettings = CampaignSettingsOf<CampaignId>;

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
});
export type ContactPolicy = z.infer<typeof policySchema>;

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Makes the offer code of one occurrence of a campaign for one customer (unique, unguessable). */
export type OfferCodeMaker = (
  customerId: string,
  campaignId: CampaignId,
  occurrence: number,
  prefix: string,
) => string;

export interface EngineSettings {
  /** An event-triggered email is only sent while the event is younger than this when received. */
  freshnessHours: number;
  /** A timer that fires this long after it fell due changes the stage but sends nothing. */
  staleTimerDays: number;
  /** Track event names mapped onto lifecycle meanings (Segment's e-commerce names are built in). */
  eventMeanings: Record<string, Meaning>;
  campaigns: CampaignsSettings;
  policy: ContactPolicy;
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

export function defaultCampaigns(): CampaignsSettings {
  const common = (id: CampaignId, conversionWindowDays = 14) => ({
    enabled: true,
    category: 'marketing' as const,
    template: id,
    conversionWindowDays,
    holdoutPercent: 0,
  });
  const offer = (description: string, prefix: string): OfferSettings => ({
    enabled: true,
    description,
    prefix,
  });
  return {
    'welcome-kit': { ...common('welcome-kit', 60), offer: offer('10% off your second order', 'THANKS') },
    'second-purchase-nudge': {
      ...common('second-purchase-nudge'),
      afterDays: 60,
      mode: 'fixed',
      offer: offer('15% off your next order, for the next two weeks', 'AGAIN'),
    },
    'loyalty-reward': {
      ...common('loyalty-reward'),
      orderCount: 5,
      offer: offer('A gift with your next order', 'LOYAL'),
    },
    'feedback-request': { ...common('feedback-request'), category: 'service' },
    're-engagement': { ...common('re-engagement'), minVisitDays: 3, minQuietDays: 7, gapMultiplier: 3 },
    'win-back': {
      ...common('win-back'),
      afterDays: 90,
      mode: 'fixed',
      aliveThreshold: 0.5,
      offer: offer('20% off, because we would like you back', 'WELCOMEBACK'),
    },
    farewell: { ...common('farewell'), afterDays: 30 },
  };
}

export function defaultPolicy(): ContactPolicy {
  return {
    caps: { perDay: 1, perWeek: 3 },
    quietHours: { enabled: true, start: '21:00', end: '08:00', defaultTimezone: null },
    cooldownDays: 14,
    customTraits: [],
  };
}

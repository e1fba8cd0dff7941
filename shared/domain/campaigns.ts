/**
 * Campaign ids and the settings the engine reads. The ids are a public contract: they appear on
 * every email (`X-Campaign-Id`) and in every metric.
 */
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

export interface CampaignSettings {
  enabled: boolean;
  /** `service` mail (feedback after a refund) is not promotional; everything else is `marketing`. */
  category: 'marketing' | 'service';
  /** Name of the template the campaign renders. */
  template: string;
  /** How long after the email an order (or, for re-engagement, a visit) counts as its conversion. */
  conversionWindowDays: number;
}

/** The numbers of the lifecycle table; marketers can change them, these are the defaults. */
export interface LifecycleRules {
  /** second-purchase-nudge: days after the first order, if there is still only one. */
  nudgeAfterDays: number;
  /** loyalty-reward: the order that earns it. */
  loyaltyOrderCount: number;
  /** re-engagement: visit days a customer without orders needs before a lapse counts. */
  reengagementMinVisitDays: number;
  /** re-engagement: the quiet period is max(this many days, multiplier x median gap between visit days). */
  reengagementMinQuietDays: number;
  reengagementGapMultiplier: number;
  /** win-back: days without an order or a visit, for a customer with at least one order. */
  winBackAfterDays: number;
  /** farewell: days after the win-back with no order since. */
  farewellAfterDays: number;
}

export interface EngineSettings {
  /** An event-triggered email is only sent while the event is younger than this when received. */
  freshnessHours: number;
  /** A timer that fires this long after it fell due changes the stage but sends nothing. */
  staleTimerDays: number;
  /** Track event names mapped onto lifecycle meanings (Segment's e-commerce names are built in). */
  eventMeanings: Record<string, Meaning>;
  rules: LifecycleRules;
  campaigns: Record<CampaignId, CampaignSettings>;
}

export const DEFAULT_EVENT_MEANINGS: Record<string, Meaning> = {
  'Order Completed': 'order',
  'Order Refunded': 'refund',
  'Page Viewed': 'visit',
};

export function defaultSettings(): EngineSettings {
  const campaign = (id: CampaignId, conversionWindowDays = 14): CampaignSettings => ({
    enabled: true,
    category: 'marketing',
    template: id,
    conversionWindowDays,
  });
  return {
    freshnessHours: 48,
    staleTimerDays: 7,
    eventMeanings: { ...DEFAULT_EVENT_MEANINGS },
    rules: {
      nudgeAfterDays: 60,
      loyaltyOrderCount: 5,
      reengagementMinVisitDays: 3,
      reengagementMinQuietDays: 7,
      reengagementGapMultiplier: 3,
      winBackAfterDays: 90,
      farewellAfterDays: 30,
    },
    campaigns: {
      'welcome-kit': campaign('welcome-kit', 60),
      'second-purchase-nudge': campaign('second-purchase-nudge'),
      're-engagement': campaign('re-engagement'),
      'win-back': campaign('win-back'),
      farewell: campaign('farewell'),
      'feedback-request': { ...campaign('feedback-request'), category: 'service' },
      'loyalty-reward': campaign('loyalty-reward'),
    },
  };
}

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
}

export interface EngineSettings {
  /** An event-triggered email is only sent while the event is younger than this. */
  freshnessHours: number;
  /** Track event names mapped onto lifecycle meanings (Segment's e-commerce names are built in). */
  eventMeanings: Record<string, Meaning>;
  campaigns: Record<CampaignId, CampaignSettings>;
}

export const DEFAULT_EVENT_MEANINGS: Record<string, Meaning> = {
  'Order Completed': 'order',
  'Order Refunded': 'refund',
  'Page Viewed': 'visit',
};

export function defaultSettings(): EngineSettings {
  const marketing = (id: CampaignId): CampaignSettings => ({
    enabled: true,
    category: 'marketing',
    template: id,
  });
  return {
    freshnessHours: 48,
    eventMeanings: { ...DEFAULT_EVENT_MEANINGS },
    campaigns: {
      'welcome-kit': marketing('welcome-kit'),
      'second-purchase-nudge': marketing('second-purchase-nudge'),
      're-engagement': marketing('re-engagement'),
      'win-back': marketing('win-back'),
      farewell: marketing('farewell'),
      'feedback-request': { enabled: true, category: 'service', template: 'feedback-request' },
      'loyalty-reward': marketing('loyalty-reward'),
    },
  };
}

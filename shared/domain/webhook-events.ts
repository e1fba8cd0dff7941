/** What webhooks can subscribe to. No imports, so that the console offers the same list. */
export const WEBHOOK_EVENT_TYPES = [
  'Feedback Given',
  'Email Replied',
  'Stage Changed',
  'Segment Entered',
  'Segment Exited',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Every event, also the types added later: it stands alone. */
export const EVERY_EVENT = '*';
/** What the console's test button sends: every webhook takes it, whatever it subscribed to. */
export const TEST_EVENT = 'Webhook Test';

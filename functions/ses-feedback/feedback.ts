/**
 * SES feedback (events from the configuration set, on the default EventBridge bus), attributed
 * to the message by the EmailTags set at send time:
 * - delivery, open, click: recorded on the ledger entry; a click also counts as activity;
 * - permanent bounce: the address is suppressed;
 * - complaint: the address is suppressed and all marketing to the customer stops;
 * - rendering failure: logged as an error (an alarm watches for it).
 */
import * as z from 'zod';
import { DEFINITION_ID } from '../../shared/domain/conditions.ts';
import type { ConsentInput, EngineInput } from '../../shared/domain/lifecycle.ts';
import type { FeedbackKind, Ledger, LedgerKey, SuppressionStore } from '../../shared/ports.ts';

const recipients = z.array(z.looseObject({ emailAddress: z.string() })).default([]);

export const sesEventDetail = z.looseObject({
  eventType: z.string().optional(),
  mail: z.looseObject({
    messageId: z.string().optional(),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).default({}),
  }),
  bounce: z
    .looseObject({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: recipients,
      timestamp: z.string().optional(),
    })
    .optional(),
  complaint: z.looseObject({ complainedRecipients: recipients, timestamp: z.string().optional() }).optional(),
  delivery: z.looseObject({ timestamp: z.string().optional() }).optional(),
  open: z.looseObject({ timestamp: z.string().optional() }).optional(),
  click: z.looseObject({ timestamp: z.string().optional(), link: z.string().optional() }).optional(),
  failure: z
    .looseObject({ errorMessage: z.string().optional(), templateName: z.string().optional() })
    .optional(),
  deliveryDelay: z
    .looseObject({ timestamp: z.string().optional(), delayType: z.string().optional() })
    .optional(),
  reject: z.looseObject({ reason: z.string().optional() }).optional(),
});
export type SesEventDetail = z.infer<typeof sesEventDetail>;

export interface FeedbackDeps {
  ledger: Ledger;
  suppressions: SuppressionStore;
  /** Applies consent or engagement to the customer through the lifecycle engine. */
  apply: (customerId: string, input: Exclude<EngineInput, { kind: 'event' | 'timers' }>) => Promise<unknown>;
  log: (level: 'info' | 'error', message: string, fields: Record<string, unknown>) => void;
}

const KINDS: Record<string, FeedbackKind | 'rendering-failure' | 'sent'> = {
  'Email Delivered': 'delivery',
  'Email Opened': 'open',
  'Email Clicked': 'click',
  'Email Bounced': 'bounce',
  'Email Complaint Received': 'complaint',
  'Email Delivery Delayed': 'delay',
  'Email Rejected': 'reject',
  'Email Rendering Failed': 'rendering-failure',
  'Email Sent': 'sent',
};

export async function handleSesEvent(
  event: { id: string; detailType: string; time: string; detail: SesEventDetail },
  deps: FeedbackDeps,
): Promise<string> {
  const kind = KINDS[event.detailType];
  const { detail } = event;
  const key = ledgerKeyOf(detail.mail.tags);
  const at =
    detail.bounce?.timestamp ??
    detail.complaint?.timestamp ??
    detail.delivery?.timestamp ??
    detail.open?.timestamp ??
    detail.click?.timestamp ??
    detail.deliveryDelay?.timestamp ??
    event.time;

  if (!kind || kind === 'sent') return 'ignored';
  if (kind === 'rendering-failure') {
    deps.log('error', 'SES rendering failure', {
      sesMessageId: detail.mail.messageId,
      template: detail.failure?.templateName,
      error: detail.failure?.errorMessage,
      ...key,
    });
    return 'rendering-failure';
  }

  if (kind === 'bounce' && detail.bounce?.bounceType === 'Permanent') {
    const reason = detail.bounce.bounceSubType === 'OnSuppressionList' ? 'suppression-list' : 'bounce';
    for (const { emailAddress } of addressesOf(detail.bounce.bouncedRecipients, detail.mail.destination)) {
      await deps.suppressions.put(emailAddress, {
        reason,
        at,
        detail: detail.bounce.bounceSubType ?? 'permanent bounce',
      });
    }
  }
  if (kind === 'complaint') {
    for (const { emailAddress } of addressesOf(
      detail.complaint?.complainedRecipients ?? [],
      detail.mail.destination,
    )) {
      await deps.suppressions.put(emailAddress, {
        reason: 'complaint',
        at,
        detail: 'the recipient marked an email as spam',
      });
    }
  }

  if (!key) return `${kind} (no campaign tags: a test email, or not ours)`;
  const feedbackDetail =
    kind === 'bounce'
      ? `${detail.bounce?.bounceType ?? ''} ${detail.bounce?.bounceSubType ?? ''}`.trim()
      : kind === 'click'
        ? detail.click?.link
        : kind === 'delay'
          ? detail.deliveryDelay?.delayType
          : kind === 'reject'
            ? detail.reject?.reason
            : undefined;
  const recorded = await deps.ledger.recordFeedback(key, {
    kind,
    at,
    eventId: event.id,
    ...(feedbackDetail ? { detail: feedbackDetail } : {}),
  });
  if (recorded === 'duplicate') return 'duplicate';

  // Opens and clicks reach the engine: a click is activity for the timers, and both answer
  // `message` conditions (opened, clicked) of segments and journeys.
  if (kind === 'click' || kind === 'open') {
    await deps.apply(key.customerId, {
      kind: 'engagement',
      messageId: `ses#${event.id}`,
      at,
      action: kind,
      campaignId: key.campaignId,
    });
  }
  if (kind === 'complaint') {
    const stop: ConsentInput = {
      kind: 'consent',
      messageId: `ses#${event.id}`,
      at,
      source: 'complaint',
      marketing: false,
    };
    await deps.apply(key.customerId, stop);
  }
  return kind;
}

/** The ledger entry an event belongs to, from the EmailTags send-message sets. */
export function ledgerKeyOf(tags: Record<string, string[]>): LedgerKey | undefined {
  const campaignId = tags.campaign?.[0];
  const customer = tags.customer?.[0];
  const occurrence = Number(tags.occurrence?.[0]);
  if (
    !campaignId ||
    !DEFINITION_ID.test(campaignId) ||
    !customer ||
    !Number.isInteger(occurrence) ||
    occurrence < 1
  )
    return undefined;
  return { customerId: Buffer.from(customer, 'base64url').toString('utf8'), campaignId, occurrence };
}

function addressesOf(listed: { emailAddress: string }[], destination: string[]) {
  return listed.length > 0 ? listed : destination.map((emailAddress) => ({ emailAddress }));
}

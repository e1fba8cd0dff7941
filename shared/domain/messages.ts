/**
 * Deciding one email of a journey: the contact policy's verdict (consent, relationship,
 * staleness, holdout, cool-down and pauses, caps, quiet hours), the offer code, and what the
 * customer's message history remembers. Every email any journey sends is decided here.
 *
 * Staleness, so that neither a backfill of old history nor a sweep after a long outage sends a
 * burst of stale messages: an email answering an event goes only while the event is younger than
 * `freshnessHours` (48); one that follows a wait or a timer, only within `staleTimerDays` (7) of
 * when it fell due.
 */

import { earliestSendTime, holdoutBucket, recentMarketing, relationshipOf } from './contact-policy.ts';
import { impressionHold } from './impressions.ts';
import type { JourneyDefinition } from './journeys.ts';
import { DAY_MS, type Profile } from './profile.ts';
import type { EngineSettings, OfferSettings } from './rules.ts';

export type MessageStatus = 'queued' | 'deferred' | 'held-out' | 'skipped';

/** What a journey's email answers: an event (and when it happened), or a wait or timer that fell due. */
export interface Trigger {
  id: string;
  /** When the triggering thing happened (the event's time, or the due time). */
  at: string;
  /** The engine's "now". */
  now: string;
  /** A broadcast's trigger is the moment its email is meant to go (`at`, which may be after `now`). */
  kind: 'event' | 'timer' | 'broadcast';
}

/** A decision to send (or, with the reason, not to send) one email of a journey. */
export interface MessageEffect {
  type: 'message';
  /** The journey (its id is the email's X-Campaign-Id). */
  campaignId: string;
  occurrence: number;
  status: MessageStatus;
  reason?: string;
  triggeredBy: string;
  triggeredAt: string;
  decidedAt: string;
  sendAt?: string;
  /** What send-message renders (the template's published version) and how it treats the email. */
  templateName: string;
  category: 'marketing' | 'service';
  offerCode?: string;
  offerDescription?: string;
  /** The event that started the customer on the journey, for the template (`{{event.properties...}}`). */
  event?: { name: string; properties?: Record<string, unknown> };
  /** The journey's version and step that sent it (its path, `1.then.0`), for per-step numbers. */
  journeyVersion?: number;
  step?: string;
}

const HOUR_MS = 3_600_000;
/** A broadcast's email that cannot go within a day of its moment (caps, a cool-down) is dropped. */
export const BROADCAST_STALE_HOURS = 24;

export interface Send {
  journey: Pick<JourneyDefinition, 'id' | 'category' | 'holdoutPercent' | 'forFlings'> & { version?: number };
  template: string;
  offer?: OfferSettings | undefined;
  event?: MessageEffect['event'] | undefined;
  step?: string | undefined;
}

export function decideMessage(
  profile: Profile,
  send: Send,
  trigger: Trigger,
  settings: EngineSettings,
  effects: { push(effect: MessageEffect): unknown },
  /** A reason decided before the contact policy (a broadcast's drop-in guard): skipped with it. */
  skip?: string,
): Profile {
  const { journey } = send;
  const occurrence = (profile.campaigns[journey.id]?.count ?? 0) + 1;
  const verdict: Verdict = skip
    ? { status: 'skipped', reason: skip }
    : judge(profile, send, trigger, settings);
  const offerCode =
    send.offer?.enabled && verdict.status !== 'skipped'
      ? settings.offerCodes(profile.id, journey.id, occurrence, send.offer.prefix)
      : undefined;
  effects.push({
    type: 'message',
    campaignId: journey.id,
    occurrence,
    status: verdict.status,
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    triggeredBy: trigger.id,
    triggeredAt: trigger.at,
    decidedAt: trigger.now,
    ...(verdict.sendAt ? { sendAt: verdict.sendAt } : {}),
    templateName: send.template,
    category: journey.category,
    ...(offerCode && send.offer ? { offerCode, offerDescription: send.offer.description } : {}),
    ...(send.event ? { event: send.event } : {}),
    ...(send.step ? { step: send.step } : {}),
    ...(send.step && journey.version !== undefined ? { journeyVersion: journey.version } : {}),
  });
  const goes = verdict.status === 'queued' || verdict.status === 'deferred';
  const marketingLog =
    goes && journey.category === 'marketing'
      ? recentMarketing([...profile.marketingLog, verdict.sendAt ?? trigger.now], trigger.now)
      : recentMarketing(profile.marketingLog, trigger.now);
  return {
    ...profile,
    marketingLog,
    campaigns: {
      ...profile.campaigns,
      // The latest email of the journey: what conversions and `message` conditions look at.
      [journey.id]: {
        count: occurrence,
        lastAt: trigger.now,
        lastStatus: verdict.status,
        ...(offerCode ? { offerCode } : {}),
      },
    },
  };
}

/**
 * The contact policy's verdict, in this order: consent, relationship, stale, held out, then
 * (marketing only) cool-down and pauses, caps and quiet hours, which defer the email, or drop it
 * with the reason when it would be stale by the time it may go.
 */
type Verdict = { status: MessageStatus; reason?: string; sendAt?: string };

function judge(profile: Profile, send: Send, trigger: Trigger, settings: EngineSettings): Verdict {
  const { journey } = send;
  const refusal = refusalOf(profile, journey);
  if (refusal) return { status: 'skipped', reason: refusal };
  const stale = staleness(trigger, trigger.now, settings);
  if (stale) return { status: 'skipped', reason: stale };
  const holdout = journey.holdoutPercent ?? 0;
  if (holdoutBucket(profile.id, journey.id) < holdout) {
    return { status: 'held-out', reason: `holdout: ${holdout}% of customers do not receive this journey` };
  }
  // A negative impression balance: a journey holds the customer before it asks (journey-runner);
  // anything else (a broadcast) is skipped with the reason.
  const hold =
    journey.category === 'marketing' ? impressionHold(profile, trigger.now, settings.policy) : undefined;
  if (hold) return { status: 'skipped', reason: hold.reason };
  // A broadcast's email may be meant for later (a local time, its pace): nothing goes before.
  const from = trigger.at > trigger.now && trigger.kind === 'broadcast' ? trigger.at : trigger.now;
  if (journey.category === 'service')
    return from === trigger.now
      ? { status: 'queued' }
      : { status: 'deferred', reason: 'scheduled', sendAt: from };
  // Quiet hours keep unprompted email out of the night; an answer to something the customer has
  // just done (within the hour) finds them awake, so it goes at once. Caps apply either way.
  const justActed = trigger.kind === 'event' && Date.parse(trigger.now) - Date.parse(trigger.at) <= HOUR_MS;
  const window = earliestSendTime(profile, from, settings.policy, { quietHours: !justActed });
  if (window.at === trigger.now) return { status: 'queued' };
  if (window.reasons.length === 0) window.reasons.push('scheduled');
  const staleThen = staleness(trigger, window.at, settings);
  if (staleThen)
    return {
      status: 'skipped',
      reason: `${window.reasons.join('; ')}: it would be ${staleThen.replace(/^stale: /, '')} by ${window.at}`,
    };
  return { status: 'deferred', reason: window.reasons.join('; '), sendAt: window.at };
}

/** Why the customer never gets this journey's email now, whatever the timing: consent, relationship. */
export function refusalOf(profile: Profile, journey: Send['journey']): string | undefined {
  const refusal = consentRefusal(profile, journey.id, journey.category);
  if (refusal) return refusal;
  if (relationshipOf(profile) === 'fling' && journey.category === 'marketing' && !journey.forFlings)
    return `relationship "fling": only the journeys meant for flings (the welcome kit) and service emails`;
  return undefined;
}

/** Why the customer's consent rules this email out, or undefined when it does not. */
export function consentRefusal(profile: Profile, journeyId: string, category: 'marketing' | 'service') {
  const consent = profile.consent;
  if (!consent) return undefined;
  const since = `(${consent.source}, ${consent.changedAt})`;
  if (category === 'marketing' && !consent.marketing) return `unsubscribed from marketing ${since}`;
  if (category === 'marketing' && consent.optedOut.includes(journeyId))
    return `opted out of ${journeyId} ${since}`;
  if (category === 'service' && !consent.service) return `opted out of service email ${since}`;
  return undefined;
}

/** The time after which an email for this trigger is stale. */
export function staleDeadline(trigger: Trigger, settings: EngineSettings): string {
  const limitMs =
    trigger.kind === 'event'
      ? settings.freshnessHours * HOUR_MS
      : trigger.kind === 'broadcast'
        ? BROADCAST_STALE_HOURS * HOUR_MS
        : settings.staleTimerDays * DAY_MS;
  return new Date(Date.parse(trigger.at) + limitMs).toISOString();
}

/** Why a message sent at `at` would be stale, or undefined when it would not. */
function staleness(trigger: Trigger, at: string, settings: EngineSettings) {
  const lateMs = Date.parse(at) - Date.parse(trigger.at);
  if (trigger.kind === 'event' && lateMs > settings.freshnessHours * HOUR_MS) {
    return `stale: the event is ${Math.floor(lateMs / HOUR_MS)} hours old (limit ${settings.freshnessHours})`;
  }
  if (trigger.kind === 'broadcast' && lateMs > BROADCAST_STALE_HOURS * HOUR_MS) {
    return `stale: ${Math.floor(lateMs / HOUR_MS)} hours after the broadcast's moment (limit ${BROADCAST_STALE_HOURS})`;
  }
  if (trigger.kind === 'timer' && lateMs > settings.staleTimerDays * DAY_MS) {
    return `stale: the timer fired ${Math.floor(lateMs / DAY_MS)} days after it fell due (limit ${settings.staleTimerDays})`;
  }
  return undefined;
}

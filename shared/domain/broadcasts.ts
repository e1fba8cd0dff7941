/**
 * Broadcasts (DESIGN.md, "Definitions"): a one-off email to a segment, sent through the same
 * contact policy and ledger as every journey's email, and by default not to the people for whom
 * it would come out of the blue (the drop-in guard). This module holds the format, its parser
 * (each problem with its field), when a broadcast starts, and the engine's decision for one
 * customer: a member of the segment when the send started, not left out by the guard, then the
 * contact policy's verdict (consent, relationship, holdout, cool-down, caps, quiet hours).
 */
import * as z from 'zod';
import { DEFINITION_ID, type Problem } from './conditions.ts';
import { timezoneOf, zonedMoment } from './contact-policy.ts';
import { type Conversion, conversionSchema, issuesAt, localTime, templateName } from './journeys.ts';
import { consentRefusal, decideMessage, type MessageEffect } from './messages.ts';
import { DAY_MS, type Profile } from './profile.ts';
import { broadcastPolicyOf, defaultPolicy, type EngineSettings } from './rules.ts';

/** Every broadcast's id (its X-Campaign-Id and ledger campaign) starts so; no journey's may. */
export const BROADCAST_PREFIX = 'broadcast-';
export const isBroadcast = (campaignId: string) => campaignId.startsWith(BROADCAST_PREFIX);

/** The latest a broadcast may be scheduled, and the longest its conversion window. */
const MAX_AHEAD_DAYS = 90;
const MAX_CONVERSION_DAYS = 30;
/** UTC+14 (Kiribati) is the first place a local time of day comes: a local-time send starts then. */
const EARLIEST_OFFSET_MS = 14 * 3_600_000;
/** The latest places are UTC-12: a local time of day has passed everywhere 12 hours after UTC's. */
const LATEST_OFFSET_MS = 12 * 3_600_000;

const isoTime = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 time, e.g. 2026-12-01T09:00:00Z',
});
const localMoment = z.strictObject({
  date: z.iso.date('must be a date, YYYY-MM-DD'),
  localTime,
});

export const broadcastSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  segment: z.string().regex(DEFINITION_ID, 'must be a segment id'),
  template: templateName,
  category: z.enum(['marketing', 'service']).default('marketing'),
  /** Absent: now. An ISO time: then. A date and a local time of day: then, in each customer's time zone. */
  sendAt: z.union([isoTime, localMoment]).optional(),
  holdoutPercent: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be between 0 and 50')
    .max(50, 'must be between 0 and 50')
    .default(0),
  dropInGuard: z
    .union([
      z.strictObject({
        quietDays: z
          .number()
          .int('must be a whole number of days')
          .min(7, 'must be at least 7 days')
          .max(3650, 'must be at most 3650 days'),
      }),
      z.literal(false),
    ])
    .optional(),
  /** Why the guard is off: required when it is, kept with the broadcast. */
  dropInGuardOffReason: z
    .string()
    .trim()
    .min(10, 'must say why in a sentence (10 characters or more)')
    .max(500)
    .optional(),
  conversion: conversionSchema
    .extend({
      withinDays: z
        .number()
        .int('must be a whole number of days')
        .min(1, 'must be at least 1 day')
        .max(MAX_CONVERSION_DAYS, `must be at most ${MAX_CONVERSION_DAYS} days`),
    })
    .optional(),
});
export type BroadcastInput = z.input<typeof broadcastSchema>;
export type BroadcastBody = z.output<typeof broadcastSchema>;

/** What a broadcast counts as its conversion when it does not say: an order within 7 days. */
export const DEFAULT_BROADCAST_CONVERSION = { event: 'Order Completed', withinDays: 7 } satisfies Conversion;

export type BroadcastStatus = 'scheduled' | 'sending' | 'sent' | 'cancelled';

export interface Broadcast {
  id: string;
  definition: BroadcastBody;
  status: BroadcastStatus;
  createdAt: string;
  /** When the send starts (membership is taken then): `sendAt`, or its earliest zone's moment. */
  startsAt: string;
  startedAt?: string;
  /** Every recipient decided (emails held for a local time or quiet hours may still be waiting). */
  decidedAt?: string;
  cancelledAt?: string;
  jobId?: string;
}

/** Parses a broadcast at `now`; the guard's days default to `quietDays` (a setting). */
export function parseBroadcast(
  input: unknown,
  now: string,
  /** The guard's days when the broadcast does not say (the contact policy's setting). */
  quietDays: number,
): { ok: true; value: BroadcastBody } | { ok: false; problems: Problem[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, problems: [{ field: 'body', message: 'must be a JSON object' }] };
  const parsed = broadcastSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: issuesAt('', parsed.error.issues) };
  const value = parsed.data;
  const problems: Problem[] = [];
  if (value.dropInGuard === false && !value.dropInGuardOffReason)
    problems.push({
      field: 'dropInGuardOffReason',
      message: 'turning the drop-in guard off needs a written reason (why these people expect this email)',
    });
  if (value.dropInGuard !== false && value.dropInGuardOffReason)
    problems.push({ field: 'dropInGuardOffReason', message: 'applies only when dropInGuard is false' });
  const nowMs = Date.parse(now);
  if (typeof value.sendAt === 'string') {
    const at = Date.parse(value.sendAt);
    // A minute's grace: "now" typed into a form is a moment ago by the time it arrives.
    if (at < nowMs - 60_000) problems.push({ field: 'sendAt', message: `is in the past (it is ${now} now)` });
    if (at > nowMs + MAX_AHEAD_DAYS * DAY_MS)
      problems.push({ field: 'sendAt', message: `must be within ${MAX_AHEAD_DAYS} days` });
  } else if (value.sendAt) {
    const first = firstZoneMoment(value.sendAt);
    if (first < nowMs - 60_000)
      problems.push({
        field: 'sendAt.date',
        message: `${value.sendAt.date} ${value.sendAt.localTime} has already come in some time zones (UTC+14 reached it at ${new Date(first).toISOString()}): choose a later date, or send now`,
      });
    if (first > nowMs + MAX_AHEAD_DAYS * DAY_MS)
      problems.push({ field: 'sendAt.date', message: `must be within ${MAX_AHEAD_DAYS} days` });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      ...value,
      ...(value.dropInGuard === undefined ? { dropInGuard: { quietDays } } : {}),
      conversion: value.conversion ?? DEFAULT_BROADCAST_CONVERSION,
    },
  };
}

/** When a broadcast's send starts: now, its time, or when its local time first comes (UTC+14). */
export function startOf(definition: BroadcastBody, now: string): string {
  const { sendAt } = definition;
  if (!sendAt) return now;
  if (typeof sendAt === 'string')
    return new Date(Math.max(Date.parse(sendAt), Date.parse(now))).toISOString();
  return new Date(Math.max(firstZoneMoment(sendAt), Date.parse(now))).toISOString();
}

/** The moment a broadcast may be called sent at the latest: its local time has come everywhere. */
export function lastZoneMoment(sendAt: { date: string; localTime: string }): number {
  return Date.parse(`${sendAt.date}T${sendAt.localTime}:00Z`) + LATEST_OFFSET_MS;
}

function firstZoneMoment(sendAt: { date: string; localTime: string }): number {
  return Date.parse(`${sendAt.date}T${sendAt.localTime}:00Z`) - EARLIEST_OFFSET_MS;
}

/** A new broadcast's id: readable, and unique (the name's words and a random tail). */
export function broadcastIdFor(name: string, random: string): string {
  const words = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${BROADCAST_PREFIX}${words ? `${words}-` : ''}${random}`;
}

/** What the engine needs of a broadcast to decide one customer's email. */
export interface BroadcastSend {
  id: string;
  segment: string;
  template: string;
  category: 'marketing' | 'service';
  holdoutPercent: number;
  /** The drop-in guard's days, or null when it is off. */
  quietDays: number | null;
  /** When the send started: membership and the guard are judged then. */
  startedAt: string;
  /** A date and local time of day to send at, in the customer's own time zone. */
  localSend?: { date: string; localTime: string };
  conversion: Conversion;
}

export function sendOf(broadcast: Broadcast): BroadcastSend {
  const { definition } = broadcast;
  return {
    id: broadcast.id,
    segment: definition.segment,
    template: definition.template,
    category: definition.category,
    holdoutPercent: definition.holdoutPercent,
    quietDays:
      definition.dropInGuard === false
        ? null
        : (definition.dropInGuard?.quietDays ?? broadcastPolicyOf(defaultPolicy()).quietDays),
    startedAt: broadcast.startedAt ?? broadcast.startsAt,
    ...(typeof definition.sendAt === 'object' ? { localSend: definition.sendAt } : {}),
    conversion: definition.conversion ?? DEFAULT_BROADCAST_CONVERSION,
  };
}

/** Was the customer in the segment at `at`? Read back from the latest entries and exits. */
export function memberAt(profile: Profile, segment: string, at: string): boolean {
  const changes = (profile.segmentHistory ?? []).filter((change) => change.segment === segment);
  const before = changes.filter((change) => change.at <= at).at(-1);
  if (before) return before.change === 'entered';
  const after = changes.find((change) => change.at > at);
  // The first change after `at` tells what it was before; with none, it is as it is now.
  if (after) return after.change === 'exited';
  const entered = profile.segments?.[segment];
  return entered !== undefined && entered <= at;
}

/** The last time we heard from the customer: an order, a visit, a click in our email, consent given. */
export function lastHeardFrom(profile: Profile): string | undefined {
  const consentGiven = profile.consent?.marketing ? profile.consent.changedAt : undefined;
  const times = [profile.orders.at(-1)?.at, profile.lastVisitAt, profile.lastClickAt, consentGiven].filter(
    (time): time is string => !!time,
  );
  return times.sort().at(-1);
}

/** Why the drop-in guard leaves the customer out, or undefined when it lets them in. */
export function dropInReason(profile: Profile, send: BroadcastSend): string | undefined {
  if (send.quietDays === null) return undefined;
  if (profile.stage === 'termination') return 'drop-in guard: the relationship has ended (termination)';
  const last = lastHeardFrom(profile);
  const since = Date.parse(send.startedAt) - send.quietDays * DAY_MS;
  if (last && Date.parse(last) >= since) return undefined;
  return `drop-in guard: no order, visit, click or consent in the last ${send.quietDays} days (last: ${last ?? 'never'})`;
}

/** A broadcast's history on a profile is forgotten this long after its email was decided. */
const KEPT_BROADCAST_DAYS = MAX_CONVERSION_DAYS + 30;

/**
 * One customer's email of a broadcast: nothing for a customer who was not in the segment when the
 * send started (or was decided already), a skip with the guard's reason, else the contact
 * policy's verdict. `notBefore` paces the send (the job's slot for this email).
 */
export function decideBroadcast(
  profile: Profile,
  send: BroadcastSend,
  now: string,
  notBefore: string | undefined,
  settings: EngineSettings,
  effects: { push(effect: MessageEffect): unknown },
  /** The customer as stored before this decision: whose memberships tell who was in at the start. */
  stored: Profile = profile,
): Profile {
  if (profile.campaigns[send.id] || !memberAt(stored, send.segment, send.startedAt)) return profile;
  const kept = forgetOldBroadcasts(profile, now);
  // The customer's own word first (unsubscribed), then the guard, then whether we can reach them.
  const skip =
    consentRefusal(kept, send.id, send.category) ??
    dropInReason(kept, send) ??
    (kept.email ? undefined : 'no email address');
  const moment = momentFor(kept, send, settings);
  const at = notBefore && notBefore > moment ? notBefore : moment;
  const decided = decideMessage(
    kept,
    {
      journey: {
        id: send.id,
        category: send.category,
        holdoutPercent: send.holdoutPercent,
        forFlings: false,
      },
      template: send.template,
    },
    { id: `broadcast#${send.id}`, at, now, kind: 'broadcast' },
    settings,
    effects,
    skip,
  );
  const history = decided.campaigns[send.id];
  if (!history) return decided;
  return {
    ...decided,
    campaigns: {
      ...decided.campaigns,
      // Conversions count from when the email goes, by the broadcast's own rule.
      [send.id]: { ...history, conversion: send.conversion, from: at > now ? at : now },
    },
  };
}

/** When the customer's email is meant to go: the start, or the local time in their time zone. */
function momentFor(profile: Profile, send: BroadcastSend, settings: EngineSettings): string {
  if (!send.localSend) return send.startedAt;
  const zone = timezoneOf(profile, settings.policy) ?? 'UTC';
  return new Date(zonedMoment(send.localSend.date, send.localSend.localTime, zone)).toISOString();
}

function forgetOldBroadcasts(profile: Profile, now: string): Profile {
  const horizon = new Date(Date.parse(now) - KEPT_BROADCAST_DAYS * DAY_MS).toISOString();
  const old = Object.entries(profile.campaigns).filter(
    ([id, history]) => isBroadcast(id) && (history.lastAt ?? '') < horizon,
  );
  if (old.length === 0) return profile;
  const campaigns = { ...profile.campaigns };
  for (const [id] of old) delete campaigns[id];
  return { ...profile, campaigns };
}

/** The reasons a broadcast's email did not go, as the numbers group them. */
export const SKIP_KINDS = [
  'dropInGuard',
  'unsubscribed',
  'suppressed',
  'noAddress',
  'relationship',
  'caps',
  'coolDown',
  'impressions',
  'quietHours',
  'stale',
  'cancelled',
  'other',
] as const;
export type SkipKind = (typeof SKIP_KINDS)[number];

/** The group of a skip reason the engine or send-message wrote (its first words name it). */
export function skipKindOf(reason: string | undefined): SkipKind {
  const text = reason ?? '';
  const rules: [RegExp, SkipKind][] = [
    [/^drop-in guard/, 'dropInGuard'],
    [/^(unsubscribed|opted out)/, 'unsubscribed'],
    [/^suppressed/, 'suppressed'],
    [/^no email address/, 'noAddress'],
    [/^relationship/, 'relationship'],
    [/^frequency cap/, 'caps'],
    [/^(cool-down|marketing paused)/, 'coolDown'],
    [/^impression balance/, 'impressions'],
    [/^quiet hours/, 'quietHours'],
    [/^stale/, 'stale'],
    [/^cancelled/, 'cancelled'],
  ];
  return rules.find(([pattern]) => pattern.test(text))?.[1] ?? 'other';
}

/**
 * The contact policy, as pure functions the engine calls before any marketing email is queued:
 * frequency caps, quiet hours in the customer's time zone, the cool-down after a refund or a
 * complaint, the relationship a customer wants, and the holdout. The engine turns their answer
 * into queued, deferred (with the time it may go), held out, or skipped (with the reason).
 */
import { createHash } from 'node:crypto';
import { DAY_MS, type Profile } from './profile.ts';
import type { ContactPolicy } from './rules.ts';

export type Relationship = 'fling' | 'friend' | 'committed';

const HOUR_MS = 3_600_000;

/** The `relationship` trait: `fling`, `friend` (the default) or `committed`. */
export function relationshipOf(profile: Profile): Relationship {
  const value = profile.traits.relationship;
  return value === 'fling' || value === 'committed' ? value : 'friend';
}

/** A stable pseudo-random 0..99 per customer and journey: who is held out never changes. */
export function holdoutBucket(customerId: string, journeyId: string): number {
  return createHash('sha256').update(`${journeyId}\u0000${customerId}`).digest().readUInt32BE(0) % 100;
}

export interface SendWindow {
  /** The earliest time the email may go (equal to `now` when nothing holds it back). */
  at: string;
  /** Why it waits, for the ledger: empty when it does not. */
  reasons: string[];
}

/**
 * The earliest time at or after `now` a marketing email may be sent: after any cool-down, with
 * room under the caps (counting emails already sent or scheduled), outside quiet hours.
 */
export function earliestSendTime(
  profile: Profile,
  now: string,
  policy: ContactPolicy,
  options: { quietHours: boolean } = { quietHours: true },
): SendWindow {
  const reasons: string[] = [];
  let at = Date.parse(now);

  const cooldownEnd = cooldownEndOf(profile, policy);
  if (cooldownEnd !== undefined && cooldownEnd > at) {
    at = cooldownEnd;
    reasons.push(`cool-down after a refund or complaint until ${new Date(cooldownEnd).toISOString()}`);
  }
  // A journey's pauseMarketing step (an apology, say) holds marketing as a cool-down does.
  const paused = profile.marketingPausedUntil ? Date.parse(profile.marketingPausedUntil) : undefined;
  if (paused !== undefined && paused > at) {
    at = paused;
    reasons.push(`marketing paused until ${profile.marketingPausedUntil}`);
  }

  const multiplier = relationshipOf(profile) === 'committed' ? 2 : 1;
  const caps = { perDay: policy.caps.perDay * multiplier, perWeek: policy.caps.perWeek * multiplier };
  const scheduled = profile.marketingLog.map((time) => Date.parse(time));
  const timezone = timezoneOf(profile, policy);
  // Caps and quiet hours each push the time later; repeat until both are content.
  for (let round = 0; round < 20; round++) {
    const capped = earliestUnderCaps(scheduled, at, caps);
    if (capped > at) {
      at = capped;
      if (!reasons.some((reason) => reason.startsWith('frequency cap'))) {
        reasons.push(`frequency cap (${caps.perDay} a day, ${caps.perWeek} a week)`);
      }
    }
    const awake =
      policy.quietHours.enabled && options.quietHours && timezone
        ? endOfQuietHours(at, timezone, policy.quietHours)
        : at;
    if (awake === at) break;
    at = awake;
    if (!reasons.some((reason) => reason.startsWith('quiet hours'))) {
      reasons.push(`quiet hours (${policy.quietHours.start}-${policy.quietHours.end} in ${timezone})`);
    }
  }
  return { at: new Date(at).toISOString(), reasons };
}

export function cooldownEndOf(profile: Profile, policy: ContactPolicy): number | undefined {
  const lastRefund = profile.refunds.at(-1)?.at;
  const times = [lastRefund, profile.lastComplaintAt]
    .filter((time): time is string => !!time)
    .map(Date.parse);
  if (times.length === 0 || policy.cooldownDays === 0) return undefined;
  return Math.max(...times) + policy.cooldownDays * DAY_MS;
}

/** Forgets scheduled marketing older than the longest cap window. */
export function recentMarketing(log: string[], now: string): string[] {
  const horizon = Date.parse(now) - 7 * DAY_MS;
  return log.filter((time) => Date.parse(time) > horizon).sort();
}

/**
 * The first time at or after `from` when one more email keeps every 24-hour window within
 * `perDay` and every 7-day window within `perWeek`, counting the already scheduled ones.
 */
function earliestUnderCaps(
  scheduled: number[],
  from: number,
  caps: { perDay: number; perWeek: number },
): number {
  const windows = [
    { length: DAY_MS, limit: caps.perDay },
    { length: 7 * DAY_MS, limit: caps.perWeek },
  ];
  const fits = (candidate: number) => {
    const all = [...scheduled, candidate].sort((a, b) => a - b);
    return windows.every(({ length, limit }) =>
      all.every((start) => all.filter((time) => time >= start && time < start + length).length <= limit),
    );
  };
  // The answer is `from` or the moment an earlier email leaves a window.
  const candidates = [from, ...scheduled.flatMap((time) => windows.map(({ length }) => time + length))]
    .filter((candidate) => candidate >= from)
    .sort((a, b) => a - b);
  return candidates.find(fits) ?? from;
}

export function timezoneOf(profile: Profile, policy: ContactPolicy): string | undefined {
  const fromTraits = profile.traits.timezone;
  if (typeof fromTraits === 'string' && validTimezone(fromTraits)) return fromTraits;
  if (profile.timezone && validTimezone(profile.timezone)) return profile.timezone;
  return policy.quietHours.defaultTimezone ?? undefined;
}

const timezones = new Map<string, boolean>();
function validTimezone(zone: string) {
  let valid = timezones.get(zone);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      valid = true;
    } catch {
      valid = false;
    }
    timezones.set(zone, valid);
  }
  return valid;
}

/** `time` itself when outside quiet hours in `timezone`, else the instant quiet hours end there. */
export function endOfQuietHours(
  time: number,
  timezone: string,
  quiet: { start: string; end: string },
): number {
  const local = localParts(time, timezone);
  const minutes = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const wraps = start > end;
  const inQuiet = wraps ? minutes >= start || minutes < end : minutes >= start && minutes < end;
  if (!inQuiet) return time;
  // Quiet hours end today, or (after the evening start of wrapping hours) tomorrow.
  const dayOffset = wraps && minutes >= start ? 1 : 0;
  const endsAt = zonedToUtc(local.year, local.month, local.day + dayOffset, end, timezone);
  return Math.max(endsAt, time);
}

function minutesOf(hhmm: string) {
  const [hours = '0', minutes = '0'] = hhmm.split(':');
  return Number(hours) * 60 + Number(minutes);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(time: number, timezone: string) {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  const parts = Object.fromEntries(
    formatter.formatToParts(new Date(time)).map((part) => [part.type, part.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
  };
}

/** The UTC instant of a wall-clock time in `timezone` (DST-aware: two passes of offset correction). */
function zonedToUtc(year: number, month: number, day: number, minuteOfDay: number, timezone: string) {
  const wall = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  let guess = wall;
  for (let pass = 0; pass < 2; pass++) {
    const local = localParts(guess, timezone);
    const seen = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
    guess += wall - seen;
  }
  return guess;
}

/** The instant a date's wall-clock time (`YYYY-MM-DD`, `HH:MM`) comes in `timezone`. */
export function zonedMoment(date: string, hhmm: string, timezone: string): number {
  const [year = 0, month = 1, day = 1] = date.split('-').map(Number);
  return zonedToUtc(year, month, day, minutesOf(hhmm), timezone);
}

/** The first moment at or after `time` when the clock shows `hhmm` in `timezone`. */
export function nextLocalTime(time: number, hhmm: string, timezone: string): number {
  const local = localParts(time, timezone);
  const minutes = minutesOf(hhmm);
  for (let dayOffset = 0; dayOffset < 3; dayOffset++) {
    const candidate = zonedToUtc(local.year, local.month, local.day + dayOffset, minutes, timezone);
    if (candidate >= time) return candidate;
  }
  return time;
}

export function hoursBetween(from: string, to: string) {
  return (Date.parse(to) - Date.parse(from)) / HOUR_MS;
}

/** Admin read path: everything a marketer needs to see about one customer. */

import { displayName } from '../../shared/adapters/dynamodb/directory.ts';
import type { Answer as RatingAnswer } from '../../shared/domain/answers.ts';
import {
  balanceOf,
  type Impression,
  type ImpressionPolicy,
  impressionPolicyOf,
} from '../../shared/domain/impressions.ts';
import type { LedgerEntry } from '../../shared/domain/ledger.ts';
import { PREDICTION_HORIZON_WEEKS } from '../../shared/domain/metrics.ts';
import { type CustomerPrediction, type FittedModel, predict } from '../../shared/domain/models/fitted.ts';
import { purchaseSummary } from '../../shared/domain/models/summary.ts';
import { DAY_MS, type Profile, STAGES, summarize } from '../../shared/domain/profile.ts';
import { QUESTIONS, REASONS } from '../../shared/domain/ratings.ts';
import type { ContactPolicy } from '../../shared/domain/rules.ts';
import type { SegmentDefinition } from '../../shared/domain/segments.ts';
import type {
  CustomerData,
  CustomerDirectory,
  CustomerDirectoryIndex,
  CustomerStore,
  Ledger,
  SuppressionStore,
} from '../../shared/ports.ts';
import type { Answer } from './http.ts';
import { customersWhere } from './segments.ts';

export interface CustomerView {
  id: string;
  stage: string;
  stageChangedAt: string;
  email: string | null;
  orderCount: number;
  visitCount: number;
  revenue: number;
  refundCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  anonymousIds: string[];
  traits: Record<string, unknown>;
  orders: { orderId: string; at: string; revenue: number; currency?: string }[];
  messages: MessageView[];
  /** What happened, newest first: events, stage changes, every step of every message and SES feedback. */
  timeline: TimelineEntry[];
  /** What the fitted model expects of the customer (null without a model or an order). */
  prediction: (CustomerPrediction & { horizonWeeks: number; modelAsOf: string }) | null;
  /** The segments the customer is in, and since when. */
  segments: { id: string; name: string; enteredAt: string }[];
  /** Their ratings and reasons, per email and question: the answer that counts and the clicks behind it. */
  feedback: {
    campaignId: string | null;
    occurrence: number | null;
    question: string;
    answer: { score: number; at: string; comment?: string; stage: string } | null;
    clicks: number;
    /** A click not yet an answer: it settles when a minute passes without a scanner's burst. */
    pendingSince: string | null;
  }[];
  /** The impression balance now, and what made it (the impressions inside the window, newest first). */
  impressions: {
    balance: number;
    good: number;
    bad: number;
    windowDays: number;
    weights: { good: number; bad: number };
    recoversAt: string | null;
    recent: Impression[];
  };
  /** Their latest replies to our email (cleaned of quotes and signatures). */
  replies: { at: string; campaignId: string; occurrence: number; subject?: string; text: string }[];
  /** The journeys the customer entered: where they are (the step, until when) or why they left. */
  journeys: {
    id: string;
    version: number;
    entries: number;
    enteredAt?: string;
    step?: string;
    waitingUntil?: string;
    /** Why they wait at a marketing email (a negative impression balance). */
    heldBecause?: string;
    leftAt?: string;
    leftBecause?: string;
  }[];
}

/** What the ledger says about one message, without the sender's bookkeeping (claims, tokens). */
const MESSAGE_FIELDS = [
  'campaignId',
  'occurrence',
  'status',
  'reason',
  'triggeredBy',
  'decidedAt',
  'sendAt',
  'sentAt',
  'recipient',
  'template',
  'variant',
  'offerCode',
  'convertedAt',
  'convertedBy',
  'deliveredAt',
  'openedAt',
  'opens',
  'clickedAt',
  'clicks',
  'bouncedAt',
  'complainedAt',
  'history',
] as const satisfies readonly (keyof LedgerEntry)[];
export type MessageView = Partial<Pick<LedgerEntry, (typeof MESSAGE_FIELDS)[number]>>;

export interface TimelineEntry {
  at: string;
  kind: 'event' | 'stage' | 'message' | 'feedback' | 'segment';
  title: string;
  detail?: string;
  campaignId?: string;
}

/** The timeline shows at most this many entries (the newest). */
const TIMELINE_LIMIT = 300;

/**
 * What happened to a customer, newest first, from the facts their profile keeps (orders, refunds,
 * visit days, traits and when each was set, stage changes, consent) and every step of every
 * email in the ledger.
 */
export function timelineOf(profile: Profile, entries: LedgerEntry[]): TimelineEntry[] {
  const timeline: TimelineEntry[] = [{ at: profile.firstSeenAt, kind: 'event', title: 'First seen' }];
  const traitsByTime = new Map<string, string[]>();
  for (const [trait, at] of Object.entries(profile.traitTimes))
    traitsByTime.set(at, [...(traitsByTime.get(at) ?? []), trait]);
  for (const [at, traits] of traitsByTime)
    timeline.push({ at, kind: 'event', title: 'Identified', detail: `traits: ${traits.sort().join(', ')}` });
  for (const day of profile.visitDays)
    timeline.push({ at: new Date(day * DAY_MS).toISOString(), kind: 'event', title: 'Visited the site' });
  for (const order of profile.orders)
    timeline.push({
      at: order.at,
      kind: 'event',
      title: 'Order Completed',
      detail: `order ${order.orderId}, ${order.revenue.toFixed(2)}${order.currency ? ` ${order.currency}` : ''}${order.source ? `, via ${order.source}` : ''}`,
    });
  for (const refund of profile.refunds)
    timeline.push({
      at: refund.at,
      kind: 'event',
      title: 'Order Refunded',
      ...(refund.orderId || refund.source
        ? {
            detail: [refund.orderId && `order ${refund.orderId}`, refund.source && `via ${refund.source}`]
              .filter(Boolean)
              .join(', '),
          }
        : {}),
    });
  for (const change of profile.segmentHistory ?? [])
    timeline.push({
      at: change.at,
      kind: 'segment',
      title: `${change.change === 'entered' ? 'Entered' : 'Left'} segment ${change.segment}`,
    });
  (profile.stageHistory ?? []).forEach((change, index, history) => {
    const from = index > 0 ? history[index - 1]?.stage : undefined;
    timeline.push({ at: change.at, kind: 'stage', title: `${from ?? 'new'} → ${change.stage}` });
  });
  for (const state of profile.feedback ?? []) {
    const email = state.campaignId ? `${state.campaignId} #${state.occurrence}` : 'the preference page';
    if (state.answer)
      timeline.push({
        at: state.answer.at,
        kind: 'feedback',
        title: `Feedback Given on ${email}: ${answerText(state.answer)}`,
        ...(state.answer.comment ? { detail: state.answer.comment } : {}),
        ...(state.campaignId ? { campaignId: state.campaignId } : {}),
      });
  }
  for (const reply of profile.replies ?? [])
    timeline.push({
      at: reply.at,
      kind: 'feedback',
      title: `Email Replied to ${reply.campaignId} #${reply.occurrence}${reply.subject ? `: ${reply.subject}` : ''}`,
      detail: reply.text,
      campaignId: reply.campaignId,
    });
  if (profile.consent)
    timeline.push({
      at: profile.consent.changedAt,
      kind: 'event',
      title: 'Consent changed',
      detail: `${profile.consent.marketing ? 'marketing on' : 'no marketing'}${profile.consent.optedOut.length ? `, left ${profile.consent.optedOut.join(', ')}` : ''} (${profile.consent.source})`,
    });
  for (const entry of entries) {
    for (const step of entry.history) {
      timeline.push({
        at: step.at,
        kind: 'message',
        title: `${entry.campaignId} #${entry.occurrence}: ${step.status}`,
        campaignId: entry.campaignId,
        ...(step.reason ? { detail: step.reason } : {}),
      });
    }
    for (const feedback of entry.feedback ?? []) {
      timeline.push({
        at: feedback.at,
        kind: 'feedback',
        title: `${entry.campaignId} #${entry.occurrence}: ${feedback.kind}`,
        campaignId: entry.campaignId,
        ...(feedback.detail ? { detail: feedback.detail } : {}),
      });
    }
    if (entry.convertedAt)
      timeline.push({
        at: entry.convertedAt,
        kind: 'message',
        title: `${entry.campaignId} #${entry.occurrence}: converted`,
        campaignId: entry.campaignId,
        ...(entry.convertedBy ? { detail: `by ${entry.convertedBy}` } : {}),
      });
  }
  return timeline.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, TIMELINE_LIMIT);
}

function impressionView(profile: Profile, now: string, rules: ImpressionPolicy): CustomerView['impressions'] {
  const balance = balanceOf(profile, now, rules);
  return {
    balance: balance.balance,
    good: balance.good,
    bad: balance.bad,
    windowDays: rules.windowDays,
    weights: { good: rules.goodWeight, bad: rules.badWeight },
    recoversAt: balance.recoversAt ?? null,
    recent: balance.impressions.slice(0, 30),
  };
}

function answerText(answer: RatingAnswer) {
  if (answer.question === 'reason') return `reason "${REASONS[answer.score]?.label ?? answer.score}"`;
  return `${answer.question.toUpperCase()} ${answer.score} of ${QUESTIONS[answer.question].max}`;
}

export interface CustomerDeps {
  customers: CustomerStore;
  directory: CustomerDirectory;
  ledger: Ledger;
  model: () => Promise<FittedModel | undefined>;
  segments: () => Promise<SegmentDefinition[]>;
  /** The contact policy (the impression balance's window and weights). */
  policy: () => Promise<ContactPolicy>;
  now: () => Date;
}

/** Looks a customer up by their id or any anonymous id linked to them; undefined if unknown. */
export async function getCustomer(id: string, deps: CustomerDeps): Promise<CustomerView | undefined> {
  let stored = await deps.customers.load(id);
  if (stored?.kind === 'alias') stored = await deps.customers.load(stored.mergedInto);
  if (stored?.kind !== 'profile') return undefined;
  const { profile } = stored;
  const [entries, model, segments] = await Promise.all([
    deps.ledger.list(profile.id),
    deps.model(),
    deps.segments(),
  ]);
  const names = new Map(segments.map((segment) => [segment.id, segment.name]));
  const summary = purchaseSummary(profile.orders, deps.now().toISOString());
  return {
    id: profile.id,
    stage: profile.stage,
    stageChangedAt: profile.stageChangedAt,
    email: profile.email ?? null,
    ...summarize(profile),
    visitCount: profile.visitCount,
    firstSeenAt: profile.firstSeenAt,
    lastSeenAt: profile.lastSeenAt,
    anonymousIds: profile.anonymousIds,
    traits: profile.traits,
    orders: profile.orders,
    messages: entries.map((entry) => pick(entry, [...MESSAGE_FIELDS])),
    timeline: timelineOf(profile, entries),
    feedback: (profile.feedback ?? []).map((state) => {
      const last = state.clicks.at(-1);
      return {
        campaignId: state.campaignId ?? null,
        occurrence: state.occurrence ?? null,
        question: state.question,
        answer: state.answer ? { ...state.answer } : null,
        clicks: state.clicks.length,
        pendingSince: last && !last.confirmed && last.at !== state.answer?.at ? last.at : null,
      };
    }),
    replies: profile.replies ?? [],
    impressions: impressionView(profile, deps.now().toISOString(), impressionPolicyOf(await deps.policy())),
    prediction:
      model && summary
        ? {
            ...predict(model, summary, PREDICTION_HORIZON_WEEKS),
            horizonWeeks: PREDICTION_HORIZON_WEEKS,
            modelAsOf: model.asOf,
          }
        : null,
    segments: Object.entries(profile.segments ?? {})
      .filter(([id]) => names.has(id))
      .map(([id, enteredAt]) => ({ id, name: names.get(id) ?? id, enteredAt })),
    journeys: Object.entries(profile.journeys ?? {})
      .map(([id, state]) => ({
        id,
        version: state.version,
        entries: state.entries,
        ...(state.enteredAt ? { enteredAt: state.enteredAt } : {}),
        ...(state.path ? { step: state.path.join('.') } : {}),
        ...(state.until ? { waitingUntil: state.until } : {}),
        ...(state.heldBecause ? { heldBecause: state.heldBecause } : {}),
        ...(state.leftAt ? { leftAt: state.leftAt } : {}),
        ...(state.leftBecause ? { leftBecause: state.leftBecause } : {}),
      }))
      .sort((a, b) => ((a.enteredAt ?? '') < (b.enteredAt ?? '') ? 1 : -1)),
  };
}

/** A customer as lists show them. */
function cardOf(profile: Profile) {
  return {
    id: profile.id,
    email: profile.email ?? null,
    name: displayName(profile) ?? null,
    stage: profile.stage,
    orderCount: profile.orders.length,
    lastSeenAt: profile.lastSeenAt,
    segments: Object.keys(profile.segments ?? {}),
  };
}

/**
 * Customers for the console's list: by the start of an email or a name (`q`, two characters at
 * least), or everyone, by stage and by segment, a page at a time (`limit`, `cursor`).
 */
export async function listCustomers(
  query: Record<string, string | undefined>,
  deps: Pick<CustomerDeps, 'customers'> & { directory: CustomerDirectoryIndex },
): Promise<Answer> {
  const { q, stage, segment } = query;
  if (stage !== undefined && !(STAGES as readonly string[]).includes(stage))
    return problem('stage', `must be one of ${STAGES.join(', ')}`);
  if (q !== undefined) {
    if (q.trim().length < 2)
      return problem('q', 'must be at least 2 characters (the start of an email or a name)');
    const entries = await deps.directory.search(q, 50);
    const loaded = await Promise.all(entries.map((entry) => deps.customers.load(entry.id)));
    const customers = loaded
      .flatMap((stored) => (stored?.kind === 'profile' ? [stored.profile] : []))
      .filter((profile) => (!stage || profile.stage === stage) && (!segment || profile.segments?.[segment]))
      .map(cardOf);
    return { status: 200, body: { customers } };
  }
  const page = await customersWhere(
    (profile) =>
      (!stage || profile.stage === stage) && (!segment || !!profile.segments?.[segment]) ? true : undefined,
    query,
    deps,
  );
  if ('problem' in page) return problem(page.problem.field, page.problem.message);
  return {
    status: 200,
    body: {
      customers: page.found.map(({ profile }) => cardOf(profile)),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    },
  };
}

function problem(field: string, message: string): Answer {
  return {
    status: 400,
    body: { success: false, error: `${field}: ${message}`, problems: [{ field, message }] },
  };
}

/** Customers with this address: a short card each (usually one). */
export async function findCustomers(email: string, deps: CustomerDeps) {
  const ids = await deps.directory.idsByEmail(email);
  const found = [];
  for (const id of ids) {
    const stored = await deps.customers.load(id);
    if (stored?.kind !== 'profile') continue;
    const { profile } = stored;
    found.push({
      id: profile.id,
      email: profile.email ?? null,
      stage: profile.stage,
      orderCount: profile.orders.length,
      lastSeenAt: profile.lastSeenAt,
    });
  }
  return { customers: found };
}

/** The fields of `source` that are set. */
function pick<T extends object, K extends keyof T>(source: T, fields: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const field of fields) if (source[field] !== undefined) picked[field] = source[field];
  return picked;
}

export interface CustomerDataDeps {
  data: CustomerData;
  suppressions: SuppressionStore;
  now: () => Date;
}

/**
 * GDPR erasure: everything held about the customer goes (profile, event records, ledger, alias
 * pointers). Only a hashed suppression entry per address stays, so that a later import or event
 * cannot mail them by mistake.
 */
export async function eraseCustomer(id: string, deps: CustomerDataDeps) {
  const erased = await deps.data.erase(id);
  if (!erased) return undefined;
  const at = deps.now().toISOString();
  for (const address of erased.addresses)
    await deps.suppressions.put(address, { reason: 'erased', at, detail: 'erasure request' });
  return {
    erased: erased.customerId,
    itemsDeleted: erased.deleted,
    addressesSuppressed: erased.addresses.length,
  };
}

/** GDPR access: a copy of everything held about the customer, as stored. */
export async function exportCustomer(id: string, deps: CustomerDataDeps) {
  const collected = await deps.data.collect(id);
  if (!collected) return undefined;
  const bySort = (prefix: string) => collected.items.filter((item) => String(item.SK).startsWith(prefix));
  const suppressions = [];
  for (const address of collected.addresses) {
    const suppression = await deps.suppressions.get(address);
    if (suppression) suppressions.push({ address, ...suppression });
  }
  return {
    customerId: collected.customerId,
    exportedAt: deps.now().toISOString(),
    // The profile holds every fact the customer's events left: traits, orders, refunds, visits.
    profile: collected.items.find((item) => item.SK === 'PROFILE' && item.entity === 'profile') ?? null,
    messages: bySort('MESSAGE#'),
    aliases: collected.items.filter((item) => item.entity === 'alias'),
    suppressions,
    /** Where their replies to each email would come back (the email each address names). */
    replyAddresses: collected.items.filter((item) => item.entity === 'reply-address'),
    items: collected.items,
  };
}

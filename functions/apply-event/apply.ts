/**
 * Apply-event: runs the lifecycle engine over a customer's inputs (their events, or a sweep's
 * "timers due") and commits the result in one conditional write of the profile, which also
 * remembers the inputs it applied: a repeated delivery is recognised by the profile it would
 * change. When the engine decided emails or saw conversions, the ledger entries go in the same
 * transaction. Only after the commit are the effects published; if a crash comes in between,
 * the retry finds the inputs applied and does nothing, and the queued emails are picked up by
 * the dispatcher, which finds every ledger entry still unclaimed after a grace period.
 */

import type { z } from 'zod';
import type { BroadcastSend } from '../../shared/domain/broadcasts.ts';
import type { Contract, DetailOf } from '../../shared/domain/contracts/contract.ts';
import { EmailReplied, FeedbackGiven } from '../../shared/domain/contracts/customer-answered.ts';
import type { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { SegmentEntered, SegmentExited } from '../../shared/domain/contracts/segment-changed.ts';
import { StageChanged } from '../../shared/domain/contracts/stage-changed.ts';
import type { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import { ledgerEntryFor } from '../../shared/domain/ledger.ts';
import {
  decide,
  type Effect,
  type EngineInput,
  inputId,
  inputTime,
  merge,
} from '../../shared/domain/lifecycle.ts';
import { hasApplied, newProfile, type Profile, withApplied } from '../../shared/domain/profile.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { missingKeys, withHistory } from '../../shared/domain/signals.ts';
import { isListened } from '../../shared/domain/webhooks.ts';
import type {
  AliasWrite,
  AppliedKey,
  BusEntry,
  CustomerStore,
  EventHistory,
  EventPublisher,
} from '../../shared/ports.ts';

export interface ApplyDeps {
  store: CustomerStore;
  /** The event log, read only when a definition needs what a profile has not kept. */
  history: EventHistory;
  publisher: EventPublisher;
  settings: () => Promise<EngineSettings>;
  /** Optimistic-concurrency attempts before giving up (the bus then retries the delivery). */
  maxAttempts?: number;
}

export interface ApplyOutcome {
  customerId: string;
  applied: number;
  duplicates: number;
  published: number;
  /** The profile was written (a re-evaluation that changes nothing writes nothing). */
  written: boolean;
  /** Emails decided to go (now or later). */
  emails: number;
}

/** Inputs applied per commit: a transaction holds at most 100 items (ledger entries, aliases). */
const INPUTS_PER_COMMIT = 25;

export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
}

export function applyCustomerEvents(detail: DetailOf<typeof CustomerEventsReceived>, deps: ApplyDeps) {
  return applyInputs(
    detail.customerKey,
    detail.events.map((event): EngineInput => ({ kind: 'event', event })),
    deps,
  );
}

export function applyTimers(detail: DetailOf<typeof TimerDue>, deps: ApplyDeps) {
  return applyInputs(
    detail.customerId,
    [{ kind: 'timers', messageId: detail.messageId, now: detail.now }],
    deps,
  );
}

/** Consent changes, email engagement and re-evaluations go through the same engine and the same commit. */
export function applyInput(
  customerKey: string,
  input: Exclude<EngineInput, { kind: 'event' | 'timers' }>,
  deps: ApplyDeps,
) {
  return applyInputs(customerKey, [input], deps);
}

/** A broadcast's email for one customer, decided once (the input's id names the broadcast). */
export function applyBroadcast(
  customerId: string,
  input: { send: BroadcastSend; now: string; notBefore?: string },
  deps: ApplyDeps,
) {
  return applyInput(
    customerId,
    {
      kind: 'broadcast',
      messageId: `broadcast#${input.send.id}`,
      now: input.now,
      broadcast: input.send,
      ...(input.notBefore ? { notBefore: input.notBefore } : {}),
    },
    deps,
  );
}

/**
 * Evaluates a customer again under the current definitions (a segment saved or deleted, a model
 * refitted): memberships, their due times and the timers. Writes only if something changed.
 */
export function reevaluate(customerId: string, now: string, deps: ApplyDeps) {
  return applyInput(customerId, { kind: 'evaluate', messageId: `evaluate#${now}`, now }, deps);
}

/**
 * One customer's inputs from several deliveries at once (a queue batch holding more than one of
 * theirs): one read, one decision in time order, and one write for all of them.
 */
export function applyCustomerInputs(customerKey: string, inputs: EngineInput[], deps: ApplyDeps) {
  return applyInputs(customerKey, inputs, deps);
}

async function applyInputs(
  customerKey: string,
  inputs: EngineInput[],
  deps: ApplyDeps,
): Promise<ApplyOutcome> {
  const settings = await deps.settings();
  // A messageId repeated within one delivery counts once, like one repeated across deliveries.
  const unique = [...new Map(inputs.map((input) => [inputId(input), input])).values()];
  const ordered = unique.sort((a, b) =>
    inputTime(a) === inputTime(b) ? 0 : inputTime(a) < inputTime(b) ? -1 : 1,
  );
  const total: ApplyOutcome = {
    customerId: customerKey,
    applied: 0,
    duplicates: inputs.length - unique.length,
    published: 0,
    written: false,
    emails: 0,
  };
  for (let start = 0; start < ordered.length; start += INPUTS_PER_COMMIT) {
    const outcome = await applyWithRetry(
      customerKey,
      ordered.slice(start, start + INPUTS_PER_COMMIT),
      settings,
      deps,
    );
    total.customerId = outcome.customerId;
    total.applied += outcome.applied;
    total.duplicates += outcome.duplicates;
    total.published += outcome.published;
    total.written ||= outcome.written;
    total.emails += outcome.emails;
  }
  return total;
}

async function applyWithRetry(
  customerKey: string,
  inputs: EngineInput[],
  settings: EngineSettings,
  deps: ApplyDeps,
): Promise<ApplyOutcome> {
  const maxAttempts = deps.maxAttempts ?? 8;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const attemptResult = await attemptApply(customerKey, inputs, settings, deps);
    if (attemptResult) {
      const entries = busEntriesFor(attemptResult.customerId, attemptResult.effects, settings.webhookEvents);
      if (entries.length > 0) await deps.publisher.publish(entries);
      return {
        customerId: attemptResult.customerId,
        applied: attemptResult.applied,
        duplicates: inputs.length - attemptResult.applied,
        published: entries.length,
        written: attemptResult.written,
        emails: attemptResult.effects.filter(
          (effect) =>
            effect.type === 'message' && (effect.status === 'queued' || effect.status === 'deferred'),
        ).length,
      };
    }
    await delay(Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random()));
  }
  throw new ConcurrencyError(`customer ${customerKey}: still contended after ${maxAttempts} attempts`);
}

/** One read-decide-commit round; undefined when another writer got there first. */
async function attemptApply(
  customerKey: string,
  inputs: EngineInput[],
  settings: EngineSettings,
  deps: ApplyDeps,
) {
  const { store } = deps;
  const resolved = await resolveCustomer(customerKey, deps.store);
  const { customerId } = resolved;
  let profile = resolved.profile;
  const expectedVersion = profile?.version ?? 0;
  const before = profile;

  const fresh = inputs.filter((input) => !hasApplied(profile, inputId(input)));
  if (fresh.length === 0) return { customerId, applied: 0, effects: [], written: false };
  // Anything but events for a customer we have never seen (erased meanwhile): nothing to do.
  if (!profile && fresh.every((input) => input.kind !== 'event'))
    return { customerId, applied: 0, effects: [], written: false };

  const effects: Effect[] = [];
  const aliases: AliasWrite[] = [];
  const linked = new Set<string>([customerId, ...(profile?.anonymousIds ?? [])]);
  for (const input of fresh) {
    for (const otherId of input.kind === 'event' ? linkedIdsOf(input.event, customerId) : []) {
      if (linked.has(otherId)) continue;
      linked.add(otherId);
      const other = await store.load(otherId);
      if (other?.kind === 'alias') continue; // already linked (to us, or to someone else: never stolen)
      aliases.push({ id: otherId, mergedInto: customerId, expectedVersion: other?.profile.version ?? 0 });
      if (other?.kind === 'profile') {
        const base = profile ?? newProfile(customerId, other.profile.firstSeenAt);
        const merged = merge(base, other.profile, inputId(input), settings);
        profile = merged.profile;
        effects.push(...merged.effects);
      } else if (profile) {
        profile = { ...profile, anonymousIds: [...profile.anonymousIds, otherId] };
      }
    }
    profile = await withSignalsFilled(profile, settings, deps.history);
    const decision = decide(profile, customerId, input, settings);
    profile = decision.profile;
    effects.push(...decision.effects);
  }
  if (!profile) throw new Error(`customer ${customerId}: no profile after applying ${fresh.length} inputs`);
  // Re-evaluations and broadcasts are idempotent by themselves (a broadcast's decision is kept in
  // the customer's campaigns and its ledger entry): not remembered, and not written when they
  // change nothing, so a broadcast to a small segment writes nothing for everyone else.
  const remembered = fresh.filter((input) => input.kind !== 'evaluate' && input.kind !== 'broadcast');
  profile = withApplied(profile, remembered.map(inputId));
  if (remembered.length === 0 && aliases.length === 0 && effects.length === 0 && sameState(before, profile)) {
    return { customerId, applied: 0, effects: [], written: false };
  }

  const messages = effects.flatMap((effect) =>
    effect.type === 'message' ? [ledgerEntryFor(customerId, effect)] : [],
  );
  const conversions = effects.flatMap((effect) => {
    if (effect.type !== 'conversion') return [];
    // A message decided in this same commit is converted in place: one write per item.
    const fresh = messages.find(
      (entry) => entry.campaignId === effect.campaignId && entry.occurrence === effect.occurrence,
    );
    if (fresh) {
      Object.assign(fresh, { convertedAt: effect.at, convertedBy: effect.by });
      return [];
    }
    return [
      {
        key: { customerId, campaignId: effect.campaignId, occurrence: effect.occurrence },
        at: effect.at,
        by: effect.by,
      },
    ];
  });
  const outcome = await store.commit({ profile, expectedVersion, aliases, messages, conversions });
  return outcome === 'committed' ? { customerId, applied: fresh.length, effects, written: true } : undefined;
}

/**
 * The profile with every signal the definitions use filled: keys it has not kept yet (a segment
 * saved after its events came, or a merge of two profiles) are filled from the event log.
 */
async function withSignalsFilled(
  profile: Profile | undefined,
  settings: EngineSettings,
  history: EventHistory,
): Promise<Profile | undefined> {
  const { needs } = settings.segments;
  if (!profile || missingKeys(profile.signals, needs).length === 0) return profile;
  return { ...profile, signals: withHistory(profile.signals, needs, await history.history(profile)) };
}

/** The same stored state: equal values, whatever order their keys were set in. */
function sameState(a: Profile | undefined, b: Profile): boolean {
  return !!a && canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}

/** Which of these inputs the customers' profiles say were applied (the admin sweep waits for them). */
export async function appliedAmong(store: CustomerStore, keys: AppliedKey[]): Promise<AppliedKey[]> {
  const found: AppliedKey[] = [];
  for (const key of keys) {
    const { profile } = await resolveCustomer(key.customerId, store);
    if (hasApplied(profile, key.messageId)) found.push(key);
  }
  return found;
}

async function resolveCustomer(customerKey: string, store: CustomerStore) {
  const stored = await store.load(customerKey);
  if (stored?.kind !== 'alias') {
    return { customerId: customerKey, profile: stored?.profile };
  }
  const target = await store.load(stored.mergedInto);
  // Links are one hop: a merged profile always points at a real one.
  const profile: Profile | undefined = target?.kind === 'profile' ? target.profile : undefined;
  return { customerId: stored.mergedInto, profile };
}

/** Other ids an event says belong to this customer: the anonymousId next to a userId, alias's previousId. */
function linkedIdsOf(event: Extract<EngineInput, { kind: 'event' }>['event'], customerId: string): string[] {
  const ids: string[] = [];
  if (event.type === 'alias' && event.previousId) ids.push(event.previousId);
  if (event.userId && event.anonymousId && !ids.includes(event.anonymousId)) ids.push(event.anonymousId);
  return ids.filter((id) => id !== customerId);
}

/**
 * Queued messages go to send-message; stage changes, segment entries and exits and the customer's
 * answers to the webhooks, and only when an enabled webhook listens to their type (nothing else
 * consumes them: a shop without webhooks pays for no such event, nor for the invocations).
 */
function busEntriesFor(customerId: string, effects: Effect[], listened: readonly string[]): BusEntry[] {
  const entry = (contract: Contract<z.ZodType>, detail: Record<string, unknown>): BusEntry[] =>
    contract === MessageRequested || isListened(listened, contract.detailType)
      ? [
          {
            source: contract.source,
            detailType: contract.detailType,
            detail: { version: 1, customerId, ...detail },
          },
        ]
      : [];
  return effects.flatMap((effect): BusEntry[] => {
    if (effect.type === 'message' && effect.status === 'queued')
      return entry(MessageRequested, { campaignId: effect.campaignId, occurrence: effect.occurrence });
    if (effect.type === 'segment-changed')
      return entry(effect.change === 'entered' ? SegmentEntered : SegmentExited, {
        segment: effect.segment,
        at: effect.at,
        triggeredBy: effect.triggeredBy,
      });
    if (effect.type === 'answered')
      return entry(effect.event === FeedbackGiven.detailType ? FeedbackGiven : EmailReplied, {
        at: effect.at,
        properties: effect.properties,
        triggeredBy: effect.triggeredBy,
      });
    if (effect.type === 'stage-changed')
      return entry(StageChanged, {
        from: effect.from,
        to: effect.to,
        at: effect.at,
        triggeredBy: effect.triggeredBy,
      });
    return [];
  });
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

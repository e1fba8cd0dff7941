/**
 * Apply-event: runs the lifecycle engine over a customer's events and commits the result in one
 * DynamoDB transaction (profile conditional on its version, an applied-event record per
 * messageId that must not exist yet, and the ledger entries the engine decided). Only after the
 * commit are the effects published; a crash in between is repaired by the retry, which finds the
 * events applied and publishes their recorded effects again (send-message ignores repeats).
 */
import type { EngineSettings } from '../../shared/domain/campaigns.ts';
import type { DetailOf } from '../../shared/domain/contracts/contract.ts';
import type { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { StageChanged } from '../../shared/domain/contracts/stage-changed.ts';
import { ledgerEntryFor } from '../../shared/domain/ledger.ts';
import { decide, type Effect, merge } from '../../shared/domain/lifecycle.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import type {
  AliasWrite,
  AppliedEvent,
  BusEntry,
  CustomerStore,
  EventPublisher,
} from '../../shared/ports.ts';

export interface ApplyDeps {
  store: CustomerStore;
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
}

/** A transaction holds at most 100 items; this leaves room for ledger entries and aliases. */
const EVENTS_PER_COMMIT = 25;

export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
}

export async function applyCustomerEvents(
  detail: DetailOf<typeof CustomerEventsReceived>,
  deps: ApplyDeps,
): Promise<ApplyOutcome> {
  const settings = await deps.settings();
  // A messageId repeated within one delivery counts once, like one repeated across deliveries.
  const unique = [...new Map(detail.events.map((event) => [event.messageId, event])).values()];
  const events = unique.sort(byEventTime);
  const total: ApplyOutcome = {
    customerId: detail.customerKey,
    applied: 0,
    duplicates: detail.events.length - unique.length,
    published: 0,
  };
  for (let start = 0; start < events.length; start += EVENTS_PER_COMMIT) {
    const outcome = await applyWithRetry(
      detail.customerKey,
      events.slice(start, start + EVENTS_PER_COMMIT),
      settings,
      deps,
    );
    total.customerId = outcome.customerId;
    total.applied += outcome.applied;
    total.duplicates += outcome.duplicates;
    total.published += outcome.published;
  }
  return total;
}

async function applyWithRetry(
  customerKey: string,
  events: CustomerEvent[],
  settings: EngineSettings,
  deps: ApplyDeps,
): Promise<ApplyOutcome> {
  const maxAttempts = deps.maxAttempts ?? 8;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const attemptResult = await attemptApply(customerKey, events, settings, deps.store);
    if (attemptResult) {
      const entries = busEntriesFor(attemptResult.customerId, attemptResult.effects);
      if (entries.length > 0) await deps.publisher.publish(entries);
      return {
        customerId: attemptResult.customerId,
        applied: attemptResult.applied,
        duplicates: events.length - attemptResult.applied,
        published: entries.length,
      };
    }
    await delay(Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random()));
  }
  throw new ConcurrencyError(`customer ${customerKey}: still contended after ${maxAttempts} attempts`);
}

/** One read-decide-commit round; undefined when another writer got there first. */
async function attemptApply(
  customerKey: string,
  events: CustomerEvent[],
  settings: EngineSettings,
  store: CustomerStore,
) {
  const resolved = await resolveCustomer(customerKey, store);
  const { customerId } = resolved;
  let profile = resolved.profile;
  const expectedVersion = profile?.version ?? 0;

  const alreadyApplied = await store.findApplied(
    resolved.partitions,
    events.map((event) => event.messageId),
  );
  const appliedIds = new Set(alreadyApplied.map((record) => record.messageId));
  const fresh = events.filter((event) => !appliedIds.has(event.messageId));
  // Effects of events applied before are published again: a crash may have come before the publish.
  const republished: Effect[] = alreadyApplied.flatMap((record) => record.effects);
  if (fresh.length === 0) return { customerId, applied: 0, effects: republished };

  const effects: Effect[] = [];
  const applied: AppliedEvent[] = [];
  const aliases: AliasWrite[] = [];
  const linked = new Set<string>([customerId, ...(profile?.anonymousIds ?? [])]);
  for (const event of fresh) {
    const eventEffects: Effect[] = [];
    for (const otherId of linkedIdsOf(event, customerId)) {
      if (linked.has(otherId)) continue;
      linked.add(otherId);
      const other = await store.load(otherId);
      if (other?.kind === 'alias') continue; // already linked (to us, or to someone else: never stolen)
      aliases.push({ id: otherId, mergedInto: customerId, expectedVersion: other?.profile.version ?? 0 });
      if (other?.kind === 'profile') {
        const base = profile ?? newProfile(customerId, other.profile.firstSeenAt);
        const merged = merge(base, other.profile, event.messageId);
        profile = merged.profile;
        eventEffects.push(...merged.effects);
      } else if (profile) {
        profile = { ...profile, anonymousIds: [...profile.anonymousIds, otherId] };
      }
    }
    const decision = decide(profile, customerId, event, settings);
    profile = decision.profile;
    eventEffects.push(...decision.effects);
    effects.push(...eventEffects);
    applied.push(appliedRecord(customerId, event, eventEffects));
  }
  if (!profile) throw new Error(`customer ${customerId}: no profile after applying ${fresh.length} events`);

  const messages = effects
    .filter((effect) => effect.type === 'message')
    .map((effect) => ledgerEntryFor(customerId, effect));
  const outcome = await store.commit({ profile, expectedVersion, aliases, applied, messages });
  return outcome === 'committed'
    ? { customerId, applied: fresh.length, effects: [...republished, ...effects] }
    : undefined;
}

async function resolveCustomer(customerKey: string, store: CustomerStore) {
  const stored = await store.load(customerKey);
  if (stored?.kind !== 'alias') {
    return { customerId: customerKey, profile: stored?.profile, partitions: [customerKey] };
  }
  const target = await store.load(stored.mergedInto);
  // Links are one hop: a merged profile always points at a real one.
  const profile: Profile | undefined = target?.kind === 'profile' ? target.profile : undefined;
  return { customerId: stored.mergedInto, profile, partitions: [customerKey, stored.mergedInto] };
}

/** Other ids an event says belong to this customer: identify's anonymousId, alias's previousId. */
function linkedIdsOf(event: CustomerEvent, customerId: string): string[] {
  const ids: string[] = [];
  if (event.type === 'identify' && event.userId && event.anonymousId) ids.push(event.anonymousId);
  if (event.type === 'alias' && event.previousId) ids.push(event.previousId);
  if (event.type !== 'alias' && event.userId && event.anonymousId && !ids.includes(event.anonymousId)) {
    ids.push(event.anonymousId);
  }
  return ids.filter((id) => id !== customerId);
}

function appliedRecord(customerId: string, event: CustomerEvent, effects: Effect[]): AppliedEvent {
  const record: AppliedEvent = {
    customerId,
    messageId: event.messageId,
    type: event.type,
    timestamp: event.timestamp,
    receivedAt: event.receivedAt,
    effects,
  };
  if (event.event) record.event = event.event;
  return record;
}

/** Queued messages go to send-message; skipped ones are already explained in the ledger. */
function busEntriesFor(customerId: string, effects: Effect[]): BusEntry[] {
  return effects.flatMap((effect): BusEntry[] => {
    if (effect.type === 'message') {
      if (effect.status !== 'queued') return [];
      return [
        {
          source: MessageRequested.source,
          detailType: MessageRequested.detailType,
          detail: { version: 1, customerId, campaignId: effect.campaignId, occurrence: effect.occurrence },
        },
      ];
    }
    return [
      {
        source: StageChanged.source,
        detailType: StageChanged.detailType,
        detail: {
          version: 1,
          customerId,
          from: effect.from,
          to: effect.to,
          at: effect.at,
          triggeredBy: effect.triggeredBy,
        },
      },
    ];
  });
}

function byEventTime(a: CustomerEvent, b: CustomerEvent) {
  return a.timestamp === b.timestamp ? 0 : a.timestamp < b.timestamp ? -1 : 1;
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

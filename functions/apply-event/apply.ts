/**
 * Apply-event: runs the lifecycle engine over a customer's inputs (their events, or a sweep's
 * "timers due") and commits the result in one DynamoDB transaction: the profile conditional on
 * its version, an applied-input record per messageId that must not exist yet, the ledger
 * entries the engine decided and the conversions it saw. Only after the commit are the effects
 * published; a crash in between is repaired by the retry, which finds the inputs applied and
 * publishes their recorded effects again (send-message ignores repeats).
 */
import type { EngineSettings } from '../../shared/domain/campaigns.ts';
import type { DetailOf } from '../../shared/domain/contracts/contract.ts';
import type { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
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
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
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

/** Consent changes and email engagement go through the same engine and the same commit. */
export function applyInput(
  customerKey: string,
  input: Exclude<EngineInput, { kind: 'event' | 'timers' }>,
  deps: ApplyDeps,
) {
  return applyInputs(customerKey, [input], deps);
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
    const attemptResult = await attemptApply(customerKey, inputs, settings, deps.store);
    if (attemptResult) {
      const entries = busEntriesFor(attemptResult.customerId, attemptResult.effects);
      if (entries.length > 0) await deps.publisher.publish(entries);
      return {
        customerId: attemptResult.customerId,
        applied: attemptResult.applied,
        duplicates: inputs.length - attemptResult.applied,
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
  inputs: EngineInput[],
  settings: EngineSettings,
  store: CustomerStore,
) {
  const resolved = await resolveCustomer(customerKey, store);
  const { customerId } = resolved;
  let profile = resolved.profile;
  const expectedVersion = profile?.version ?? 0;

  const alreadyApplied = await store.findApplied(
    resolved.partitions.flatMap((partition) =>
      inputs.map((input) => ({ customerId: partition, messageId: inputId(input) })),
    ),
  );
  const appliedIds = new Set(alreadyApplied.map((record) => record.messageId));
  const fresh = inputs.filter((input) => !appliedIds.has(inputId(input)));
  // Effects of inputs applied before are published again: a crash may have come before the publish.
  const republished: Effect[] = alreadyApplied.flatMap((record) => record.effects);
  if (fresh.length === 0) return { customerId, applied: 0, effects: republished };
  // A sweep's timers for a customer we have never seen (erased meanwhile): nothing to do.
  // Anything but events for a customer we have never seen (erased meanwhile): nothing to do.
  if (!profile && fresh.every((input) => input.kind !== 'event'))
    return { customerId, applied: 0, effects: republished };

  const effects: Effect[] = [];
  const applied: AppliedEvent[] = [];
  const aliases: AliasWrite[] = [];
  const linked = new Set<string>([customerId, ...(profile?.anonymousIds ?? [])]);
  for (const input of fresh) {
    const inputEffects: Effect[] = [];
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
        inputEffects.push(...merged.effects);
      } else if (profile) {
        profile = { ...profile, anonymousIds: [...profile.anonymousIds, otherId] };
      }
    }
    const decision = decide(profile, customerId, input, settings);
    profile = decision.profile;
    inputEffects.push(...decision.effects);
    effects.push(...inputEffects);
    applied.push(appliedRecord(customerId, input, inputEffects));
  }
  if (!profile) throw new Error(`customer ${customerId}: no profile after applying ${fresh.length} inputs`);

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
  const outcome = await store.commit({ profile, expectedVersion, aliases, applied, messages, conversions });
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

/** Other ids an event says belong to this customer: the anonymousId next to a userId, alias's previousId. */
function linkedIdsOf(event: Extract<EngineInput, { kind: 'event' }>['event'], customerId: string): string[] {
  const ids: string[] = [];
  if (event.type === 'alias' && event.previousId) ids.push(event.previousId);
  if (event.userId && event.anonymousId && !ids.includes(event.anonymousId)) ids.push(event.anonymousId);
  return ids.filter((id) => id !== customerId);
}

function appliedRecord(customerId: string, input: EngineInput, effects: Effect[]): AppliedEvent {
  if (input.kind !== 'event') {
    const at = inputTime(input);
    const type = input.kind === 'engagement' ? `email-${input.action}` : input.kind;
    return { customerId, messageId: input.messageId, type, timestamp: at, receivedAt: at, effects };
  }
  const { event } = input;
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

/** Queued messages go to send-message and stage changes to whoever listens; the rest is in the records. */
function busEntriesFor(customerId: string, effects: Effect[]): BusEntry[] {
  return effects.flatMap((effect): BusEntry[] => {
    if (effect.type === 'message' && effect.status === 'queued') {
      return [
        {
          source: MessageRequested.source,
          detailType: MessageRequested.detailType,
          detail: { version: 1, customerId, campaignId: effect.campaignId, occurrence: effect.occurrence },
        },
      ];
    }
    if (effect.type === 'stage-changed') {
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
    }
    return [];
  });
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Timelines for single customers through the real engine, the real apply and sweep use cases,
 * and a store (DynamoDB Local in integration tests, the in-memory one in unit tests). The bus is
 * synchronous here: a sweep's Timer Due is applied before the sweep returns.
 */
import { applyCustomerEvents, applyTimers } from '../../functions/apply-event/apply.ts';
import { sweep } from '../../functions/sweep/sweep.ts';
import { defaultSettings, type EngineSettings } from '../../shared/domain/campaigns.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import type { BusEntry, CustomerStore, DueIndex, EventPublisher, Ledger } from '../../shared/ports.ts';

export const BASE = Date.parse('2026-01-05T10:00:00.000Z');

/** The time `days` (and optionally hours) after the scenario's start. */
export function day(days: number, hours = 0): string {
  return new Date(BASE + days * 86_400_000 + hours * 3_600_000).toISOString();
}

export class Scenario {
  readonly published: BusEntry[] = [];
  private readonly bus: EventPublisher;

  constructor(
    private readonly store: CustomerStore,
    private readonly ledgerStore: Ledger,
    private readonly dueIndex: DueIndex,
    readonly settings: EngineSettings = defaultSettings(),
  ) {
    this.bus = {
      publish: async (entries) => {
        this.published.push(...entries);
        for (const entry of entries) {
          if (entry.detailType === TimerDue.detailType)
            await applyTimers(TimerDue.schema.parse(entry.detail), this.deps());
        }
      },
    };
  }

  private deps() {
    return { store: this.store, publisher: this.bus, settings: async () => this.settings };
  }

  /** Applies events as ingest would deliver them, each received at its own time unless given. */
  async events(customerKey: string, events: CustomerEvent[]) {
    return applyCustomerEvents({ version: 1, customerKey, events }, this.deps());
  }

  async sweep(now: string) {
    return sweep(new Date(now), { dueIndex: this.dueIndex, publisher: this.bus });
  }

  /** `campaign:status` of every ledger entry of the customer, in decision order. */
  async emails(customerId: string) {
    return (await this.ledger(customerId)).map((entry) => `${entry.campaignId}:${entry.status}`);
  }

  /** The customer's ledger in the order things happened: decided, then triggered. */
  async ledger(customerId: string) {
    const key = (entry: { decidedAt: string; triggeredAt: string; campaignId: string; occurrence: number }) =>
      `${entry.decidedAt}|${entry.triggeredAt}|${entry.campaignId}|${String(entry.occurrence).padStart(4, '0')}`;
    return (await this.ledgerStore.list(customerId)).sort((a, b) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
    );
  }

  async profile(customerId: string) {
    const stored = await this.store.load(customerId);
    if (stored?.kind !== 'profile') throw new Error(`no profile for ${customerId}`);
    return stored.profile;
  }
}

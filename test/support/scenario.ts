/**
 * Timelines for single customers through the real engine and the real apply, sweep and send use
 * cases, on a store (DynamoDB Local in integration tests, the in-memory one in unit tests). The
 * bus is synchronous and the clock simulated: a sweep's timers are applied, and the messages they
 * queue are sent (to a recording mailer), before the sweep returns.
 */
import { applyCustomerEvents, applyTimers } from '../../functions/apply-event/apply.ts';
import { sendMessage } from '../../functions/send-message/send.ts';
import { sweep } from '../../functions/sweep/sweep.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import type { TemplateDefinition } from '../../shared/domain/templates.ts';
import type {
  BusEntry,
  CustomerStore,
  DueIndex,
  EventHistory,
  EventPublisher,
  Ledger,
  TemplateStore,
} from '../../shared/ports.ts';
import { resolveTemplate } from '../../shared/templates.ts';
import { MemorySuppressions, RecordingMailer } from './fakes.ts';

export const BASE = Date.parse('2026-01-05T10:00:00.000Z');

/** The time `days` (and optionally hours) after the scenario's start. */
export function day(days: number, hours = 0): string {
  return new Date(BASE + days * 86_400_000 + hours * 3_600_000).toISOString();
}

/** Templates a test publishes (version 1 each); campaigns without one send the built-in default. */
function templatesOf(published: Map<string, TemplateDefinition>): TemplateStore {
  return {
    list: async () => [],
    summary: async (name) =>
      published.has(name) ? { name, latest: 1, published: 1, updatedAt: '' } : undefined,
    get: async (name, version) => {
      const definition = published.get(name);
      return definition && version === 1 ? { ...definition, name, version: 1, createdAt: '' } : undefined;
    },
    versions: async () => [],
    save: async () => {
      throw new Error('read-only');
    },
    publish: async () => false,
    delete: async () => false,
  };
}

export class Scenario {
  readonly published: BusEntry[] = [];
  readonly mailer = new RecordingMailer();
  readonly suppressions = new MemorySuppressions();
  /** Templates to send instead of the built-in ones, by name. */
  readonly templates = new Map<string, TemplateDefinition>();
  /** The simulated clock: the latest time an event was received or a sweep ran. */
  now = new Date(BASE).toISOString();
  /** When false, message requests wait in `outbox` until the next sweep (or `flush()`). */
  autoSend = true;
  private readonly outbox: BusEntry[] = [];
  private readonly bus: EventPublisher;
  private tokens = 0;
  private sweeping = false;

  constructor(
    private readonly store: CustomerStore & EventHistory,
    private readonly ledgerStore: Ledger,
    private readonly dueIndex: DueIndex,
    public settings: EngineSettings = defaultSettings(),
  ) {
    this.bus = {
      publish: async (entries) => {
        this.published.push(...entries);
        for (const entry of entries) {
          if (entry.detailType === TimerDue.detailType) {
            await applyTimers(TimerDue.schema.parse(entry.detail), this.applyDeps());
          } else if (entry.detailType === MessageRequested.detailType) {
            if (this.autoSend) await this.send(entry);
            else this.outbox.push(entry);
          }
        }
      },
    };
  }

  private applyDeps() {
    return {
      store: this.store,
      history: this.store,
      publisher: this.bus,
      settings: async () => this.settings,
    };
  }

  /**
   * Sends one requested message the way send-message would right after it was decided: at the
   * sweep's time when a sweep dispatched it, else at the time it was decided.
   */
  private async send(entry: BusEntry) {
    const request = MessageRequested.schema.parse(entry.detail);
    const decided = (await this.ledgerStore.get(request))?.decidedAt;
    const at = this.sweeping || !decided ? this.now : decided;
    await sendMessage(request, this.sendDeps(at));
  }

  private sendDeps(at: string) {
    return {
      ledger: this.ledgerStore,
      customers: this.store,
      mailer: this.mailer,
      settings: async () => this.settings,
      template: (name: string) => resolveTemplate(templatesOf(this.templates), name),
      sender: { from: 'Shop <hello@shop.example>', brandName: 'Shop', postalAddress: '1 Main St' },
      suppressions: this.suppressions,
      unsubscribe: { baseUrl: 'https://api.shop.example', secret: async () => 'unsubscribe-secret' },
      now: () => new Date(at),
      newToken: () => `token-${++this.tokens}`,
    };
  }

  /** Applies events as ingest would deliver them, each received at its own time unless given. */
  async events(customerKey: string, events: CustomerEvent[]) {
    const outcome = await applyCustomerEvents({ version: 1, customerKey, events }, this.applyDeps());
    const latest = events
      .map((event) => event.receivedAt)
      .sort()
      .at(-1);
    if (latest && latest > this.now) this.now = latest;
    return outcome;
  }

  /** Sends the message requests waiting in the outbox. */
  async flush() {
    for (const entry of this.outbox.splice(0)) await this.send(entry);
  }

  /** The nightly sweep as of `now`: timers fire, and deferred messages whose time has come go. */
  async sweep(now: string) {
    await this.flush();
    this.now = now;
    this.sweeping = true;
    try {
      const result = await sweep(new Date(now), { dueIndex: this.dueIndex, publisher: this.bus });
      await this.flush();
      return result;
    } finally {
      this.sweeping = false;
    }
  }

  /** `campaign:status` of every ledger entry of the customer, in the order things happened. */
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

import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { BUS_LIMITS, busEntryBytes } from '../../domain/contracts/contract.ts';
import type { BusEntry, EventPublisher } from '../../ports.ts';
import { hooked } from '../client-hooks.ts';

let client: EventBridgeClient | undefined;

export function eventBridgeClient(): EventBridgeClient {
  client ??= hooked(new EventBridgeClient({}), 'eventbridge');
  return client;
}

export class PublishError extends Error {
  constructor(
    message: string,
    readonly failures: { errorCode?: string; errorMessage?: string }[],
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * Publishes in as few PutEvents calls as the limits allow. PutEvents can accept some entries and
 * refuse others (FailedEntryCount > 0): only the refused ones are sent again, with backoff.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly eventBusName: string,
    private readonly events: EventBridgeClient = eventBridgeClient(),
    private readonly retry = { attempts: 6, baseDelayMs: 50 },
  ) {}

  async publish(entries: BusEntry[]): Promise<void> {
    const prepared = entries.map((entry) => ({
      source: entry.source,
      detailType: entry.detailType,
      detail: JSON.stringify(entry.detail),
    }));
    for (const request of packRequests(prepared)) await this.putWithRetry(request);
  }

  private async putWithRetry(batch: { source: string; detailType: string; detail: string }[]) {
    let pending: PutEventsRequestEntry[] = batch.map((entry) => ({
      EventBusName: this.eventBusName,
      Source: entry.source,
      DetailType: entry.detailType,
      Detail: entry.detail,
    }));
    let failures: { errorCode?: string; errorMessage?: string }[] = [];
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      if (attempt > 0) await delay(this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      const result = await this.events.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return;
      const refused: PutEventsRequestEntry[] = [];
      failures = [];
      (result.Entries ?? []).forEach((outcome, index) => {
        const entry = pending[index];
        if (outcome.ErrorCode && entry) {
          refused.push(entry);
          failures.push({ errorCode: outcome.ErrorCode, errorMessage: outcome.ErrorMessage });
        }
      });
      pending = refused;
      if (pending.length === 0) return;
    }
    throw new PublishError(
      `EventBridge refused ${pending.length} entries after ${this.retry.attempts} attempts: ${failures
        .map((failure) => failure.errorCode)
        .join(', ')}`,
      failures,
    );
  }
}

/** Groups entries into PutEvents requests of at most 10 entries and 256 KB. */
export function packRequests<T extends { source: string; detailType: string; detail: string }>(
  entries: T[],
): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = busEntryBytes(entry);
    if (size > BUS_LIMITS.requestBytes) {
      throw new Error(
        `a bus entry of ${size} bytes exceeds EventBridge's ${BUS_LIMITS.requestBytes}-byte limit`,
      );
    }
    if (current.length === BUS_LIMITS.entriesPerRequest || bytes + size > BUS_LIMITS.requestBytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

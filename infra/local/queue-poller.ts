/**
 * The local stand-in for a Lambda event source mapping on a FIFO queue: workers that receive
 * batches (up to `batchSize`), invoke the function with the SQS event Lambda delivers, delete
 * what succeeded and leave what failed (`batchItemFailures`, or the whole batch when the
 * invocation failed, crashed or timed out) to come back. In AWS it comes back when its
 * visibility timeout ends; here after a retry delay of a second or a few, so tests need not wait
 * minutes. The queue's redrive policy dead-letters a message after its last receive.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { LocalFunction } from './lambda-runtime.ts';
import { ACCOUNT, type FifoQueue, messageAttributes, type QueuedMessage } from './sqs.ts';

export interface QueuePollerOptions {
  queue: FifoQueue;
  target: Pick<LocalFunction, 'invoke'> & { spec: { name: string; timeoutSeconds: number } };
  batchSize: number;
  /** Batches in flight at once (Lambda scales a FIFO queue's consumers with its message groups). */
  concurrency: number;
  region: string;
  /** Delays before a failed message is received again, by receive (the last one repeats). */
  retryDelaysMs: number[];
}

interface BatchResponse {
  batchItemFailures?: { itemIdentifier?: string }[];
  /** Our handlers answer each failure's reason beside the list (Lambda reads only the list). */
  reasons?: Record<string, string>;
}

export class LocalQueuePoller {
  private running = false;
  private inFlight = 0;
  private workers: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | undefined;
  readonly counters = {
    /** SQS requests Lambda's poller would make for these batches: a receive, a delete, a visibility change for failures. */
    requests: 0,
    batches: 0,
    records: 0,
    failedRecords: 0,
    failedInvocations: 0,
    failures: {} as Record<string, number>,
  };

  constructor(private readonly options: QueuePollerOptions) {}

  start() {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.queue.onChange(() => {
      for (const wake of [...this.sleepers]) wake();
      this.settle();
    });
    this.workers = Array.from({ length: this.options.concurrency }, () => this.work());
  }

  async stop(drainMs = 5_000) {
    await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    this.running = false;
    this.unsubscribe?.();
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.workers);
  }

  /** Nothing waiting, nothing in flight, nothing to come back. */
  isIdle() {
    return this.inFlight === 0 && this.options.queue.size() === 0;
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  metrics() {
    return {
      queue: this.options.queue.name,
      ...this.counters,
      failures: { ...this.counters.failures },
      ...this.options.queue.counters,
      waiting: this.options.queue.size(),
      inFlight: this.inFlight,
    };
  }

  private settle() {
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async work() {
    const { queue, target, batchSize } = this.options;
    // Invisible until well after the function's own timeout, as AWS advises for Lambda's queues.
    const visibilityMs = target.spec.timeoutSeconds * 1000 + 10_000;
    while (this.running) {
      const messages = queue.receive(batchSize, visibilityMs);
      if (messages.length === 0) {
        await this.sleep(queue.nextVisibleAt());
        continue;
      }
      this.inFlight++;
      try {
        await this.deliver(messages);
      } finally {
        this.inFlight--;
        this.settle();
      }
    }
  }

  private async deliver(messages: QueuedMessage[]) {
    const { queue, target } = this.options;
    this.counters.batches++;
    this.counters.records += messages.length;
    this.counters.requests += 2;
    let failed: Map<string, string>;
    try {
      const response = (await target.invoke(this.eventOf(messages))) as BatchResponse | undefined;
      const ids = (response?.batchItemFailures ?? []).map((failure) => String(failure.itemIdentifier ?? ''));
      // An identifier that is not in the batch fails the whole batch, as it does in Lambda.
      const known = ids.every((id) => messages.some((message) => message.id === id));
      failed = new Map(
        (known ? ids : messages.map((message) => message.id)).map((id) => [
          id,
          known
            ? (response?.reasons?.[id] ?? 'reported in batchItemFailures')
            : 'batchItemFailures names a message not in the batch',
        ]),
      );
    } catch (error) {
      this.counters.failedInvocations++;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const key = `${target.spec.name}: ${error instanceof Error ? error.name : 'Error'}`;
      this.counters.failures[key] = (this.counters.failures[key] ?? 0) + 1;
      failed = new Map(messages.map((message) => [message.id, reason]));
    }
    if (failed.size > 0) this.counters.requests++;
    for (const message of messages) {
      const reason = failed.get(message.id);
      if (reason === undefined) {
        if (message.receipt) queue.delete(message.receipt);
        continue;
      }
      this.counters.failedRecords++;
      message.lastFailure = reason;
      if (message.receipt) queue.changeVisibility(message.receipt, this.retryDelay(message.receiveCount));
    }
  }

  private retryDelay(receiveCount: number) {
    const delays = this.options.retryDelaysMs;
    return delays[Math.min(receiveCount - 1, delays.length - 1)] ?? 1000;
  }

  private eventOf(messages: QueuedMessage[]): SQSEvent {
    const { queue, region } = this.options;
    return {
      Records: messages.map(
        (message): SQSRecord => ({
          messageId: message.id,
          receiptHandle: message.receipt ?? '',
          body: message.body,
          attributes: messageAttributes(message) as unknown as SQSRecord['attributes'],
          messageAttributes: {},
          md5OfBody: message.md5,
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${region}:${ACCOUNT}:${queue.name}`,
          awsRegion: region,
        }),
      ),
    };
  }

  /** Until a message arrives or one becomes visible again (at most a second: a poll). */
  private sleep(until: number | undefined) {
    const ms = Math.max(5, Math.min(1000, (until ?? Date.now() + 1000) - Date.now()));
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

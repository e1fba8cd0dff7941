import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoFailureNotes } from '../../shared/adapters/dynamodb/failure-notes.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, MetricUnit, metrics, observed } from '../../shared/observability.ts';
import { applyParsed, batchDeps, customerOf, type ParsedInput, parseQueuedInput } from './batch.ts';
import { applyDeps } from './deps.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'OFFER_SECRET', 'OFFER_SECRET_ID']);
const deps = applyDeps(dynamoDocumentClient(), config);
const failureNotes = new DynamoFailureNotes(dynamoDocumentClient(), config.TABLE_NAME);

/**
 * A batch from the customer-inputs FIFO queue. Customers are applied side by side (Powertools'
 * batch processor runs the records in parallel), and each customer's records of the batch in one
 * decision, in the queue's order, with one read and one write. So when an invocation dies, every
 * customer of the batch has usually had its write: the batch comes back as duplicates.
 *
 * A record that fails (a malformed one, a customer still contended) is reported with the rest of
 * its customer's records after it; other customers' records are applied and deleted. The queue
 * retries what failed, then parks it in the dead-letter queue. Each failure's reason is logged,
 * noted by message id for the dead-letter listing, and answered beside the list (Lambda reads only
 * `batchItemFailures`).
 */
export const handler = middy<SQSEvent, unknown, Error, Context>()
  .use(observed())
  .handler(async (event, context) => {
    // Per invocation: a processor keeps the batch's state, and the local stack runs invocations side by side.
    const processor = new BatchProcessor(EventType.SQS);
    const parsed = new Map<string, ParsedInput | Error>();
    // Each customer's records of the batch, in the queue's order (a busy customer has several).
    const groups = new Map<string, SQSRecord[]>();
    for (const record of event.Records) {
      try {
        parsed.set(record.messageId, parseQueuedInput(record.body));
      } catch (error) {
        parsed.set(record.messageId, error instanceof Error ? error : new Error(String(error)));
      }
      groups.set(groupOf(record), [...(groups.get(groupOf(record)) ?? []), record]);
    }
    const inputs = [...parsed.values()].filter((input): input is ParsedInput => !(input instanceof Error));
    const batch = await batchDeps([...new Set(inputs.map(customerOf))], deps);
    const totals = { records: event.Records.length, applied: 0, duplicates: 0, published: 0, emails: 0 };

    /** One customer's records up to the first that does not parse: one decision, one write. */
    const applyCustomer = async (records: SQSRecord[]) => {
      const theirs: ParsedInput[] = [];
      for (const record of records) {
        const input = parsed.get(record.messageId);
        if (!input || input instanceof Error) break;
        theirs.push(input);
      }
      if (theirs.length === 0) return;
      const outcome = await applyParsed(theirs, batch);
      // How long a sweep's timers took to be applied: the queue's share of a timer's lateness.
      for (const input of theirs)
        if (input.kind === 'timers')
          metrics.addMetric(
            'TimerDelay',
            MetricUnit.Milliseconds,
            clock.now().getTime() - Date.parse(input.detail.now),
          );
      totals.applied += outcome.applied;
      totals.duplicates += outcome.duplicates;
      totals.published += outcome.published;
      totals.emails += outcome.emails;
    };
    const applying = new Map<string, Promise<void>>();
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => {
        const records = groups.get(groupOf(record)) ?? [record];
        let applied = applying.get(groupOf(record));
        if (!applied) {
          applied = applyCustomer(records);
          applying.set(groupOf(record), applied);
        }
        // A record that does not parse fails with its reason, and the customer's records after it
        // are not applied (their order would be broken): they fail with it.
        const position = records.indexOf(record);
        const broken = records.findIndex((candidate) => parsed.get(candidate.messageId) instanceof Error);
        if (broken === -1 || position < broken) return applied;
        return applied.then(() => {
          const problem = parsed.get(record.messageId);
          if (position === broken && problem instanceof Error) throw problem;
          throw new Error('not applied: an earlier input of this customer in the batch failed');
        });
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
    const reasons = Object.fromEntries(
      processor.failureMessages.map((record, index) => [
        (record as SQSRecord).messageId,
        reasonOf(processor.errors[index]),
      ]),
    );
    for (const [messageId, reason] of Object.entries(reasons))
      log.warn('input not applied', { messageId, reason });
    // SQS dead-letters a message without its reason: noted here, read with the dead letters. A
    // note that cannot be written costs only the reason, never the batch's answer.
    const at = clock.now().toISOString();
    await failureNotes
      .note(Object.entries(reasons).map(([messageId, reason]) => ({ messageId, reason, at })))
      .catch((error: unknown) => log.warn('failure notes not written', { error: String(error) }));
    log.info('applied', { ...totals, failed: response.batchItemFailures.length });
    metrics.addMetric('InputsApplied', MetricUnit.Count, totals.applied);
    metrics.addMetric('InputsDuplicate', MetricUnit.Count, totals.duplicates);
    metrics.addMetric('InputsFailed', MetricUnit.Count, response.batchItemFailures.length);
    return { ...response, reasons };
  });

function groupOf(record: SQSRecord): string {
  return record.attributes.MessageGroupId ?? record.messageId;
}

function reasonOf(error: Error | undefined): string {
  return error ? `${error.name}: ${error.message}` : 'unknown';
}

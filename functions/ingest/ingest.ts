/**
 * Ingest: the Segment HTTP Tracking API. Authenticates the write key, enforces Segment's limits,
 * validates every event on its own (one bad event never drops its neighbours), then publishes
 * the valid ones to the bus, grouped by customer. A rejected request publishes nothing.
 */
import { BUS_LIMITS, busEntryBytes } from '../../shared/domain/contracts/contract.ts';
import { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import {
  type BatchEnvelope,
  type CustomerEvent,
  customerKeyOf,
  endpointKind,
  isRecord,
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  parseEvent,
  type Rejection,
  tooDeepField,
} from '../../shared/domain/segment.ts';
import { type Source, type SourceTag, sourceOfKey } from '../../shared/domain/sources.ts';
import type { BusEntry, EventPublisher } from '../../shared/ports.ts';

export interface IngestRequest {
  /** The last path segment: `track`, `batch`, `t`, ... */
  endpoint: string;
  body: Buffer;
  authorization?: string;
}

export interface IngestDeps {
  publisher: EventPublisher;
  /** The write key the product was installed with (the `default` source until it is changed). */
  writeKeyDigests: () => Promise<readonly Buffer[]>;
  /** Every source, read on each request: a revoked or retired key stops at once. */
  sources: () => Promise<readonly Source[]>;
  /** Counts the request's events for its source's day (never fails the request). */
  record: (
    sourceId: string,
    at: string,
    counts: { accepted: number; rejected: number; ignored: number; reasons: string[] },
  ) => Promise<void>;
  now: () => Date;
}

export interface IngestResult {
  status: number;
  body: { success: boolean; error?: string; accepted?: number; rejected?: Rejection[] };
}

export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const receivedAt = deps.now();
  const kind = endpointKind(request.endpoint);
  if (!kind) return fail(404, `unknown endpoint /v1/${request.endpoint}`);

  const [sources, configured] = await Promise.all([deps.sources(), deps.writeKeyDigests()]);
  const sourceOf = (key: string | undefined) =>
    sourceOfKey(key, sources, configured, receivedAt.toISOString());
  let source = request.authorization ? sourceOf(basicAuthUser(request.authorization)) : undefined;
  if (request.authorization && !source) return fail(401, 'invalid write key');
  const limit = kind === 'batch' ? MAX_BATCH_BYTES : MAX_EVENT_BYTES;
  if (request.body.length > limit) {
    return fail(413, `request body is larger than ${limit} bytes (Segment's limit for /v1/${kind})`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.body.toString('utf8'));
  } catch {
    return fail(400, 'body: invalid JSON');
  }
  if (!isRecord(payload)) return fail(400, 'body: must be a JSON object');
  const body = payload;
  // analytics.js sends the key in the body (text/plain, no preflight); server libraries use Basic auth.
  if (!source) {
    source = sourceOf(typeof body.writeKey === 'string' ? body.writeKey : undefined);
    if (!source) return fail(401, 'missing or invalid write key');
  }
  const tagged = source;
  const counted = (result: IngestResult, accepted: number, rejected: Rejection[]) =>
    deps
      .record(tagged.id, receivedAt.toISOString(), {
        accepted,
        rejected: rejected.length,
        ignored: 0,
        reasons: rejected.map((rejection) => rejection.error),
      })
      .then(
        () => result,
        () => result,
      );

  const accepted: CustomerEvent[] = [];
  const rejected: Rejection[] = [];
  if (kind === 'batch') {
    if (!Array.isArray(body.batch))
      return counted(fail(400, 'batch: must be an array of events'), 0, [
        { index: 0, error: 'batch: must be an array of events' },
      ]);
    // The envelope's context reaches every event of the batch: too deep, and none can be taken.
    const { batch: _events, ...rest } = body;
    const deep = tooDeepField(rest);
    if (deep) return counted(fail(400, deep), 0, [{ index: 0, error: deep }]);
    const envelope = envelopeOf(body);
    body.batch.forEach((raw, index) => {
      const parsed = parseEvent(raw, { index, where: `batch[${index}]`, receivedAt, envelope });
      if (parsed.ok) accepted.push(parsed.event);
      else rejected.push(parsed.rejection);
    });
    if (accepted.length === 0 && rejected.length > 0) {
      return counted(
        { status: 400, body: { success: false, error: 'every event in the batch was rejected', rejected } },
        0,
        rejected,
      );
    }
  } else {
    const parsed = parseEvent({ ...body, type: kind }, { index: 0, where: '', receivedAt });
    if (!parsed.ok) return counted(fail(400, parsed.rejection.error), 0, [parsed.rejection]);
    accepted.push(parsed.event);
  }

  await deps.publisher.publish(busEntriesFor(accepted.map((event) => withSource(event, tagged))));
  return counted(
    {
      status: 200,
      body: rejected.length > 0 ? { success: true, accepted: accepted.length, rejected } : { success: true },
    },
    accepted.length,
    rejected,
  );
}

/** Every event says where it came from (`context.source`): the timeline shows it. */
export function withSource(event: CustomerEvent, source: SourceTag): CustomerEvent {
  const context = event.context ?? {};
  const known = isRecord(context.source) ? context.source : {};
  return { ...event, context: { ...context, source: { ...known, ...source } } };
}

/**
 * One bus entry per customer (split further if a customer's events would not fit one entry), so
 * apply-event sees a customer's events of one request together and in the order they were sent.
 */
export function busEntriesFor(events: CustomerEvent[]): BusEntry[] {
  const byCustomer = new Map<string, CustomerEvent[]>();
  for (const event of events) {
    const key = customerKeyOf(event);
    byCustomer.set(key, [...(byCustomer.get(key) ?? []), event]);
  }
  const entries: BusEntry[] = [];
  const budget = BUS_LIMITS.requestBytes - 1024;
  for (const [customerKey, customerEvents] of byCustomer) {
    let chunk: CustomerEvent[] = [];
    let bytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      entries.push({
        source: CustomerEventsReceived.source,
        detailType: CustomerEventsReceived.detailType,
        detail: { version: 1, customerKey, events: chunk },
      });
      chunk = [];
      bytes = 0;
    };
    for (const event of customerEvents) {
      const size = busEntryBytes({ source: '', detailType: '', detail: JSON.stringify(event) }) + 1;
      if (bytes + size > budget) flush();
      chunk.push(event);
      bytes += size;
    }
    flush();
  }
  return entries;
}

function envelopeOf(body: Record<string, unknown>): BatchEnvelope {
  const envelope: BatchEnvelope = {};
  if (typeof body.sentAt === 'string' && !Number.isNaN(Date.parse(body.sentAt)))
    envelope.sentAt = body.sentAt;
  if (isRecord(body.context)) envelope.context = body.context;
  if (isRecord(body.integrations)) envelope.integrations = body.integrations;
  return envelope;
}

/** `Basic base64(writeKey:)`: Segment's write key is the user name, the password is empty. */
function basicAuthUser(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(.+)$/i.exec(authorization?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

function fail(status: number, error: string): IngestResult {
  return { status, body: { success: false, error } };
}

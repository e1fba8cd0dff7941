/**
 * The local stand-in for a Lambda event source mapping on the table's DynamoDB stream: reads
 * DynamoDB Local's stream shard by shard, in order, and invokes the function with batches in the
 * event format Lambda delivers (binary attributes as base64). A failed batch is invoked again,
 * with backoff, before anything after it, as Lambda does for a stream; nothing is skipped.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { LocalFunction } from './lambda-runtime.ts';

interface ShardReader {
  iterator?: string;
  /** The sequence number of the last record read, to ask again from after it. */
  lastRead?: string;
  /** Records read but not yet handled by a successful invocation. */
  pending: _Record[];
  finished: boolean;
}

export class LocalStreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private readonly tables: DynamoDBClient;
  private readonly shards = new Map<string, ShardReader>();
  private streamArn = '';
  private running = false;
  private loop: Promise<void> | undefined;
  private caughtUp = false;
  private round = 0;
  /** Each waiter is released by the first round, begun after it asked, that found nothing to do. */
  private readonly idleWaiters: { after: number; resolve: () => void }[] = [];
  failures = 0;
  batches = 0;

  constructor(
    private readonly options: {
      endpoint: string;
      region: string;
      tableName: string;
      target: Pick<LocalFunction, 'invoke'>;
      batchSize: number;
      pollMs?: number;
    },
  ) {
    const client = {
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    this.streams = new DynamoDBStreamsClient(client);
    this.tables = new DynamoDBClient(client);
  }

  async start() {
    const { Table: table } = await this.tables.send(
      new DescribeTableCommand({ TableName: this.options.tableName }),
    );
    if (!table?.LatestStreamArn) throw new Error(`table ${this.options.tableName} has no stream`);
    this.streamArn = table.LatestStreamArn;
    this.running = true;
    this.loop = this.run();
  }

  async stop() {
    this.running = false;
    await this.loop;
    this.streams.destroy();
    this.tables.destroy();
  }

  /** Resolves once every record written before the call has been handled. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push({ after: this.round, resolve }));
  }

  metrics() {
    return {
      batches: this.batches,
      failures: this.failures,
      shards: this.shards.size,
      caughtUp: this.caughtUp,
    };
  }

  private async run() {
    let failureDelay = 200;
    while (this.running) {
      const round = ++this.round;
      let progressed = false;
      try {
        progressed = await this.pollOnce();
        failureDelay = 200;
      } catch (error) {
        this.failures++;
        console.error(`stream: ${String(error)}`);
        await sleep(failureDelay);
        failureDelay = Math.min(failureDelay * 2, 5000);
        continue;
      }
      this.caughtUp = !progressed && [...this.shards.values()].every((shard) => shard.pending.length === 0);
      if (this.caughtUp) {
        const released = this.idleWaiters.filter((waiter) => waiter.after < round);
        for (const waiter of released) {
          this.idleWaiters.splice(this.idleWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      if (!progressed) await sleep(this.options.pollMs ?? 100);
    }
    for (const waiter of this.idleWaiters.splice(0)) waiter.resolve();
  }

  /**
   * The shard's next records. DynamoDB Local invalidates every stream's iterators when any table
   * is deleted (TrimmedDataAccessException), and iterators expire after 15 minutes: either way,
   * a fresh iterator from after the last record read picks up where this one was.
   */
  private async read(shardId: string, reader: ShardReader) {
    try {
      return await this.streams.send(
        new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: this.options.batchSize }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      const { ShardIterator: iterator } = await this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ...(reader.lastRead
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: reader.lastRead }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      return this.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize }),
      );
    }
  }

  /** One round over every shard: true when something was read or handled. */
  private async pollOnce(): Promise<boolean> {
    const { StreamDescription: stream } = await this.streams.send(
      new DescribeStreamCommand({ StreamArn: this.streamArn }),
    );
    let progressed = false;
    for (const shard of stream?.Shards ?? []) {
      const id = shard.ShardId as string;
      let reader = this.shards.get(id);
      if (!reader) {
        const { ShardIterator: iterator } = await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: id,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        reader = { ...(iterator ? { iterator } : {}), pending: [], finished: !iterator };
        this.shards.set(id, reader);
      }
      if (reader.pending.length === 0 && reader.iterator && !reader.finished) {
        const page = await this.read(id, reader);
        reader.pending = page.Records ?? [];
        const last = reader.pending.at(-1)?.dynamodb?.SequenceNumber;
        if (last) reader.lastRead = last;
        if (page.NextShardIterator) reader.iterator = page.NextShardIterator;
        else reader.finished = true;
      }
      if (reader.pending.length === 0) continue;
      progressed = true;
      // Lambda retries a failed batch until it succeeds (the function's own retries keep it exact).
      await this.options.target.invoke({
        Records: reader.pending.map((record) => lambdaRecord(record, this.streamArn)),
      });
      this.batches++;
      reader.pending = [];
    }
    return progressed;
  }
}

/** A record as Lambda delivers it: the images' binary attributes as base64 strings. */
function lambdaRecord(record: _Record, streamArn: string) {
  const images = record.dynamodb;
  const fixed = images && {
    ...images,
    ...(images.NewImage ? { NewImage: withEmptyMaps(images.NewImage) } : {}),
    ...(images.OldImage ? { OldImage: withEmptyMaps(images.OldImage) } : {}),
  };
  return { ...(asLambdaJson({ ...record, dynamodb: fixed }) as object), eventSourceARN: streamArn };
}

/**
 * The streams client reads an empty map (`{"M": {}}`) as an attribute value with no type at all;
 * Lambda delivers it as the empty map it is.
 */
function withEmptyMaps(image: Record<string, unknown>): Record<string, unknown> {
  const fix = (value: unknown): unknown => {
    if (!value || typeof value !== 'object') return value;
    const attribute = value as Record<string, unknown>;
    if (Object.keys(attribute).length === 0) return { M: {} };
    if (attribute.M && typeof attribute.M === 'object')
      return { M: withEmptyMaps(attribute.M as Record<string, unknown>) };
    if (Array.isArray(attribute.L)) return { L: attribute.L.map(fix) };
    return attribute;
  };
  return Object.fromEntries(Object.entries(image).map(([key, value]) => [key, fix(value)]));
}

function asLambdaJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(asLambdaJson);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asLambdaJson(inner)]));
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

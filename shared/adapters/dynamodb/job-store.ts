import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { JobState, JobStore, PartMove } from '../../ports.ts';
import { queryAll } from './customer-store.ts';
import { TABLE_KEYS } from './table.ts';

const pk = TABLE_KEYS.partition;
const sk = TABLE_KEYS.sort;
const stateKey = (id: string) => ({ [pk]: `JOB#${id}`, [sk]: 'STATE' });
const listKey = (id: string) => ({ [pk]: 'JOBS', [sk]: id });
const RECORDS_PER_ITEM_BYTES = 300_000;
/** A gathering job's records are read by its last step, minutes later; a week leaves room to look. */
const RECORDS_KEPT_SECONDS = 7 * 86_400;

/**
 * Whole-base jobs: one item per job with each part's cursor, moved on conditionally (a chunk run
 * twice moves its part once), and a small list of the jobs with their status.
 */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async start(job: JobState): Promise<'started' | 'exists'> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...stateKey(job.id), entity: 'job', ...job },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': pk },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...listKey(job.id),
                  entity: 'job-entry',
                  status: job.status,
                  startedAt: job.startedAt,
                },
              },
            },
          ],
        }),
      );
      return 'started';
    } catch (error) {
      if (error instanceof TransactionCanceledException) return 'exists';
      throw error;
    }
  }

  async get(id: string): Promise<JobState | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: stateKey(id), ConsistentRead: true }),
    );
    if (!item) return undefined;
    const { [pk]: _pk, [sk]: _sk, entity: _entity, ...state } = item;
    return state as JobState;
  }

  async advance(id: string, part: number, move: PartMove): Promise<'advanced' | 'stale'> {
    const path = `cursors[${part}]`;
    const done = move.to === undefined;
    // Results are added in the same conditional write that moves the cursor: a chunk run twice adds once.
    const results = Object.entries(move.results ?? {});
    const resultNames = Object.fromEntries(results.map(([name], index) => [`#r${index}`, name]));
    const resultValues = Object.fromEntries(results.map(([, value], index) => [`:r${index}`, value]));
    const addResults = results.map((_, index) => `, results.#r${index} :r${index}`).join('');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: stateKey(id),
          UpdateExpression: [
            `SET ${path}.done = :done, ${path}.movedAt = :at${done ? '' : `, ${path}.#cursor = :to`}`,
            `ADD evaluated :evaluated, changed :changed${done ? ', partsDone :one' : ''}${addResults}`,
            done ? `REMOVE ${path}.#cursor` : '',
          ].join(' '),
          ConditionExpression: `${path}.done = :false AND ${
            move.from === undefined ? `attribute_not_exists(${path}.#cursor)` : `${path}.#cursor = :from`
          }`,
          ExpressionAttributeNames: { '#cursor': 'cursor', ...resultNames },
          ExpressionAttributeValues: {
            ...resultValues,
            ':done': done,
            ':false': false,
            ':at': move.at,
            ':evaluated': move.evaluated,
            ':changed': move.changed,
            ...(done ? { ':one': 1 } : { ':to': move.to }),
            ...(move.from === undefined ? {} : { ':from': move.from }),
          },
        }),
      );
      return 'advanced';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'stale';
      throw error;
    }
  }

  async finish(id: string, at: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: stateKey(id),
          UpdateExpression: 'SET #status = :done, finishedAt = :at',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':done': 'done', ':running': 'running', ':at': at },
        }),
      );
    } catch (error) {
      // Finished before: its first finishing time stands (the list entry was written then too,
      // unless that run crashed in between, which the write below mends).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const job = await this.get(id);
      if (job?.finishedAt) at = job.finishedAt;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: listKey(id),
        UpdateExpression: 'SET #status = :done, finishedAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'done', ':at': at },
      }),
    );
  }

  async keepRecords(id: string, part: number, from: string | undefined, records: unknown[]) {
    // Split so no item nears DynamoDB's 400 KB: a part of a chunk is a few hundred records.
    const pieces: string[] = [];
    let piece: string[] = [];
    let size = 0;
    for (const record of records) {
      const json = JSON.stringify(record);
      if (size + json.length > RECORDS_PER_ITEM_BYTES && piece.length > 0) {
        pieces.push(`[${piece.join(',')}]`);
        piece = [];
        size = 0;
      }
      piece.push(json);
      size += json.length + 1;
    }
    if (piece.length > 0) pieces.push(`[${piece.join(',')}]`);
    const expiresAt = Math.floor(Date.now() / 1000) + RECORDS_KEPT_SECONDS;
    await Promise.all(
      pieces.map((records, index) =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              [pk]: `JOB#${id}`,
              [sk]: `DATA#${part}#${from ?? 'start'}#${index}`,
              entity: 'job-records',
              records,
              expiresAt,
            },
          }),
        ),
      ),
    );
  }

  async *records(id: string): AsyncIterable<unknown[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :data)',
          ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
          ExpressionAttributeValues: { ':pk': `JOB#${id}`, ':data': 'DATA#' },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) yield JSON.parse(String(item.records)) as unknown[];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async running(): Promise<JobState[]> {
    const entries = await queryAll(this.db, this.tableName, 'JOBS');
    const ids = entries.filter((entry) => entry.status === 'running').map((entry) => String(entry[sk]));
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return jobs.filter((job): job is JobState => job?.status === 'running');
  }
}

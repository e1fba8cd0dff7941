import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCounterStore } from '../../shared/adapters/dynamodb/counter-store.ts';
import { DynamoDirectory } from '../../shared/adapters/dynamodb/directory.ts';
import { storedFromStreamImage } from '../../shared/adapters/dynamodb/stream-images.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, observed } from '../../shared/observability.ts';
import { type Change, project } from './projections.ts';

const config = loadConfig(['TABLE_NAME']);
const db = dynamoDocumentClient();
const deps = {
  counters: new DynamoCounterStore(db, config.TABLE_NAME),
  directory: new DynamoDirectory(db, config.TABLE_NAME),
};

/** A batch of one shard of the table's stream (Lambda delivers each shard's records in order). */
export const handler = middy<DynamoDBStreamEvent, void>()
  .use(observed())
  .handler(async (event) => {
    const changes: Change[] = event.Records.map((record) => ({
      id: `${record.eventID}@${record.dynamodb?.SequenceNumber ?? ''}`,
      before: storedFromStreamImage(record.dynamodb?.OldImage),
      after: storedFromStreamImage(record.dynamodb?.NewImage),
    }));
    if (changes.length > 0) log.info('projected', await project(changes, deps));
  });

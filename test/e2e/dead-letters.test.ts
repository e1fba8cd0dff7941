/** A poison event (one the consumer can never process) ends in the dead-letter file with its reason. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { eventually, stack, uniqueId } from '../support/stack.ts';

describe('local event bus', () => {
  it('retries a failing delivery and then parks it as a dead letter with the reason', async () => {
    const client = new EventBridgeClient({
      endpoint: stack().eventBridge,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const marker = uniqueId('poison');
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'lifecycle',
            Source: 'lifecycle.ingest',
            DetailType: 'Customer Events Received',
            Detail: JSON.stringify({ version: 1, customerKey: marker, events: [{ type: 'track' }] }),
          },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    const letters = await eventually(
      async () => {
        const response = await fetch(`${stack().api}/_local/dead-letters`, {
          headers: { authorization: `Bearer ${stack().adminToken}` },
        });
        return (await response.json()) as {
          target: string;
          attempts: number;
          reason: string;
          event: { detail: { customerKey: string } };
        }[];
      },
      (found) => found.some((letter) => letter.event.detail.customerKey === marker),
      5000,
    );
    const letter = letters.find((candidate) => candidate.event.detail.customerKey === marker);
    expect(letter).toMatchObject({ target: 'apply-event', attempts: 3 });
    expect(letter?.reason).toMatch(/ZodError/);
  });

  it('reports entries it cannot accept as failed entries, as EventBridge does', async () => {
    const client = new EventBridgeClient({
      endpoint: stack().eventBridge,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'lifecycle', Source: 'test', DetailType: 'ok', Detail: '{}' },
          { EventBusName: 'lifecycle', Source: 'test', DetailType: 'bad', Detail: 'not json' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[1]?.ErrorCode).toBe('MalformedDetail');
  });
});

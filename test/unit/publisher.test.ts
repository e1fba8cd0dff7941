import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import {
  EventBridgePublisher,
  PublishError,
  packRequests,
} from '../../shared/adapters/eventbridge/publisher.ts';

type Entry = { Detail?: string };

/** A stand-in for the EventBridge client that refuses the entries a test tells it to. */
function fakeClient(refuse: (entry: Entry, call: number) => boolean) {
  const calls: Entry[][] = [];
  const client = {
    send: async (command: { input: { Entries: Entry[] } }) => {
      const entries = command.input.Entries;
      calls.push(entries);
      const results = entries.map((entry) =>
        refuse(entry, calls.length)
          ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
          : { EventId: 'id' },
      );
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
  };
  return { client: client as unknown as EventBridgeClient, calls };
}

const entries = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ source: 's', detailType: 'd', detail: { index } }));

describe('EventBridge publisher', () => {
  it('packs at most 10 entries and 256 KB into a request', () => {
    const small = Array.from({ length: 23 }, () => ({ source: 's', detailType: 'd', detail: '{}' }));
    expect(packRequests(small).map((request) => request.length)).toEqual([10, 10, 3]);
    const large = Array.from({ length: 3 }, () => ({
      source: 's',
      detailType: 'd',
      detail: 'x'.repeat(100 * 1024),
    }));
    expect(packRequests(large).map((request) => request.length)).toEqual([2, 1]);
  });

  it('sends again only the entries EventBridge refused', async () => {
    const { client, calls } = fakeClient(
      (entry, call) => call === 1 && JSON.parse(entry.Detail ?? '{}').index % 2 === 0,
    );
    await new EventBridgePublisher('bus', client, { attempts: 3, baseDelayMs: 1 }).publish(entries(4));
    expect(calls.map((call) => call.map((entry) => JSON.parse(entry.Detail ?? '{}').index))).toEqual([
      [0, 1, 2, 3],
      [0, 2],
    ]);
  });

  it('gives up with the error codes when entries keep being refused', async () => {
    const { client, calls } = fakeClient(() => true);
    const publishing = new EventBridgePublisher('bus', client, { attempts: 3, baseDelayMs: 1 }).publish(
      entries(2),
    );
    await expect(publishing).rejects.toBeInstanceOf(PublishError);
    await expect(publishing).rejects.toThrow('ThrottlingException');
    expect(calls).toHaveLength(3);
  });
});

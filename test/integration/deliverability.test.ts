/** Deliverability adapters on DynamoDB Local and the SES emulator: throttling, feedback, suppression, erasure. */
import { createServer } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryLaterError, sendMessage } from '../../functions/send-message/send.ts';
import { SesProxy } from '../../infra/local/ses-proxy.ts';
import { DynamoCustomerData } from '../../shared/adapters/dynamodb/customer-data.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { DynamoSuppressions } from '../../shared/adapters/dynamodb/suppressions.ts';
import { SesMailer } from '../../shared/adapters/ses/mailer.ts';
import { defaultTemplate } from '../../shared/domain/defaults/templates.ts';
import { newProfile, withTraits } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { queuedWelcomeKit } from '../support/events.ts';
import { emailsTo, freshTable, stack, uniqueId } from '../support/stack.ts';

let customers: DynamoCustomerStore;
let ledger: DynamoLedger;
let suppressions: DynamoSuppressions;
let data: DynamoCustomerData;
let scan: () => Promise<Record<string, unknown>[]>;

beforeAll(async () => {
  const { db, tableName } = await freshTable('deliverability');
  customers = new DynamoCustomerStore(db, tableName);
  ledger = new DynamoLedger(db, tableName);
  suppressions = new DynamoSuppressions(db, tableName);
  data = new DynamoCustomerData(db, tableName);
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  scan = async () => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
});

async function customerWithQueuedKit(email: string) {
  const id = uniqueId('c');
  const profile = withTraits(
    newProfile(id, '2026-01-01T00:00:00.000Z'),
    { email, firstName: 'Ada' },
    '2026-01-01T00:00:00.000Z',
  );
  await customers.commit({
    profile,
    expectedVersion: 0,
    aliases: [],
    messages: [queuedWelcomeKit(id, new Date().toISOString())],
    conversions: [],
  });
  return id;
}

describe('sending while SES throttles', () => {
  const proxy = { server: undefined as SesProxy | undefined, port: 0 };
  beforeAll(async () => {
    proxy.port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    proxy.server = new SesProxy({ upstream: stack().ses, throttleRate: 0.4 });
    await proxy.server.listen(proxy.port);
  });
  afterAll(() => proxy.server?.close());

  it('sends every email exactly once when 40% of calls are refused with "Maximum sending rate exceeded"', async () => {
    const ses = new SESv2Client({
      endpoint: `http://127.0.0.1:${proxy.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 2,
    });
    const run = uniqueId('throttle');
    const recipients = Array.from({ length: 25 }, (_, index) => `${run}-${index}@example.com`);
    const ids = await Promise.all(recipients.map(customerWithQueuedKit));
    const deps = {
      ledger,
      customers,
      mailer: new SesMailer(undefined, ses),
      settings: async () => defaultSettings(),
      template: async (name: string) => ({
        definition: defaultTemplate(name) ?? { subject: 's', html: 'h' },
        version: 0,
        source: 'built-in' as const,
      }),
      sender: { from: 'Shop <hello@shop.example>', brandName: 'Shop', postalAddress: '1 Main St' },
      suppressions,
      unsubscribe: { baseUrl: 'http://127.0.0.1', secret: async () => 'secret' },
      now: () => new Date(),
      newToken: () => uniqueId('token'),
    };
    // Like the bus: a request that says "retry later" is delivered again.
    await Promise.all(
      ids.map(async (customerId) => {
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            return await sendMessage(
              { version: 1, customerId, campaignId: 'welcome-kit', occurrence: 1 },
              deps,
            );
          } catch (error) {
            if (!(error instanceof RetryLaterError)) throw error;
          }
        }
        throw new Error(`${customerId}: never sent`);
      }),
    );
    expect(proxy.server?.counters.throttled).toBeGreaterThan(0);
    for (const [index, address] of recipients.entries()) {
      expect({ address, emails: (await emailsTo(address)).length }).toEqual({ address, emails: 1 });
      expect(
        (await ledger.get({ customerId: ids[index] ?? '', campaignId: 'welcome-kit', occurrence: 1 }))
          ?.status,
      ).toBe('sent');
    }
  }, 60_000);
});

describe('feedback, suppression and erasure on DynamoDB Local', () => {
  it('records each SES event once on the ledger entry', async () => {
    const id = await customerWithQueuedKit(`${uniqueId('fb')}@example.com`);
    const key = { customerId: id, campaignId: 'welcome-kit' as const, occurrence: 1 };
    expect(
      await ledger.recordFeedback(key, { kind: 'open', at: '2026-02-01T10:00:00.000Z', eventId: 'e1' }),
    ).toBe('recorded');
    expect(
      await ledger.recordFeedback(key, { kind: 'open', at: '2026-02-01T11:00:00.000Z', eventId: 'e2' }),
    ).toBe('recorded');
    expect(
      await ledger.recordFeedback(key, { kind: 'open', at: '2026-02-01T11:00:00.000Z', eventId: 'e2' }),
    ).toBe('duplicate');
    expect(
      await ledger.recordFeedback({ ...key, occurrence: 9 }, { kind: 'open', at: 'x', eventId: 'e3' }),
    ).toBe('missing');
    expect(await ledger.get(key)).toMatchObject({ openedAt: '2026-02-01T10:00:00.000Z', opens: 2 });
  });

  it('keeps suppressed addresses hashed, the first reason standing', async () => {
    const address = `${uniqueId('sup')}@Example.com`;
    await suppressions.put(address, { reason: 'complaint', at: '2026-01-01T00:00:00.000Z' });
    await suppressions.put(address.toLowerCase(), { reason: 'bounce', at: '2026-01-02T00:00:00.000Z' });
    expect(await suppressions.get(` ${address.toUpperCase()} `)).toMatchObject({ reason: 'complaint' });
    expect(JSON.stringify(await scan())).not.toContain(address.toLowerCase());
    expect(await suppressions.remove(address)).toBe(true);
    expect(await suppressions.get(address)).toBeUndefined();
  });

  it('exports every item held about a customer, then erases them all', async () => {
    const email = `${uniqueId('gdpr')}@example.com`;
    const id = await customerWithQueuedKit(email);
    const held = (await scan()).filter((item) => JSON.stringify(item).includes(id));
    const exported = await data.collect(id);
    expect(exported?.items).toHaveLength(held.length);
    expect(exported?.addresses).toEqual([email]);
    const erased = await data.erase(id);
    expect(erased).toEqual({ customerId: id, deleted: held.length, addresses: [email] });
    expect((await scan()).filter((item) => JSON.stringify(item).includes(id))).toEqual([]);
    expect(await data.collect(id)).toBeUndefined();
  });
});

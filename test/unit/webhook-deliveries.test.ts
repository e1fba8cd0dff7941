/** Webhook deliveries: signed once per event, retried for 24 hours, refused where they must not go. */
import { describe, expect, it } from 'vitest';
import { fanOut, retryDue, type WebhookDeps } from '../../functions/webhooks/webhooks.ts';
import { sealSecret, verifySignature } from '../../shared/domain/webhooks.ts';
import type { Delivery, StoredWebhook, WebhookStore } from '../../shared/ports.ts';

class MemoryWebhooks implements WebhookStore {
  webhooks = new Map<string, StoredWebhook>();
  log = new Map<string, Delivery>();
  retries = new Map<string, string>();
  async list() {
    return [...this.webhooks.values()];
  }
  async get(id: string) {
    return this.webhooks.get(id);
  }
  async put(webhook: StoredWebhook) {
    this.webhooks.set(webhook.id, webhook);
  }
  async delete(id: string) {
    return this.webhooks.delete(id);
  }
  async createDelivery(delivery: Delivery) {
    const key = `${delivery.webhookId}/${delivery.id}`;
    if (this.log.has(key)) return 'exists' as const;
    this.log.set(key, delivery);
    if (delivery.nextAttemptAt) this.retries.set(key, delivery.nextAttemptAt);
    return 'created' as const;
  }
  async saveAttempt(delivery: Delivery) {
    const key = `${delivery.webhookId}/${delivery.id}`;
    this.log.set(key, delivery);
    this.retries.delete(key);
    if (delivery.nextAttemptAt) this.retries.set(key, delivery.nextAttemptAt);
  }
  async deliveries(webhookId: string) {
    return [...this.log.values()].filter((delivery) => delivery.webhookId === webhookId);
  }
  async dueRetries(now: string) {
    return [...this.retries.entries()]
      .filter(([, at]) => at <= now)
      .map(([key]) => this.log.get(key) as Delivery);
  }
}

function setup(answer: (attempt: number) => number | 'network', check = true) {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const store = new MemoryWebhooks();
  const posts: { body: string; headers: Record<string, string> }[] = [];
  store.webhooks.set('crm', {
    id: 'crm',
    url: 'https://crm.example/hook',
    events: ['Stage Changed'],
    enabled: true,
    sealedSecret: sealSecret('master', 'whsec_test'),
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
  });
  const deps: WebhookDeps = {
    store,
    masterKey: async () => 'master',
    check: async () =>
      check
        ? { ok: true, addresses: ['93.184.216.34'] }
        : { ok: false, reason: 'the URL’s host resolves to 10.0.0.5, a private address' },
    post: async (_url, body, headers) => {
      posts.push({ body, headers });
      const status = answer(posts.length);
      return status === 'network' ? { error: 'network', detail: 'ECONNREFUSED' } : { status };
    },
    now: () => new Date(now),
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { store, deps, posts, advance, at: () => new Date(now).toISOString() };
}

const stageChanged = {
  id: 'bus-1',
  detailType: 'Stage Changed',
  time: '2026-12-01T10:00:00Z',
  detail: { version: 1, customerId: 'u1', from: 'acquaintance', to: 'buildup', at: '2026-12-01T09:59:00Z' },
};

describe('webhook deliveries', () => {
  it('signs each delivery; a repeated bus event sends nothing more; other types are not sent', async () => {
    const { deps, posts } = setup(() => 200);
    expect(await fanOut(stageChanged, deps)).toBe(1);
    expect(await fanOut(stageChanged, deps)).toBe(0);
    expect(await fanOut({ ...stageChanged, id: 'bus-2', detailType: 'Segment Entered' }, deps)).toBe(0);
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(JSON.parse(post?.body ?? '')).toEqual({
      id: 'evt_bus-1',
      type: 'Stage Changed',
      created: '2026-12-01T09:59:00.000Z',
      customer: { id: 'u1' },
      data: { from: 'acquaintance', to: 'buildup', at: '2026-12-01T09:59:00Z' },
    });
    const header = post?.headers['Lifecycle-Signature'] ?? '';
    expect(
      verifySignature('whsec_test', header, post?.body ?? '', Date.parse('2026-12-01T10:00:00Z') / 1000),
    ).toBe(true);
  });

  it('retries a failing receiver with backoff for 24 hours, then gives up with the reason', async () => {
    const { deps, store, posts, advance } = setup(() => 503);
    await fanOut(stageChanged, deps);
    for (let minute = 0; minute < 25 * 60; minute += 1) {
      advance(60_000);
      await retryDue(deps);
    }
    const [delivery] = await store.deliveries('crm');
    expect(delivery?.state).toBe('dead');
    expect(delivery?.reason).toBe('HTTP 503');
    expect(posts.length).toBe(delivery?.attempts.length);
    expect(posts.length).toBeGreaterThan(5);
    const span =
      Date.parse(delivery?.attempts.at(-1)?.at ?? '') - Date.parse(delivery?.attempts[0]?.at ?? '');
    expect(span).toBeLessThanOrEqual(24 * 3_600_000 + 60_000);
    expect(store.retries.size).toBe(0);
  });

  it('a receiver that recovers gets the same body again, and the delivery ends delivered', async () => {
    const { deps, store, posts, advance } = setup((attempt) => (attempt === 1 ? 'network' : 200));
    await fanOut(stageChanged, deps);
    advance(31_000);
    await retryDue(deps);
    expect(posts[1]?.body).toBe(posts[0]?.body);
    const [delivery] = await store.deliveries('crm');
    expect(delivery?.state).toBe('delivered');
    expect(delivery?.attempts.map((attempt) => attempt.outcome)).toEqual([
      'network: ECONNREFUSED',
      'HTTP 200',
    ]);
  });

  it('a first attempt that never finished (a crash) is made by the retry pass', async () => {
    const { deps, store, posts, advance } = setup(() => 200);
    const crashing = { ...deps, post: async () => Promise.reject(new Error('the function was killed')) };
    await expect(fanOut(stageChanged, crashing)).rejects.toThrow('killed');
    // The bus delivers the event again: the delivery exists, nothing is sent twice.
    expect(await fanOut(stageChanged, deps)).toBe(0);
    advance(60_000);
    await retryDue(deps);
    expect(posts).toHaveLength(0);
    advance(61_000);
    await retryDue(deps);
    expect(posts).toHaveLength(1);
    expect((await store.deliveries('crm'))[0]?.state).toBe('delivered');
  });

  it('a URL that resolves inside a private network is refused and never called', async () => {
    const { deps, store, posts } = setup(() => 200, false);
    await fanOut(stageChanged, deps);
    expect(posts).toEqual([]);
    const [delivery] = await store.deliveries('crm');
    expect(delivery).toMatchObject({
      state: 'dead',
      reason: expect.stringContaining('refused: the URL’s host resolves to 10.0.0.5'),
    });
  });
});

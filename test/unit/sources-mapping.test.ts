/** Shop platforms' webhooks as Segment calls, from the platforms' published payload shapes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../shared/domain/segment.ts';
import {
  currencyExponent,
  type MapOptions,
  type Mapped,
  majorOf,
  type SegmentCall,
  type SourceKind,
  type TrackCall,
} from '../../shared/domain/sources/mapping.ts';
import { mapShopify, SHOPIFY_TOPICS } from '../../shared/domain/sources/shopify.ts';
import { mapStripe, STRIPE_TOPICS } from '../../shared/domain/sources/stripe.ts';
import { mapWooCommerce, WOOCOMMERCE_TOPICS } from '../../shared/domain/sources/woocommerce.ts';

type Json = Record<string, unknown>;
const FIXTURES = new URL('../fixtures/platforms/', import.meta.url);
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
const ON_CREATED: MapOptions = { orderOn: 'created' };
const ON_PAID: MapOptions = { orderOn: 'paid' };
const receivedAt = new Date('2030-01-01T00:00:00Z');

function shopify(topic: string, body: unknown, options = ON_CREATED) {
  return mapShopify({ topic, body, delivery: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' }, options);
}
function woo(topic: string, body: unknown, options = ON_PAID) {
  return mapWooCommerce({ topic, body, delivery: '36e520ebabc2fa725092ff4a47acedf2' }, options);
}
function stripe(body: Json) {
  return mapStripe({ topic: String(body.type), body, delivery: String(body.id) });
}

/** The calls of a mapping, each checked against the Segment contract and its source context. */
function callsOf(mapped: Mapped, kind?: SourceKind): SegmentCall[] {
  if (!mapped.ok || !('calls' in mapped)) throw new Error(`expected calls, got ${JSON.stringify(mapped)}`);
  mapped.calls.forEach((call, index) => {
    const parsed = parseEvent(call, { index, where: '', receivedAt });
    if (!parsed.ok) throw new Error(`call ${index} fails parseEvent: ${parsed.rejection.error}`);
    if (kind) expect(call.context.source.kind).toBe(kind);
  });
  return mapped.calls;
}
function track(calls: SegmentCall[], event: string): TrackCall {
  const found = calls.find((call): call is TrackCall => call.type === 'track' && call.event === event);
  if (!found) throw new Error(`no ${event} among ${calls.map((call) => call.type).join(', ')}`);
  return found;
}
const identifyOf = (calls: SegmentCall[]) => calls.find((call) => call.type === 'identify');

describe('Shopify', () => {
  it('orders/create: an identify of the buyer and Order Completed, keyed by the customer id', () => {
    const calls = callsOf(shopify('orders/create', fixture('shopify-orders-create')), 'shopify');
    expect(calls.map((call) => call.type)).toEqual(['identify', 'track']);
    const order = track(calls, 'Order Completed');
    expect(order).toMatchObject({
      messageId: 'shopify-order-5940139491234',
      userId: '7085965639866',
      anonymousId: 'shopify-order-5940139491234',
      timestamp: '2024-11-10T15:30:00.000Z',
      context: {
        source: { kind: 'shopify', topic: 'orders/create', delivery: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' },
      },
    });
    expect(order.properties).toEqual({
      order_id: '5940139491234',
      order_number: '#1001',
      checkout_id: '37221876465890',
      total: 104.9,
      revenue: 104.9,
      subtotal: 89.91,
      tax: 16.75,
      discount: 9.99,
      shipping: 14.99,
      currency: 'EUR',
      coupon: 'WELCOME10,FREESHIP',
      products: [
        {
          product_id: '8421675303098',
          sku: 'BEANIE-CHAR',
          name: 'Merino Beanie - Charcoal',
          price: 24.95,
          quantity: 2,
        },
        { product_id: '8421675335866', name: 'Wool Socks', price: 50, quantity: 1 },
      ],
    });
    expect(identifyOf(calls)).toMatchObject({
      userId: '7085965639866',
      traits: {
        email: 'Ada.Example@example.com',
        firstName: 'Ada',
        lastName: 'Example',
        phone: '+49 30 1234567',
        address: { street: 'Musterstraße 12, 3. OG', city: 'Berlin', postalCode: '10115', country: 'DE' },
      },
    });
  });

  it('counts an order when placed or when paid, as the shop chose; either way it is the same event', () => {
    const body = fixture('shopify-orders-create');
    expect(shopify('orders/create', body, ON_PAID)).toEqual({
      ok: true,
      ignored: 'orders count once paid (orderOn: paid)',
    });
    expect(shopify('orders/paid', body, ON_CREATED)).toMatchObject({ ok: true, ignored: expect.any(String) });
    const paid = track(callsOf(shopify('orders/paid', body, ON_PAID)), 'Order Completed');
    const placed = track(callsOf(shopify('orders/create', body, ON_CREATED)), 'Order Completed');
    expect(paid.messageId).toBe(placed.messageId);
    expect(paid.timestamp).toBe('2024-11-10T15:31:12.000Z');
  });

  it('a retried delivery maps to the very same calls', () => {
    const body = fixture('shopify-orders-create');
    const first = shopify('orders/create', body);
    const retry = mapShopify(
      { topic: 'orders/create', body, delivery: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' },
      ON_CREATED,
    );
    expect(retry).toEqual(first);
  });

  it('a guest order is keyed by its email, lower-cased', () => {
    const body = { ...fixture('shopify-orders-create'), customer: null };
    const calls = callsOf(shopify('orders/create', body));
    expect(track(calls, 'Order Completed').userId).toBe('ada.example@example.com');
    expect(identifyOf(calls)).toMatchObject({
      userId: 'ada.example@example.com',
      traits: { email: 'Ada.Example@example.com', firstName: 'Ada', address: { country: 'DE' } },
    });
  });

  it('an order with neither customer nor email (a point-of-sale sale) is ignored', () => {
    const body = { ...fixture('shopify-orders-create'), customer: null, email: '', contact_email: null };
    expect(shopify('orders/create', body)).toMatchObject({
      ok: true,
      ignored: expect.stringContaining('no email'),
    });
  });

  it('names the field of an unusable order', () => {
    const order = fixture('shopify-orders-create');
    expect(shopify('orders/create', { ...order, id: undefined })).toEqual({
      ok: false,
      field: 'id',
      message: 'an order needs an id',
    });
    for (const total of ['abc', '-1.00', null, Number.NaN, '1e400', 'Infinity'])
      expect(shopify('orders/create', { ...order, total_price: total })).toMatchObject({
        ok: false,
        field: 'total_price',
      });
    expect(shopify('orders/create', { ...order, currency: 'EURO' })).toMatchObject({
      ok: false,
      field: 'currency',
    });
    expect(
      track(callsOf(shopify('orders/create', { ...order, currency: 'chf' })), 'Order Completed').properties
        .currency,
    ).toBe('CHF');
  });

  it('a body that is no JSON object is a problem', () => {
    for (const body of [null, 'orders', 42, [fixture('shopify-orders-create')]])
      expect(shopify('orders/create', body)).toEqual({
        ok: false,
        field: 'body',
        message: 'must be a JSON object',
      });
  });

  it('refunds/create: Order Refunded for the sum of the successful refund transactions, on the order key', () => {
    const calls = callsOf(shopify('refunds/create', fixture('shopify-refunds-create')), 'shopify');
    expect(calls).toHaveLength(1);
    expect(track(calls, 'Order Refunded')).toMatchObject({
      messageId: 'shopify-refund-929361465',
      anonymousId: 'shopify-order-5940139491234',
      timestamp: '2024-11-14T13:02:11.000Z',
      properties: { order_id: '5940139491234', refund_id: '929361465', total: 45, currency: 'EUR' },
    });
    expect(calls[0]?.userId).toBeUndefined();
  });

  it('a refund that moved no money is ignored; one without its order is a problem', () => {
    const refund = fixture('shopify-refunds-create');
    expect(shopify('refunds/create', { ...refund, transactions: [] })).toMatchObject({
      ok: true,
      ignored: expect.any(String),
    });
    expect(shopify('refunds/create', { ...refund, order_id: null })).toMatchObject({
      ok: false,
      field: 'order_id',
    });
    const bad = {
      ...refund,
      transactions: [{ kind: 'refund', status: 'success', amount: 'ten', currency: 'EUR' }],
    };
    expect(shopify('refunds/create', bad)).toMatchObject({ ok: false, field: 'transactions[0].amount' });
  });

  it('customers/create: identify with the person, the default address and marketing consent', () => {
    const calls = callsOf(shopify('customers/create', fixture('shopify-customers-create')), 'shopify');
    expect(calls).toEqual([
      {
        type: 'identify',
        messageId: 'shopify-customer-7085965639866-2024-03-02T14:12:46.000Z',
        timestamp: '2024-03-02T14:12:46.000Z',
        userId: '7085965639866',
        traits: {
          email: 'ada.example@example.com',
          firstName: 'Ada',
          lastName: 'Example',
          phone: '+4930555010',
          address: { street: 'Musterstraße 12', city: 'Berlin', postalCode: '10115', country: 'DE' },
          marketingConsent: true,
        },
        context: { source: { kind: 'shopify', topic: 'customers/create', delivery: expect.any(String) } },
      },
    ]);
  });

  it('customers/update: an unsubscribed customer has no consent and leaves (Marketing Unsubscribed, once)', () => {
    const customer = fixture('shopify-customers-create');
    const unsubscribed = {
      ...customer,
      updated_at: '2024-12-01T10:00:00-05:00',
      email_marketing_consent: {
        state: 'unsubscribed',
        opt_in_level: 'single_opt_in',
        consent_updated_at: '2024-12-01T09:59:58-05:00',
      },
    };
    const calls = callsOf(shopify('customers/update', unsubscribed));
    expect(identifyOf(calls)?.type === 'identify' && identifyOf(calls)).toMatchObject({
      traits: { marketingConsent: false },
    });
    expect(track(calls, 'Marketing Unsubscribed')).toMatchObject({
      userId: '7085965639866',
      messageId: 'shopify-unsubscribed-7085965639866-2024-12-01T14:59:58.000Z',
      timestamp: '2024-12-01T14:59:58.000Z',
      properties: { channel: 'email' },
    });
    // A later update (a new address) repeats the state: the same unsubscribe, a new identify.
    const later = callsOf(
      shopify('customers/update', { ...unsubscribed, updated_at: '2024-12-05T10:00:00-05:00' }),
    );
    expect(track(later, 'Marketing Unsubscribed').messageId).toBe(
      track(calls, 'Marketing Unsubscribed').messageId,
    );
    expect(identifyOf(later)?.messageId).not.toBe(identifyOf(calls)?.messageId);

    for (const [state, consent] of [
      ['not_subscribed', false],
      ['redacted', false],
      ['subscribed', true],
    ] as const) {
      const mapped = callsOf(
        shopify('customers/update', { ...customer, email_marketing_consent: { state } }),
      );
      expect(mapped).toHaveLength(1);
      expect(mapped[0]).toMatchObject({ traits: { marketingConsent: consent } });
    }
    const unknown = callsOf(shopify('customers/update', { ...customer, email_marketing_consent: null }));
    expect(unknown[0]?.type === 'identify' && unknown[0].traits).not.toHaveProperty('marketingConsent');
  });

  it('checkouts/create: Checkout Started with the recovery link and the cart, keyed by the email', () => {
    const calls = callsOf(shopify('checkouts/create', fixture('shopify-checkouts-create')), 'shopify');
    const started = track(calls, 'Checkout Started');
    expect(started).toMatchObject({
      messageId: 'shopify-checkout-37221876465890',
      userId: 'grace.sample@example.org',
      timestamp: '2024-11-09T23:04:33.000Z',
      context: { traits: { email: 'Grace.Sample@example.org' } },
    });
    expect(started.properties).toEqual({
      checkout_id: '37221876465890',
      checkout_url:
        'https://example-shop.myshopify.com/59401394/checkouts/ac/0c6b0a8e1f3c4b1d9a2e7f5d8c4b3a21/recover?key=2f1c9d7e',
      total: 24.95,
      revenue: 24.95,
      currency: 'EUR',
      products: [
        { product_id: '8421675303098', sku: 'BEANIE-CHAR', name: 'Merino Beanie', price: 24.95, quantity: 1 },
      ],
    });
    expect(identifyOf(calls)).toMatchObject({
      traits: {
        email: 'Grace.Sample@example.org',
        firstName: 'Grace',
        address: { country: 'GB', state: 'ENG' },
      },
    });
    const update = callsOf(shopify('checkouts/update', fixture('shopify-checkouts-create')));
    expect(track(update, 'Checkout Started').messageId).toBe(started.messageId);
  });

  it('a checkout keyed by its customer when there is one; without email or customer, or completed, ignored', () => {
    const checkout = fixture('shopify-checkouts-create');
    const withCustomer = { ...checkout, customer: { id: 7085965639866, email: 'ada.example@example.com' } };
    expect(track(callsOf(shopify('checkouts/create', withCustomer)), 'Checkout Started').userId).toBe(
      '7085965639866',
    );
    expect(shopify('checkouts/create', { ...checkout, email: null })).toMatchObject({
      ok: true,
      ignored: expect.stringContaining('no email'),
    });
    expect(
      shopify('checkouts/update', { ...checkout, completed_at: '2024-11-09T18:10:00-05:00' }),
    ).toMatchObject({
      ok: true,
      ignored: expect.stringContaining('completed'),
    });
  });

  it('fulfillments/create and orders/fulfilled: Order Shipped with tracking, the same event from either', () => {
    const calls = callsOf(shopify('fulfillments/create', fixture('shopify-fulfillments-create')), 'shopify');
    const shipped = track(calls, 'Order Shipped');
    expect(shipped).toMatchObject({
      messageId: 'shopify-fulfillment-5189734137018',
      anonymousId: 'shopify-order-5940139491234',
      timestamp: '2024-11-11T14:15:27.000Z',
      properties: {
        order_id: '5940139491234',
        fulfillment_id: '5189734137018',
        tracking_number: '1234567890',
        tracking_url: 'https://www.dhl.com/en/express/tracking.html?AWB=1234567890&brand=DHL',
        carrier: 'DHL Express',
      },
    });
    const order = {
      ...fixture('shopify-orders-create'),
      fulfillments: [fixture('shopify-fulfillments-create')],
    };
    const fulfilled = track(callsOf(shopify('orders/fulfilled', order)), 'Order Shipped');
    expect(fulfilled.messageId).toBe(shipped.messageId);
    expect(fulfilled).toMatchObject({ userId: '7085965639866', anonymousId: 'shopify-order-5940139491234' });
    expect(
      shopify('fulfillments/create', { ...fixture('shopify-fulfillments-create'), status: 'cancelled' }),
    ).toMatchObject({
      ok: true,
      ignored: expect.any(String),
    });
  });

  it('unknown topics are ignored, whatever the body', () => {
    expect(shopify('products/update', { id: 1 })).toEqual({
      ok: true,
      ignored: 'topic products/update is not mapped',
    });
    expect(shopify('constructor', null)).toEqual({ ok: true, ignored: 'topic constructor is not mapped' });
    expect(SHOPIFY_TOPICS).toContain('orders/paid');
  });
});

describe('WooCommerce', () => {
  it('a paid order (processing): identify and Order Completed at the payment time, keyed by the customer id', () => {
    const calls = callsOf(woo('order.updated', fixture('woocommerce-order')), 'woocommerce');
    expect(calls.map((call) => call.type)).toEqual(['identify', 'track']);
    const order = track(calls, 'Order Completed');
    expect(order).toMatchObject({
      messageId: 'woocommerce-order-4750',
      userId: '12',
      timestamp: '2024-11-10T15:55:02.000Z',
    });
    expect(order.properties).toEqual({
      order_id: '4750',
      order_number: '4750',
      total: 42.7,
      revenue: 42.7,
      tax: 7.35,
      shipping: 4.9,
      discount: 5,
      currency: 'EUR',
      coupon: 'herbst5',
      products: [
        { product_id: '93', sku: 'KAFFEE-500', name: 'Bergkaffee 500 g', price: 9.815, quantity: 2 },
        { product_id: '101', sku: 'TASSE-BLAU', name: 'Emaille-Tasse - Blau', price: 16.67, quantity: 1 },
      ],
    });
    expect(identifyOf(calls)).toMatchObject({
      traits: {
        email: 'Linus.Muster@example.net',
        firstName: 'Linus',
        lastName: 'Muster',
        phone: '+43 1 2345678',
        address: { street: 'Beispielweg 4', city: 'Wien', postalCode: '1010', country: 'AT' },
      },
    });
  });

  it('a placed, unpaid order counts only when the shop counts orders when placed', () => {
    const pending = { ...fixture('woocommerce-order'), status: 'pending', date_paid_gmt: null };
    expect(woo('order.created', pending, ON_PAID)).toMatchObject({ ok: true, ignored: expect.any(String) });
    const placed = track(callsOf(woo('order.created', pending, ON_CREATED)), 'Order Completed');
    expect(placed).toMatchObject({
      messageId: 'woocommerce-order-4750',
      timestamp: '2024-11-10T15:54:40.000Z',
    });
    expect(woo('order.created', { ...pending, status: 'failed' }, ON_CREATED)).toMatchObject({
      ignored: expect.any(String),
    });
  });

  it('a guest order (customer_id 0) is keyed by the billing email, lower-cased', () => {
    const guest = { ...fixture('woocommerce-order'), customer_id: 0 };
    expect(track(callsOf(woo('order.created', guest)), 'Order Completed').userId).toBe(
      'linus.muster@example.net',
    );
  });

  it('refunds: each listed refund once (partial ones too), a refunded order without a list in full', () => {
    const order = fixture('woocommerce-order');
    const partial = {
      ...order,
      status: 'completed',
      refunds: [{ id: 4761, reason: 'Tasse beschädigt', total: '-16.67' }],
    };
    const calls = callsOf(woo('order.updated', partial));
    expect(track(calls, 'Order Refunded')).toMatchObject({
      messageId: 'woocommerce-refund-4761',
      userId: '12',
      timestamp: '2024-11-10T15:56:05.000Z',
      properties: {
        order_id: '4750',
        refund_id: '4761',
        total: 16.67,
        currency: 'EUR',
        reason: 'Tasse beschädigt',
      },
    });
    expect(track(calls, 'Order Completed').messageId).toBe('woocommerce-order-4750');

    const refunded = callsOf(woo('order.updated', { ...order, status: 'refunded' }));
    expect(refunded).toHaveLength(1);
    expect(track(refunded, 'Order Refunded')).toMatchObject({
      messageId: 'woocommerce-refund-4750-full',
      properties: { order_id: '4750', total: 42.7 },
    });
    expect(woo('order.updated', { ...order, refunds: [{ id: 4761, total: 'x' }] })).toMatchObject({
      ok: false,
      field: 'refunds[0].total',
    });
  });

  it('customer.created: identify from the account and its billing address; no consent field', () => {
    const calls = callsOf(woo('customer.created', fixture('woocommerce-customer')), 'woocommerce');
    expect(calls).toEqual([
      {
        type: 'identify',
        messageId: 'woocommerce-customer-12-2024-11-02T07:02:11.000Z',
        timestamp: '2024-11-02T07:02:11.000Z',
        userId: '12',
        traits: {
          email: 'linus.muster@example.net',
          firstName: 'Linus',
          lastName: 'Muster',
          phone: '+43 1 2345678',
          address: { street: 'Beispielweg 4, Top 7', city: 'Wien', postalCode: '1010', country: 'AT' },
        },
        context: {
          source: {
            kind: 'woocommerce',
            topic: 'customer.created',
            delivery: '36e520ebabc2fa725092ff4a47acedf2',
          },
        },
      },
    ]);
  });

  it('problems and unknown topics', () => {
    expect(woo('order.created', { ...fixture('woocommerce-order'), id: 0 })).toEqual({
      ok: false,
      field: 'id',
      message: 'an order needs an id',
    });
    expect(woo('order.created', { ...fixture('woocommerce-order'), total: '-3' })).toMatchObject({
      field: 'total',
    });
    expect(woo('order.created', 'webhook_id=3')).toMatchObject({ ok: false, field: 'body' });
    expect(woo('product.updated', {})).toEqual({ ok: true, ignored: 'topic product.updated is not mapped' });
    expect(WOOCOMMERCE_TOPICS).toEqual([
      'order.created',
      'order.updated',
      'customer.created',
      'customer.updated',
    ]);
  });
});

describe('Stripe', () => {
  it('checkout.session.completed: Order Completed in major units, the PaymentIntent as the order', () => {
    const calls = callsOf(stripe(fixture('stripe-checkout-session-completed')), 'stripe');
    const order = track(calls, 'Order Completed');
    expect(order).toMatchObject({
      messageId: 'stripe-order-pi_3QJ5aX2eZvKYlo2C1AbCdEfG',
      userId: 'cus_R1a2B3c4D5e6F7',
      timestamp: '2024-11-11T15:46:40.000Z',
    });
    expect(order.properties).toEqual({
      order_id: 'pi_3QJ5aX2eZvKYlo2C1AbCdEfG',
      checkout_id: 'cs_test_a1b2c3d4e5f6g7h8i9j0KLMNOPQRSTUVWXyz0123456789abcdEFGH',
      total: 49.9,
      revenue: 49.9,
      subtotal: 45,
      tax: 0,
      shipping: 9.9,
      discount: 5,
      currency: 'USD',
      coupon: 'LAUNCH5',
    });
    expect(identifyOf(calls)).toMatchObject({
      traits: {
        email: 'Jamie.Doe@example.com',
        name: 'Jamie Lee Doe',
        firstName: 'Jamie',
        lastName: 'Lee Doe',
        address: {
          street: '742 Example Avenue',
          city: 'Springfield',
          postalCode: '62701',
          state: 'IL',
          country: 'US',
        },
      },
    });
  });

  it('a session without a customer is keyed by its email; unpaid and setup sessions are ignored', () => {
    const event = fixture('stripe-checkout-session-completed');
    const session = (event.data as Json).object as Json;
    const withSession = (changes: Json) => ({ ...event, data: { object: { ...session, ...changes } } });
    expect(track(callsOf(stripe(withSession({ customer: null }))), 'Order Completed').userId).toBe(
      'jamie.doe@example.com',
    );
    expect(stripe(withSession({ payment_status: 'unpaid' }))).toMatchObject({
      ok: true,
      ignored: expect.any(String),
    });
    expect(stripe(withSession({ mode: 'setup' }))).toMatchObject({ ok: true, ignored: expect.any(String) });
    // A subscription's session is the order of its first invoice: invoice.paid for it is the same event.
    const subscription = track(
      callsOf(
        stripe(
          withSession({ mode: 'subscription', payment_intent: null, invoice: 'in_1QJ6bA2eZvKYlo2CHijKlMnO' }),
        ),
      ),
      'Order Completed',
    );
    const invoice = track(callsOf(stripe(fixture('stripe-invoice-paid'))), 'Order Completed');
    expect(subscription.messageId).toBe(invoice.messageId);
    expect(stripe(withSession({ amount_total: 49.9 }))).toMatchObject({
      ok: false,
      field: 'data.object.amount_total',
    });
    expect(stripe(withSession({ amount_total: -100 }))).toMatchObject({
      ok: false,
      field: 'data.object.amount_total',
    });
  });

  it('invoice.paid: Order Completed for the invoice, at its payment time, with its lines', () => {
    const calls = callsOf(stripe(fixture('stripe-invoice-paid')), 'stripe');
    const order = track(calls, 'Order Completed');
    expect(order).toMatchObject({
      messageId: 'stripe-order-in_1QJ6bA2eZvKYlo2CHijKlMnO',
      userId: 'cus_R1a2B3c4D5e6F7',
      timestamp: '2024-11-11T18:33:15.000Z',
      properties: {
        order_id: 'in_1QJ6bA2eZvKYlo2CHijKlMnO',
        order_number: 'EXAMPLE-0007',
        total: 15,
        revenue: 15,
        currency: 'USD',
        products: [
          {
            product_id: 'prod_R1beans0monthly',
            name: '1 × Monthly Beans (at $15.00 / month)',
            price: 15,
            quantity: 1,
          },
        ],
      },
    });
    const trial = fixture('stripe-invoice-paid');
    (trial.data as Json).object = { ...((trial.data as Json).object as Json), amount_paid: 0 };
    expect(stripe(trial)).toMatchObject({ ok: true, ignored: expect.any(String) });
  });

  it('charge.refunded: Order Refunded for what this refund returned, named by the PaymentIntent', () => {
    const calls = callsOf(stripe(fixture('stripe-charge-refunded')), 'stripe');
    expect(calls).toHaveLength(1);
    expect(track(calls, 'Order Refunded')).toMatchObject({
      messageId: 'stripe-refund-ch_3QJ5aX2eZvKYlo2C0mNOPqrs-3000',
      userId: 'cus_R1a2B3c4D5e6F7',
      properties: { order_id: 'pi_3QJ5aX2eZvKYlo2C1AbCdEfG', total: 20, currency: 'USD' },
    });
    // Without previous_attributes: all that was refunded.
    const event = fixture('stripe-charge-refunded');
    const whole = { ...event, data: { object: (event.data as Json).object } };
    expect(track(callsOf(stripe(whole)), 'Order Refunded').properties.total).toBe(30);
  });

  it('a zero-decimal currency (JPY, KRW) is not divided; a three-decimal one (KWD) by 1000', () => {
    const event = fixture('stripe-charge-refunded');
    const charge = (event.data as Json).object as Json;
    const yen = {
      ...event,
      data: { object: { ...charge, currency: 'jpy', amount: 4990, amount_refunded: 1500 } },
    };
    expect(track(callsOf(stripe(yen)), 'Order Refunded').properties).toMatchObject({
      total: 1500,
      currency: 'JPY',
    });
    const won = { ...event, data: { object: { ...charge, currency: 'krw', amount_refunded: 25000 } } };
    expect(track(callsOf(stripe(won)), 'Order Refunded').properties.total).toBe(25000);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('usd')).toBe(2);
    expect(majorOf(1999, 'USD')).toBe(19.99);
    expect(majorOf(1234, 'KWD')).toBe(1.234);
    expect(majorOf(500, 'ISK')).toBe(5);
    expect(majorOf(1.5, 'USD')).toBeUndefined();
  });

  it('customer.created: identify with the name split as Segment does', () => {
    const calls = callsOf(stripe(fixture('stripe-customer-created')), 'stripe');
    expect(calls).toEqual([
      {
        type: 'identify',
        messageId: 'stripe-customer-cus_R1a2B3c4D5e6F7-evt_1QJ4zY2eZvKYlo2CaBcDeFgH',
        timestamp: '2024-11-11T15:30:00.000Z',
        userId: 'cus_R1a2B3c4D5e6F7',
        traits: {
          email: 'Jamie.Doe@example.com',
          name: 'Jamie Lee Doe',
          firstName: 'Jamie',
          lastName: 'Lee Doe',
          phone: '+1 217 555 0100',
          address: {
            street: '742 Example Avenue, Apt 3',
            city: 'Springfield',
            postalCode: '62701',
            state: 'IL',
            country: 'US',
          },
        },
        context: {
          source: { kind: 'stripe', topic: 'customer.created', delivery: 'evt_1QJ4zY2eZvKYlo2CaBcDeFgH' },
        },
      },
    ]);
    const updated = { ...fixture('stripe-customer-created'), type: 'customer.updated' };
    expect(callsOf(stripe(updated))[0]?.context.source.topic).toBe('customer.updated');
  });

  it('problems and unknown topics', () => {
    expect(stripe({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: {} } })).toEqual({
      ok: true,
      ignored: 'topic payment_intent.succeeded is not mapped',
    });
    expect(stripe({ id: 'evt_1', type: 'invoice.paid' })).toMatchObject({ ok: false, field: 'data' });
    expect(stripe({ id: 'evt_1', type: 'invoice.paid', data: { object: 'in_1' } })).toMatchObject({
      ok: false,
      field: 'data.object',
    });
    const event = fixture('stripe-invoice-paid');
    const noCurrency = {
      ...event,
      data: { object: { ...((event.data as Json).object as Json), currency: 7 } },
    };
    expect(stripe(noCurrency)).toMatchObject({ ok: false, field: 'data.object.currency' });
    expect(mapStripe({ topic: 'invoice.paid', body: 'garbage', delivery: 'evt_1' })).toMatchObject({
      ok: false,
      field: 'body',
    });
    expect(STRIPE_TOPICS).toContain('charge.refunded');
  });
});

/** Every variant of a body with one value (at any depth) replaced by something unexpected. */
function* corrupted(value: unknown, depth = 0): Generator<unknown> {
  const replacements = [null, undefined, 'x', -1, 1.5, [], {}, true, ''];
  if (depth > 0) yield* replacements;
  if (depth >= 4 || !value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries())
      for (const variant of corrupted(item, depth + 1))
        yield value.map((other, at) => (at === index ? variant : other));
    return;
  }
  for (const [key, inner] of Object.entries(value))
    for (const variant of corrupted(inner, depth + 1)) yield { ...value, [key]: variant };
}

describe('any body shape', () => {
  const cases: [string, (body: unknown) => Mapped, string][] = [
    ['orders/create', (body) => shopify('orders/create', body), 'shopify-orders-create'],
    ['orders/fulfilled', (body) => shopify('orders/fulfilled', body), 'shopify-orders-create'],
    ['refunds/create', (body) => shopify('refunds/create', body), 'shopify-refunds-create'],
    ['customers/update', (body) => shopify('customers/update', body), 'shopify-customers-create'],
    ['checkouts/create', (body) => shopify('checkouts/create', body), 'shopify-checkouts-create'],
    ['fulfillments/create', (body) => shopify('fulfillments/create', body), 'shopify-fulfillments-create'],
    ['order.updated', (body) => woo('order.updated', body), 'woocommerce-order'],
    ['customer.updated', (body) => woo('customer.updated', body), 'woocommerce-customer'],
    [
      'checkout.session.completed',
      (body) => mapStripe({ topic: 'checkout.session.completed', body, delivery: 'evt_1' }),
      'stripe-checkout-session-completed',
    ],
    [
      'invoice.paid',
      (body) => mapStripe({ topic: 'invoice.paid', body, delivery: 'evt_1' }),
      'stripe-invoice-paid',
    ],
    [
      'charge.refunded',
      (body) => mapStripe({ topic: 'charge.refunded', body, delivery: 'evt_1' }),
      'stripe-charge-refunded',
    ],
    [
      'customer.created',
      (body) => mapStripe({ topic: 'customer.created', body, delivery: 'evt_1' }),
      'stripe-customer-created',
    ],
  ];
  it.each(cases)(
    '%s: any value anywhere maps to calls that parse, an ignore, or a named problem; never a throw',
    (_topic, map, name) => {
      let variants = 0;
      for (const body of corrupted(fixture(name))) {
        variants++;
        const mapped = map(body);
        if (mapped.ok && 'calls' in mapped) callsOf(mapped);
        else if (!mapped.ok) expect(mapped.field).toMatch(/^[a-z_.[\]0-9]+$/);
      }
      expect(variants).toBeGreaterThan(100);
    },
  );
});

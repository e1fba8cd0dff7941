/**
 * Stripe events (the body of a webhook, verified by the adapter in
 * adapters/http/stripe-signature.ts) as Segment calls. Amounts are integers in the currency's
 * minor unit (cents; yen for JPY, a zero-decimal currency), currencies lower-case codes.
 *
 * Order ids line up across events: a Checkout Session that made an invoice (a subscription's
 * first payment) is that invoice's order, so `invoice.paid` for it is the same event; otherwise a
 * session's order is its PaymentIntent, which is what a refund of its charge names.
 */
import {
  type Address,
  bodyOf,
  type CallKey,
  couponOf,
  emailOf,
  identifyCall,
  idOf,
  keyOf,
  listOf,
  type Mapped,
  majorOf,
  mapSafely,
  objectOf,
  personTraits,
  problem,
  productsOf,
  quantityOf,
  requiredCurrency,
  requiredId,
  requiredMajor,
  type SegmentCall,
  type SourceOrigin,
  splitName,
  streetOf,
  textOf,
  trackCall,
  unixTimeOf,
  unmappedTopic,
  type Webhook,
} from './mapping.ts';

interface StripeEvent {
  id?: string;
  /** When the event happened (unix seconds). */
  at?: string;
  object: Record<string, unknown>;
  previous?: Record<string, unknown>;
}

type Handler = (event: StripeEvent, origin: SourceOrigin) => SegmentCall[] | string;

const HANDLERS: Record<string, Handler> = {
  'checkout.session.completed': checkoutSession,
  // A session paid by a delayed method (a bank debit) completes unpaid, and is paid later.
  'checkout.session.async_payment_succeeded': checkoutSession,
  'invoice.paid': invoicePaid,
  'charge.refunded': chargeRefunded,
  'customer.created': customer,
  'customer.updated': customer,
};

export const STRIPE_TOPICS = Object.keys(HANDLERS);

/** A Stripe event (the topic is its `type`); no options: Stripe reports payments, not orders placed. */
export function mapStripe(webhook: Webhook): Mapped {
  const handler = Object.hasOwn(HANDLERS, webhook.topic) ? HANDLERS[webhook.topic] : undefined;
  if (!handler) return unmappedTopic(webhook.topic);
  const origin: SourceOrigin = { kind: 'stripe', topic: webhook.topic, delivery: webhook.delivery };
  return mapSafely(() => {
    const body = bodyOf(webhook.body);
    const data = objectOf(body.data) ?? problem('data', 'a Stripe event carries its object in data.object');
    const object = objectOf(data.object) ?? problem('data.object', 'must be an object');
    return handler(
      {
        id: idOf(body.id),
        at: unixTimeOf(body.created),
        object,
        previous: objectOf(data.previous_attributes),
      },
      origin,
    );
  });
}

const field = (name: string) => `data.object.${name}`;

function keyFor(customerRef: unknown, email: string | undefined): CallKey | undefined {
  const userId = keyOf(idOf(customerRef), email);
  return userId ? { userId } : undefined;
}

function checkoutSession(event: StripeEvent, origin: SourceOrigin): SegmentCall[] | string {
  const session = event.object;
  const sessionId = requiredId(session.id, field('id'), 'a checkout session needs an id');
  if (session.mode === 'setup') return `checkout session ${sessionId} saves a payment method: no order`;
  if (session.payment_status !== 'paid')
    return `checkout session ${sessionId} is not paid yet (${textOf(session.payment_status) ?? 'no payment status'})`;
  const orderId = idOf(session.invoice) ?? idOf(session.payment_intent) ?? sessionId;
  const currency = requiredCurrency(session.currency, field('currency'));
  const total = requiredMajor(session.amount_total, currency, field('amount_total'));
  const details = objectOf(session.customer_details);
  const email = emailOf(details?.email) ?? emailOf(session.customer_email);
  const key = keyFor(session.customer, email);
  if (!key) return `checkout session ${sessionId} names no customer and no email`;
  const totals = objectOf(session.total_details);
  const name = textOf(details?.name);
  return [
    identifyCall(origin, key, {
      messageId: `stripe-order-${orderId}-identify`,
      timestamp: event.at,
      traits: personTraits({
        email,
        name,
        ...splitName(name),
        phone: textOf(details?.phone),
        address: addressOf(objectOf(details?.address)),
      }),
    }),
    trackCall(origin, key, {
      messageId: `stripe-order-${orderId}`,
      event: 'Order Completed',
      timestamp: event.at,
      email,
      properties: {
        order_id: orderId,
        checkout_id: sessionId,
        total,
        revenue: total,
        subtotal: majorOf(session.amount_subtotal, currency),
        tax: majorOf(totals?.amount_tax, currency),
        shipping: majorOf(totals?.amount_shipping, currency),
        discount: majorOf(totals?.amount_discount, currency),
        currency,
        coupon: couponOf(listOf(session.discounts).map((discount) => idOf(objectOf(discount)?.coupon))),
      },
    }),
  ];
}

function invoicePaid(event: StripeEvent, origin: SourceOrigin): SegmentCall[] | string {
  const invoice = event.object;
  const invoiceId = requiredId(invoice.id, field('id'), 'an invoice needs an id');
  const currency = requiredCurrency(invoice.currency, field('currency'));
  const total = requiredMajor(invoice.amount_paid, currency, field('amount_paid'));
  // A trial's first invoice, or one settled by credit: paid, but nothing was bought.
  if (total === 0) return `invoice ${invoiceId} was paid with nothing`;
  const email = emailOf(invoice.customer_email);
  const key = keyFor(invoice.customer, email);
  if (!key) return `invoice ${invoiceId} names no customer and no email`;
  const timestamp = unixTimeOf(objectOf(invoice.status_transitions)?.paid_at) ?? event.at;
  const name = textOf(invoice.customer_name);
  return [
    identifyCall(origin, key, {
      messageId: `stripe-order-${invoiceId}-identify`,
      timestamp,
      traits: personTraits({
        email,
        name,
        ...splitName(name),
        phone: textOf(invoice.customer_phone),
        address: addressOf(objectOf(invoice.customer_address)),
      }),
    }),
    trackCall(origin, key, {
      messageId: `stripe-order-${invoiceId}`,
      event: 'Order Completed',
      timestamp,
      email,
      properties: {
        order_id: invoiceId,
        order_number: textOf(invoice.number),
        total,
        revenue: total,
        subtotal: majorOf(invoice.subtotal, currency),
        currency,
        coupon: couponOf(listOf(invoice.discounts).map((discount) => idOf(objectOf(discount)?.coupon))),
        products: invoiceLines(objectOf(invoice.lines)?.data, currency),
      },
    }),
  ];
}

/**
 * A refund of a charge. `amount_refunded` is what was refunded so far; the event's
 * `previous_attributes` say what it was before, so each (partial) refund is its own amount.
 */
function chargeRefunded(event: StripeEvent, origin: SourceOrigin): SegmentCall[] | string {
  const charge = event.object;
  const chargeId = requiredId(charge.id, field('id'), 'a charge needs an id');
  const currency = requiredCurrency(charge.currency, field('currency'));
  const refundedSoFar = requiredMajor(charge.amount_refunded, currency, field('amount_refunded'));
  const before = majorOf(event.previous?.amount_refunded, currency) ?? 0;
  const total = Number((refundedSoFar - before).toFixed(3));
  if (total <= 0) return `charge ${chargeId}: no new refund`;
  const billing = objectOf(charge.billing_details);
  const email = emailOf(billing?.email) ?? emailOf(charge.receipt_email);
  const key = keyFor(charge.customer, email);
  if (!key) return `charge ${chargeId} names no customer and no email`;
  const orderId = idOf(charge.invoice) ?? idOf(charge.payment_intent) ?? chargeId;
  return [
    trackCall(origin, key, {
      messageId: `stripe-refund-${chargeId}-${charge.amount_refunded}`,
      event: 'Order Refunded',
      timestamp: event.at,
      email,
      properties: { order_id: orderId, charge_id: chargeId, total, currency },
    }),
  ];
}

function customer(event: StripeEvent, origin: SourceOrigin): SegmentCall[] {
  const body = event.object;
  const customerId = requiredId(body.id, field('id'), 'a customer needs an id');
  const name = textOf(body.name);
  return [
    identifyCall(
      origin,
      { userId: customerId },
      {
        messageId: `stripe-customer-${customerId}-${event.id ?? origin.delivery}`,
        timestamp: event.at,
        traits: personTraits({
          email: emailOf(body.email),
          name,
          ...splitName(name),
          phone: textOf(body.phone),
          address: addressOf(objectOf(body.address)),
        }),
      },
    ),
  ];
}

function invoiceLines(value: unknown, currency: string) {
  return productsOf(
    listOf(value).flatMap((entry) => {
      const line = objectOf(entry);
      if (!line) return [];
      const quantity = quantityOf(line.quantity);
      const amount = majorOf(line.amount, currency);
      // The product: on the line's price (API versions before 2025-03-31), or its pricing details.
      const product =
        idOf(objectOf(line.price)?.product) ?? idOf(objectOf(objectOf(line.pricing)?.price_details)?.product);
      return [
        {
          product_id: product,
          name: textOf(line.description),
          price: amount !== undefined && quantity ? Number((amount / quantity).toFixed(3)) : amount,
          quantity,
        },
      ];
    }),
  );
}

function addressOf(address: Record<string, unknown> | undefined): Address | undefined {
  if (!address) return undefined;
  return {
    street: streetOf(address.line1, address.line2),
    city: textOf(address.city),
    postalCode: textOf(address.postal_code),
    state: textOf(address.state),
    country: textOf(address.country),
  };
}

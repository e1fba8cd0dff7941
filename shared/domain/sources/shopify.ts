/**
 * Shopify webhooks (the REST resources Shopify posts: Order, Refund, Customer, Checkout,
 * Fulfillment) as Segment calls. Money comes as decimal strings in the shop's currency.
 *
 * A refund and a fulfillment name their order but not its customer. Every call about an order
 * therefore also carries the anonymousId `shopify-order-<id>`: an order's own calls (with the
 * customer's userId) link that id to the customer, and a refund or a shipment keyed by it alone
 * lands on the same customer, in whatever order they arrive.
 */
import {
  type Address,
  type CallKey,
  couponOf,
  decimalOf,
  emailOf,
  identifyCall,
  idOf,
  isoTimeOf,
  keyOf,
  lineItemsOf,
  listOf,
  type Mapper,
  mapperOf,
  objectOf,
  personTraits,
  requiredCurrency,
  requiredDecimal,
  requiredId,
  type SegmentCall,
  type SourceOrigin,
  streetOf,
  sumAmounts,
  type TopicHandler,
  textOf,
  trackCall,
} from './mapping.ts';

const HANDLERS: Record<string, TopicHandler> = {
  'orders/create': (body, origin, options) =>
    options.orderOn === 'created'
      ? orderCompleted(body, origin, 'created')
      : 'orders count once paid (orderOn: paid)',
  'orders/paid': (body, origin, options) =>
    options.orderOn === 'paid'
      ? orderCompleted(body, origin, 'paid')
      : 'orders count when placed (orderOn: created)',
  'refunds/create': refundCreated,
  'customers/create': customer,
  'customers/update': customer,
  'checkouts/create': checkout,
  'checkouts/update': checkout,
  'fulfillments/create': fulfillmentCreated,
  'orders/fulfilled': orderFulfilled,
};

export const SHOPIFY_TOPICS = Object.keys(HANDLERS);

export const mapShopify: Mapper = mapperOf('shopify', HANDLERS);

/** The anonymousId every call about an order carries (see above). */
export const shopifyOrderKey = (orderId: string) => `shopify-order-${orderId}`;

interface Buyer {
  key: CallKey;
  email?: string;
  customer?: Record<string, unknown>;
}

/** Who placed an order: the customer's id, else the email (a guest); undefined when neither. */
function buyerOf(order: Record<string, unknown>, orderId: string): Buyer | undefined {
  const customer = objectOf(order.customer);
  const email = emailOf(order.email) ?? emailOf(order.contact_email) ?? emailOf(customer?.email);
  const userId = keyOf(idOf(customer?.id), email);
  if (!userId) return undefined;
  return { key: { userId, anonymousId: shopifyOrderKey(orderId) }, email, customer };
}

function orderCompleted(
  order: Record<string, unknown>,
  origin: SourceOrigin,
  on: 'created' | 'paid',
): SegmentCall[] | string {
  const orderId = requiredId(order.id, 'id', 'an order needs an id');
  const total = requiredDecimal(order.total_price, 'total_price');
  const currency = requiredCurrency(order.currency, 'currency');
  const buyer = buyerOf(order, orderId);
  if (!buyer) return `order ${orderId} names no customer and no email`;
  const placed = isoTimeOf(order.processed_at) ?? isoTimeOf(order.created_at);
  // An order carries no time of payment: the update that made it paid is the nearest.
  const timestamp = on === 'paid' ? (isoTimeOf(order.updated_at) ?? placed) : placed;
  const shipping = objectOf(objectOf(order.total_shipping_price_set)?.shop_money)?.amount;
  return [
    buyerIdentify(order, orderId, buyer, origin, timestamp),
    trackCall(origin, buyer.key, {
      messageId: shopifyOrderKey(orderId),
      event: 'Order Completed',
      timestamp,
      email: buyer.email,
      properties: {
        order_id: orderId,
        order_number: textOf(order.name),
        checkout_id: idOf(order.checkout_id),
        total,
        revenue: total,
        subtotal: decimalOf(order.subtotal_price),
        tax: decimalOf(order.total_tax),
        discount: decimalOf(order.total_discounts),
        shipping: decimalOf(shipping),
        currency,
        coupon: couponOf(listOf(order.discount_codes).map((code) => objectOf(code)?.code)),
        products: lineItemsOf(order.line_items),
      },
    }),
  ];
}

/** The buyer's details as an order states them (the customer's, else the billing address's). */
function buyerIdentify(
  order: Record<string, unknown>,
  orderId: string,
  buyer: Buyer,
  origin: SourceOrigin,
  timestamp: string | undefined,
): SegmentCall {
  const customer = buyer.customer;
  const billing = objectOf(order.billing_address);
  const address = objectOf(customer?.default_address) ?? billing ?? objectOf(order.shipping_address);
  return identifyCall(origin, buyer.key, {
    messageId: `${shopifyOrderKey(orderId)}-identify`,
    timestamp,
    traits: personTraits({
      email: buyer.email,
      firstName: textOf(customer?.first_name) ?? textOf(billing?.first_name),
      lastName: textOf(customer?.last_name) ?? textOf(billing?.last_name),
      phone: textOf(customer?.phone) ?? textOf(order.phone) ?? textOf(billing?.phone),
      address: address && addressOf(address),
    }),
  });
}

function refundCreated(refund: Record<string, unknown>, origin: SourceOrigin): SegmentCall[] | string {
  const refundId = requiredId(refund.id, 'id', 'a refund needs an id');
  const orderId = requiredId(refund.order_id, 'order_id', 'a refund needs the id of its order');
  const amounts: number[] = [];
  let currency: string | undefined;
  listOf(refund.transactions).forEach((entry, index) => {
    const transaction = objectOf(entry);
    if (transaction?.kind !== 'refund') return;
    if (transaction.status === 'failure' || transaction.status === 'error') return;
    amounts.push(requiredDecimal(transaction.amount, `transactions[${index}].amount`));
    if (!currency && transaction.currency !== undefined && transaction.currency !== null)
      currency = requiredCurrency(transaction.currency, `transactions[${index}].currency`);
  });
  const total = sumAmounts(amounts);
  if (total === 0) return `refund ${refundId} returned no money (no successful refund transaction)`;
  return [
    trackCall(
      origin,
      { anonymousId: shopifyOrderKey(orderId) },
      {
        messageId: `shopify-refund-${refundId}`,
        event: 'Order Refunded',
        timestamp: isoTimeOf(refund.processed_at) ?? isoTimeOf(refund.created_at),
        properties: { order_id: orderId, refund_id: refundId, total, currency },
      },
    ),
  ];
}

/**
 * The consent Shopify states (`email_marketing_consent.state`; older API versions only had
 * `accepts_marketing`): subscribed is consent; not subscribed, pending confirmation, unsubscribed
 * and redacted are none.
 */
function consentOf(customer: Record<string, unknown>): boolean | undefined {
  const state = objectOf(customer.email_marketing_consent)?.state;
  if (state === 'subscribed') return true;
  if (
    typeof state === 'string' &&
    ['not_subscribed', 'unsubscribed', 'redacted', 'pending', 'invalid'].includes(state)
  )
    return false;
  return typeof customer.accepts_marketing === 'boolean' ? customer.accepts_marketing : undefined;
}

function customer(body: Record<string, unknown>, origin: SourceOrigin): SegmentCall[] {
  const customerId = requiredId(body.id, 'id', 'a customer needs an id');
  const updatedAt = isoTimeOf(body.updated_at) ?? isoTimeOf(body.created_at);
  const address = objectOf(body.default_address) ?? objectOf(listOf(body.addresses)[0]);
  const marketingConsent = consentOf(body);
  const key = { userId: customerId };
  const calls: SegmentCall[] = [
    identifyCall(origin, key, {
      messageId: `shopify-customer-${customerId}-${updatedAt ?? origin.delivery}`,
      timestamp: updatedAt,
      traits: {
        ...personTraits({
          email: emailOf(body.email),
          firstName: textOf(body.first_name),
          lastName: textOf(body.last_name),
          phone: textOf(body.phone) ?? textOf(address?.phone),
          address: address && addressOf(address),
        }),
        ...(marketingConsent !== undefined ? { marketingConsent } : {}),
      },
    }),
  ];
  const consent = objectOf(body.email_marketing_consent);
  if (consent?.state === 'unsubscribed') {
    // Keyed by when the consent changed: every later update of the customer repeats the state,
    // and is the same event.
    const changedAt = isoTimeOf(consent.consent_updated_at) ?? updatedAt;
    calls.push(
      trackCall(origin, key, {
        messageId: `shopify-unsubscribed-${customerId}-${changedAt ?? origin.delivery}`,
        event: 'Marketing Unsubscribed',
        timestamp: changedAt,
        email: emailOf(body.email),
        properties: { channel: 'email', source: 'shopify' },
      }),
    );
  }
  return calls;
}

function checkout(body: Record<string, unknown>, origin: SourceOrigin): SegmentCall[] | string {
  const checkoutId = requiredId(body.id, 'id', 'a checkout needs an id');
  if (body.completed_at)
    return `checkout ${checkoutId} is completed (its order is reported by the order topics)`;
  const customer = objectOf(body.customer);
  const email = emailOf(body.email) ?? emailOf(customer?.email);
  const userId = keyOf(idOf(customer?.id), email);
  if (!userId) return `checkout ${checkoutId} has no email and no customer yet`;
  const total = requiredDecimal(body.total_price, 'total_price');
  const currency = requiredCurrency(body.currency ?? body.presentment_currency, 'currency');
  const timestamp = isoTimeOf(body.created_at);
  const key = { userId };
  const billing = objectOf(body.billing_address) ?? objectOf(body.shipping_address);
  return [
    identifyCall(origin, key, {
      messageId: `shopify-checkout-${checkoutId}-identify`,
      timestamp: isoTimeOf(body.updated_at) ?? timestamp,
      traits: personTraits({
        email,
        firstName: textOf(customer?.first_name) ?? textOf(billing?.first_name),
        lastName: textOf(customer?.last_name) ?? textOf(billing?.last_name),
        phone: textOf(customer?.phone) ?? textOf(body.phone) ?? textOf(billing?.phone),
        address: billing && addressOf(billing),
      }),
    }),
    // The first report of a checkout with someone to write to starts it; its updates are the
    // same event (a journey waiting on it starts once).
    trackCall(origin, key, {
      messageId: `shopify-checkout-${checkoutId}`,
      event: 'Checkout Started',
      timestamp,
      email,
      properties: {
        checkout_id: checkoutId,
        checkout_url: textOf(body.abandoned_checkout_url),
        total,
        revenue: total,
        currency,
        coupon: couponOf(listOf(body.discount_codes).map((code) => objectOf(code)?.code)),
        products: lineItemsOf(body.line_items),
      },
    }),
  ];
}

const FAILED_FULFILLMENT = new Set(['cancelled', 'error', 'failure']);

function orderShipped(
  fulfillment: Record<string, unknown>,
  fulfillmentId: string,
  orderId: string,
  key: CallKey,
  origin: SourceOrigin,
  email: string | undefined,
): SegmentCall {
  return trackCall(origin, key, {
    // The same shipment reported by fulfillments/create and by orders/fulfilled is one event.
    messageId: `shopify-fulfillment-${fulfillmentId}`,
    event: 'Order Shipped',
    timestamp: isoTimeOf(fulfillment.created_at) ?? isoTimeOf(fulfillment.updated_at),
    email,
    properties: {
      order_id: orderId,
      fulfillment_id: fulfillmentId,
      tracking_number: textOf(fulfillment.tracking_number) ?? textOf(listOf(fulfillment.tracking_numbers)[0]),
      tracking_url: textOf(fulfillment.tracking_url) ?? textOf(listOf(fulfillment.tracking_urls)[0]),
      carrier: textOf(fulfillment.tracking_company),
      products: lineItemsOf(fulfillment.line_items),
    },
  });
}

function fulfillmentCreated(body: Record<string, unknown>, origin: SourceOrigin): SegmentCall[] | string {
  const fulfillmentId = requiredId(body.id, 'id', 'a fulfillment needs an id');
  const orderId = requiredId(body.order_id, 'order_id', 'a fulfillment needs the id of its order');
  if (typeof body.status === 'string' && FAILED_FULFILLMENT.has(body.status))
    return `fulfillment ${fulfillmentId} is ${body.status}`;
  const key = { anonymousId: shopifyOrderKey(orderId) };
  return [orderShipped(body, fulfillmentId, orderId, key, origin, emailOf(body.email))];
}

function orderFulfilled(order: Record<string, unknown>, origin: SourceOrigin): SegmentCall[] | string {
  const orderId = requiredId(order.id, 'id', 'an order needs an id');
  const buyer = buyerOf(order, orderId);
  const key = buyer?.key ?? { anonymousId: shopifyOrderKey(orderId) };
  const calls: SegmentCall[] = [];
  for (const entry of listOf(order.fulfillments)) {
    const fulfillment = objectOf(entry);
    const fulfillmentId = idOf(fulfillment?.id);
    if (!fulfillment || !fulfillmentId) continue;
    if (typeof fulfillment.status === 'string' && FAILED_FULFILLMENT.has(fulfillment.status)) continue;
    calls.push(orderShipped(fulfillment, fulfillmentId, orderId, key, origin, buyer?.email));
  }
  return calls.length > 0 ? calls : `order ${orderId} lists no shipped fulfillment`;
}

function addressOf(address: Record<string, unknown>): Address {
  return {
    street: streetOf(address.address1, address.address2),
    city: textOf(address.city),
    postalCode: textOf(address.zip),
    state: textOf(address.province_code) ?? textOf(address.province),
    country: textOf(address.country_code) ?? textOf(address.country),
  };
}

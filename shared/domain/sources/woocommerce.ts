/**
 * WooCommerce webhooks (the REST API's order and customer resources, as WooCommerce posts them) as
 * Segment calls. Money comes as decimal strings; times come twice, in the site's time zone
 * without an offset (`date_created`) and in UTC without an offset (`date_created_gmt`): only the
 * latter is read, as UTC. A guest's order has `customer_id` 0 and is keyed by its billing email.
 * WooCommerce has no standard marketing-consent field: no consent is read.
 */
import {
  type Address,
  type CallKey,
  couponOf,
  decimalOf,
  emailOf,
  identifyCall,
  idOf,
  keyOf,
  lineItemsOf,
  listOf,
  type MapOptions,
  type Mapper,
  mapperOf,
  objectOf,
  personTraits,
  problem,
  requiredCurrency,
  requiredDecimal,
  requiredId,
  type SegmentCall,
  type SourceOrigin,
  signedDecimalOf,
  streetOf,
  type TopicHandler,
  textOf,
  trackCall,
} from './mapping.ts';

const HANDLERS: Record<string, TopicHandler> = {
  'order.created': order,
  'order.updated': order,
  'customer.created': customer,
  'customer.updated': customer,
};

export const WOOCOMMERCE_TOPICS = Object.keys(HANDLERS);

export const mapWooCommerce: Mapper = mapperOf('woocommerce', HANDLERS);

/** WooCommerce's statuses of a paid order. */
const PAID = new Set(['processing', 'completed']);
/** Orders that never were one: placed and failed, cancelled, deleted, or a checkout in progress. */
const NOT_PLACED = new Set(['failed', 'cancelled', 'trash', 'checkout-draft', 'auto-draft']);

/**
 * An order's report. Counts as `Order Completed` once paid (processing, completed), or, with
 * orderOn `created`, when placed too; every refund it lists is an `Order Refunded` (partial
 * refunds leave the status alone), and a refunded order that lists none is refunded in full.
 * Every report of the same order (or refund) is the same event.
 */
function order(
  body: Record<string, unknown>,
  origin: SourceOrigin,
  options: MapOptions,
): SegmentCall[] | string {
  const orderId = requiredId(body.id, 'id', 'an order needs an id');
  const status = textOf(body.status) ?? 'unknown';
  const total = requiredDecimal(body.total, 'total');
  const currency = requiredCurrency(body.currency, 'currency');
  const billing = objectOf(body.billing);
  const email = emailOf(billing?.email);
  const userId = keyOf(idOf(body.customer_id), email);
  if (!userId) return `order ${orderId} names no customer and no email`;
  const key: CallKey = { userId };
  const placed =
    PAID.has(status) ||
    (options.orderOn === 'created' &&
      origin.topic === 'order.created' &&
      !NOT_PLACED.has(status) &&
      status !== 'refunded');
  const calls: SegmentCall[] = [];
  if (placed) {
    const createdAt = gmtTimeOf(body.date_created_gmt);
    const timestamp =
      options.orderOn === 'created'
        ? createdAt
        : (gmtTimeOf(body.date_paid_gmt) ?? gmtTimeOf(body.date_completed_gmt) ?? createdAt);
    calls.push(
      identifyCall(origin, key, {
        messageId: `woocommerce-order-${orderId}-identify`,
        timestamp,
        traits: personTraits({
          email,
          firstName: textOf(billing?.first_name),
          lastName: textOf(billing?.last_name),
          phone: textOf(billing?.phone),
          address: billing && addressOf(billing),
        }),
      }),
      trackCall(origin, key, {
        messageId: `woocommerce-order-${orderId}`,
        event: 'Order Completed',
        timestamp,
        email,
        properties: {
          order_id: orderId,
          order_number: textOf(body.number),
          total,
          revenue: total,
          tax: decimalOf(body.total_tax),
          shipping: decimalOf(body.shipping_total),
          discount: decimalOf(body.discount_total),
          currency,
          coupon: couponOf(listOf(body.coupon_lines).map((line) => objectOf(line)?.code)),
          products: lineItemsOf(body.line_items),
        },
      }),
    );
  }
  const modifiedAt = gmtTimeOf(body.date_modified_gmt);
  const refunds = listOf(body.refunds);
  refunds.forEach((entry, index) => {
    const refund = objectOf(entry);
    const refundId = requiredId(refund?.id, `refunds[${index}].id`, 'a refund needs an id');
    // WooCommerce lists a refund's total as a negative amount.
    const amount = signedDecimalOf(refund?.total) ?? problem(`refunds[${index}].total`, 'must be an amount');
    if (amount === 0) return;
    calls.push(
      trackCall(origin, key, {
        messageId: `woocommerce-refund-${refundId}`,
        event: 'Order Refunded',
        timestamp: modifiedAt,
        email,
        properties: {
          order_id: orderId,
          refund_id: refundId,
          total: Math.abs(amount),
          currency,
          reason: textOf(refund?.reason),
        },
      }),
    );
  });
  if (status === 'refunded' && refunds.length === 0) {
    calls.push(
      trackCall(origin, key, {
        messageId: `woocommerce-refund-${orderId}-full`,
        event: 'Order Refunded',
        timestamp: modifiedAt,
        email,
        properties: { order_id: orderId, total, currency },
      }),
    );
  }
  return calls.length > 0 ? calls : `order ${orderId} is ${status}: not an order to count yet`;
}

function customer(body: Record<string, unknown>, origin: SourceOrigin): SegmentCall[] {
  const customerId = requiredId(body.id, 'id', 'a customer needs an id');
  const billing = objectOf(body.billing);
  const shipping = objectOf(body.shipping);
  const updatedAt = gmtTimeOf(body.date_modified_gmt) ?? gmtTimeOf(body.date_created_gmt);
  const postal = billing && textOf(billing.address_1) ? billing : (shipping ?? billing);
  return [
    identifyCall(
      origin,
      { userId: customerId },
      {
        messageId: `woocommerce-customer-${customerId}-${updatedAt ?? origin.delivery}`,
        timestamp: updatedAt,
        traits: personTraits({
          email: emailOf(body.email) ?? emailOf(billing?.email),
          firstName: textOf(body.first_name) ?? textOf(billing?.first_name),
          lastName: textOf(body.last_name) ?? textOf(billing?.last_name),
          phone: textOf(billing?.phone) ?? textOf(shipping?.phone),
          address: postal && addressOf(postal),
        }),
      },
    ),
  ];
}

/** A `*_gmt` time: UTC without an offset ("2024-05-02T10:15:00"). */
function gmtTimeOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value.trim()))
    return undefined;
  const ms = Date.parse(`${value.trim()}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function addressOf(address: Record<string, unknown>): Address {
  return {
    street: streetOf(address.address_1, address.address_2),
    city: textOf(address.city),
    postalCode: textOf(address.postcode),
    state: textOf(address.state),
    country: textOf(address.country),
  };
}

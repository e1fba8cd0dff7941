/**
 * Shop platforms' webhooks as Segment calls: what the three mappers (shopify.ts, woocommerce.ts,
 * stripe.ts) share. A mapper turns one delivery (its topic, its parsed JSON body, its delivery id)
 * into zero or more calls that `parseEvent` in segment.ts accepts, says why it ignores the
 * delivery, or names the field that makes it unusable (a 400). Pure: no I/O, no clock.
 *
 * Ids are chosen so that the same fact always makes the same call: a retried delivery, or the
 * same order reported by two topics, carries the same messageId and is recognised as a duplicate.
 */

import type { PlatformKind } from '../sources.ts';

/** The platforms (sources.ts names every kind of source). */
export type SourceKind = PlatformKind;

/** Where a call came from, in its `context.source`. */
export interface SourceOrigin {
  kind: SourceKind;
  topic: string;
  delivery: string;
}

export interface SourceContext {
  source: SourceOrigin;
  /** Segment's `context.traits`: the email a track call knows, applied with the call itself. */
  traits?: Record<string, unknown>;
}

interface CallBase {
  messageId: string;
  timestamp?: string;
  userId?: string;
  anonymousId?: string;
  context: SourceContext;
}
export interface IdentifyCall extends CallBase {
  type: 'identify';
  traits: Record<string, unknown>;
}
export interface TrackCall extends CallBase {
  type: 'track';
  event: string;
  properties: Record<string, unknown>;
}
/** A Segment call as a client would post it (segment.ts `parseEvent` takes it as it is). */
export type SegmentCall = IdentifyCall | TrackCall;

export type Mapped =
  | { ok: true; calls: SegmentCall[] }
  | { ok: true; ignored: string }
  | { ok: false; field: string; message: string };

/** One delivery, its body parsed from JSON (and, for Stripe, verified first). */
export interface Webhook {
  /** Shopify's `X-Shopify-Topic`, WooCommerce's `X-WC-Webhook-Topic`, Stripe's event `type`. */
  topic: string;
  body: unknown;
  /** The platform's delivery id (`X-Shopify-Webhook-Id`, `X-WC-Webhook-Delivery-ID`, Stripe's event id). */
  delivery: string;
}

export interface MapOptions {
  /** When an order counts as `Order Completed`: when it is placed, or once it is paid. */
  orderOn: 'created' | 'paid';
}
export const DEFAULT_MAP_OPTIONS: MapOptions = { orderOn: 'paid' };

export type Mapper = (webhook: Webhook, options: MapOptions) => Mapped;

/** What a platform does with one topic: calls, or why it ignores the delivery. */
export type TopicHandler = (
  body: Record<string, unknown>,
  origin: SourceOrigin,
  options: MapOptions,
) => SegmentCall[] | string;

/** A platform's mapper from its handlers by topic: unknown topics are ignored, problems named. */
export function mapperOf(kind: SourceKind, handlers: Record<string, TopicHandler>): Mapper {
  return (webhook, options) => {
    const handler = Object.hasOwn(handlers, webhook.topic) ? handlers[webhook.topic] : undefined;
    if (!handler) return unmappedTopic(webhook.topic);
    const origin: SourceOrigin = { kind, topic: webhook.topic, delivery: webhook.delivery };
    return mapSafely(() => handler(bodyOf(webhook.body), origin, options));
  };
}

/** The customer a call belongs to: the platform's customer id, else the email (lower-cased). */
export interface CallKey {
  userId?: string;
  anonymousId?: string;
}

/** At most this many products an event lists: an event must stay within Segment's 32 KB. */
export const MAX_PRODUCTS = 50;
const MAX_NAME_CHARS = 200;

// ----- answers -----

class MappingProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Stops the mapping: the delivery is unusable because of `field` (a 400 naming it). */
export function problem(field: string, message: string): never {
  throw new MappingProblem(field, message);
}

/**
 * Runs a mapping: calls, or a string saying why nothing is mapped, or the problem it stopped at.
 * Only problems are caught: any other exception is a bug and goes up.
 */
export function mapSafely(run: () => SegmentCall[] | string): Mapped {
  try {
    const result = run();
    return typeof result === 'string' ? { ok: true, ignored: result } : { ok: true, calls: result };
  } catch (error) {
    if (error instanceof MappingProblem) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}

export function unmappedTopic(topic: string): Mapped {
  return { ok: true, ignored: `topic ${topic} is not mapped` };
}

// ----- reading loose JSON -----

export function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** The body as an object, or the problem `body: must be a JSON object`. */
export function bodyOf(body: unknown): Record<string, unknown> {
  if (!isObject(body)) problem('body', 'must be a JSON object');
  return body;
}

export function objectOf(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) ? value : undefined;
}

export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A non-empty trimmed string (a finite number as its decimal), else undefined. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A platform id as a string: a non-negative whole number or a non-empty string; 0 (WooCommerce's
 * "no customer") is no id. Stripe's expandable references (an id, or the object with its `id`).
 */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? String(value) : undefined;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed && trimmed !== '0' && trimmed.length <= 200 ? trimmed : undefined;
  }
  if (isObject(value) && (typeof value.id === 'string' || typeof value.id === 'number'))
    return idOf(value.id);
  return undefined;
}

export function requiredId(value: unknown, field: string, message: string): string {
  return idOf(value) ?? problem(field, message);
}

/** An email address as given (trimmed), when it looks like one. */
export function emailOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return /^[^\s@]+@[^\s@]+$/.test(trimmed) && trimmed.length <= 320 ? trimmed : undefined;
}

/** The key of a customer: the platform's id, else the email lower-cased (a guest). */
export function keyOf(customerId: string | undefined, email: string | undefined): string | undefined {
  return customerId ?? email?.toLowerCase();
}

/** An ISO-8601 date-time (any offset) as UTC ISO, else undefined. */
export function isoTimeOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Unix seconds (Stripe's `created`) as UTC ISO, else undefined. */
export function unixTimeOf(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 32503680000)
    return undefined;
  return new Date(Math.round(value * 1000)).toISOString();
}

export function quantityOf(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 0 ? number : undefined;
}

// ----- money -----

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A decimal amount ("19.99" or 19.99), signed, or undefined when it is not one. */
export function signedDecimalOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !DECIMAL.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return Number.isFinite(number) ? number : undefined;
}

/** A non-negative decimal amount (Shopify's and WooCommerce's strings), else undefined. */
export function decimalOf(value: unknown): number | undefined {
  const number = signedDecimalOf(value);
  return number !== undefined && number >= 0 ? number : undefined;
}

/** A non-negative decimal amount, or the problem naming `field`. */
export function requiredDecimal(value: unknown, field: string): number {
  return decimalOf(value) ?? problem(field, 'must be a non-negative amount');
}

/** An upper-case ISO 4217 code (any three letters are taken), or the problem naming `field`. */
export function requiredCurrency(value: unknown, field: string): string {
  if (typeof value === 'string' && /^[A-Za-z]{3}$/.test(value.trim())) return value.trim().toUpperCase();
  return problem(field, 'must be a three-letter currency code');
}

/**
 * Digits after the decimal point in a currency's minor unit, as Stripe counts amounts: zero for
 * its zero-decimal currencies (JPY, KRW, ...), three for the dinars and rials Stripe lists, two
 * for every other (ISK, HUF and TWD too: Stripe keeps them two-decimal in its API).
 */
export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** An amount in minor units (Stripe's integers) in major units, or undefined when it is not one. */
export function majorOf(minor: unknown, currency: string): number | undefined {
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor) || minor < 0) return undefined;
  const exponent = currencyExponent(currency);
  return Number((minor / 10 ** exponent).toFixed(exponent));
}

export function requiredMajor(minor: unknown, currency: string, field: string): number {
  return majorOf(minor, currency) ?? problem(field, 'must be a non-negative whole number of minor units');
}

/** Sums amounts without binary-fraction noise (0.1 + 0.2 is 0.3). */
export function sumAmounts(amounts: number[]): number {
  return Number(amounts.reduce((sum, amount) => sum + amount, 0).toFixed(6));
}

// ----- traits and properties -----

/** The object without undefined, null, empty strings, empty arrays and empty objects. */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  const kept: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined || inner === null || inner === '') continue;
    if (Array.isArray(inner) && inner.length === 0) continue;
    if (isObject(inner) && Object.keys(inner).length === 0) continue;
    kept[key] = inner;
  }
  return kept as Partial<T>;
}

export interface Address {
  street?: string;
  city?: string;
  postalCode?: string;
  state?: string;
  country?: string;
}

/** Segment's address trait; undefined when nothing of it is known. */
export function addressTrait(address: Address): Address | undefined {
  const kept = compact({ ...address });
  return Object.keys(kept).length > 0 ? kept : undefined;
}

export function streetOf(...lines: unknown[]): string | undefined {
  const parts = lines.map(textOf).filter((line): line is string => !!line);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export interface Person {
  email?: string;
  firstName?: string;
  lastName?: string;
  name?: string;
  phone?: string;
  address?: Address;
}

/** Segment's identify traits for a person, without the unknowns. */
export function personTraits(person: Person): Record<string, unknown> {
  return compact({ ...person, address: person.address && addressTrait(person.address) });
}

/** First and last name from one full name, as Segment derives them: the first word, the rest. */
export function splitName(name: string | undefined): { firstName?: string; lastName?: string } {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  return compact({ firstName: first, lastName: rest.join(' ') });
}

/** Discount codes joined by commas (Segment's `coupon`). */
export function couponOf(codes: unknown[]): string | undefined {
  const kept = codes.map(textOf).filter((code): code is string => !!code);
  return kept.length > 0 ? kept.join(',') : undefined;
}

export interface Product {
  product_id?: string;
  sku?: string;
  name?: string;
  price?: number;
  quantity?: number;
}

/**
 * An order's lines as Segment's `products`: Shopify and WooCommerce name a line's fields alike
 * (Shopify's older payloads call the name `title`).
 */
export function lineItemsOf(value: unknown): Record<string, unknown>[] {
  return productsOf(
    listOf(value).flatMap((entry) => {
      const item = objectOf(entry);
      if (!item) return [];
      return [
        {
          product_id: idOf(item.product_id),
          sku: textOf(item.sku),
          name: textOf(item.name) ?? textOf(item.title),
          price: decimalOf(item.price),
          quantity: quantityOf(item.quantity),
        },
      ];
    }),
  );
}

/** Segment's `products`: at most MAX_PRODUCTS, names bounded. */
export function productsOf(products: Product[]): Record<string, unknown>[] {
  return products.slice(0, MAX_PRODUCTS).map((product) =>
    compact({
      ...product,
      name:
        product.name && product.name.length > MAX_NAME_CHARS
          ? product.name.slice(0, MAX_NAME_CHARS)
          : product.name,
    }),
  );
}

// ----- calls -----

export function identifyCall(
  origin: SourceOrigin,
  key: CallKey,
  call: { messageId: string; timestamp?: string; traits: Record<string, unknown> },
): IdentifyCall {
  return {
    type: 'identify',
    messageId: call.messageId,
    ...(call.timestamp ? { timestamp: call.timestamp } : {}),
    ...key,
    traits: call.traits,
    context: { source: { ...origin } },
  };
}

export function trackCall(
  origin: SourceOrigin,
  key: CallKey,
  call: {
    messageId: string;
    event: string;
    timestamp?: string;
    properties: Record<string, unknown>;
    email?: string;
  },
): TrackCall {
  return {
    type: 'track',
    messageId: call.messageId,
    ...(call.timestamp ? { timestamp: call.timestamp } : {}),
    ...key,
    event: call.event,
    properties: compact(call.properties),
    context: { source: { ...origin }, ...(call.email ? { traits: { email: call.email } } : {}) },
  };
}

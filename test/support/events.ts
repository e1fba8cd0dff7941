/** Builders of normalized customer events for unit tests. */
import type { CustomerEvent } from '../../shared/domain/segment.ts';

let counter = 0;
const nextId = () => `msg-${++counter}`;

export const at = (iso: string) => new Date(iso).toISOString();

export function event(partial: Partial<CustomerEvent> & Pick<CustomerEvent, 'type'>): CustomerEvent {
  const timestamp = partial.timestamp ?? '2026-03-01T10:00:00.000Z';
  return {
    messageId: nextId(),
    userId: 'u1',
    timestamp,
    receivedAt: partial.receivedAt ?? timestamp,
    ...partial,
  };
}

export function identify(traits: Record<string, unknown>, partial: Partial<CustomerEvent> = {}) {
  return event({ type: 'identify', traits, ...partial });
}

export function order(
  orderId: string,
  timestamp: string,
  partial: Partial<CustomerEvent> = {},
  revenue = 25,
) {
  return event({
    type: 'track',
    event: 'Order Completed',
    timestamp,
    properties: { order_id: orderId, revenue, currency: 'usd' },
    ...partial,
  });
}

export function visit(timestamp: string, partial: Partial<CustomerEvent> = {}) {
  return event({ type: 'page', name: 'Home', timestamp, ...partial });
}

/**
 * An event on the bus, as a contract: who publishes it (source), what it is (detail-type), the
 * version of its shape and the zod schema every consumer parses its detail with.
 */
import type { z } from 'zod';

export interface Contract<Schema extends z.ZodType> {
  source: string;
  detailType: string;
  version: number;
  schema: Schema;
}

export type DetailOf<C> = C extends Contract<infer Schema> ? z.infer<Schema> : never;

/** The EventBridge rule pattern that selects exactly this contract's events. */
export function patternOf(...contracts: Contract<z.ZodType>[]) {
  return {
    source: [...new Set(contracts.map((contract) => contract.source))],
    'detail-type': [...new Set(contracts.map((contract) => contract.detailType))],
  };
}

export function defineContract<Schema extends z.ZodType>(contract: Contract<Schema>): Contract<Schema> {
  return contract;
}

/** EventBridge's PutEvents limits: 10 entries and 256 KB a request (an entry counts in full). */
export const BUS_LIMITS = { entriesPerRequest: 10, requestBytes: 256 * 1024 } as const;

/** How EventBridge sizes an entry: source, detail-type and detail in UTF-8, plus 14 bytes of time. */
export function busEntryBytes(entry: { source: string; detailType: string; detail: string }) {
  return (
    Buffer.byteLength(entry.source) +
    Buffer.byteLength(entry.detailType) +
    Buffer.byteLength(entry.detail) +
    14
  );
}

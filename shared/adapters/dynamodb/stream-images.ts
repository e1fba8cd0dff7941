import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StoredItem } from '../../ports.ts';
import { profileFromItem } from './customer-store.ts';
import { entryFromItem } from './ledger.ts';

/** An image as a Lambda stream event carries it: DynamoDB JSON, binary values as base64 strings. */
type LambdaImage = Record<string, unknown>;

/** The stored item an image of the table's stream shows: a profile, a ledger entry, or anything else. */
export function storedFromStreamImage(image: LambdaImage | undefined): StoredItem | undefined {
  if (!image) return undefined;
  const item = unmarshall(withBinary(image) as Record<string, AttributeValue>);
  if (item.entity === 'profile') return { kind: 'profile', profile: profileFromItem(item) };
  if (item.entity === 'message') return { kind: 'message', entry: entryFromItem(item) };
  return { kind: 'other' };
}

/** Lambda's JSON gives `B` (and `BS`) as base64: back to bytes, at any depth. */
function withBinary(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withBinary);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'B' && typeof inner === 'string') out.B = Buffer.from(inner, 'base64');
    else if (key === 'BS' && Array.isArray(inner))
      out.BS = inner.map((part) => Buffer.from(String(part), 'base64'));
    else out[key] = withBinary(inner);
  }
  return out;
}

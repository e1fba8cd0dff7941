/** Unsubscribe tokens: the customer id, sealed (sealed-token.ts). */
import { openToken, sealToken } from './sealed-token.ts';

export function makeUnsubscribeToken(secret: string, customerId: string, iv?: Buffer): string {
  return sealToken(secret, 'unsubscribe', customerId, iv);
}

/** The customer id in a token, or undefined when the token is not one of ours, intact. */
export function readUnsubscribeToken(secret: string, token: string): string | undefined {
  if (token.length > 700) return undefined;
  return openToken(secret, 'unsubscribe', token);
}

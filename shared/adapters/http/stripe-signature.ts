/**
 * Stripe's webhook signature (`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC>`), verified by
 * Stripe's own library over the raw body: the signature must match and be no older than the
 * tolerance (a replayed delivery is refused). The answer names what failed.
 */
import Stripe from 'stripe';

export type StripeVerified = { ok: true; event: unknown } | { ok: false; reason: string };

export function verifyStripe(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  toleranceSeconds = 300,
  nowSeconds?: number,
): StripeVerified {
  if (!secret) return { ok: false, reason: 'no signing secret is configured' };
  if (!header?.trim()) return { ok: false, reason: 'no signature (Stripe-Signature header missing)' };
  if (rawBody.length === 0) return { ok: false, reason: 'empty body' };
  try {
    const event = Stripe.webhooks.constructEvent(
      rawBody,
      header,
      secret,
      toleranceSeconds,
      undefined,
      nowSeconds === undefined ? undefined : nowSeconds * 1000,
    );
    return { ok: true, event };
  } catch (error) {
    return { ok: false, reason: reasonOf(error) };
  }
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
    // Verified, then not parseable: a signed body that is not JSON.
    return error instanceof SyntaxError ? 'body is not JSON' : 'signature could not be verified';
  }
  const message = error.message;
  if (message.startsWith('Timestamp outside the tolerance zone')) return 'too old (outside the tolerance)';
  if (message.startsWith('No signatures found matching')) return 'signature mismatch';
  if (message.startsWith('No stripe-signature header'))
    return 'no signature (Stripe-Signature header missing)';
  if (message.startsWith('No webhook payload')) return 'empty body';
  return 'malformed signature header';
}

/**
 * How our AWS clients retry (the SDK's retry-strategy interface, v2): which kinds of failure,
 * how many attempts, and exponential backoff with full jitter, so that many callers throttled at
 * once do not come back at once.
 */
type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

const token = (count: number, delayMs: number): Token => ({
  getRetryCount: () => count,
  getRetryDelay: () => delayMs,
});

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  retryOn: readonly RetryErrorType[];
}

export function retryStrategy(policy: RetryPolicy) {
  return {
    mode: 'standard',
    acquireInitialRetryToken: async (_scope: string) => token(0, 0),
    async refreshRetryTokenForRetry(previous: Token, info: { errorType: string; error?: unknown }) {
      const count = previous.getRetryCount() + 1;
      if (!policy.retryOn.includes(info.errorType as RetryErrorType) || count >= policy.maxAttempts)
        throw info.error;
      return token(count, Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** count));
    },
    recordSuccess: (_token: Token) => {},
  };
}

/**
 * DynamoDB: throttling, 5xx and dropped connections, up to 8 attempts from 50 ms (the v2 SDK gave
 * DynamoDB 10 retries from 50 ms), so that a burst of throttling is ridden out inside the
 * invocation rather than left to the bus. A write retried after DynamoDB applied it fails its
 * condition, and the callers recognise their own write.
 */
export const DYNAMODB_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  retryOn: ['THROTTLING', 'TRANSIENT', 'SERVER_ERROR'],
};

/**
 * SES: only what SES certainly did not take, throttling ("Maximum sending rate exceeded", 429). A
 * 5xx or a dropped connection can come after SES accepted the email, and SES has no idempotency
 * key: sending again could send it twice, so those are not retried (the mailer reports them as
 * `unknown`).
 */
export const SES_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  retryOn: ['THROTTLING'],
};

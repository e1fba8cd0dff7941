import { GetAccountCommand, type SESv2Client } from '@aws-sdk/client-sesv2';

/**
 * Keeps sending under the account's maximum send rate (SES GetAccount), as a token bucket. Each
 * process takes its share: with N send-message instances at most (reserved concurrency), each
 * paces to rate / N. The rate is read again every ten minutes, so a raised quota takes effect.
 */
export class SendPacer {
  private tokens = 0;
  private updatedAt = 0;
  private rate: number | undefined;
  private rateReadAt = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly readRate: () => Promise<number>,
    private readonly share = 1,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when one more email may go. Callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async wait() {
    const rate = await this.currentRate();
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(rate, this.tokens + ((now - this.updatedAt) / 1000) * rate);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / rate) * 1000));
    }
  }

  private async currentRate(): Promise<number> {
    if (this.rate === undefined || this.now() - this.rateReadAt > 600_000) {
      const accountRate = await this.readRate().catch(() => this.rate ?? 1);
      this.rate = Math.max(0.1, accountRate / Math.max(1, this.share));
      this.rateReadAt = this.now();
      if (this.updatedAt === 0) {
        this.tokens = this.rate;
        this.updatedAt = this.now();
      }
    }
    return this.rate;
  }
}

export function accountSendRate(ses: SESv2Client) {
  return async () => {
    const account = await ses.send(new GetAccountCommand({}));
    return account.SendQuota?.MaxSendRate ?? 1;
  };
}

import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type Mailer, MailerError, type OutgoingEmail } from '../../ports.ts';
import { hooked } from '../client-hooks.ts';
import { retryStrategy, SES_RETRY } from '../retry.ts';
import type { SendPacer } from './pacer.ts';

let client: SESv2Client | undefined;

export function sesClient(): SESv2Client {
  // Throttling is retried with backoff, on top of the pacer; nothing that SES may have taken is.
  client ??= hooked(new SESv2Client({ retryStrategy: retryStrategy(SES_RETRY) }), 'ses');
  return client;
}

const RETRYABLE = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
]);

export class SesMailer implements Mailer {
  constructor(
    private readonly configurationSetName: string | undefined,
    private readonly ses: SESv2Client = sesClient(),
    private readonly pacer?: SendPacer,
  ) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    await this.pacer?.take();
    try {
      const result = await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: [email.to] },
          ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: {
                Html: { Data: email.html, Charset: 'UTF-8' },
                Text: { Data: email.text, Charset: 'UTF-8' },
              },
              Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })),
            },
          },
          EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
          ...(this.configurationSetName ? { ConfigurationSetName: this.configurationSetName } : {}),
        }),
      );
      if (!result.MessageId) throw new MailerError('SES answered without a MessageId', 'unknown');
      return { messageId: result.MessageId };
    } catch (error) {
      throw classify(error);
    }
  }
}

/**
 * SES refused the message (`reject`), or throttled it (`retry`: it certainly did not take it), or
 * we cannot know whether it took it (`unknown`: no answer, or a 5xx that may come after SES
 * accepted; the caller must not send again). The SDK has already retried the throttling.
 */
function classify(error: unknown): MailerError {
  if (error instanceof MailerError) return error;
  const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  const description = `${failure.name ?? 'Error'}: ${failure.message ?? String(error)}`;
  if (RETRYABLE.has(failure.name ?? '') || /maximum sending rate/i.test(failure.message ?? '')) {
    return new MailerError(description, 'retry');
  }
  if (status === 429) return new MailerError(description, 'retry');
  if (status === undefined || status >= 500) return new MailerError(description, 'unknown');
  return new MailerError(description, 'reject');
}

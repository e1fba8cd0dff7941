/** The SES and EventBridge adapters against the SES emulator and the local bus, over HTTP. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { EventBridgePublisher, PublishError } from '../../shared/adapters/eventbridge/publisher.ts';
import { SesMailer } from '../../shared/adapters/ses/mailer.ts';
import { MailerError, type OutgoingEmail } from '../../shared/ports.ts';
import { emailsTo, header, stack, uniqueId } from '../support/stack.ts';

const plainEmail = (overrides: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  from: 'a@b.co',
  to: 'x@example.com',
  subject: 's',
  html: 'h',
  text: 't',
  headers: {},
  tags: {},
  ...overrides,
});

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

describe('SES mailer', () => {
  it('sends HTML and text with the custom headers', async () => {
    const mailer = new SesMailer(undefined, new SESv2Client({ ...local, endpoint: stack().ses }));
    const to = `${uniqueId('mailer')}@example.com`;
    const { messageId } = await mailer.send({
      from: 'Shop <hello@shop.example>',
      to,
      subject: 'Hello',
      html: '<p>Hi</p>',
      text: 'Hi',
      headers: { 'X-Campaign-Id': 'welcome-kit' },
      tags: { campaign: 'welcome-kit' },
    });
    expect(messageId).toMatch(/\S/);
    const [email] = await emailsTo(to);
    expect(email).toMatchObject({ subject: 'Hello', body: { html: '<p>Hi</p>', text: 'Hi' } });
    expect(header(email as never, 'X-Campaign-Id')).toBe('welcome-kit');
  });

  it('classifies a refusal by SES as a rejection, not something to retry', async () => {
    const mailer = new SesMailer(
      undefined,
      new SESv2Client({ ...local, endpoint: stack().ses, maxAttempts: 1 }),
    );
    const sending = mailer.send(plainEmail({ from: '' }));
    await expect(sending).rejects.toBeInstanceOf(MailerError);
    await expect(sending).rejects.toMatchObject({ outcome: 'reject' });
  });

  it('treats no answer at all as unknown, so the message is never sent twice', async () => {
    const mailer = new SesMailer(
      undefined,
      new SESv2Client({ ...local, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
    );
    await expect(mailer.send(plainEmail())).rejects.toMatchObject({ outcome: 'unknown' });
  });
});

describe('EventBridge publisher against the local bus', () => {
  it('publishes to the bus, and names the error when the bus refuses the entries', async () => {
    const client = new EventBridgeClient({ ...local, endpoint: stack().eventBridge });
    await new EventBridgePublisher('lifecycle', client).publish([
      { source: 'test', detailType: 'Ping', detail: { n: 1 } },
    ]);
    const refusing = new EventBridgePublisher('no-such-bus', client, { attempts: 2, baseDelayMs: 1 });
    await expect(
      refusing.publish([{ source: 'test', detailType: 'Ping', detail: {} }]),
    ).rejects.toBeInstanceOf(PublishError);
  });
});

/**
 * In front of the SES emulator, standing in for what it does not do: SES publishes feedback for
 * each email sent through a configuration set (delivery, bounce, complaint) to EventBridge. This
 * proxy forwards every request to the emulator and, for each email SES accepted, publishes those
 * events to the local default bus, including SES's mailbox-simulator addresses (bounce@,
 * complaint@, suppressionlist@simulator.amazonses.com). It can also throttle a share of sends,
 * as SES does when the sending rate is exceeded.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closed, endpointServer, listening, readBody } from './http-server.ts';

export interface SesEventSink {
  put(entries: { Source: string; DetailType: string; Detail: string; EventBusName: string }[]): unknown;
}

export interface SesProxyOptions {
  /** The emulator's address. */
  upstream: string;
  /** Where SES events go (the local bus); none: no feedback. */
  events?: SesEventSink;
  /** Share of SendEmail calls answered "Maximum sending rate exceeded" (0 to 1). */
  throttleRate?: number;
  /** Delay before feedback is published, as SES takes a moment too. */
  feedbackDelayMs?: number;
}

const SIMULATOR = '@simulator.amazonses.com';

export class SesProxy {
  private server: Server | undefined;
  readonly counters = { sends: 0, throttled: 0, feedback: 0 };
  /** Feedback not yet published, so closing can publish it rather than drop it. */
  private readonly pendingFeedback = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly options: SesProxyOptions) {}

  async listen(port: number, host = '127.0.0.1') {
    this.server = endpointServer((request, response) => {
      this.handle(request, response).catch((error) => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `ses proxy: ${String(error)}` }));
      });
    });
    await listening(this.server, port, host);
  }

  async close() {
    for (const [timer, publish] of this.pendingFeedback) {
      clearTimeout(timer);
      publish();
    }
    this.pendingFeedback.clear();
    await closed(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, 40 * 1024 * 1024);
    const isSend = request.method === 'POST' && (request.url ?? '').startsWith('/v2/email/outbound-emails');
    if (isSend) {
      this.counters.sends++;
      if (Math.random() < (this.options.throttleRate ?? 0)) {
        this.counters.throttled++;
        response.writeHead(429, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'TooManyRequestsException',
        });
        response.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
        return;
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !['host', 'content-length', 'connection'].includes(name)) {
        headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
    }
    const upstream = await fetch(`${this.options.upstream}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    response.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
    });
    response.end(answer);
    if (isSend && upstream.ok && this.options.events) {
      const { MessageId } = JSON.parse(answer.toString('utf8')) as { MessageId: string };
      const sent = JSON.parse(body.toString('utf8')) as SendRequest;
      const timer = setTimeout(() => {
        this.pendingFeedback.delete(timer);
        this.publishFeedback(MessageId, sent);
      }, this.options.feedbackDelayMs ?? 20);
      this.pendingFeedback.set(timer, () => this.publishFeedback(MessageId, sent));
    }
  }

  private publishFeedback(messageId: string, sent: SendRequest) {
    const now = new Date().toISOString();
    const destination = sent.Destination?.ToAddresses ?? [];
    const tags: Record<string, string[]> = {};
    for (const tag of sent.EmailTags ?? []) tags[tag.Name] = [tag.Value];
    if (sent.ConfigurationSetName) tags['ses:configuration-set'] = [sent.ConfigurationSetName];
    const mail = { timestamp: now, source: sent.FromEmailAddress, messageId, destination, tags };
    const events: [string, Record<string, unknown>][] = [
      ['Email Sent', { eventType: 'Send', mail, send: {} }],
    ];
    for (const address of destination) {
      const mailbox = address.toLowerCase().replace(/^.*</, '').replace(/>.*$/, '');
      const recipient = [{ emailAddress: mailbox }];
      if (mailbox === `bounce${SIMULATOR}` || mailbox === `suppressionlist${SIMULATOR}`) {
        const subType = mailbox.startsWith('bounce') ? 'General' : 'OnSuppressionList';
        const bounce = {
          bounceType: 'Permanent',
          bounceSubType: subType,
          bouncedRecipients: recipient,
          timestamp: now,
          feedbackId: randomUUID(),
        };
        events.push(['Email Bounced', { eventType: 'Bounce', mail, bounce }]);
        continue;
      }
      events.push([
        'Email Delivered',
        {
          eventType: 'Delivery',
          mail,
          delivery: { timestamp: now, recipients: [mailbox], smtpResponse: '250 2.6.0 Message received' },
        },
      ]);
      if (mailbox === `complaint${SIMULATOR}`) {
        const complaint = {
          complainedRecipients: recipient,
          timestamp: now,
          feedbackId: randomUUID(),
          complaintFeedbackType: 'abuse',
        };
        events.push(['Email Complaint Received', { eventType: 'Complaint', mail, complaint }]);
      }
    }
    this.counters.feedback += events.length;
    this.options.events?.put(
      events.map(([detailType, detail]) => ({
        Source: 'aws.ses',
        DetailType: detailType,
        Detail: JSON.stringify(detail),
        EventBusName: 'default',
      })),
    );
  }
}

interface SendRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  EmailTags?: { Name: string; Value: string }[];
  ConfigurationSetName?: string;
}

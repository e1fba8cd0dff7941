/**
 * A customer's reply to one of our emails, as SES receiving (or the local SMTP server) delivers it:
 * the raw message, read by key, and the envelope's recipients. The reply address names the email
 * it answers (reply-address.ts). What the customer wrote (quotes and signature stripped, bounded)
 * becomes an `Email Replied` event; a reply that only says "stop" or "unsubscribe" leaves all
 * marketing; automatic mail (out of office, bounces) is noted in the log and nothing else. Every
 * message that is not kept is dropped with a logged reason; none is stored beyond the bucket's own
 * expiry.
 */
import type { ReplyInput } from '../../shared/domain/answers.ts';
import { escapeHtml } from '../../shared/domain/html.ts';
import type { ConsentInput } from '../../shared/domain/lifecycle.ts';
import { autoReplyReason, type InboundMail, isStopRequest, replyText } from '../../shared/domain/replies.ts';
import { journeyTag, replyIdIn } from '../../shared/domain/reply-address.ts';
import type { CustomerStore, OutgoingEmail, ReplyAddresses } from '../../shared/ports.ts';

/** The key prefix the receipt rule's S3 action stores messages under. */
export const INBOUND_PREFIX = 'inbound/';

export interface InboundDeps {
  /** The raw message by key; `tooLarge` when it is over the limit (never read whole). */
  rawMail: (key: string) => Promise<Buffer | { tooLarge: number } | undefined>;
  parse: (raw: Buffer) => Promise<{ ok: true; mail: InboundMail } | { ok: false; reason: string }>;
  addresses: ReplyAddresses;
  customers: CustomerStore;
  /** The customer's emails (their ledger), to find the one a reply answers. */
  emailsOf: (customerId: string) => Promise<{ campaignId: string; occurrence: number; sentAt?: string }[]>;
  apply: (customerId: string, input: ReplyInput | ConsentInput) => Promise<unknown>;
  /** Sends the shop's support mailbox a copy (only when a support address is set). */
  forward?: { to: string; from: string; send: (email: OutgoingEmail) => Promise<unknown> };
  now: () => Date;
}

export interface ReceivedMail {
  /** The receiving side's id of the message (SES's messageId): a redelivery has the same. */
  id: string;
  /** Where the raw message is stored. */
  key: string;
  /** The envelope's recipients (SES receipt.recipients, SMTP RCPT TO). */
  recipients: string[];
  /** SES's verdicts, when it gave them. */
  spam?: string;
  virus?: string;
}

export type InboundOutcome =
  | { kept: 'reply' | 'unsubscribe'; customerId: string; campaignId: string }
  | { dropped: string }
  | { noted: string; customerId: string };

export async function receiveMail(mail: ReceivedMail, deps: InboundDeps): Promise<InboundOutcome> {
  if (mail.virus === 'FAIL') return { dropped: 'virus verdict FAIL' };
  const address = replyIdIn(mail.recipients);
  if (!address) return { dropped: 'not addressed to a reply address' };
  const raw = await deps.rawMail(mail.key);
  if (!raw) return { dropped: `no stored message at ${mail.key}` };
  if (!Buffer.isBuffer(raw)) return { dropped: `message too large (${raw.tooLarge} bytes)` };
  const parsed = await deps.parse(raw);
  if (!parsed.ok) return { dropped: parsed.reason };
  const known = await deps.addresses.get(address.id);
  if (!known) return { dropped: 'unknown or expired reply address' };
  let stored = await deps.customers.load(known.customerId);
  if (stored?.kind === 'alias') stored = await deps.customers.load(stored.mergedInto);
  if (stored?.kind !== 'profile') return { dropped: 'the customer was erased' };
  const customerId = stored.profile.id;
  const email = await answeredEmail(customerId, address.email, deps);
  if (!email) return { dropped: 'the customer has no email of ours to answer' };
  const automatic = autoReplyReason(parsed.mail);
  if (automatic) return { noted: `automatic reply (${automatic})`, customerId };
  if (mail.spam === 'FAIL') return { dropped: 'spam verdict FAIL' };

  const { text } = replyText(parsed.mail);
  const at = deps.now().toISOString();
  const messageId = `mail#${mail.id}`;
  if (isStopRequest(text)) {
    await deps.apply(customerId, { kind: 'consent', messageId, at, source: 'reply', marketing: false });
    return { kept: 'unsubscribe', customerId, campaignId: email.campaignId };
  }
  const subject = parsed.mail.subject?.slice(0, 200);
  await deps.apply(customerId, {
    kind: 'reply',
    messageId,
    at,
    campaignId: email.campaignId,
    occurrence: email.occurrence,
    ...(subject ? { subject } : {}),
    text,
  });
  if (deps.forward) {
    const from = stored.profile.email ?? parsed.mail.from ?? customerId;
    await deps.forward.send({
      from: deps.forward.from,
      to: deps.forward.to,
      ...(stored.profile.email ? { replyTo: stored.profile.email } : {}),
      subject: `Reply from ${from}: ${subject ?? '(no subject)'}`,
      text: `${from} replied to ${email.campaignId} #${email.occurrence}:\n\n${text}\n`,
      html: `<p>${escapeHtml(from)} replied to ${escapeHtml(email.campaignId)} #${email.occurrence}:</p><pre style="white-space:pre-wrap">${escapeHtml(text)}</pre>`,
      headers: {},
      tags: {},
    });
  }
  return { kept: 'reply', customerId, campaignId: email.campaignId };
}

/**
 * The email a reply answers: the one its address names (journey hash and occurrence), else the
 * latest email sent to the customer (an address written by hand, or cut short by a mail client).
 */
async function answeredEmail(
  customerId: string,
  named: { tag: string; occurrence: number } | undefined,
  deps: Pick<InboundDeps, 'emailsOf'>,
): Promise<{ campaignId: string; occurrence: number } | undefined> {
  const emails = (await deps.emailsOf(customerId)).filter((email) => email.sentAt);
  const exact = named
    ? emails.find(
        (email) => email.occurrence === named.occurrence && journeyTag(email.campaignId) === named.tag,
      )
    : undefined;
  const latest = [...emails].sort((a, b) => ((a.sentAt ?? '') < (b.sentAt ?? '') ? 1 : -1))[0];
  const found = exact ?? latest;
  return found ? { campaignId: found.campaignId, occurrence: found.occurrence } : undefined;
}

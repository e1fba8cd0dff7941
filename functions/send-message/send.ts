/**
 * Send-message: sends one queued ledger entry through SES, at most once.
 *
 * The entry is claimed (a lease) before anything else, marked `sending` just before SES is
 * called and `sent` right after. A copy of the request that arrives meanwhile backs off; one
 * that finds an expired claim takes over (the owner died before calling SES); one that finds
 * `sending` with an expired claim cannot know whether SES took the message and records `unknown`
 * rather than risk a second email. That last window (SES accepted, the record was not written) is
 * the one case where exactly-once is impossible, and it errs on the side of never sending twice.
 */

import { isBroadcast } from '../../shared/domain/broadcasts.ts';
import type { DetailOf } from '../../shared/domain/contracts/contract.ts';
import type { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { isFinal, type LedgerStatus } from '../../shared/domain/ledger.ts';
import { consentRefusal } from '../../shared/domain/messages.ts';
import { ratingLinks } from '../../shared/domain/ratings.ts';
import { renderEmail, type Sender, templateData } from '../../shared/domain/render.ts';
import { replyAddress, replyId } from '../../shared/domain/reply-address.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { chooseVariant, contentOf, ratingQuestionsIn, variantCount } from '../../shared/domain/templates.ts';
import { makeUnsubscribeToken } from '../../shared/domain/unsubscribe-token.ts';
import {
  type CustomerStore,
  type Ledger,
  type LedgerKey,
  type Mailer,
  MailerError,
  type ReplyAddresses,
  type SuppressionStore,
} from '../../shared/ports.ts';
import type { ResolvedTemplate } from '../../shared/templates.ts';

export interface SendDeps {
  ledger: Ledger;
  customers: CustomerStore;
  mailer: Mailer;
  settings: () => Promise<EngineSettings>;
  /** The template a campaign sends: its published version, or the built-in default. */
  template: (name: string) => Promise<ResolvedTemplate | undefined>;
  sender: Sender & { from: string };
  suppressions: SuppressionStore;
  /** Where the unsubscribe page lives (the API's public address), and the key its tokens are made with. */
  unsubscribe: { baseUrl: string; secret: () => Promise<string> };
  now: () => Date;
  newToken: () => string;
  leaseMs?: number;
  /** Replies: the inbound domain and where each email's reply address is kept (unset: no Reply-To). */
  replies?: { domain: string; addresses: ReplyAddresses };
  /** When a broadcast was cancelled, if it was: what has not gone out by then does not go. */
  broadcastCancelledAt?: (broadcastId: string) => Promise<string | undefined>;
}

/** A reply address with less than this left is kept again (it is kept 400 days). */
const RENEW_REPLY_ADDRESS_MS = 100 * 86_400_000;

export type SendOutcome = 'sent' | 'skipped' | 'failed' | 'unknown' | 'already-done' | 'missing';

/** Thrown when the message cannot be sent now but may be later: the bus retries the request. */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
}

export async function sendMessage(
  request: DetailOf<typeof MessageRequested>,
  deps: SendDeps,
): Promise<SendOutcome> {
  const key: LedgerKey = {
    customerId: request.customerId,
    campaignId: request.campaignId,
    occurrence: request.occurrence,
  };
  const entry = await deps.ledger.get(key);
  if (!entry) return 'missing';
  if (isFinal(entry.status)) return 'already-done';
  const at = () => deps.now().toISOString();
  const settings = await deps.settings();

  if (entry.status === 'sending') {
    // Still under its lease: another attempt is calling SES right now (a duplicate request).
    if (entry.claimedUntil && entry.claimedUntil > at())
      throw new RetryLaterError(`${describe(key)} is being sent by another attempt`);
    await deps.ledger.transition(key, {
      status: 'unknown',
      from: ['sending'],
      at: at(),
      reason: 'interrupted after SES was called; not retried so that it is never sent twice',
    });
    return 'unknown';
  }

  const token = deps.newToken();
  const now = deps.now();
  const claimed = await deps.ledger.transition(key, {
    status: 'claimed',
    from: ['queued', 'deferred'],
    at: now.toISOString(),
    leaseExpiredBefore: now.toISOString(),
    set: {
      claimToken: token,
      claimedUntil: new Date(now.getTime() + (deps.leaseMs ?? 60_000)).toISOString(),
    },
  });
  if (!claimed) {
    const current = await deps.ledger.get(key);
    if (current && isFinal(current.status)) return 'already-done';
    throw new RetryLaterError(`${describe(key)} is being sent by another attempt`);
  }
  const finish = (status: LedgerStatus, reason: string) =>
    deps.ledger.transition(key, {
      status,
      from: ['claimed', 'sending'],
      claimToken: token,
      at: at(),
      reason,
    });

  // After an outage, a message whose time is long past is not sent late (the stale-timer policy).
  const dueSince = entry.sendAt ?? entry.decidedAt;
  const lateDays = (now.getTime() - Date.parse(dueSince)) / 86_400_000;
  if (lateDays > settings.staleTimerDays) {
    await finish(
      'skipped',
      `stale: ${Math.floor(lateDays)} days after it was due to go (limit ${settings.staleTimerDays})`,
    );
    return 'skipped';
  }

  const cancelledAt = isBroadcast(key.campaignId)
    ? await deps.broadcastCancelledAt?.(key.campaignId)
    : undefined;
  if (cancelledAt) {
    await finish('skipped', `cancelled: the broadcast was cancelled at ${cancelledAt}`);
    return 'skipped';
  }

  const stored = await deps.customers.load(request.customerId);
  const profile = stored?.kind === 'profile' ? stored.profile : undefined;
  if (!profile) {
    await finish('skipped', 'the customer no longer exists');
    return 'skipped';
  }
  if (!profile.email) {
    await finish('skipped', 'no email address');
    return 'skipped';
  }
  // What the engine decided to send: entries from before journeys kept their template by the
  // journey's name, and were marketing unless a service journey said otherwise.
  const templateName = entry.templateName ?? request.campaignId;
  const category = entry.category ?? 'marketing';
  // Consent and suppression are checked again at the last moment: either may have changed since
  // the message was decided (a deferred message waits for hours).
  const refusal = consentRefusal(profile, request.campaignId, category);
  if (refusal) {
    await finish('skipped', refusal);
    return 'skipped';
  }
  const suppressed = await deps.suppressions.get(profile.email);
  if (suppressed) {
    await finish(
      'skipped',
      `suppressed address: ${suppressed.reason} (${suppressed.at})${suppressed.detail ? `, ${suppressed.detail}` : ''}`,
    );
    return 'skipped';
  }

  const template = await deps.template(templateName);
  if (!template) {
    await finish('failed', `template "${templateName}" has no published version`);
    return 'failed';
  }
  // Never the same variant of a campaign twice in a row for one customer.
  const previous =
    request.occurrence > 1
      ? await deps.ledger.get({ ...key, occurrence: request.occurrence - 1 })
      : undefined;
  const variant = chooseVariant(variantCount(template.definition), previous?.variant, request.customerId);
  const offer = entry.offerCode
    ? { code: entry.offerCode, description: entry.offerDescription ?? '' }
    : undefined;
  // Every email links to the preference page; marketing also offers one-click unsubscribe (RFC 8058).
  const secret = await deps.unsubscribe.secret();
  const unsubscribeUrl = `${deps.unsubscribe.baseUrl}/u/${makeUnsubscribeToken(secret, request.customerId)}`;
  // The rating rows a template may show ({{rating "csat"}}): a sealed link per score for this email.
  const ratings = {
    csat: ratingLinks(secret, deps.unsubscribe.baseUrl, key, 'csat'),
    nps: ratingLinks(secret, deps.unsubscribe.baseUrl, key, 'nps'),
    reason: ratingLinks(secret, deps.unsubscribe.baseUrl, key, 'reason'),
  };
  const headers: Record<string, string> = { 'X-Campaign-Id': request.campaignId };
  if (category === 'marketing') {
    headers['List-Unsubscribe'] = `<${unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  const content = contentOf(template.definition, variant);
  const asked = ratingQuestionsIn([content.html, content.text]);
  const rendered = renderEmail(
    content,
    templateData(profile, {
      brandName: deps.sender.brandName,
      unsubscribeUrl,
      ratings,
      ...(offer ? { offer } : {}),
      ...(entry.event ? { event: entry.event } : {}),
    }),
    deps.sender,
  );

  // The entry names its customer's reply address, so that erasure and export find it.
  const reply = deps.replies ? replyId(secret, request.customerId) : undefined;
  const sending = await deps.ledger.transition(key, {
    status: 'sending',
    from: ['claimed'],
    claimToken: token,
    at: at(),
    set: {
      recipient: profile.email,
      template: { name: templateName, version: template.version },
      variant,
      ...(asked.length > 0 ? { asked } : {}),
      ...(reply ? { replyId: reply } : {}),
    },
  });
  if (!sending) throw new RetryLaterError(`${describe(key)}: the claim was taken over before sending`);

  // Replies reach us: the address names the customer (kept once for them, renewed while in use)
  // and this email.
  let replyTo: string | undefined;
  if (deps.replies && reply) {
    const known = await deps.replies.addresses.get(reply);
    if (!known || Date.parse(known.expiresAt) - deps.now().getTime() < RENEW_REPLY_ADDRESS_MS)
      await deps.replies.addresses.put(reply, request.customerId, deps.now());
    replyTo = replyAddress(reply, key, deps.replies.domain);
  }

  try {
    const { messageId } = await deps.mailer.send({
      from: deps.sender.from,
      to: profile.email,
      ...(replyTo ? { replyTo } : {}),
      ...rendered,
      headers,
      tags: {
        campaign: request.campaignId,
        customer: Buffer.from(request.customerId).toString('base64url'),
        occurrence: String(request.occurrence),
      },
    });
    await deps.ledger.transition(key, {
      status: 'sent',
      from: ['sending'],
      claimToken: token,
      at: at(),
      set: { sesMessageId: messageId, sentAt: at() },
    });
    return 'sent';
  } catch (error) {
    if (!(error instanceof MailerError)) throw error;
    if (error.outcome === 'retry') {
      // SES did not take it: give the entry back so the retry can claim it again.
      await deps.ledger.transition(key, {
        status: 'queued',
        from: ['sending'],
        claimToken: token,
        at: at(),
        reason: error.message,
      });
      throw new RetryLaterError(`${describe(key)}: ${error.message}`);
    }
    await finish(error.outcome === 'reject' ? 'failed' : 'unknown', error.message);
    return error.outcome === 'reject' ? 'failed' : 'unknown';
  }
}

function describe(key: LedgerKey) {
  return `${key.campaignId} #${key.occurrence} for ${key.customerId}`;
}

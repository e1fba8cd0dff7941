/**
 * The message ledger: one entry per campaign occurrence per customer. An entry is written when
 * the engine decides (queued, or skipped with the reason), and send-message moves it on:
 *
 *   queued | deferred (until sendAt) -> claimed -> sending -> sent
 *                                              \-> skipped | failed   (decided before SES was called)
 *   sending (found again after a crash) -> unknown   (never retried: SES may have accepted it)
 *   held-out: decided, recorded for the uplift measurement, never sent
 *
 * A claim is a lease: a copy of the request that finds a live lease backs off and retries later;
 * one that finds an expired lease (the owner crashed before calling SES) takes over.
 */
import type { MessageEffect } from './messages.ts';

export const FINAL_STATUSES = ['sent', 'skipped', 'failed', 'unknown', 'held-out'] as const;
export type LedgerStatus = 'queued' | 'deferred' | 'claimed' | 'sending' | (typeof FINAL_STATUSES)[number];

export interface LedgerEvent {
  status: LedgerStatus;
  at: string;
  reason?: string;
}

/** The engine's decision (campaign, occurrence, trigger, send time, offer), and what became of it. */
export interface LedgerEntry extends Omit<MessageEffect, 'type' | 'status' | 'templateName' | 'category'> {
  customerId: string;
  /** The template to render and the kind of email (entries from before journeys had neither). */
  templateName?: string;
  category?: 'marketing' | 'service';
  status: LedgerStatus;
  /** Its reply address's id (`reply+<id>@`), so that erasure and export find the address's item. */
  replyId?: string;
  /** The questions its rating rows asked (`{{rating "csat"}}`), for the response rate. */
  asked?: string[];
  /** Which variant of the template was sent (0 when it has none). */
  variant?: number;
  claimToken?: string;
  claimedUntil?: string;
  recipient?: string;
  template?: { name: string; version: number };
  sesMessageId?: string;
  sentAt?: string;
  /** What SES reported back (first time of each, and counts of opens and clicks). */
  deliveredAt?: string;
  openedAt?: string;
  opens?: number;
  clickedAt?: string;
  clicks?: number;
  bouncedAt?: string;
  complainedAt?: string;
  feedback?: { kind: string; at: string; detail?: string }[];
  /** The order (or visit) that converted this message, inside the campaign's window. */
  convertedAt?: string;
  convertedBy?: string;
  history: LedgerEvent[];
}

export function isFinal(status: LedgerStatus) {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * A queued message is normally sent within seconds of its decision; one still not done after this
 * long lost its way (a crash between the commit and the publish, or one after the claim) and the
 * dispatcher requests it again.
 */
export const UNCLAIMED_GRACE_MINUTES = 5;

/**
 * When the dispatcher should request an entry that is not done yet, if nothing else has: a
 * deferred one at its send time, any other after the grace. Claimed and sending entries stay due
 * too, so that one whose sender died is taken over (claimed: the lease ends) or settled as
 * unknown (sending: SES may have taken it) rather than forgotten.
 */
export function dispatchAt(entry: Pick<LedgerEntry, 'status' | 'sendAt' | 'decidedAt'>): string | undefined {
  if (isFinal(entry.status)) return undefined;
  return (
    entry.sendAt ?? new Date(Date.parse(entry.decidedAt) + UNCLAIMED_GRACE_MINUTES * 60_000).toISOString()
  );
}

export function ledgerEntryFor(customerId: string, effect: MessageEffect): LedgerEntry {
  const entry: LedgerEntry = {
    customerId,
    campaignId: effect.campaignId,
    occurrence: effect.occurrence,
    status: effect.status,
    triggeredBy: effect.triggeredBy,
    triggeredAt: effect.triggeredAt,
    decidedAt: effect.decidedAt,
    templateName: effect.templateName,
    category: effect.category,
    history: [
      { status: effect.status, at: effect.decidedAt, ...(effect.reason ? { reason: effect.reason } : {}) },
    ],
  };
  if (effect.reason) entry.reason = effect.reason;
  if (effect.sendAt) entry.sendAt = effect.sendAt;
  if (effect.offerCode) entry.offerCode = effect.offerCode;
  if (effect.offerDescription) entry.offerDescription = effect.offerDescription;
  if (effect.event) entry.event = effect.event;
  if (effect.step) entry.step = effect.step;
  if (effect.journeyVersion !== undefined) entry.journeyVersion = effect.journeyVersion;
  return entry;
}

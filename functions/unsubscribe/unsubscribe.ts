/**
 * Unsubscribe, as RFC 8058 and the people receiving our email expect: a one-click POST leaves all
 * marketing at once, with no login and no confirmation step; the page lets a person leave some
 * campaigns, all of them, service email too, or stay. A forged or altered token gets 404 and
 * changes nothing. The change goes through the lifecycle engine like any other input.
 */

import type { FeedbackInput } from '../../shared/domain/answers.ts';
import type { ConsentInput } from '../../shared/domain/lifecycle.ts';
import type { ConsentSource } from '../../shared/domain/profile.ts';
import { MAX_COMMENT_CHARS, REASONS } from '../../shared/domain/ratings.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { readUnsubscribeToken } from '../../shared/domain/unsubscribe-token.ts';
import type { CustomerStore } from '../../shared/ports.ts';
import { journeysOnOffer, messagePage, preferencesPage, reasonsForm } from './page.ts';

export interface UnsubscribeDeps {
  secret: () => Promise<string>;
  customers: CustomerStore;
  settings: () => Promise<EngineSettings>;
  /** Applies the customer's choice (consent) or answer (a reason, a rating) through the engine. */
  apply: (customerId: string, input: ConsentInput | FeedbackInput) => Promise<unknown>;
  brandName: string;
  now: () => Date;
  newId: () => string;
}

export interface Page {
  status: number;
  contentType: 'text/html' | 'text/plain';
  body: string;
}

export async function showPreferences(token: string, path: string, deps: UnsubscribeDeps): Promise<Page> {
  const customer = await customerOf(token, deps);
  if (!customer) return notFound(deps);
  if (customer === 'gone') return erasedCustomerPage(deps);
  return html(200, preferencesPage(deps.brandName, await deps.settings(), customer.consent, path));
}

export async function changePreferences(
  token: string,
  body: string,
  path: string,
  deps: UnsubscribeDeps,
): Promise<Page> {
  const customer = await customerOf(token, deps);
  if (!customer) return notFound(deps);
  const form = new URLSearchParams(body);
  // RFC 8058: a mail client's one-click POST carries exactly this, and must work at once.
  if (form.get('List-Unsubscribe') === 'One-Click') {
    if (customer !== 'gone') await change(customer.id, 'one-click', { marketing: false }, deps);
    return {
      status: 200,
      contentType: 'text/plain',
      body: 'You are unsubscribed from all marketing email.\n',
    };
  }
  if (customer === 'gone') return erasedCustomerPage(deps);
  const stopService = form.get('stop-service') === 'yes';
  const choice = form.get('choice');
  if (choice === 'all') {
    await change(customer.id, 'preferences', { marketing: false, service: !stopService }, deps);
    return html(
      200,
      messagePage(
        deps.brandName,
        'You are unsubscribed',
        'You will get no more marketing email from us.',
        reasonsForm(path),
      ),
    );
  }
  if (choice === 'reason') return reasonGiven(customer.id, form, deps);
  if (choice === 'stay') {
    await change(customer.id, 'preferences', { marketing: true, optedOut: [], service: true }, deps);
    return html(
      200,
      messagePage(deps.brandName, 'Thank you for staying', 'Nothing changes: you keep getting our email.'),
    );
  }
  if (choice === 'some') {
    const settings = await deps.settings();
    const keep = new Set(form.getAll('keep'));
    const marketing = journeysOnOffer(settings).marketing.map((journey) => journey.id);
    const optedOut = marketing.filter((id) => !keep.has(id));
    await change(
      customer.id,
      'preferences',
      { marketing: optedOut.length < marketing.length, optedOut, service: !stopService },
      deps,
    );
    return html(
      200,
      messagePage(deps.brandName, 'Your choices are saved', 'You will get only the email you kept.'),
    );
  }
  return html(400, messagePage(deps.brandName, 'Please choose', 'Choose one of the buttons on the page.'));
}

/** Why they left (both parts optional): a Feedback Given answer to the `reason` question. */
async function reasonGiven(customerId: string, form: URLSearchParams, deps: UnsubscribeDeps): Promise<Page> {
  const comment = (form.get('comment') ?? '').trim();
  if (comment.length > MAX_COMMENT_CHARS)
    return html(
      400,
      messagePage(
        deps.brandName,
        'Too long',
        `Please keep it under ${MAX_COMMENT_CHARS.toLocaleString('en')} characters.`,
      ),
    );
  const index = Number(form.get('reason') ?? Number.NaN);
  const reason = Number.isInteger(index) && REASONS[index] ? index : REASONS.length - 1;
  if (form.get('reason') !== null || comment) {
    await deps.apply(customerId, {
      kind: 'feedback',
      messageId: `reason#${deps.newId()}`,
      at: deps.now().toISOString(),
      question: 'reason',
      score: reason,
      confirmed: true,
      ...(comment ? { comment } : {}),
    });
  }
  return html(
    200,
    messagePage(deps.brandName, 'Thank you', 'Thank you for telling us. We read every answer.'),
  );
}

async function change(
  customerId: string,
  source: ConsentSource,
  consent: { marketing?: boolean; optedOut?: string[]; service?: boolean },
  deps: UnsubscribeDeps,
) {
  await deps.apply(customerId, {
    kind: 'consent',
    messageId: `consent#${deps.newId()}`,
    at: deps.now().toISOString(),
    source,
    ...consent,
  });
}

/** The customer a token names; 'gone' when it is ours but the customer was erased since. */
async function customerOf(token: string, deps: UnsubscribeDeps) {
  return customerById(readUnsubscribeToken(await deps.secret(), token), deps);
}

export async function customerById(customerId: string | undefined, deps: Pick<UnsubscribeDeps, 'customers'>) {
  if (!customerId) return undefined;
  let stored = await deps.customers.load(customerId);
  if (stored?.kind === 'alias') stored = await deps.customers.load(stored.mergedInto);
  return stored?.kind === 'profile' ? stored.profile : ('gone' as const);
}

/** A link of ours whose customer was erased since: nothing to change, and nothing recorded. */
export function erasedCustomerPage(deps: Pick<UnsubscribeDeps, 'brandName'>): Page {
  return html(200, messagePage(deps.brandName, 'Nothing to do', 'This address gets no email from us.'));
}

export function notFound(deps: Pick<UnsubscribeDeps, 'brandName'>): Page {
  return html(
    404,
    messagePage(
      deps.brandName,
      'Link not found',
      'This link is not valid. Please use the link in one of our emails.',
    ),
  );
}

export function html(status: number, body: string): Page {
  return { status, contentType: 'text/html', body };
}

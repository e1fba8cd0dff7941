/**
 * Unsubscribe, as RFC 8058 and the people receiving our email expect: a one-click POST leaves all
 * marketing at once, with no login and no confirmation step; the page lets a person leave some
 * campaigns, all of them, service email too, or stay. A forged or altered token gets 404 and
 * changes nothing. The change goes through the lifecycle engine like any other input.
 */

import type { ConsentInput } from '../../shared/domain/lifecycle.ts';
import type { ConsentSource } from '../../shared/domain/profile.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { readUnsubscribeToken } from '../../shared/domain/unsubscribe-token.ts';
import type { CustomerStore } from '../../shared/ports.ts';
import { journeysOnOffer, messagePage, preferencesPage } from './page.ts';

export interface UnsubscribeDeps {
  secret: () => Promise<string>;
  customers: CustomerStore;
  settings: () => Promise<EngineSettings>;
  applyConsent: (customerId: string, input: ConsentInput) => Promise<unknown>;
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
  if (customer === 'gone')
    return html(200, messagePage(deps.brandName, 'Nothing to do', 'This address gets no email from us.'));
  return html(200, preferencesPage(deps.brandName, await deps.settings(), customer.consent, path));
}

export async function changePreferences(token: string, body: string, deps: UnsubscribeDeps): Promise<Page> {
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
  if (customer === 'gone')
    return html(200, messagePage(deps.brandName, 'Nothing to do', 'This address gets no email from us.'));
  const stopService = form.get('stop-service') === 'yes';
  const choice = form.get('choice');
  if (choice === 'all') {
    await change(customer.id, 'preferences', { marketing: false, service: !stopService }, deps);
    return html(
      200,
      messagePage(deps.brandName, 'You are unsubscribed', 'You will get no more marketing email from us.'),
    );
  }
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

async function change(
  customerId: string,
  source: ConsentSource,
  consent: { marketing?: boolean; optedOut?: string[]; service?: boolean },
  deps: UnsubscribeDeps,
) {
  await deps.applyConsent(customerId, {
    kind: 'consent',
    messageId: `consent#${deps.newId()}`,
    at: deps.now().toISOString(),
    source,
    ...consent,
  });
}

/** The customer a token names; 'gone' when it is ours but the customer was erased since. */
async function customerOf(token: string, deps: UnsubscribeDeps) {
  const customerId = readUnsubscribeToken(await deps.secret(), token);
  if (!customerId) return undefined;
  let stored = await deps.customers.load(customerId);
  if (stored?.kind === 'alias') stored = await deps.customers.load(stored.mergedInto);
  return stored?.kind === 'profile' ? stored.profile : ('gone' as const);
}

function notFound(deps: UnsubscribeDeps): Page {
  return html(
    404,
    messagePage(
      deps.brandName,
      'Link not found',
      'This link is not valid. Please use the link in one of our emails.',
    ),
  );
}

function html(status: number, body: string): Page {
  return { status, contentType: 'text/html', body };
}

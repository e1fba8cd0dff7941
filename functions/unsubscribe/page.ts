/**
 * The preference page: small, accessible (labels, a fieldset per question, visible focus, high
 * contrast, no script), and honest: one button leaves all marketing at once.
 */
import Handlebars from 'handlebars';
import type { JourneyDefinition } from '../../shared/domain/journeys.ts';
import type { Consent } from '../../shared/domain/profile.ts';
import { MAX_COMMENT_CHARS, REASONS } from '../../shared/domain/ratings.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';

const escapeHtml = (value: string) => Handlebars.escapeExpression(value);

export function layout(brand: string, title: string, body: string) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · ${escapeHtml(brand)}</title>
<style>
  body { font: 17px/1.5 -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1d1d1d;
    background: #f4f1ec; margin: 0; padding: 24px 16px; }
  main { max-width: 560px; margin: 0 auto; background: #fff; border-radius: 8px; padding: 24px 28px; }
  h1 { font: 600 24px/1.3 Georgia, serif; color: #1f3530; margin-top: 0; }
  textarea { font: inherit; width: 100%; box-sizing: border-box; min-height: 7em; padding: 8px;
    border: 1px solid #6b665e; border-radius: 6px; }
  .hint { color: #4a4a4a; font-size: 15px; }
  fieldset { border: 1px solid #b9b3a8; border-radius: 6px; margin: 16px 0; padding: 12px 16px; }
  legend { font-weight: 600; padding: 0 6px; }
  label { display: block; padding: 6px 0; }
  button { font: inherit; border-radius: 6px; padding: 10px 18px; margin: 6px 8px 6px 0; cursor: pointer;
    border: 2px solid #1f3530; }
  .primary { background: #1f3530; color: #fff; }
  .secondary { background: #fff; color: #1f3530; }
  button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #c8553d; outline-offset: 2px; }
</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

export function preferencesPage(
  brand: string,
  settings: EngineSettings,
  consent: Consent | undefined,
  action: string,
) {
  const { marketing, service } = journeysOnOffer(settings);
  const leftAll = consent?.marketing === false;
  const label = (journey: JourneyDefinition) => escapeHtml(journey.preferenceLabel ?? journey.name);
  const checkbox = (journey: JourneyDefinition, checked: boolean) =>
    `<label><input type="checkbox" name="keep" value="${escapeHtml(journey.id)}"${checked ? ' checked' : ''}> ${label(journey)}</label>`;
  return layout(
    brand,
    'Your email preferences',
    `<h1>Your email preferences</h1>
${leftAll ? '<p role="status">You are unsubscribed from all marketing email. You can choose again below.</p>' : ''}
<form method="post" action="${escapeHtml(action)}">
  <button class="primary" type="submit" name="choice" value="all">Unsubscribe from all marketing email</button>
  <fieldset>
    <legend>Or keep only what you want</legend>
    ${marketing.map((journey) => checkbox(journey, !leftAll && !consent?.optedOut.includes(journey.id))).join('\n    ')}
  </fieldset>
  <fieldset>
    <legend>Service email</legend>
    <p>${service.map(label).join(', ')}. These are not marketing and stay on unless you say otherwise.</p>
    <label><input type="checkbox" name="stop-service" value="yes"${consent?.service === false ? ' checked' : ''}> Stop these too</label>
  </fieldset>
  <button class="secondary" type="submit" name="choice" value="some">Save my choices</button>
  <button class="secondary" type="submit" name="choice" value="stay">Keep me subscribed to everything</button>
</form>`,
  );
}

/** The journeys a customer can choose among: the enabled ones, marketing and service. */
export function journeysOnOffer(settings: EngineSettings) {
  const enabled = settings.journeys.published.filter((journey) => journey.enabled);
  return {
    marketing: enabled.filter((journey) => journey.category === 'marketing'),
    service: enabled.filter((journey) => journey.category === 'service'),
  };
}

export function messagePage(brand: string, title: string, text: string, more = '') {
  return layout(
    brand,
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p role="status">${escapeHtml(text)}</p>\n${more}`,
  );
}

/** After leaving all marketing: why, if they would say (optional, a few choices and a free text). */
export function reasonsForm(action: string) {
  return `<form method="post" action="${escapeHtml(action)}">
  <fieldset>
    <legend>Would you tell us why? (optional)</legend>
    ${REASONS.map(
      (reason, index) =>
        `<label><input type="radio" name="reason" value="${index}"> ${escapeHtml(reason.label)}</label>`,
    ).join('\n    ')}
    <label for="comment">Anything else (optional)</label>
    <textarea id="comment" name="comment" maxlength="${MAX_COMMENT_CHARS}"></textarea>
  </fieldset>
  <button class="secondary" type="submit" name="choice" value="reason">Send</button>
</form>`;
}

/**
 * Email rendering: Handlebars, as SES templates use it, with one difference that matters: in the
 * HTML part every value is HTML-escaped, because it comes from customer data. Subject and text
 * parts are plain text and are not escaped. A shared layout wraps every template.
 */
import Handlebars from 'handlebars';
import type { Profile } from './profile.ts';
import { REASONS } from './ratings.ts';

export interface TemplateContent {
  subject: string;
  html: string;
  /** Optional: a text part is derived from the HTML when missing. */
  text?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface Sender {
  brandName: string;
  postalAddress: string;
}

export type TemplateData = Record<string, unknown>;

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** The ends of each rating scale, as the row shows them. */
const SCALES = {
  csat: { low: 'Very dissatisfied', high: 'Very satisfied' },
  nps: { low: 'Not at all likely', high: 'Extremely likely' },
} as const;

/**
 * `{{rating "csat"}}` / `{{rating "nps"}}`: a one-click row of scores, each a link from the
 * email's `ratings` (send-message seals one per score; a preview has none and links nowhere).
 * In the HTML part, escaped links in a row a screen reader names; in the text part, a line each.
 */
Handlebars.registerHelper('rating', function rating(question: unknown, options: Handlebars.HelperOptions) {
  const root = (options.data?.root ?? {}) as {
    ratings?: Partial<Record<string, { score: number; url: string }[]>>;
  };
  if (question === 'reason') return reasonList(root.ratings?.reason, options.data?.part === 'html');
  if (question !== 'csat' && question !== 'nps') return '';
  const scale = SCALES[question];
  const links =
    root.ratings?.[question] ??
    (question === 'csat' ? [1, 2, 3, 4, 5] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).map((score) => ({
      score,
      url: `#rating-${score}`,
    }));
  const first = links[0]?.score;
  const last = links.at(-1)?.score;
  if (options.data?.part !== 'html') {
    return `${links.map((link) => `${link.score}: ${link.url}`).join('\n')}\n(${first} = ${scale.low}, ${last} = ${scale.high})`;
  }
  const cells = links
    .map(
      (link) =>
        `<td style="padding:2px"><a href="${escapeHtml(link.url)}" aria-label="${link.score} of ${last}" style="display:inline-block;min-width:28px;padding:8px 6px;border:1px solid #8a8a8a;border-radius:4px;text-align:center;text-decoration:none;color:#1a1a1a">${link.score}</a></td>`,
    )
    .join('');
  return new Handlebars.SafeString(
    `<table role="presentation" class="rating" aria-label="Rate from ${first} (${scale.low}) to ${last} (${scale.high})"><tr>${cells}</tr></table>` +
      `<p style="font-size:12px;color:#555">${first} = ${scale.low} · ${last} = ${scale.high}</p>`,
  );
});

/** `{{rating "reason"}}`: why one leaves, a one-click link per reason (the farewell's). */
function reasonList(links: { score: number; url: string }[] | undefined, html: boolean) {
  const items = REASONS.map((reason, index) => ({
    label: reason.label,
    url: links?.find((link) => link.score === index)?.url ?? `#reason-${reason.id}`,
  }));
  if (!html) return items.map((item) => `${item.label}: ${item.url}`).join('\n');
  return new Handlebars.SafeString(
    `<ul class="reasons" aria-label="Why you are leaving">${items
      .map((item) => `<li><a href="${escapeHtml(item.url)}">${escapeHtml(item.label)}</a></li>`)
      .join('')}</ul>`,
  );
}

function compile(source: string, htmlPart: boolean) {
  const cacheKey = `${htmlPart ? 'h' : 't'}:${source}`;
  let template = compiled.get(cacheKey);
  if (!template) {
    template = Handlebars.compile(source, { noEscape: !htmlPart, strict: false, knownHelpersOnly: false });
    compiled.set(cacheKey, template);
  }
  return template;
}

/** The variables a template may use for a customer: each trait by name, plus the product's own. */
export function templateData(profile: Profile, extra: TemplateData = {}): TemplateData {
  const traits = profile.traits;
  const firstName =
    stringTrait(traits.firstName) ??
    stringTrait(traits.first_name) ??
    stringTrait(traits.name)?.split(/\s+/)[0];
  return {
    ...traits,
    ...(firstName ? { firstName } : {}),
    email: profile.email ?? traits.email,
    customerId: profile.id,
    stage: profile.stage,
    ...extra,
    ...(extra.event !== undefined ? { event: safeValue(extra.event, 0) } : {}),
  };
}

/** Browsers ignore control characters inside a scheme (`java\tscript:`): so does the check. */
function withoutControls(value: string): string {
  return [...value].filter((char) => (char.codePointAt(0) ?? 0) > 0x1f).join('');
}

/** Schemes a link must never carry, whatever a client put in an event. */
const UNSAFE_URL = /^\s*(javascript|vbscript|data|file):/i;

/**
 * An event's properties as templates see them: Handlebars escapes HTML, but a property used in
 * an `href` could still carry a script URL, so strings with an unsafe scheme become empty;
 * nesting is cut at 16 levels (the event was bounded when it was stored, this is belt and braces).
 */
function safeValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return UNSAFE_URL.test(withoutControls(value)) ? '' : value;
  if (!value || typeof value !== 'object') return value;
  if (depth >= 16) return undefined;
  if (Array.isArray(value)) return value.map((item) => safeValue(item, depth + 1));
  const safe: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) safe[key] = safeValue(item, depth + 1);
  return safe;
}

export function renderEmail(template: TemplateContent, data: TemplateData, sender: Sender): RenderedEmail {
  const subject = compile(template.subject, false)(data).replace(/\s+/g, ' ').trim();
  const body = compile(template.html, true)(data, { data: { part: 'html' } });
  const html = compile(
    LAYOUT_HTML,
    false,
  )({ ...layoutData(data, sender), subject: escapeHtml(subject), body });
  const textBody = template.text ? compile(template.text, false)(data) : htmlToText(body);
  const text = `${textBody.trim()}\n\n${compile(LAYOUT_TEXT, false)(layoutData(data, sender)).trim()}\n`;
  return { subject, html, text };
}

function layoutData(data: TemplateData, sender: Sender) {
  return {
    brandName: escapeHtml(sender.brandName),
    postalAddress: escapeHtml(sender.postalAddress),
    unsubscribeUrl: typeof data.unsubscribeUrl === 'string' ? escapeHtml(data.unsubscribeUrl) : undefined,
    brandNameText: sender.brandName,
    postalAddressText: sender.postalAddress,
    unsubscribeUrlText: data.unsubscribeUrl,
  };
}

function escapeHtml(value: string) {
  return Handlebars.escapeExpression(value);
}

function stringTrait(value: unknown) {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** A readable plain-text part from HTML: links keep their address, blocks become lines. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_match, href: string, label: string) => {
      const text = label.replace(/<[^>]+>/g, '').trim();
      return text && text !== href ? `${text} (${href})` : href;
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table)>/gi, '\n\n')
    .replace(/<li[^>]*>/gi, '- ')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n[ \t]+/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/* The layout: a single centred column that reads well from 320 px phones to desktop clients. */
const LAYOUT_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{subject}}</title>
<style>
  body { margin: 0; padding: 0; background: #f4f1ec; color: #2b2b2b; }
  .wrap { width: 100%; background: #f4f1ec; padding: 24px 0; }
  .card { max-width: 560px; margin: 0 auto; background: #ffffff; border-radius: 8px; overflow: hidden; }
  .brand { padding: 20px 32px; background: #27403a; color: #ffffff; font: 600 18px/1.3 Georgia, serif; }
  .content { padding: 28px 32px; font: 16px/1.6 -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; }
  .content h1 { font: 600 24px/1.3 Georgia, serif; margin: 0 0 16px; color: #27403a; }
  .content a.button { display: inline-block; padding: 12px 22px; background: #c8553d; color: #ffffff;
    border-radius: 6px; text-decoration: none; font-weight: 600; }
  .offer { margin: 20px 0; padding: 16px; border: 2px dashed #c8553d; border-radius: 6px; text-align: center; }
  .offer code { font-size: 20px; letter-spacing: 2px; }
  .footer { max-width: 560px; margin: 0 auto; padding: 16px 32px; color: #6b6b6b;
    font: 12px/1.5 -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; text-align: center; }
  .footer a { color: #6b6b6b; }
  @media (max-width: 600px) { .content, .brand { padding-left: 20px; padding-right: 20px; } }
</style>
</head>
<body>
<div class="wrap">
  <div class="card">
    <div class="brand">{{brandName}}</div>
    <div class="content">
{{body}}
    </div>
  </div>
  <div class="footer">
    <p>{{brandName}} &middot; {{postalAddress}}</p>
    {{#if unsubscribeUrl}}<p>You receive this because you are a customer of {{brandName}}.
    <a href="{{unsubscribeUrl}}">Unsubscribe or choose what you receive</a>.</p>{{/if}}
  </div>
</div>
</body>
</html>
`;

const LAYOUT_TEXT = `--
{{brandNameText}} · {{postalAddressText}}
{{#if unsubscribeUrlText}}Unsubscribe or choose what you receive: {{unsubscribeUrlText}}{{/if}}
`;

/**
 * The default template pack, as data: one template for each built-in journey's email (named as
 * the journey names it), each saying what its moment in the relationship asks for. Marketers
 * replace them through the admin API; every template is wrapped in the shared layout (header,
 * footer with the postal address and, for marketing, the unsubscribe link).
 */
import type { TemplateContent } from '../render.ts';

const greeting = '{{#if firstName}}, {{firstName}}{{/if}}';

const offerBlock = (lead: string) => `{{#if offer}}<div class="offer"><p>${lead}</p>
<p><code>{{offer.code}}</code></p>{{#if offer.description}}<p>{{offer.description}}</p>{{/if}}</div>{{/if}}`;

const offerText = (lead: string) => `{{#if offer}}
${lead} {{offer.code}}
{{#if offer.description}}{{offer.description}}
{{/if}}{{/if}}`;

export const DEFAULT_TEMPLATES: Record<string, TemplateContent> = {
  'welcome-kit': {
    subject: `Thank you for your first order${greeting}`,
    html: `<h1>Thank you${greeting}.</h1>
<p>You placed your first order with us, and we do not take that trust lightly. Your order is being
looked after by real people who care that it reaches you in good shape.</p>
<p>Here is what to expect: a shipping note as soon as it leaves us, and a real person at the other
end of every reply to this email.</p>
${offerBlock('For your next order, a thank-you from us:')}
<p>Warmly,<br>The team</p>`,
    text: `Thank you${greeting}.

You placed your first order with us, and we do not take that trust lightly. Your order is being
looked after by real people who care that it reaches you in good shape.

Here is what to expect: a shipping note as soon as it leaves us, and a real person at the other
end of every reply to this email.
${offerText('For your next order, a thank-you from us:')}
Warmly,
The team`,
  },
  'second-purchase-nudge': {
    subject: `Something for your next order${greeting}`,
    html: `<h1>We hope your order is treating you well${greeting}.</h1>
<p>It has been a little while since your first order. If it did what you hoped, we would love to
help you with the next one; if it did not, reply and tell us, and we will make it right.</p>
${offerBlock('To make the second one easier, a discount just for you:')}
<p>See you soon,<br>The team</p>`,
    text: `We hope your order is treating you well${greeting}.

It has been a little while since your first order. If it did what you hoped, we would love to
help you with the next one; if it did not, reply and tell us, and we will make it right.
${offerText('To make the second one easier, a discount just for you:')}
See you soon,
The team`,
  },
  're-engagement': {
    subject: `Here is what is new since your last visit${greeting}`,
    html: `<h1>A lot has changed since you last stopped by${greeting}.</h1>
<p>We have been busy: new arrivals, restocked favourites, and a few things we think you will like.
No pressure, just a look at what is new whenever you have a moment.</p>
<p>Until next time,<br>The team</p>`,
    text: `A lot has changed since you last stopped by${greeting}.

We have been busy: new arrivals, restocked favourites, and a few things we think you will like.
No pressure, just a look at what is new whenever you have a moment.

Until next time,
The team`,
  },
  'win-back': {
    subject: `We miss you${greeting}`,
    html: `<h1>We have not seen you in a while${greeting}.</h1>
<p>If something we did (or did not do) kept you away, we are sorry. We would genuinely like to know,
and to earn another chance.</p>
${offerBlock('If you would like to give us that chance, this is on us:')}
<p>With thanks,<br>The team</p>`,
    text: `We have not seen you in a while${greeting}.

If something we did (or did not do) kept you away, we are sorry. We would genuinely like to know,
and to earn another chance.
${offerText('If you would like to give us that chance, this is on us:')}
With thanks,
The team`,
  },
  farewell: {
    subject: `Thank you for everything${greeting}`,
    html: `<h1>Thank you${greeting}.</h1>
<p>It has been a while, so this is the last note we will send for now. Thank you for the orders,
the trust and the time you gave us. We wish you all the best.</p>
<p>If you ever want to come back, you do not need to do anything special: just visit us, and we
will be glad to see you again.</p>
<p>If you would tell us why you stopped, one click helps us do better:</p>
{{rating "reason"}}
<p>Take care,<br>The team</p>`,
    text: `Thank you${greeting}.

It has been a while, so this is the last note we will send for now. Thank you for the orders,
the trust and the time you gave us. We wish you all the best.

If you ever want to come back, you do not need to do anything special: just visit us, and we
will be glad to see you again.

If you would tell us why you stopped, one click helps us do better:
{{rating "reason"}}

Take care,
The team`,
  },
  'feedback-request': {
    subject: 'What went wrong with your order?',
    html: `<h1>We are sorry it did not work out${greeting}.</h1>
<p>Your refund is on its way. Could you tell us what went wrong? A line or two in reply to this
email is enough, and a real person will read it. It helps us make sure it does not happen to you,
or anyone else, again.</p>
<p>How satisfied are you with how we handled it? One click is enough:</p>
{{rating "csat"}}
<p>Thank you,<br>The team</p>`,
    text: `We are sorry it did not work out${greeting}.

Your refund is on its way. Could you tell us what went wrong? A line or two in reply to this
email is enough, and a real person will read it. It helps us make sure it does not happen to you,
or anyone else, again.

How satisfied are you with how we handled it? One click is enough:
{{rating "csat"}}

Thank you,
The team`,
  },
  'service-follow-up': {
    subject: 'We are sorry: a person will look into it',
    html: `<h1>Thank you for telling us${greeting}.</h1>
<p>You told us we did not do well, and we take that seriously. A real person from our team has
your answer{{#if event.properties.comment}} and your words: <q>{{event.properties.comment}}</q>{{/if}}.</p>
<p>If there is anything we can put right, reply to this email with what happened: it reaches the
same person, who will answer you.</p>
<p>We will not send you offers for a while.</p>
<p>The team</p>`,
  },
  'abandoned-checkout': {
    subject: `You left something in your cart${greeting}`,
    html: `<h1>Still thinking it over${greeting}?</h1>
<p>You started a checkout and did not finish. Your cart is kept for you:</p>
{{#if event.properties.products}}<ul>{{#each event.properties.products}}<li>{{#if name}}{{name}}{{else}}{{product_id}}{{/if}}{{#if quantity}} × {{quantity}}{{/if}}</li>{{/each}}</ul>{{/if}}
{{#if event.properties.checkout_url}}<p><a href="{{event.properties.checkout_url}}">Pick up where you left off</a></p>{{/if}}
<p>If something stopped you (a question about sizes, shipping, payment), reply to this email: a
real person will answer.</p>
<p>The team</p>`,
  },
  'browse-abandonment': {
    subject: `Still curious${greeting}?`,
    html: `<h1>Still curious${greeting}?</h1>
<p>You were looking at {{#if event.properties.name}}{{event.properties.name}}{{else}}something of ours{{/if}}
the other day. If you have a question about it, reply to this email: we are happy to help.</p>
<p>The team</p>`,
  },
  'review-request': {
    subject: `How is your order${greeting}?`,
    html: `<h1>How is it going${greeting}?</h1>
<p>Your order arrived a couple of weeks ago. A few honest words about it help other customers
choose, and help us do better. Reply to this email with what you think: good or bad.</p>
<p>Thank you,<br>The team</p>`,
  },
  birthday: {
    subject: `Happy birthday${greeting}!`,
    html: `<h1>Happy birthday${greeting}!</h1>
<p>From all of us: we hope it is a good one.</p>
${offerBlock('A small present, if you would like one:')}
<p>The team</p>`,
  },
  'welcome-series-1': {
    subject: `Welcome${greeting}: here is who we are`,
    html: `<h1>Welcome${greeting}.</h1>
<p>Thank you for signing up. We are a small team, and we make and choose everything we sell with
care: fewer things, made to last, sent with a note from a real person.</p>
<p>Over the next week we will send you two more short emails: how we work, and what our customers
love most. Nothing more unless you want it, and every email has a link to stop them.</p>
<p>If you have a question, reply to this email: it reaches us, not a robot.</p>
<p>The team</p>`,
  },
  'welcome-series-2': {
    subject: `How we work${greeting}`,
    html: `<h1>How we work</h1>
<p>Every order is packed by hand and leaves within two working days. If something is not right,
tell us and we will make it right: a swap, a refund, or an honest answer.</p>
<p>We would rather you buy one thing you love than three you do not. If you are unsure about
sizes, materials or anything else, reply and ask.</p>
<p>The team</p>`,
  },
  'welcome-series-3': {
    subject: `Something to start with${greeting}`,
    html: `<h1>When you are ready${greeting}</h1>
<p>Our customers' favourites are a good place to start, and if you would like a nudge, here is a
small welcome from us.</p>
${offerBlock('For your first order:')}
<p>This is the last email of our welcome. From here on, we will only write when we have
something worth your time.</p>
<p>The team</p>`,
  },
  apology: {
    subject: `Your order is late, and we are sorry${greeting}`,
    html: `<h1>We are sorry${greeting}.</h1>
<p>We promised your order would be on its way by now, and it is not. That is on us. We are
looking into it, and you will hear from us as soon as it ships. We will not send you offers in the
meantime.</p>
<p>If you would rather cancel, reply to this email and we will take care of it.</p>
<p>The team</p>`,
  },
  'loyalty-reward': {
    subject: `Five orders in: thank you${greeting}`,
    html: `<h1>Five orders. Thank you${greeting}.</h1>
<p>Customers like you are the reason we do this. As a small thank-you for coming back again and
again, here is something for your next order.</p>
${offerBlock('Your loyalty reward:')}
<p>Gratefully,<br>The team</p>`,
    text: `Five orders. Thank you${greeting}.

Customers like you are the reason we do this. As a small thank-you for coming back again and
again, here is something for your next order.
${offerText('Your loyalty reward:')}
Gratefully,
The team`,
  },
};

export function defaultTemplate(name: string): TemplateContent | undefined {
  return Object.hasOwn(DEFAULT_TEMPLATES, name) ? DEFAULT_TEMPLATES[name] : undefined;
}

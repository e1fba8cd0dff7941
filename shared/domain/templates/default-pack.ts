/**
 * The default template pack: one template per campaign, named after the campaign id, each
 * saying what its moment in the relationship asks for. Marketers replace them through the
 * admin API; every template is wrapped in the shared layout (header, footer with the postal
 * address and, for marketing, the unsubscribe link).
 */
import type { CampaignId } from '../campaigns.ts';
import type { TemplateContent } from '../render.ts';

const greeting = '{{#if firstName}}, {{firstName}}{{/if}}';

const offerBlock = (lead: string) => `{{#if offer}}<div class="offer"><p>${lead}</p>
<p><code>{{offer.code}}</code></p>{{#if offer.description}}<p>{{offer.description}}</p>{{/if}}</div>{{/if}}`;

const offerText = (lead: string) => `{{#if offer}}
${lead} {{offer.code}}
{{#if offer.description}}{{offer.description}}
{{/if}}{{/if}}`;

export const DEFAULT_TEMPLATES: Record<CampaignId, TemplateContent> = {
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
<p>Take care,<br>The team</p>`,
    text: `Thank you${greeting}.

It has been a while, so this is the last note we will send for now. Thank you for the orders,
the trust and the time you gave us. We wish you all the best.

If you ever want to come back, you do not need to do anything special: just visit us, and we
will be glad to see you again.

Take care,
The team`,
  },
  'feedback-request': {
    subject: 'What went wrong with your order?',
    html: `<h1>We are sorry it did not work out${greeting}.</h1>
<p>Your refund is on its way. Could you tell us what went wrong? A line or two in reply to this
email is enough, and a real person will read it. It helps us make sure it does not happen to you,
or anyone else, again.</p>
<p>Thank you,<br>The team</p>`,
    text: `We are sorry it did not work out${greeting}.

Your refund is on its way. Could you tell us what went wrong? A line or two in reply to this
email is enough, and a real person will read it. It helps us make sure it does not happen to you,
or anyone else, again.

Thank you,
The team`,
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
  return (DEFAULT_TEMPLATES as Record<string, TemplateContent>)[name];
}

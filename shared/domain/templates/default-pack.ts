/**
 * The default template pack: one template per campaign, named after the campaign id. Written for
 * the relationship each campaign serves; marketers replace them through the admin API.
 */
import type { TemplateContent } from '../render.ts';

export const DEFAULT_TEMPLATES: Record<string, TemplateContent> = {
  'welcome-kit': {
    subject: 'Thank you for your first order{{#if firstName}}, {{firstName}}{{/if}}',
    html: `<h1>Thank you{{#if firstName}}, {{firstName}}{{/if}}.</h1>
<p>You placed your first order with us, and we do not take that trust lightly. Your order is being
looked after by real people who care that it reaches you in good shape.</p>
<p>Here is what to expect: a shipping note as soon as it leaves us, and a real person at the other
end of every reply to this email.</p>
{{#if offer}}<div class="offer"><p>For your next order, a thank-you from us:</p>
<p><code>{{offer.code}}</code></p><p>{{offer.description}}</p></div>
{{else}}<p>When you come back for a second order, it is on us to make it even better: reply to this email
and tell us what you would like to see.</p>{{/if}}
<p>Warmly,<br>The team</p>`,
    text: `Thank you{{#if firstName}}, {{firstName}}{{/if}}.

You placed your first order with us, and we do not take that trust lightly. Your order is being
looked after by real people who care that it reaches you in good shape.

Here is what to expect: a shipping note as soon as it leaves us, and a real person at the other
end of every reply to this email.
{{#if offer}}
For your next order, a thank-you from us: {{offer.code}}
{{offer.description}}
{{else}}
When you come back for a second order, it is on us to make it even better: reply to this email
and tell us what you would like to see.
{{/if}}
Warmly,
The team`,
  },
};

import { describe, expect, it } from 'vitest';
import { newProfile, withTraits } from '../../shared/domain/profile.ts';
import { htmlToText, renderEmail, templateData } from '../../shared/domain/render.ts';
import { validateTemplate } from '../../shared/domain/templates.ts';

const sender = { brandName: 'Shop & Co', postalAddress: '1 Main St, Springfield' };

describe('rendering', () => {
  it('renders Handlebars like SES: variables, dotted paths, if and each', () => {
    const result = renderEmail(
      {
        subject: 'Hi {{firstName}}',
        html: '<p>{{#if offer}}{{offer.code}}{{/if}} {{#each items}}[{{this}}]{{/each}}</p>',
      },
      { firstName: 'Ada', offer: { code: 'THANKS10' }, items: ['a', 'b'] },
      sender,
    );
    expect(result.subject).toBe('Hi Ada');
    expect(result.html).toContain('<p>THANKS10 [a][b]</p>');
  });

  it('wraps every template in the layout with the sender and postal address', () => {
    const result = renderEmail({ subject: 's', html: '<p>body</p>' }, {}, sender);
    expect(result.html).toContain('Shop &amp; Co &middot; 1 Main St, Springfield');
    expect(result.text).toContain('Shop & Co · 1 Main St, Springfield');
  });

  it('derives a readable text part when the template has none', () => {
    const result = renderEmail(
      { subject: 's', html: '<h1>Hello</h1><p>See <a href="https://shop.example/new">what is new</a>.</p>' },
      {},
      sender,
    );
    expect(result.text.startsWith('Hello\n\nSee what is new (https://shop.example/new).')).toBe(true);
  });

  it('offers each trait by name and a first name taken from the full name', () => {
    const profile = withTraits(
      newProfile('u1', '2026-01-01T00:00:00.000Z'),
      { name: 'Grace Hopper', city: 'Arlington' },
      '2026-01-01T00:00:00.000Z',
    );
    expect(templateData(profile)).toMatchObject({
      firstName: 'Grace',
      city: 'Arlington',
      stage: 'acquaintance',
      customerId: 'u1',
    });
  });

  it('turns entities back into characters in the text part', () => {
    expect(htmlToText('<p>Tom &amp; Jerry &lt;3</p>')).toBe('Tom & Jerry <3');
  });
});

describe('rating rows', () => {
  const template = {
    subject: 'How did we do?',
    html: '<p>How satisfied are you with your order?</p>{{rating "csat"}}',
    text: 'How satisfied are you?\n{{rating "csat"}}',
  };
  const links = [1, 2, 3, 4, 5].map((score) => ({
    score,
    url: `https://shop.example/f/t${score}&"x"`,
  }));

  it('render a link per score, escaped, in a row a screen reader names, and a line each in text', () => {
    const email = renderEmail(template, { ratings: { csat: links } }, sender);
    for (const score of [1, 2, 3, 4, 5])
      expect(email.html).toContain(
        `<a href="https://shop.example/f/t${score}&amp;&quot;x&quot;" aria-label="${score} of 5"`,
      );
    expect(email.html).toContain('aria-label="Rate from 1 (Very dissatisfied) to 5 (Very satisfied)"');
    expect(email.text).toContain('1: https://shop.example/f/t1&"x"');
    expect(email.text).toContain('(1 = Very dissatisfied, 5 = Very satisfied)');
  });

  it('link nowhere in a preview (no links sealed); NPS runs 0 to 10', () => {
    const email = renderEmail({ subject: 'x', html: '{{rating "nps"}}' }, {}, sender);
    expect(email.html).toContain('href="#rating-0"');
    expect(email.html).toContain('href="#rating-10"');
    expect(email.html).toContain('aria-label="10 of 10"');
  });

  it('are refused with another question, without one, or in the subject', () => {
    const problems = (part: Partial<{ subject: string; html: string }>) =>
      validateTemplate({ subject: 'Hi', html: '<p>Hi</p>', ...part }).map(
        (problem) => `${problem.field}: ${problem.message}`,
      );
    expect(problems({ html: '{{rating "csat"}}' })).toEqual([]);
    expect(problems({ html: '{{rating "ces"}}' })).toEqual([
      'html: the rating helper takes "csat" (1 to 5), "nps" (0 to 10) or "reason" (why one leaves): {{rating "csat"}}',
    ]);
    expect(problems({ html: '{{rating}}' })[0]).toMatch(/^html: unknown variable \{\{rating\}\}/);
    expect(problems({ subject: '{{rating "csat"}}' })).toEqual([
      'subject: a rating row belongs in the body, not the subject',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { newProfile, withTraits } from '../../shared/domain/profile.ts';
import { htmlToText, renderEmail, templateData } from '../../shared/domain/render.ts';

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

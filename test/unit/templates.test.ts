import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES } from '../../shared/domain/defaults/templates.ts';
import { offerCodeMaker, sameCode } from '../../shared/domain/offers.ts';
import { defaultSettings, updatedLifecycle, updatedPolicy } from '../../shared/domain/settings.ts';
import { chooseVariant, contentOf, validateTemplate } from '../../shared/domain/templates.ts';

describe('template validation', () => {
  it('accepts the default pack', () => {
    expect(Object.keys(DEFAULT_TEMPLATES).length).toBeGreaterThanOrEqual(12);
    for (const [id, template] of Object.entries(DEFAULT_TEMPLATES))
      expect({ id, problems: validateTemplate(template) }).toEqual({ id, problems: [] });
  });

  it('names a variable the product does not provide', () => {
    expect(validateTemplate({ subject: 'Hi {{firstName}}', html: '<p>{{favoriteColor}}</p>' })).toEqual([
      { field: 'html', message: expect.stringMatching(/^unknown variable \{\{favoriteColor\}\}/) },
    ]);
  });

  it('accepts custom traits once they are listed', () => {
    expect(validateTemplate({ subject: 's', html: '{{favoriteColor}}' }, ['favoriteColor'])).toEqual([]);
  });

  it('checks variables in conditions and dotted paths, but not inside #each', () => {
    const problems = validateTemplate({
      subject: '{{#if vip}}VIP{{/if}}',
      html: '{{offer.code}} {{offer.discount}} {{#each address}}{{street}}{{/each}}',
    });
    expect(problems.map((problem) => `${problem.field}: ${problem.message.split(':')[0]}`)).toEqual([
      'subject: unknown variable {{vip}}',
      'html: unknown variable {{offer.discount}}',
    ]);
  });

  it('refuses triple braces in HTML, which would skip escaping, but allows them in text', () => {
    expect(validateTemplate({ subject: 's', html: '{{{firstName}}}', text: '{{{firstName}}}' })).toEqual([
      { field: 'html', message: '{{{firstName}}} would not be HTML-escaped: use two braces' },
    ]);
  });

  it('reports a syntax error with its line', () => {
    const [problem] = validateTemplate({ subject: 's', html: '<p>\n{{#if firstName}}\n</p>' });
    expect(problem?.field).toBe('html');
    expect(problem?.message).toMatch(/^syntax error: .*line/);
  });

  it('says in one line where a block is left open', () => {
    const [problem] = validateTemplate({ subject: 'Hi', html: '<p>{{#if firstName}}Hello</p>' });
    expect(problem).toEqual({
      field: 'html',
      message:
        'syntax error: Parse error on line 1 near "...firstName}}Hello</p>": the template ends inside a block (a {{#…}} without its {{/…}})',
    });
  });

  it('refuses unknown helpers and partials', () => {
    expect(
      validateTemplate({ subject: '{{shout firstName}}', html: '{{> footer}}' }).map(
        (problem) => problem.message,
      ),
    ).toEqual(['unknown helper "shout"', 'partials and decorators are not supported']);
  });

  it('checks the parts of every variant', () => {
    expect(
      validateTemplate({ subject: 's', html: 'h', variants: [{ name: 'b', subject: '{{nope}}' }] }),
    ).toEqual([
      { field: 'variants[0].subject', message: expect.stringMatching(/^unknown variable \{\{nope\}\}/) },
    ]);
  });
});

describe('variants', () => {
  const template = { subject: 'A', html: 'a', variants: [{ name: 'b', subject: 'B' }] };

  it('overrides only the parts a variant gives', () => {
    expect(contentOf(template, 1)).toEqual({ subject: 'B', html: 'a' });
    expect(contentOf(template, 0)).toEqual({ subject: 'A', html: 'a' });
  });

  it('never repeats the previous variant, and starts at a stable place', () => {
    expect(chooseVariant(2, 0, 'u1')).toBe(1);
    expect(chooseVariant(2, 1, 'u1')).toBe(0);
    expect(chooseVariant(3, 2, 'u1')).toBe(0);
    expect(chooseVariant(1, 0, 'u1')).toBe(0);
    expect(chooseVariant(2, undefined, 'u1')).toBe(chooseVariant(2, undefined, 'u1'));
  });
});

describe('offer codes', () => {
  const make = offerCodeMaker('secret');

  it('are unique per customer and occurrence, stable, and shaped PREFIX-XXXXXXXXXX', () => {
    const codes = new Set(
      Array.from({ length: 5000 }, (_, index) => make(`customer-${index}`, 'win-back', 1, 'BACK')),
    );
    expect(codes.size).toBe(5000);
    expect(make('a', 'win-back', 1, 'BACK')).toBe(make('a', 'win-back', 1, 'BACK'));
    expect(make('a', 'win-back', 1, 'BACK')).not.toBe(make('a', 'win-back', 2, 'BACK'));
    expect(make('a', 'win-back', 1, 'BACK')).toMatch(/^BACK-[0-9A-HJKMNP-TV-Z]{10}$/);
  });

  it('depend on the secret, so nobody can compute another customer’s code', () => {
    expect(offerCodeMaker('other')('a', 'win-back', 1, 'BACK')).not.toBe(make('a', 'win-back', 1, 'BACK'));
  });

  it('match as people type them', () => {
    expect(sameCode(' back-abc ', 'BACK-ABC')).toBe(true);
  });
});

describe('settings validation', () => {
  const lifecycle = defaultSettings().lifecycle;

  it('refuses a negative delay, naming the field', () => {
    const result = updatedLifecycle(lifecycle, { atRisk: { afterDays: -5 } });
    expect(result).toEqual({
      ok: false,
      problems: [{ field: 'atRisk.afterDays', message: 'must be at least 1 day' }],
    });
  });

  it('refuses a field that does not apply to the stage rules', () => {
    const result = updatedLifecycle(lifecycle, { orderCount: 3 });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems[0]).toEqual({ field: 'body', message: 'does not apply here: orderCount' });
  });

  it('keeps what is not changed', () => {
    const result = updatedLifecycle(lifecycle, { atRisk: { mode: 'predictive' } });
    expect(result).toEqual({
      ok: true,
      value: { ...lifecycle, atRisk: { ...lifecycle.atRisk, mode: 'predictive' } },
    });
  });

  it('validates the contact policy, time zone included', () => {
    const policy = defaultSettings().policy;
    expect(updatedPolicy(policy, { quietHours: { defaultTimezone: 'Mars/Olympus' } })).toEqual({
      ok: false,
      problems: [
        { field: 'quietHours.defaultTimezone', message: 'must be an IANA time zone such as Europe/Berlin' },
      ],
    });
    expect(updatedPolicy(policy, { caps: { perDay: 2 } })).toMatchObject({
      ok: true,
      value: { caps: { perDay: 2, perWeek: 3 } },
    });
  });
});

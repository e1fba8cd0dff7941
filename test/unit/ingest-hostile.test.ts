/**
 * Hostile bodies at the tracking API: arbitrary JSON, deep and wide, with prototype keys, huge
 * numbers, lone surrogates and control characters. Whatever a client sends, ingest answers 2xx or
 * 4xx with a body that names the problem, and what it accepts goes through the engine, the
 * profile's storage format and a template's rendering without an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCustomerEvents } from '../../functions/apply-event/apply.ts';
import { ingest } from '../../functions/ingest/ingest.ts';
import { profileFromItem, profileItem } from '../../shared/adapters/dynamodb/customer-store.ts';
import type { DetailOf } from '../../shared/domain/contracts/contract.ts';
import type { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { renderEmail, templateData } from '../../shared/domain/render.ts';
import { MAX_NESTING_DEPTH } from '../../shared/domain/segment.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { sha256 } from '../../shared/security.ts';
import { MemoryStore, RecordingPublisher } from '../support/fakes.ts';

const KEY = 'k';
const AUTH = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

/** Nests `inner` (JSON text) inside `depth` arrays or objects, built as text: no recursion anywhere. */
function nested(inner: string, depth: number, kind: 'array' | 'object' | 'mixed'): string {
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level++) {
    const object = kind === 'object' || (kind === 'mixed' && level % 2 === 1);
    open += object ? '{"a":' : '[';
    close = (object ? '}' : ']') + close;
  }
  return `${open}${inner}${close}`;
}

/** JSON text of arbitrary values: keys that are prototype names, lone surrogates, extreme numbers. */
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', '.', '$'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const hostileLeaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\r\n', '{{firstName}}', '<script>x</script>'),
  fc.double(),
  fc.constantFrom(1e308, -1e308, 5e-324, 2 ** 53 + 1, 0),
  fc.boolean(),
  fc.constant(null),
);
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    hostileLeaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Any JSON text: fast-check's own json/anything, the hostile values above, or one of them nested deep. */
const anyJsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.anything({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
  hostileValue.map((value) => JSON.stringify(value)),
  fc
    .tuple(hostileValue, fc.integer({ min: 20, max: 6000 }), fc.constantFrom('array', 'object', 'mixed'))
    .map(([value, depth, kind]) => nested(JSON.stringify(value), depth, kind as 'array')),
);

const FIELDS = ['properties', 'traits', 'context', 'integrations', 'extra', 'userId', 'event'] as const;

/** A body: a plausible event with one field replaced by arbitrary JSON, or arbitrary JSON alone. */
const body = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), text: anyJsonText }).map(({ field, text }) => {
    const base = `"userId":"u1","event":"Order Completed","properties":{"order_id":"o1","revenue":5},"traits":{"email":"a@b.co"}`;
    return `{${base},"${field}":${text}}`;
  }),
  anyJsonText,
);

const ENDPOINTS = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

async function post(endpoint: string, text: string, publisher: RecordingPublisher) {
  return ingest(
    { endpoint, body: Buffer.from(text), authorization: AUTH },
    {
      publisher,
      writeKeyDigests: async () => [sha256(KEY)],
      sources: async () => [],
      record: async () => {},
      now: () => new Date('2026-05-01T12:00:00Z'),
    },
  );
}

/** What the rest of the pipeline does with accepted events: apply, store, render. */
async function downstream(publisher: RecordingPublisher) {
  const store = new MemoryStore();
  const settings = defaultSettings();
  for (const entry of publisher.published) {
    const detail = entry.detail as DetailOf<typeof CustomerEventsReceived>;
    // The bus carries JSON: what arrives is what survives serialization.
    const delivered = JSON.parse(JSON.stringify(detail)) as typeof detail;
    await applyCustomerEvents(delivered, {
      store,
      history: store,
      publisher: new RecordingPublisher(),
      settings: async () => settings,
    });
  }
  for (const stored of store.customers.values()) {
    if (stored.kind !== 'profile') continue;
    const profile = profileFromItem(profileItem(stored.profile));
    expect(profile.id).toBe(stored.profile.id);
    renderEmail(
      {
        subject: 'Hi {{firstName}} {{name}}',
        html: '<p>{{firstName}} {{#each traits}}{{this}}{{/each}}</p>',
      },
      templateData(profile),
      { brandName: 'B', postalAddress: 'P' },
    );
  }
}

function expectClearAnswer(result: Awaited<ReturnType<typeof ingest>>) {
  expect(result.status >= 200 && result.status < 500).toBe(true);
  if (result.status >= 400) expect(result.body.error).toMatch(/\w+/);
  for (const rejection of result.body.rejected ?? []) expect(rejection.error).toMatch(/: /);
}

describe('ingest: any body a client can send', () => {
  it('answers 2xx or 4xx naming the problem, and what it accepts is applied, stored and rendered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), body, async (endpoint, text) => {
        const publisher = new RecordingPublisher();
        const result = await post(endpoint, text, publisher);
        expectClearAnswer(result);
        if (result.status >= 400) expect(publisher.published).toEqual([]);
        await downstream(publisher);
      }),
      { numRuns: 300 },
    );
  });

  it('treats every event of a batch on its own, whatever its neighbours hold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 6 }), async (texts) => {
        const publisher = new RecordingPublisher();
        const valid = `{"type":"track","userId":"ok","event":"Signed Up","messageId":"good"}`;
        // Objects become track calls (unless they name a type of their own); anything else stays as it is.
        const typed = texts.map((text) =>
          /^\{\s*"/.test(text) ? text.replace(/^\{/, '{"type":"track",') : text,
        );
        const batch = `{"batch":[${valid},${typed.join(',')}]}`;
        const result = await post('batch', batch, publisher);
        expectClearAnswer(result);
        // The one good event always goes through, whatever its neighbours are.
        expect(result.status).toBe(200);
        const ids = publisher.published.flatMap(
          (entry) => (entry.detail as DetailOf<typeof CustomerEventsReceived>).events,
        );
        expect(ids.map((event) => event.messageId)).toContain('good');
        await downstream(publisher);
      }),
      { numRuns: 150 },
    );
  });

  it.each(ENDPOINTS)(
    'refuses /v1/%s nested thousands of levels deep with 400 naming the field',
    async (endpoint) => {
      for (const field of ['properties', 'traits', 'context']) {
        for (const kind of ['array', 'object', 'mixed'] as const) {
          const publisher = new RecordingPublisher();
          const text = `{"userId":"u1","event":"E","previousId":"p","groupId":"g","${field}":${nested('1', 5000, kind === 'array' ? 'object' : kind)}}`;
          const result = await post(endpoint, text, publisher);
          expect(result).toEqual({
            status: 400,
            body: { success: false, error: `${field}: nested deeper than ${MAX_NESTING_DEPTH} levels` },
          });
          expect(publisher.published).toEqual([]);
        }
      }
      const publisher = new RecordingPublisher();
      const top = await post(endpoint, nested('1', 5000, 'array'), publisher);
      expect(top.status).toBe(400);
      expect(top.body.error).toBe('body: must be a JSON object');
    },
  );

  it('accepts nesting up to the limit, as deep as any analytics client comes', async () => {
    const publisher = new RecordingPublisher();
    const text = `{"userId":"u1","event":"E","properties":${nested('1', MAX_NESTING_DEPTH, 'object')}}`;
    expect((await post('track', text, publisher)).status).toBe(200);
    const over = `{"userId":"u1","event":"E","properties":${nested('1', MAX_NESTING_DEPTH + 1, 'object')}}`;
    expect((await post('track', over, new RecordingPublisher())).status).toBe(400);
  });

  it('refuses a batch whose shared context is too deep, naming it, and keeps nothing', async () => {
    const publisher = new RecordingPublisher();
    const text = `{"context":${nested('1', 3000, 'object')},"batch":[{"type":"track","userId":"u","event":"E"}]}`;
    const result = await post('batch', text, publisher);
    expect(result).toEqual({
      status: 400,
      body: { success: false, error: `context: nested deeper than ${MAX_NESTING_DEPTH} levels` },
    });
    expect(publisher.published).toEqual([]);
  });

  it('names the deep event of a batch and accepts its neighbours', async () => {
    const publisher = new RecordingPublisher();
    const deep = `{"type":"identify","userId":"d","messageId":"deep","traits":${nested('1', 4000, 'array')}}`;
    const text = `{"batch":[{"type":"track","userId":"u","event":"E","messageId":"ok"},${deep}]}`;
    const result = await post('batch', text, publisher);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      success: true,
      accepted: 1,
      rejected: [
        {
          index: 1,
          messageId: 'deep',
          error: `batch[1].traits: nested deeper than ${MAX_NESTING_DEPTH} levels`,
        },
      ],
    });
  });
});

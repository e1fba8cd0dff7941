/** The settings and template stores on DynamoDB Local. */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoJourneyStore } from '../../shared/adapters/dynamodb/journey-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { DynamoTemplateStore } from '../../shared/adapters/dynamodb/template-store.ts';
import { BUILT_IN_JOURNEYS, withPublished } from '../../shared/domain/journey-set.ts';
import type { JourneyBody, JourneyDefinition, Step } from '../../shared/domain/journeys.ts';
import { defaultLifecycle, defaultPolicy } from '../../shared/domain/rules.ts';
import { engineSettings } from '../../shared/domain/settings.ts';
import { freshTable } from '../support/stack.ts';

let templates: DynamoTemplateStore;
let settings: DynamoSettingsStore;
let db: Awaited<ReturnType<typeof freshTable>>['db'];
let tableName: string;

beforeAll(async () => {
  ({ db, tableName } = await freshTable('stores'));
  templates = new DynamoTemplateStore(db, tableName);
  settings = new DynamoSettingsStore(db, tableName);
});

describe('template store', () => {
  it('numbers versions, keeps old ones, publishes only versions that exist, and deletes everything', async () => {
    const first = await templates.save(
      'promo',
      { subject: 'One', html: '<p>1</p>' },
      '2026-01-01T00:00:00.000Z',
    );
    const second = await templates.save(
      'promo',
      { subject: 'Two', html: '<p>2</p>', description: 'second' },
      '2026-01-02T00:00:00.000Z',
    );
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(await templates.get('promo', 1)).toMatchObject({ subject: 'One', version: 1 });
    expect(await templates.summary('promo')).toEqual({
      name: 'promo',
      latest: 2,
      updatedAt: '2026-01-02T00:00:00.000Z',
      description: 'second',
    });
    expect(await templates.publish('promo', 7, '2026-01-03T00:00:00.000Z')).toBe(false);
    expect(await templates.publish('promo', 1, '2026-01-03T00:00:00.000Z')).toBe(true);
    expect((await templates.summary('promo'))?.published).toBe(1);
    expect((await templates.versions('promo')).map((version) => version.version)).toEqual([1, 2]);
    expect((await templates.list()).map((summary) => summary.name)).toContain('promo');
    expect(await templates.delete('promo')).toBe(true);
    expect(await templates.summary('promo')).toBeUndefined();
    expect(await templates.get('promo', 2)).toBeUndefined();
    expect(await templates.delete('promo')).toBe(false);
  });

  it('gives concurrent saves distinct versions', async () => {
    const saved = await Promise.all(
      Array.from({ length: 4 }, (_, index) =>
        templates.save('busy', { subject: `s${index}`, html: 'h' }, '2026-01-01T00:00:00.000Z'),
      ),
    );
    expect(saved.map((template) => template.version).sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('settings store', () => {
  it('stores what marketers change (stage rules, a journey switched off, the policy) and nothing else', async () => {
    expect(await settings.load()).toEqual({});
    const at = '2026-01-01T00:00:00.000Z';
    await settings.saveLifecycle(
      { ...defaultLifecycle(), atRisk: { ...defaultLifecycle().atRisk, afterDays: 60 } },
      at,
    );
    const farewellOff = { id: 'farewell', versions: {}, published: 0, enabled: false, updatedAt: at };
    expect(await settings.saveJourney(farewellOff, undefined, at)).toBe('saved');
    // A second marketer who started from "never published" loses.
    expect(await settings.saveJourney({ ...farewellOff, enabled: true }, undefined, at)).toBe('conflict');
    await settings.savePolicy({ ...defaultPolicy(), cooldownDays: 7 }, at);
    const effective = engineSettings(await settings.load(), 'secret');
    expect(effective.lifecycle.atRisk.afterDays).toBe(60);
    const journey = (id: string) => effective.journeys.published.find((candidate) => candidate.id === id);
    expect(journey('farewell')?.enabled).toBe(false);
    expect(journey('welcome-kit')).toEqual(
      BUILT_IN_JOURNEYS.find((candidate) => candidate.id === 'welcome-kit'),
    );
    expect(effective.policy.cooldownDays).toBe(7);
  });
});

describe('journey store', () => {
  it('numbers versions, refuses a save from a stale version, and keeps definitions nested deeper than DynamoDB maps allow', async () => {
    const journeys = new DynamoJourneyStore(db, tableName);
    // Branches in branches, each with a nested condition: far deeper than 32 map levels.
    let steps: Step[] = [{ send: { template: 'welcome-kit' } }];
    for (let depth = 0; depth < 6; depth++) {
      steps = [
        {
          branch: {
            if: { any: [{ all: [{ not: { measure: 'orderCount', op: 'gte', value: depth } }] }] },
            then: steps,
          },
        },
      ];
    }
    const body: JourneyBody = {
      name: 'Deep',
      enabled: true,
      category: 'marketing',
      entry: { event: 'Signed Up' },
      steps,
    };
    const first = await journeys.save('deep', body, '2026-01-01T00:00:00.000Z');
    const second = await journeys.save('deep', { ...body, name: 'Deeper' }, '2026-01-02T00:00:00.000Z', 1);
    expect(first).toMatchObject({ id: 'deep', version: 1 });
    expect(second).toMatchObject({ version: 2, name: 'Deeper' });
    expect(await journeys.save('deep', body, '2026-01-03T00:00:00.000Z', 1)).toBe('conflict');
    expect(await journeys.get('deep', 1)).toEqual(first);
    expect((await journeys.versions('deep')).map((version) => version.version)).toEqual([1, 2]);
    expect(await journeys.list()).toContainEqual({
      id: 'deep',
      latest: 2,
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
    // Published, it goes into the settings item every decision reads, and comes back whole.
    const definition = (await journeys.get('deep', 2)) as JourneyDefinition;
    await settings.saveJourney(
      withPublished(undefined, definition, '2026-01-04T00:00:00.000Z'),
      undefined,
      '2026-01-04T00:00:00.000Z',
    );
    expect((await settings.load()).journeys?.deep?.versions['2']).toEqual(definition);
  });
});

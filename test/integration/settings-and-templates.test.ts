/** The settings and template stores on DynamoDB Local. */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { DynamoTemplateStore } from '../../shared/adapters/dynamodb/template-store.ts';
import { defaultCampaigns, defaultPolicy } from '../../shared/domain/campaigns.ts';
import { engineSettings } from '../../shared/domain/settings.ts';
import { freshTable } from '../support/stack.ts';

let templates: DynamoTemplateStore;
let settings: DynamoSettingsStore;

beforeAll(async () => {
  const { db, tableName } = await freshTable('stores');
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
  it('stores what marketers change, campaign by campaign, and nothing else', async () => {
    expect(await settings.load()).toEqual({});
    const winBack = { ...defaultCampaigns()['win-back'], afterDays: 60 };
    await settings.saveCampaign('win-back', winBack, '2026-01-01T00:00:00.000Z');
    await settings.saveCampaign(
      'farewell',
      { ...defaultCampaigns().farewell, enabled: false },
      '2026-01-01T00:00:00.000Z',
    );
    await settings.savePolicy({ ...defaultPolicy(), cooldownDays: 7 }, '2026-01-01T00:00:00.000Z');
    const effective = engineSettings(await settings.load(), 'secret');
    expect(effective.campaigns['win-back'].afterDays).toBe(60);
    expect(effective.campaigns.farewell.enabled).toBe(false);
    expect(effective.campaigns['welcome-kit']).toEqual(defaultCampaigns()['welcome-kit']);
    expect(effective.policy.cooldownDays).toBe(7);
  });
});

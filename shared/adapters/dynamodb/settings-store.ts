import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignId, CampaignsSettings, ContactPolicy } from '../../domain/campaigns.ts';
import type { FittedModel } from '../../domain/models/fitted.ts';
import type { StoredSettings } from '../../domain/settings.ts';
import type { SettingsStore } from '../../ports.ts';
import { settingsSource } from '../../settings-source.ts';
import { secretValue } from '../secrets.ts';
import { TABLE_KEYS } from './table.ts';

export const SETTINGS_KEY = { [TABLE_KEYS.partition]: 'SETTINGS', [TABLE_KEYS.sort]: 'CURRENT' };

/**
 * Marketers' settings live in one small item, read by every decision (so a change applies to the
 * next one) and written field by field (so two marketers editing two campaigns do not clash).
 */
export class DynamoSettingsStore implements SettingsStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(): Promise<StoredSettings> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: SETTINGS_KEY, ConsistentRead: true }),
    );
    if (!item) return {};
    const stored: StoredSettings = {};
    if (item.campaigns) stored.campaigns = item.campaigns as Partial<CampaignsSettings>;
    if (item.policy) stored.policy = item.policy as ContactPolicy;
    if (item.model) stored.model = item.model as FittedModel;
    return stored;
  }

  async saveCampaign<K extends CampaignId>(
    campaignId: K,
    settings: CampaignsSettings[K],
    at: string,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SETTINGS_KEY,
        // The map is created on the first write; later writes replace one campaign's entry only.
        UpdateExpression: 'SET campaigns = if_not_exists(campaigns, :empty), updatedAt = :at',
        ExpressionAttributeValues: { ':empty': {}, ':at': at },
      }),
    );
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SETTINGS_KEY,
        UpdateExpression: 'SET campaigns.#id = :settings, updatedAt = :at',
        ExpressionAttributeNames: { '#id': campaignId },
        ExpressionAttributeValues: { ':settings': settings, ':at': at },
      }),
    );
  }

  async savePolicy(policy: ContactPolicy, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SETTINGS_KEY,
        UpdateExpression: 'SET policy = :policy, updatedAt = :at',
        ExpressionAttributeValues: { ':policy': policy, ':at': at },
      }),
    );
  }
}

/**
 * The engine's settings as every function reads them: this store's overrides on the defaults,
 * with the offer secret (its value, or its Secrets Manager id, from the function's configuration).
 */
export function storedEngineSettings(
  store: SettingsStore,
  offerSecret: { OFFER_SECRET?: string | undefined; OFFER_SECRET_ID?: string | undefined },
) {
  return settingsSource(
    store,
    secretValue(offerSecret.OFFER_SECRET, offerSecret.OFFER_SECRET_ID, 'OFFER_SECRET'),
  );
}

import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredJourney } from '../../domain/journey-set.ts';
import type { FittedModel } from '../../domain/models/fitted.ts';
import type { ContactPolicy, LifecycleRules } from '../../domain/rules.ts';
import type { StoredSegment, StoredSettings } from '../../domain/settings.ts';
import type { SettingsStore } from '../../ports.ts';
import { settingsSource } from '../../settings-source.ts';
import { secretValue } from '../secrets.ts';
import { packDefinitions, unpackDefinitions } from './journey-store.ts';
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
    if (item.lifecycle) stored.lifecycle = item.lifecycle as LifecycleRules;
    if (item.journeys) {
      stored.journeys = Object.fromEntries(
        Object.entries(item.journeys as Record<string, StoredJourney & { versions: unknown }>).map(
          ([id, record]) => [id, { ...record, versions: unpackDefinitions(record.versions) }],
        ),
      );
    }
    if (item.policy) stored.policy = item.policy as ContactPolicy;
    if (item.model) stored.model = item.model as FittedModel;
    if (item.segments) stored.segments = item.segments as Record<string, StoredSegment>;
    if (Array.isArray(item.webhookEvents)) stored.webhookEvents = item.webhookEvents as string[];
    return stored;
  }

  /**
   * Saves a segment's new version (or a deletion) in one transaction: the version kept for
   * history, and the current definition in the settings item every decision reads. Conditional
   * on the version the marketer started from: two saves from the same version do not both win.
   */
  async saveSegment(segment: StoredSegment, previousVersion: number): Promise<'saved' | 'conflict'> {
    await this.ensureMap('segments', segment.updatedAt);
    const versionKey = {
      [TABLE_KEYS.partition]: `SEGMENT#${segment.id}`,
      [TABLE_KEYS.sort]: `VERSION#${String(segment.version).padStart(6, '0')}`,
    };
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...versionKey, entity: 'segment-version', ...segment },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': TABLE_KEYS.partition },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: SETTINGS_KEY,
                UpdateExpression: 'SET #segments.#id = :segment, updatedAt = :at',
                ConditionExpression:
                  previousVersion === 0
                    ? 'attribute_not_exists(#segments.#id)'
                    : '#segments.#id.#version = :previous',
                ExpressionAttributeNames: {
                  '#segments': 'segments',
                  '#id': segment.id,
                  ...(previousVersion === 0 ? {} : { '#version': 'version' }),
                },
                ExpressionAttributeValues: {
                  ':segment': segment,
                  ':at': segment.updatedAt,
                  ...(previousVersion === 0 ? {} : { ':previous': previousVersion }),
                },
              },
            },
          ],
        }),
      );
      return 'saved';
    } catch (error) {
      if (error instanceof TransactionCanceledException) return 'conflict';
      throw error;
    }
  }

  /** The map attribute `name` of the settings item, created empty on first use. */
  private async ensureMap(name: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SETTINGS_KEY,
        UpdateExpression: 'SET #map = if_not_exists(#map, :empty), updatedAt = :at',
        ExpressionAttributeNames: { '#map': name },
        ExpressionAttributeValues: { ':empty': {}, ':at': at },
      }),
    );
  }

  /** One top-level part of the settings item, replaced whole (the stage rules, the policy, ...). */
  private async setTopLevel(name: string, value: unknown, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SETTINGS_KEY,
        UpdateExpression: 'SET #name = :value, updatedAt = :at',
        ExpressionAttributeNames: { '#name': name },
        ExpressionAttributeValues: { ':value': value, ':at': at },
      }),
    );
  }

  saveLifecycle(rules: LifecycleRules, at: string): Promise<void> {
    return this.setTopLevel('lifecycle', rules, at);
  }

  /**
   * A journey's published versions, in the settings item every decision reads, conditional on the
   * published version the marketer started from: two publishes from the same one do not both win.
   */
  async saveJourney(
    record: StoredJourney,
    previousPublished: number | undefined,
    at: string,
  ): Promise<'saved' | 'conflict'> {
    await this.ensureMap('journeys', at);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: SETTINGS_KEY,
          UpdateExpression: 'SET #journeys.#id = :record, updatedAt = :at',
          ConditionExpression:
            previousPublished === undefined
              ? 'attribute_not_exists(#journeys.#id)'
              : '#journeys.#id.#published = :previous',
          ExpressionAttributeNames: {
            '#journeys': 'journeys',
            '#id': record.id,
            ...(previousPublished === undefined ? {} : { '#published': 'published' }),
          },
          ExpressionAttributeValues: {
            ':record': { ...record, versions: packDefinitions(record.versions) },
            ':at': at,
            ...(previousPublished === undefined ? {} : { ':previous': previousPublished }),
          },
        }),
      );
      return 'saved';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  saveWebhookEvents(types: string[], at: string): Promise<void> {
    return this.setTopLevel('webhookEvents', types, at);
  }

  savePolicy(policy: ContactPolicy, at: string): Promise<void> {
    return this.setTopLevel('policy', policy, at);
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

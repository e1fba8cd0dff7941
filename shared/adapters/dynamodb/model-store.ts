import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { KeptInsights } from '../../domain/insights.ts';
import type { FittedModel } from '../../domain/models/fitted.ts';
import type { ModelStore } from '../../ports.ts';
import { SETTINGS_KEY } from './settings-store.ts';
import { TABLE_KEYS } from './table.ts';

const HISTORY = 'MODEL';
const INSIGHTS_KEY = { [TABLE_KEYS.partition]: HISTORY, [TABLE_KEYS.sort]: 'INSIGHTS' };

/**
 * The latest model sits in the settings item, so each decision reads settings and model in one
 * read; every fit is also kept under MODEL / FIT#<asOf>#<fittedAt>, for the record, and the
 * best-customer insights of the last fit under MODEL / INSIGHTS.
 */
export class DynamoModelStore implements ModelStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async save(model: FittedModel): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [TABLE_KEYS.partition]: HISTORY,
          [TABLE_KEYS.sort]: `FIT#${model.asOf}#${model.fittedAt}`,
          entity: 'model',
          model,
        },
      }),
    );
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SETTINGS_KEY,
        UpdateExpression: 'SET #model = :model',
        ExpressionAttributeNames: { '#model': 'model' },
        ExpressionAttributeValues: { ':model': model },
      }),
    );
  }

  async current(): Promise<FittedModel | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: SETTINGS_KEY, ConsistentRead: true }),
    );
    return item?.model as FittedModel | undefined;
  }

  async history(limit: number): Promise<FittedModel[]> {
    const { Items: items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :fit)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partition, '#sk': TABLE_KEYS.sort },
        ExpressionAttributeValues: { ':pk': HISTORY, ':fit': 'FIT#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return items.map((item) => item.model as FittedModel);
  }

  async keepInsights(insights: KeptInsights): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...INSIGHTS_KEY, entity: 'insights', insights },
      }),
    );
  }

  async insights(): Promise<KeptInsights | undefined> {
    const { Item: item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: INSIGHTS_KEY }),
    );
    return item?.insights as KeptInsights | undefined;
  }
}

import { describe, expect, it } from 'vitest';
import { costOf, difference, EMPTY_USAGE, price, scaled, sum, type Usage } from '../../scripts/cost-model.ts';

const usage: Usage = {
  ...EMPTY_USAGE,
  lambda: {
    ingest: { invocations: 1000, billedMs: 20_000, memoryMb: 512 },
    'apply-event': { invocations: 200, billedMs: 40_000, memoryMb: 1024 },
  },
  dynamodbWriteUnits: 2000,
  dynamodbReadUnits: 500,
  busEvents: 300,
  sqsRequests: 150,
  emails: 10,
  apiRequests: 1000,
  logBytes: 1024 ** 3,
  traces: 60,
};

describe('the cost model', () => {
  it('prices each part at its list price, and the total is the sum of its lines', () => {
    const cost = costOf(usage);
    const byItem = Object.fromEntries(cost.items.map((item) => [item.item, item]));
    expect(byItem['Lambda requests']?.quantity).toBe(1200);
    // 20 s at 0.5 GB and 40 s at 1 GB: 50 GB-seconds.
    expect(byItem['Lambda duration (arm64)']?.quantity).toBe(50);
    expect(byItem['Lambda duration (arm64)']?.usd).toBeCloseTo(50 * price('lambdaGbSecondArm'), 4);
    expect(byItem['DynamoDB writes (on demand)']?.usd).toBeCloseTo(
      2000 * price('dynamodbWriteRequestUnit'),
      4,
    );
    expect(byItem['CloudWatch Logs ingestion']?.quantity).toBe(1);
    expect(byItem['SES emails']?.usd).toBeCloseTo(10 * price('sesEmail'), 4);
    expect(cost.usd).toBeCloseTo(
      cost.items.reduce((total, item) => total + item.quantity * item.usdEach, 0),
      2,
    );
    // Largest first.
    expect(cost.items.map((item) => item.usd)).toEqual(
      [...cost.items.map((item) => item.usd)].sort((a, b) => b - a),
    );
  });

  it('scales, adds and subtracts usage part by part, functions included', () => {
    const doubled = scaled(usage, 2);
    expect(doubled.lambda.ingest?.invocations).toBe(2000);
    expect(doubled.lambda.ingest?.memoryMb).toBe(512);
    expect(doubled.emails).toBe(20);
    expect(difference(sum(usage, usage), usage)).toEqual(usage);
    expect(costOf(doubled).usd).toBeCloseTo(costOf(usage).usd * 2, 1);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { countedAsMetrics, metrics } from '../../shared/observability.ts';

afterEach(() => vi.restoreAllMocks());

/** What Powertools writes to stdout as it flushes: CloudWatch's Embedded Metric Format, one JSON a line. */
function flushedLines(): Record<string, unknown>[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  metrics.publishStoredMetrics();
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe('metrics', () => {
  it('counts a source’s accepted and rejected events as it records them, as EMF in the namespace', async () => {
    const recorded: unknown[] = [];
    const record = countedAsMetrics(async (...args) => {
      recorded.push(args);
    });
    await record('default', '2026-11-30T10:00:00.000Z', {
      accepted: 7,
      rejected: 2,
      ignored: 1,
      reasons: ['x'],
    });
    expect(recorded).toHaveLength(1);
    const [emf] = flushedLines();
    expect(emf).toMatchObject({ EventsAccepted: 7, EventsRejected: 3, service: 'lifecycle' });
    const directive = (
      emf as { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] } }
    )._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('LifecyclePipeline');
    expect(directive?.Metrics.map((metric) => metric.Name).sort()).toEqual([
      'EventsAccepted',
      'EventsRejected',
    ]);
  });
});

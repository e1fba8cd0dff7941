/**
 * Charts a marketer reads at a glance. Each is drawn with plain HTML or SVG, carries a text
 * alternative, and keeps its numbers in a table for screen readers and for reading exactly.
 */
import type { Metrics } from '../../shared/domain/metrics.ts';
import type { Stage } from '../../shared/domain/profile.ts';
import { count, label, percent, points } from './format.ts';

export const STAGE_ORDER: Stage[] = [
  'acquaintance',
  'buildup',
  'continuation',
  'deterioration',
  'termination',
];
export const STAGE_HINT: Record<Stage, string> = {
  acquaintance: 'known, no order yet',
  buildup: 'first order',
  continuation: 'repeat customer',
  deterioration: 'gone quiet',
  termination: 'ended',
};

/** Customers per stage, as a funnel of bars. */
export function StageFunnel({ byStage }: { byStage: Record<Stage, number> }) {
  const total = STAGE_ORDER.reduce((sum, stage) => sum + byStage[stage], 0);
  const largest = Math.max(1, ...STAGE_ORDER.map((stage) => byStage[stage]));
  return (
    <ol class="funnel" aria-label="Customers per stage">
      {STAGE_ORDER.map((stage) => (
        <li key={stage}>
          <span class="funnel-label">
            {label(stage)} <small>{STAGE_HINT[stage]}</small>
          </span>
          <span class="funnel-track" aria-hidden="true">
            <span
              class={`funnel-bar stage-${stage}`}
              style={{ width: `${(byStage[stage] / largest) * 100}%` }}
            />
          </span>
          <span class="funnel-value">
            {count(byStage[stage])} <small>({percent(total > 0 ? byStage[stage] / total : null)})</small>
          </span>
        </li>
      ))}
    </ol>
  );
}

/** Stage changes per day, as stacked columns. */
export function StageChanges({
  changes,
  from,
  to,
}: {
  changes: Metrics['stageChanges'];
  from: string;
  to: string;
}) {
  const days: string[] = [];
  for (let time = Date.parse(from); time <= Date.parse(to); time += 86_400_000)
    days.push(new Date(time).toISOString().slice(0, 10));
  const byDay = new Map(changes.map((change) => [change.date, change]));
  const totals = days.map((day) =>
    STAGE_ORDER.reduce((sum, stage) => sum + (byDay.get(day)?.[stage] ?? 0), 0),
  );
  const highest = Math.max(1, ...totals);
  const width = 560;
  const height = 200;
  const column = width / Math.max(1, days.length);
  const all = totals.reduce((sum, value) => sum + value, 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-labelledby="changes-title changes-desc">
        <title id="changes-title">Stage changes per day</title>
        <desc id="changes-desc">
          {`${count(all)} stage changes from ${from} to ${to}; the busiest day had ${count(highest === 1 && all === 0 ? 0 : highest)}.`}
        </desc>
        <line x1="0" x2={width} y1={height} y2={height} class="axis" />
        {days.map((day, index) => {
          let y = height;
          return (
            <g key={day}>
              {STAGE_ORDER.map((stage) => {
                const value = byDay.get(day)?.[stage] ?? 0;
                if (value === 0) return null;
                const barHeight = (value / highest) * (height - 10);
                y -= barHeight;
                return (
                  <rect
                    key={stage}
                    class={`stage-${stage}`}
                    x={index * column + column * 0.1}
                    y={y}
                    width={column * 0.8}
                    height={barHeight}
                  >
                    <title>{`${day}: ${value} to ${stage}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        <text x="0" y={height + 16} class="tick">
          {from}
        </text>
        <text x={width} y={height + 16} class="tick" text-anchor="end">
          {to}
        </text>
      </svg>
      <figcaption>
        <Legend />
      </figcaption>
      <details>
        <summary>Stage changes as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {STAGE_ORDER.map((stage) => (
                <th scope="col" key={stage}>
                  {label(stage)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {changes.map((change) => (
              <tr key={change.date}>
                <th scope="row">{change.date}</th>
                {STAGE_ORDER.map((stage) => (
                  <td key={stage}>{change[stage]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function Legend() {
  return (
    <ul class="legend">
      {STAGE_ORDER.map((stage) => (
        <li key={stage}>
          <span class={`swatch stage-${stage}`} aria-hidden="true" />
          {label(stage)}
        </li>
      ))}
    </ul>
  );
}

const FUNNEL_STEPS = ['sent', 'delivered', 'opened', 'clicked', 'converted'] as const;

/** Emails per campaign: sent, delivered, opened, clicked, converted, with bars in the cells. */
export function CampaignTable({ campaigns }: { campaigns: Metrics['campaigns'] }) {
  const rows = Object.entries(campaigns);
  const largest = Math.max(1, ...rows.map(([, metrics]) => metrics.sent + metrics.heldOut));
  return (
    <table class="campaign-table">
      <caption>Emails per campaign in the window</caption>
      <thead>
        <tr>
          <th scope="col">Campaign</th>
          {FUNNEL_STEPS.map((step) => (
            <th scope="col" key={step}>
              {label(step)}
            </th>
          ))}
          <th scope="col">Held out</th>
          <th scope="col">Conversion</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([id, metrics]) => (
          <tr key={id}>
            <th scope="row">{label(id)}</th>
            {FUNNEL_STEPS.map((step) => (
              <td key={step}>
                <span
                  class="cell-bar"
                  aria-hidden="true"
                  style={{ width: `${(metrics[step] / largest) * 100}%` }}
                />
                {count(metrics[step])}
              </td>
            ))}
            <td>{count(metrics.heldOut)}</td>
            <td>
              {percent(metrics.conversionRate)}
              {metrics.heldOut > 0 ? (
                <small> vs {percent(metrics.heldOutConversionRate)} held out</small>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The uplift over the holdout with its 95% interval, one row per campaign that has both groups. */
export function UpliftChart({ campaigns }: { campaigns: Metrics['campaigns'] }) {
  const rows = Object.entries(campaigns).flatMap(([id, metrics]) =>
    metrics.uplift ? [{ id, ...metrics.uplift }] : [],
  );
  if (rows.length === 0) {
    return (
      <p class="empty">
        No campaign has both sent and held-out customers in this window yet. Give a campaign a holdout share
        to measure what it adds.
      </p>
    );
  }
  const extent = Math.max(0.05, ...rows.flatMap((row) => [Math.abs(row.low), Math.abs(row.high)]));
  const width = 960;
  const labelWidth = 240;
  const rowHeight = 40;
  const plot = width - labelWidth - 20;
  const x = (value: number) => labelWidth + ((value + extent) / (2 * extent)) * plot;
  const height = rows.length * rowHeight + 24;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="uplift-title uplift-desc">
        <title id="uplift-title">Uplift over the holdout, with 95% confidence intervals</title>
        <desc id="uplift-desc">
          {rows
            .map(
              (row) => `${label(row.id)}: ${points(row.uplift)} (${points(row.low)} to ${points(row.high)})`,
            )
            .join('; ')}
        </desc>
        <line x1={x(0)} x2={x(0)} y1="0" y2={height - 20} class="zero" />
        {rows.map((row, index) => {
          const y = index * rowHeight + rowHeight / 2;
          return (
            <g key={row.id}>
              <text x="0" y={y + 4} class="row-label">
                {label(row.id)}
              </text>
              <line
                x1={x(row.low)}
                x2={x(row.high)}
                y1={y}
                y2={y}
                class={row.significant ? 'ci significant' : 'ci'}
              />
              <circle
                cx={x(row.uplift)}
                cy={y}
                r="5"
                class={row.significant ? 'point significant' : 'point'}
              />
            </g>
          );
        })}
        <text x={x(-extent)} y={height - 4} class="tick">
          {points(-extent)}
        </text>
        <text x={x(0)} y={height - 4} class="tick" text-anchor="middle">
          0
        </text>
        <text x={x(extent)} y={height - 4} class="tick" text-anchor="end">
          {points(extent)}
        </text>
      </svg>
      <table>
        <caption>Conversion with and without the email</caption>
        <thead>
          <tr>
            <th scope="col">Campaign</th>
            <th scope="col">Uplift</th>
            <th scope="col">95% interval</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              <th scope="row">{label(row.id)}</th>
              <td>{points(row.uplift)}</td>
              <td>
                {points(row.low)} to {points(row.high)}
              </td>
              <td>{row.significant ? (row.uplift > 0 ? 'works' : 'hurts') : 'not yet clear'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** How numbers and times read in the console. */
const integer = new Intl.NumberFormat('en-US');
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

export const count = (value: number) => integer.format(value);
export const amount = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : money.format(value);
export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : percentFormat.format(value);
/** A signed difference in percentage points. */
export const points = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)} pts`;

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

export function daysAgo(days: number, from = new Date()): string {
  return new Date(from.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

export function label(id: string): string {
  return id.replace(/-/g, ' ').replace(/^\w/, (first) => first.toUpperCase());
}

/** `1 email`, `3 emails`: a count and its noun. */
export const counted = (value: number, one: string, many = `${one}s`) =>
  `${count(value)} ${value === 1 ? one : many}`;

/** `GET /admin/audit?from&to&who&what`: who changed what, when, from what to what (the newest first). */
import type { AuditLog } from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface AuditDeps {
  audit: Pick<AuditLog, 'entries'>;
  now: () => Date;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A window is read day by day: at most a quarter at once. */
const MAX_DAYS = 92;
const MAX_ENTRIES = 500;

export async function readAudit(query: Record<string, string | undefined>, deps: AuditDeps): Promise<Answer> {
  const today = deps.now().toISOString().slice(0, 10);
  const to = query.to ?? today;
  const from = query.from ?? new Date(Date.parse(to) - 6 * 86_400_000).toISOString().slice(0, 10);
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const)
    if (!DAY.test(value) || Number.isNaN(Date.parse(value)))
      return invalid([{ field, message: 'must be a day, YYYY-MM-DD' }]);
  if (from > to) return invalid([{ field: 'from', message: 'must not be after to' }]);
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_DAYS)
    return invalid([{ field: 'from', message: `the window must be at most ${MAX_DAYS} days` }]);
  const entries = await deps.audit.entries(
    { from, to, ...(query.who ? { who: query.who } : {}), ...(query.what ? { what: query.what } : {}) },
    MAX_ENTRIES + 1,
  );
  return {
    status: 200,
    body: { from, to, entries: entries.slice(0, MAX_ENTRIES), more: entries.length > MAX_ENTRIES },
  };
}

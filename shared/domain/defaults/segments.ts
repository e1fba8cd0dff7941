/**
 * The segments a shop has on day one, shipped as data (one JSON file each, in the format a
 * marketer writes at PUT /admin/segments/{id}). They are visible and editable like any other:
 * a stored version replaces the built-in one, and a built-in one can be deleted.
 */
import atRisk from './segments/at-risk.json' with { type: 'json' };
import bestCustomers from './segments/best-customers.json' with { type: 'json' };
import lapsedVips from './segments/lapsed-vips.json' with { type: 'json' };
import lapsedVisitors from './segments/lapsed-visitors.json' with { type: 'json' };
import likelyToReturn from './segments/likely-to-return.json' with { type: 'json' };
import oneTimeBuyers from './segments/one-time-buyers.json' with { type: 'json' };
import subscribersNeverBought from './segments/subscribers-never-bought.json' with { type: 'json' };

/** Raw, as the files hold them: validated with every other definition when settings are read. */
export const DEFAULT_SEGMENTS: Record<string, unknown> = {
  'at-risk': atRisk,
  'best-customers': bestCustomers,
  'lapsed-visitors': lapsedVisitors,
  'lapsed-vips': lapsedVips,
  'likely-to-return': likelyToReturn,
  'one-time-buyers': oneTimeBuyers,
  'subscribers-never-bought': subscribersNeverBought,
};

/**
 * The admin API's routes, by API Gateway route key (the same in AWS and in the local stack), each
 * a thin call into its use case.
 */
import * as z from 'zod';
import { HttpError, json } from '../../shared/adapters/http/api-gateway.ts';
import { routesOf } from '../../shared/domain/access.ts';
import { problemsOf } from '../../shared/domain/settings.ts';
import type { SweepDeps } from '../sweep/sweep.ts';
import { sweep } from '../sweep/sweep.ts';
import { type AuditDeps, readAudit } from './audit.ts';
import {
  type BroadcastDeps,
  cancelBroadcast,
  createBroadcast,
  getBroadcast,
  listBroadcasts,
  previewBroadcast,
} from './broadcasts.ts';
import {
  type CustomerDataDeps,
  type CustomerDeps,
  eraseCustomer,
  exportCustomer,
  findCustomers,
  getCustomer,
  listCustomers,
} from './customers.ts';
import { type DeadLetterDeps, listDeadLetters, redriveDeadLetters } from './dead-letters.ts';
import { answer, body, invalid, param, type Route } from './http.ts';
import { getBestCustomers, getMetrics, getModel, type InsightDeps, refitModel } from './insights.ts';
import {
  backtestJourney,
  deleteJourney,
  getJob,
  getJourney,
  type JourneyDeps,
  listJourneys,
  publishJourney,
  putJourney,
  switchJourney,
  testJourney,
} from './journeys.ts';
import { getLifecycle, getPolicy, type RulesDeps, updateLifecycle, updatePolicy } from './rules.ts';
import {
  deleteSegment,
  getSegment,
  listSegments,
  previewSegment,
  putSegment,
  type SegmentDeps,
  segmentMembers,
} from './segments.ts';
import {
  createSource,
  getSource,
  listSources,
  revokeSource,
  rotateSource,
  type SourceDeps,
} from './sources.ts';
import { createToken, listTokens, revokeToken, type TokenDeps } from './tokens.ts';
import {
  type AdminWebhookDeps,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  putWebhook,
  rotateWebhookSecret,
  testWebhook,
  webhookDeliveries,
} from './webhooks.ts';

export interface AdminDeps {
  webhooks: AdminWebhookDeps;
  sources: SourceDeps;
  customers: CustomerDeps;
  customerData: CustomerDataDeps;
  rules: RulesDeps;
  journeys: JourneyDeps;
  sweep: SweepDeps;
  insights: InsightDeps;
  segments: SegmentDeps;
  broadcasts: BroadcastDeps;
  tokens: TokenDeps;
  audit: AuditDeps;
  deadLetters: DeadLetterDeps;
  now: () => Date;
}

export const sweepRequest = z.strictObject({ now: z.iso.datetime({ offset: true }).optional() });

export function adminRoutes(deps: AdminDeps): Record<string, Route> {
  return {
    'GET /admin/me': async (_event, caller) =>
      json(200, {
        name: caller.name,
        ...(caller.kind === 'person' ? { role: caller.role } : { token: caller.id, scopes: caller.scopes }),
        routes: routesOf(caller),
      }),
    'GET /admin/audit': (event) => answer(readAudit(event.queryStringParameters ?? {}, deps.audit)),
    'GET /admin/tokens': () => answer(listTokens(deps.tokens)),
    'POST /admin/tokens': (event, caller) => answer(createToken(body(event), caller, deps.tokens)),
    'DELETE /admin/tokens/{id}': (event) => answer(revokeToken(param(event, 'id'), deps.tokens)),
    'GET /admin/dead-letters': () => answer(listDeadLetters(deps.deadLetters)),
    'POST /admin/dead-letters/redrive': (event) => answer(redriveDeadLetters(body(event), deps.deadLetters)),
    'GET /admin/customers': async (event) => {
      const query = event.queryStringParameters ?? {};
      const email = query.email?.trim();
      if (email !== undefined) {
        if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new HttpError(400, 'email: must be an email address');
        return json(200, await findCustomers(email, deps.customers));
      }
      return answer(listCustomers(query, { ...deps.customers, ...deps.segments }));
    },
    'GET /admin/broadcasts': () => answer(listBroadcasts(deps.broadcasts)),
    'POST /admin/broadcasts': (event) => answer(createBroadcast(body(event), deps.broadcasts)),
    'POST /admin/broadcasts/preview': (event) => answer(previewBroadcast(body(event), deps.broadcasts)),
    'GET /admin/broadcasts/{id}': (event) => answer(getBroadcast(param(event, 'id'), deps.broadcasts)),
    'POST /admin/broadcasts/{id}/cancel': (event) =>
      answer(cancelBroadcast(param(event, 'id'), deps.broadcasts)),
    'GET /admin/segments': () => answer(listSegments(deps.segments)),
    'POST /admin/segments/preview': (event) => answer(previewSegment(body(event), deps.segments)),
    'GET /admin/segments/{id}': (event) => answer(getSegment(param(event, 'id'), deps.segments)),
    'PUT /admin/segments/{id}': (event) => answer(putSegment(param(event, 'id'), body(event), deps.segments)),
    'DELETE /admin/segments/{id}': (event) => answer(deleteSegment(param(event, 'id'), deps.segments)),
    'GET /admin/segments/{id}/members': (event) =>
      answer(segmentMembers(param(event, 'id'), event.queryStringParameters ?? {}, deps.segments)),
    'GET /admin/customers/{id}': async (event) => {
      const id = param(event, 'id');
      const customer = await getCustomer(id, deps.customers);
      if (!customer) throw new HttpError(404, `no customer with id ${id}`);
      return json(200, customer);
    },
    'DELETE /admin/customers/{id}': async (event) => {
      const id = param(event, 'id');
      const erased = await eraseCustomer(id, deps.customerData);
      if (!erased) throw new HttpError(404, `no customer with id ${id}`);
      return json(200, erased);
    },
    'GET /admin/customers/{id}/export': async (event) => {
      const id = param(event, 'id');
      const exported = await exportCustomer(id, deps.customerData);
      if (!exported) throw new HttpError(404, `no customer with id ${id}`);
      return json(200, exported, { 'content-disposition': `attachment; filename="customer-export.json"` });
    },
    'GET /admin/suppressions/{address}': async (event) => {
      const address = param(event, 'address');
      const suppression = await deps.customerData.suppressions.get(address);
      if (!suppression) throw new HttpError(404, `${address} is not suppressed`);
      return json(200, { address, ...suppression });
    },
    'PUT /admin/suppressions/{address}': async (event) => {
      const address = param(event, 'address');
      if (!/^[^\s@]+@[^\s@]+$/.test(address)) throw new HttpError(400, 'address: must be an email address');
      const suppression = {
        reason: 'manual' as const,
        at: deps.now().toISOString(),
        detail: 'added by a marketer',
      };
      await deps.customerData.suppressions.put(address, suppression);
      return json(200, { address, ...((await deps.customerData.suppressions.get(address)) ?? suppression) });
    },
    'DELETE /admin/suppressions/{address}': async (event) => {
      const address = param(event, 'address');
      if (!(await deps.customerData.suppressions.remove(address)))
        throw new HttpError(404, `${address} is not suppressed`);
      return json(200, { removed: address });
    },
    'POST /admin/sweep': async (event) => {
      const request = sweepRequest.safeParse(body(event) ?? {});
      if (!request.success) return answer(Promise.resolve(invalid(problemsOf(request.error))));
      const now = request.data.now ? new Date(request.data.now) : deps.now();
      // Answers once the due timers are applied (or with what is still pending after 25 s).
      return json(200, await sweep(now, deps.sweep, { wait: { timeoutMs: 25_000 } }));
    },
    'GET /admin/journeys': () => answer(listJourneys(deps.journeys)),
    'GET /admin/journeys/{id}': (event) =>
      answer(getJourney(param(event, 'id'), event.queryStringParameters ?? {}, deps.journeys)),
    'PUT /admin/journeys/{id}': (event) => answer(putJourney(param(event, 'id'), body(event), deps.journeys)),
    'DELETE /admin/journeys/{id}': (event) => answer(deleteJourney(param(event, 'id'), deps.journeys)),
    'POST /admin/journeys/{id}/publish': (event) =>
      answer(publishJourney(param(event, 'id'), body(event), deps.journeys)),
    'POST /admin/journeys/{id}/enable': (event) =>
      answer(switchJourney(param(event, 'id'), true, deps.journeys)),
    'POST /admin/journeys/{id}/disable': (event) =>
      answer(switchJourney(param(event, 'id'), false, deps.journeys)),
    'POST /admin/journeys/{id}/test': (event) =>
      answer(testJourney(param(event, 'id'), body(event), deps.journeys)),
    'POST /admin/journeys/{id}/backtest': (event) =>
      answer(backtestJourney(param(event, 'id'), body(event), deps.journeys)),
    'GET /admin/jobs/{id}': (event) => answer(getJob(param(event, 'id'), deps.journeys)),
    'GET /admin/lifecycle': () => answer(getLifecycle(deps.rules)),
    'PUT /admin/lifecycle': (event) => answer(updateLifecycle(body(event), deps.rules)),
    'GET /admin/contact-policy': () => answer(getPolicy(deps.rules)),
    'GET /admin/metrics': (event) => answer(getMetrics(event.queryStringParameters ?? {}, deps.insights)),
    'GET /admin/insights/best-customers': (event) =>
      answer(getBestCustomers(event.queryStringParameters ?? {}, deps.insights)),
    'GET /admin/model': () => answer(getModel(deps.insights)),
    'POST /admin/model/fit': (event) => answer(refitModel(body(event), deps.insights)),
    'PUT /admin/contact-policy': (event) => answer(updatePolicy(body(event), deps.rules)),
    'GET /admin/sources': () => answer(listSources(deps.sources)),
    'POST /admin/sources': (event) => answer(createSource(body(event), deps.sources)),
    'GET /admin/sources/{id}': (event) => answer(getSource(param(event, 'id'), deps.sources)),
    'POST /admin/sources/{id}/rotate': (event) =>
      answer(rotateSource(param(event, 'id'), body(event), deps.sources)),
    'POST /admin/sources/{id}/revoke': (event) => answer(revokeSource(param(event, 'id'), deps.sources)),
    'GET /admin/webhooks': () => answer(listWebhooks(deps.webhooks)),
    'GET /admin/webhooks/{id}': (event) => answer(getWebhook(param(event, 'id'), deps.webhooks)),
    'PUT /admin/webhooks/{id}': (event) => answer(putWebhook(param(event, 'id'), body(event), deps.webhooks)),
    'DELETE /admin/webhooks/{id}': (event) => answer(deleteWebhook(param(event, 'id'), deps.webhooks)),
    'GET /admin/webhooks/{id}/deliveries': (event) =>
      answer(webhookDeliveries(param(event, 'id'), deps.webhooks)),
    'POST /admin/webhooks/{id}/test': (event) => answer(testWebhook(param(event, 'id'), deps.webhooks)),
    'POST /admin/webhooks/{id}/secret': (event) =>
      answer(rotateWebhookSecret(param(event, 'id'), deps.webhooks)),
  };
}

/** The route keys, for the topology (API Gateway routes) to list. */
export const ADMIN_ROUTE_KEYS = Object.keys(adminRoutes({} as AdminDeps));

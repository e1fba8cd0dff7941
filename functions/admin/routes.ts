/**
 * The admin API's routes, by API Gateway route key (the same in AWS and in the local stack), each
 * a thin call into its use case.
 */
import * as z from 'zod';
import {
  bodyBytes,
  HttpError,
  type HttpEvent,
  type HttpResult,
  json,
  parseJson,
} from '../../shared/adapters/http/api-gateway.ts';
import { problemsOf } from '../../shared/domain/settings.ts';
import type { SweepDeps } from '../sweep/sweep.ts';
import { sweep } from '../sweep/sweep.ts';
import {
  type CampaignDeps,
  getCampaign,
  getPolicy,
  listCampaigns,
  updateCampaign,
  updatePolicy,
} from './campaigns.ts';
import {
  type CustomerDataDeps,
  type CustomerDeps,
  eraseCustomer,
  exportCustomer,
  findCustomers,
  getCustomer,
} from './customers.ts';
import { getBestCustomers, getMetrics, getModel, type InsightDeps, refitModel } from './insights.ts';
import {
  type Answer,
  deleteTemplate,
  getTemplate,
  invalid,
  listTemplates,
  previewTemplate,
  publishTemplate,
  saveTemplate,
  sendTest,
  type TemplateDeps,
} from './templates.ts';

export interface AdminDeps {
  customers: CustomerDeps;
  customerData: CustomerDataDeps;
  templates: TemplateDeps;
  campaigns: CampaignDeps;
  sweep: SweepDeps;
  insights: InsightDeps;
  now: () => Date;
}

export type Route = (event: HttpEvent) => Promise<HttpResult>;

const MAX_BODY_BYTES = 1024 * 1024;
const sweepRequest = z.strictObject({ now: z.iso.datetime({ offset: true }).optional() });

function body(event: HttpEvent): unknown {
  const bytes = bodyBytes(event, MAX_BODY_BYTES);
  if (bytes.length > MAX_BODY_BYTES) throw new HttpError(413, `body is larger than ${MAX_BODY_BYTES} bytes`);
  return bytes.length > 0 ? parseJson(bytes) : undefined;
}

function param(event: HttpEvent, name: string): string {
  return decodeURIComponent(event.pathParameters?.[name] ?? '');
}

const answer = async (pending: Promise<Answer>) => {
  const { status, body: payload } = await pending;
  return json(status, payload);
};

export function adminRoutes(deps: AdminDeps): Record<string, Route> {
  return {
    'GET /admin/customers': async (event) => {
      const email = event.queryStringParameters?.email?.trim();
      if (!email || !/^[^\s@]+@[^\s@]+$/.test(email))
        throw new HttpError(400, 'email: must be an email address');
      return json(200, await findCustomers(email, deps.customers));
    },
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
    'GET /admin/templates': () => answer(listTemplates(deps.templates)),
    'GET /admin/templates/{name}': (event) => {
      const version = event.queryStringParameters?.version;
      if (version !== undefined && !/^\d+$/.test(version))
        throw new HttpError(400, 'version: must be a whole number');
      return answer(
        getTemplate(
          param(event, 'name'),
          version === undefined ? undefined : Number(version),
          deps.templates,
        ),
      );
    },
    'PUT /admin/templates/{name}': (event) =>
      answer(saveTemplate(param(event, 'name'), body(event), deps.templates)),
    'DELETE /admin/templates/{name}': (event) => answer(deleteTemplate(param(event, 'name'), deps.templates)),
    'POST /admin/templates/{name}/publish': (event) =>
      answer(publishTemplate(param(event, 'name'), body(event), deps.templates)),
    'POST /admin/templates/{name}/preview': (event) =>
      answer(previewTemplate(param(event, 'name'), body(event), deps.templates)),
    'POST /admin/templates/{name}/test': (event) =>
      answer(sendTest(param(event, 'name'), body(event), deps.templates)),
    'GET /admin/campaigns': () => answer(listCampaigns(deps.campaigns)),
    'GET /admin/campaigns/{id}': (event) => answer(getCampaign(param(event, 'id'), deps.campaigns)),
    'PUT /admin/campaigns/{id}': (event) =>
      answer(updateCampaign(param(event, 'id'), body(event), deps.campaigns)),
    'GET /admin/contact-policy': () => answer(getPolicy(deps.campaigns)),
    'GET /admin/metrics': (event) => answer(getMetrics(event.queryStringParameters ?? {}, deps.insights)),
    'GET /admin/insights/best-customers': (event) =>
      answer(getBestCustomers(event.queryStringParameters ?? {}, deps.insights)),
    'GET /admin/model': () => answer(getModel(deps.insights)),
    'POST /admin/model/fit': (event) => answer(refitModel(body(event), deps.insights)),
    'PUT /admin/contact-policy': (event) => answer(updatePolicy(body(event), deps.campaigns)),
  };
}

/** The route keys, for the topology (API Gateway routes) to list. */
export const ADMIN_ROUTE_KEYS = Object.keys(adminRoutes({} as AdminDeps));

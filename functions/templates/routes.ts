/**
 * The template routes of the admin API. They are a function of their own: the only part of the
 * admin API that needs a template compiler (Handlebars), which the rest does without.
 */
import { HttpError } from '../../shared/adapters/http/api-gateway.ts';
import { answer, body, param, type Route } from '../admin/http.ts';
import {
  deleteTemplate,
  getTemplate,
  listTemplates,
  previewTemplate,
  publishTemplate,
  saveTemplate,
  sendTest,
  type TemplateDeps,
} from './templates.ts';

export function templateRoutes(deps: TemplateDeps): Record<string, Route> {
  return {
    'GET /admin/templates': () => answer(listTemplates(deps)),
    'GET /admin/templates/{name}': (event) => {
      const version = event.queryStringParameters?.version;
      if (version !== undefined && !/^\d+$/.test(version))
        throw new HttpError(400, 'version: must be a whole number');
      return answer(
        getTemplate(param(event, 'name'), version === undefined ? undefined : Number(version), deps),
      );
    },
    'PUT /admin/templates/{name}': (event) => answer(saveTemplate(param(event, 'name'), body(event), deps)),
    'DELETE /admin/templates/{name}': (event) => answer(deleteTemplate(param(event, 'name'), deps)),
    'POST /admin/templates/{name}/publish': (event) =>
      answer(publishTemplate(param(event, 'name'), body(event), deps)),
    'POST /admin/templates/{name}/preview': (event) =>
      answer(previewTemplate(param(event, 'name'), body(event), deps)),
    'POST /admin/templates/{name}/test': (event) => answer(sendTest(param(event, 'name'), body(event), deps)),
  };
}

/** The route keys, for the topology (API Gateway routes) to list. */
export const TEMPLATE_ROUTE_KEYS = Object.keys(templateRoutes({} as TemplateDeps));

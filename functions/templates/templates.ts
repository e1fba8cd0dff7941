/**
 * Templates for marketers: save (a new version each time, checked first), publish a version,
 * preview with a real customer or sample data, send a test, list, read and delete.
 */
import * as z from 'zod';
import { DEFAULT_TEMPLATES, defaultTemplate } from '../../shared/domain/defaults/templates.ts';
import { walkSteps } from '../../shared/domain/journeys.ts';
import {
  type RenderedEmail,
  renderEmail,
  type Sender,
  type TemplateData,
  templateData,
} from '../../shared/domain/render.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { problemsOf } from '../../shared/domain/settings.ts';
import {
  contentOf,
  TEMPLATE_NAME,
  type TemplateDefinition,
  validateTemplate,
  variantCount,
} from '../../shared/domain/templates.ts';
import type { CustomerStore, Mailer, TemplateStore } from '../../shared/ports.ts';
import { resolveTemplate } from '../../shared/templates.ts';
import { type Answer, invalid } from '../admin/http.ts';

export interface TemplateDeps {
  templates: TemplateStore;
  customers: CustomerStore;
  settings: () => Promise<EngineSettings>;
  mailer: Mailer;
  sender: Sender & { from: string };
  now: () => Date;
}

const part = z.string().max(200_000);
const variantSchema = z.strictObject({
  name: z.string().trim().min(1).max(60),
  subject: part.optional(),
  html: part.optional(),
  text: part.optional(),
});
export const templateBody = z.strictObject({
  subject: z.string().max(998),
  html: part,
  text: part.optional(),
  description: z.string().max(500).optional(),
  variants: z.array(variantSchema).max(5).optional(),
});

export const previewBody = z.strictObject({
  customerId: z.string().min(1).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  version: z.number().int().min(0).optional(),
  variant: z.number().int().min(0).optional(),
  /** Unsaved content, as an editor shows it. */
  template: templateBody.optional(),
});

export const testBody = previewBody.extend({ to: z.email() });

/** What a preview shows when it has no customer: every variable, with plausible values. */
export const SAMPLE_DATA: TemplateData = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  customerId: 'sample-customer',
  stage: 'buildup',
  orderCount: 1,
  revenue: 42,
  offer: { code: 'THANKS-SAMPLE0000', description: '10% off your next order' },
  unsubscribeUrl: 'https://example.com/u/sample',
  // The event that started the journey, as a cart's checkout would report it.
  event: {
    name: 'Checkout Started',
    properties: {
      checkout_url: 'https://shop.example/cart',
      products: [
        { product_id: 'sku-1', name: 'Linen shirt', quantity: 1, price: 49 },
        { product_id: 'sku-2', name: 'Canvas tote', quantity: 2, price: 19 },
      ],
    },
  },
};

export async function listTemplates(deps: TemplateDeps): Promise<Answer> {
  const [stored, settings] = await Promise.all([deps.templates.list(), deps.settings()]);
  const names = [
    ...new Set([...Object.keys(DEFAULT_TEMPLATES), ...stored.map((summary) => summary.name)]),
  ].sort();
  const templates = names.map((name) => {
    const summary = stored.find((candidate) => candidate.name === name);
    return {
      name,
      source: summary?.published !== undefined ? 'stored' : defaultTemplate(name) ? 'built-in' : 'stored',
      latest: summary?.latest ?? 0,
      published: summary?.published ?? (defaultTemplate(name) ? 0 : null),
      usedBy: usedBy(settings, name),
      ...(summary?.updatedAt ? { updatedAt: summary.updatedAt } : {}),
      ...(summary?.description ? { description: summary.description } : {}),
    };
  });
  return { status: 200, body: { templates } };
}

export async function getTemplate(
  name: string,
  version: number | undefined,
  deps: TemplateDeps,
): Promise<Answer> {
  const summary = await deps.templates.summary(name);
  const resolved = await resolveTemplate(
    deps.templates,
    name,
    version ?? summary?.published ?? summary?.latest,
  );
  if (!resolved) return notFound(name, version, summary?.latest);
  const versions = await deps.templates.versions(name);
  return {
    status: 200,
    body: {
      name,
      version: resolved.version,
      source: resolved.source,
      latest: summary?.latest ?? 0,
      published: summary?.published ?? (defaultTemplate(name) ? 0 : null),
      ...resolved.definition,
      versions: [
        ...(defaultTemplate(name) ? [{ version: 0, createdAt: null, builtIn: true }] : []),
        ...versions,
      ],
    },
  };
}

export async function saveTemplate(name: string, body: unknown, deps: TemplateDeps): Promise<Answer> {
  if (!TEMPLATE_NAME.test(name))
    return invalid([{ field: 'name', message: 'must be a-z, 0-9 and -, up to 63 characters' }]);
  const parsed = templateBody.safeParse(body);
  if (!parsed.success) return invalid(problemsOf(parsed.error));
  const definition = withoutEmpty(parsed.data);
  const problems = validateTemplate(definition, (await deps.settings()).policy.customTraits);
  if (problems.length > 0) return invalid(problems);
  const stored = await deps.templates.save(name, definition, deps.now().toISOString());
  return {
    status: 201,
    body: { name, version: stored.version, createdAt: stored.createdAt, published: false },
  };
}

export async function publishTemplate(name: string, body: unknown, deps: TemplateDeps): Promise<Answer> {
  const parsed = z.strictObject({ version: z.number().int().min(1).optional() }).safeParse(body ?? {});
  if (!parsed.success) return invalid(problemsOf(parsed.error));
  const summary = await deps.templates.summary(name);
  if (!summary) return notFound(name);
  const version = parsed.data.version ?? summary.latest;
  if (!(await deps.templates.publish(name, version, deps.now().toISOString())))
    return notFound(name, version, summary.latest);
  return { status: 200, body: { name, published: version } };
}

export async function deleteTemplate(name: string, deps: TemplateDeps): Promise<Answer> {
  const users = usedBy(await deps.settings(), name);
  // A default template can go: its campaign falls back to the built-in one. Any other in use cannot.
  if (users.length > 0 && !defaultTemplate(name)) {
    return {
      status: 409,
      body: {
        success: false,
        error: `template ${name} is used by ${users.join(', ')}: point them at another template first`,
      },
    };
  }
  if (!(await deps.templates.delete(name))) return notFound(name);
  return { status: 200, body: { deleted: name, fallsBackTo: defaultTemplate(name) ? 'built-in' : null } };
}

export async function previewTemplate(name: string, body: unknown, deps: TemplateDeps): Promise<Answer> {
  const parsed = previewBody.safeParse(body ?? {});
  if (!parsed.success) return invalid(problemsOf(parsed.error));
  const rendered = await render(name, parsed.data, deps);
  return 'problems' in rendered
    ? rendered.answer
    : { status: 200, body: { ...rendered.email, version: rendered.version } };
}

/** Sends the rendered template to one address, marked as a test: no ledger, no counter, no campaign. */
export async function sendTest(name: string, body: unknown, deps: TemplateDeps): Promise<Answer> {
  const parsed = testBody.safeParse(body ?? {});
  if (!parsed.success) return invalid(problemsOf(parsed.error));
  const rendered = await render(name, parsed.data, deps);
  if ('problems' in rendered) return rendered.answer;
  const { messageId } = await deps.mailer.send({
    from: deps.sender.from,
    to: parsed.data.to,
    subject: `[Test] ${rendered.email.subject}`,
    html: rendered.email.html,
    text: rendered.email.text,
    headers: { 'X-Lifecycle-Test': 'true', 'X-Template': `${name}@${rendered.version}` },
    tags: { test: 'true', template: name },
  });
  return { status: 200, body: { sent: true, to: parsed.data.to, messageId, version: rendered.version } };
}

async function render(
  name: string,
  request: z.infer<typeof previewBody>,
  deps: TemplateDeps,
): Promise<
  { email: RenderedEmail & { variant: number }; version: number | null } | { problems: true; answer: Answer }
> {
  const settings = await deps.settings();
  let definition: TemplateDefinition;
  let version: number | null = null;
  if (request.template) {
    definition = withoutEmpty(request.template);
    const problems = validateTemplate(definition, settings.policy.customTraits);
    if (problems.length > 0) return { problems: true, answer: invalid(problems) };
  } else {
    // A draft is previewed before it is published: without a version, the published one (the
    // built-in one for a default template), else the newest saved.
    const summary = await deps.templates.summary(name);
    const wanted = request.version ?? summary?.published ?? (defaultTemplate(name) ? 0 : summary?.latest);
    const resolved = await resolveTemplate(deps.templates, name, wanted);
    if (!resolved) return { problems: true, answer: notFound(name, request.version, summary?.latest) };
    definition = resolved.definition;
    version = resolved.version;
  }
  let data: TemplateData = { ...SAMPLE_DATA, ...request.data };
  if (request.customerId) {
    let stored = await deps.customers.load(request.customerId);
    if (stored?.kind === 'alias') stored = await deps.customers.load(stored.mergedInto);
    if (stored?.kind !== 'profile')
      return {
        problems: true,
        answer: { status: 404, body: { success: false, error: `no customer with id ${request.customerId}` } },
      };
    const offer = offerFor(
      settings,
      name,
      stored.profile.id,
      (journeyId) => (stored.profile.campaigns[journeyId]?.count ?? 0) + 1,
    );
    data = templateData(stored.profile, {
      brandName: deps.sender.brandName,
      unsubscribeUrl: SAMPLE_DATA.unsubscribeUrl,
      ...(offer ? { offer } : {}),
    });
  }
  const variant = Math.min(request.variant ?? 0, variantCount(definition) - 1);
  const email = renderEmail(contentOf(definition, variant), data, deps.sender);
  return { email: { ...email, variant }, version };
}

/** The code the customer's next email of a journey sending this template would carry. */
function offerFor(
  settings: EngineSettings,
  template: string,
  customerId: string,
  nextOccurrence: (journeyId: string) => number,
) {
  for (const journey of settings.journeys.published) {
    for (const { step } of walkSteps(journey.steps)) {
      if (!('send' in step) || step.send.template !== template || !step.send.offer?.enabled) continue;
      const code = settings.offerCodes(
        customerId,
        journey.id,
        nextOccurrence(journey.id),
        step.send.offer.prefix,
      );
      return { code, description: step.send.offer.description };
    }
  }
  return undefined;
}

/** The journeys whose published version sends this template. */
function usedBy(settings: EngineSettings, name: string): string[] {
  return settings.journeys.published
    .filter((journey) =>
      [...walkSteps(journey.steps)].some(({ step }) => 'send' in step && step.send.template === name),
    )
    .map((journey) => journey.id);
}

function withoutEmpty(definition: z.infer<typeof templateBody>): TemplateDefinition {
  const { text, description, variants, ...rest } = definition;
  return {
    ...rest,
    ...(text?.trim() ? { text } : {}),
    ...(description?.trim() ? { description } : {}),
    ...(variants?.length ? { variants } : {}),
  };
}

/** What is really missing: the template itself, or only the version asked for. */
function notFound(name: string, version?: number, latest?: number): Answer {
  const error =
    version !== undefined && latest
      ? `template ${name} has no version ${version} (its versions are 1 to ${latest})`
      : version !== undefined && version > 0 && !latest
        ? `template ${name} has no version ${version}: no version of it was ever saved`
        : `no template named ${name}: nothing is saved under that name and it is not a built-in template`;
  return { status: 404, body: { success: false, error } };
}

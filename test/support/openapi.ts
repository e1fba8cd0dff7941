/**
 * Real answers checked against the API's description: the stack's own `/openapi.json`, each
 * answer's status looked up on its route and its JSON body validated by Ajv (JSON Schema
 * 2020-12, OpenAPI 3.1's dialect). The e2e helpers call it for every answer they get.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const documents = new Map<string, Promise<Checker>>();
const COMPONENTS_ID = 'https://lifecycle.example/openapi.json';

/** Throws, naming the route, the status and the first problems, when the answer is not as described. */
export async function checkAnswer(
  api: string,
  answer: { method: string; path: string; status: number; contentType: string | null; body: unknown },
): Promise<void> {
  let checker = documents.get(api);
  if (!checker) {
    checker = fetch(`${api}/openapi.json`).then(
      async (response) => new Checker((await response.json()) as Document),
    );
    documents.set(api, checker);
  }
  (await checker).check(answer);
}

class Checker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false });
  private readonly validators = new Map<unknown, ValidateFunction>();
  /** Path templates, literal segments before parameters (`/broadcasts/preview` before `/broadcasts/{id}`). */
  private readonly templates: { template: string; pattern: RegExp; weight: number }[];

  constructor(private readonly document: Document) {
    addFormats.default(this.ajv);
    // The components as a schema of their own, so references (recursive ones too) resolve into it.
    this.ajv.addSchema({ $id: COMPONENTS_ID, components: this.referencingComponents(document.components) });
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
        weight: template.split('/').filter((segment) => !segment.startsWith('{')).length,
      }))
      .sort((a, b) => b.weight - a.weight);
  }

  check({
    method,
    path,
    status,
    contentType,
    body,
  }: {
    method: string;
    path: string;
    status: number;
    contentType: string | null;
    body: unknown;
  }) {
    const pathname = new URL(path, 'http://api').pathname;
    const template = this.templates.find(
      (candidate) =>
        candidate.pattern.test(pathname) && this.document.paths[candidate.template]?.[method.toLowerCase()],
    )?.template;
    // A route the API does not have (a test probing a wrong path): nothing to check it against.
    if (!template) return;
    const route = `${method.toUpperCase()} ${template}`;
    const operation = this.document.paths[template]?.[method.toLowerCase()] as Operation;
    const response = operation.responses[String(status)];
    if (!response)
      throw new Error(
        `the API description has no ${status} for ${route} (it describes ${Object.keys(operation.responses).join(', ')}); the answer was ${JSON.stringify(body)?.slice(0, 300)}`,
      );
    const schema = response.content?.['application/json']?.schema;
    if (!schema || !contentType?.includes('json')) return;
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(this.referencingComponents(schema) as object);
      this.validators.set(schema, validate);
    }
    if (!validate(body))
      throw new Error(
        `the ${status} answer of ${route} is not as described: ${this.ajv.errorsText(validate.errors?.slice(0, 5), { dataVar: 'answer' })}; the answer was ${JSON.stringify(body)?.slice(0, 500)}`,
      );
  }

  /** The schema with `#/components/schemas/…` references pointing into the document's components. */
  private referencingComponents(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map((item) => this.referencingComponents(item));
    if (!schema || typeof schema !== 'object') return schema;
    return Object.fromEntries(
      Object.entries(schema).map(([key, value]) =>
        key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')
          ? [key, `${COMPONENTS_ID}${value}`]
          : [key, this.referencingComponents(value)],
      ),
    );
  }
}

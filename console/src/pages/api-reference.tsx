/**
 * The API reference: `/openapi.json` (the OpenAPI 3.1 description made from the routes' zod
 * schemas) as a page to read: each route by group, who may call it, its parameters, the body it
 * takes and what it answers, as nested fields.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Loading, TextField, useLoad } from '../components.tsx';

type Schema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  additionalProperties?: Schema | boolean;
  $ref?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  format?: string;
};

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { description?: string; content: Record<string, { schema?: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: Schema }> }>;
}

interface Document {
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export function ApiReference() {
  const document = useLoad(() => api<Document>('/openapi.json'), []);
  const [filter, setFilter] = useState('');
  return (
    <>
      <h1>API reference</h1>
      <Loading state={document}>
        {(doc) => {
          const needle = filter.trim().toLowerCase();
          const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
            Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
          );
          const shown = operations.filter(
            ({ path, method, operation }) =>
              !needle || `${method} ${path} ${operation.summary}`.toLowerCase().includes(needle),
          );
          return (
            <>
              <p>
                {`${doc.info.title}, version ${doc.info.version}: ${operations.length} routes, described as OpenAPI 3.1 at `}
                <a href="/openapi.json">/openapi.json</a>
                {' (load it into Postman, Swagger UI or a client generator).'}
              </p>
              <Prose text={doc.info.description} />
              <div class="toolbar">
                <TextField
                  id="api-filter"
                  label="Find a route"
                  value={filter}
                  onInput={setFilter}
                  help="Part of a path, a method or a summary"
                />
              </div>
              {doc.tags.map(({ name }) => {
                const inTag = shown.filter(({ operation }) => operation.tags.includes(name));
                if (inTag.length === 0) return null;
                return (
                  <section key={name} aria-labelledby={`tag-${slug(name)}`}>
                    <h2 id={`tag-${slug(name)}`}>{name}</h2>
                    {inTag.map(({ path, method, operation }) => (
                      <OperationView
                        key={operation.operationId}
                        path={path}
                        method={method}
                        operation={operation}
                        components={doc.components.schemas}
                      />
                    ))}
                  </section>
                );
              })}
              {shown.length === 0 ? <p>No route matches.</p> : null}
              <section aria-labelledby="shapes-title">
                <h2 id="shapes-title">Shared shapes</h2>
                <p>Shapes that routes above use by name (recursive ones: a condition holds conditions).</p>
                {Object.entries(doc.components.schemas)
                  .filter(([name]) => name !== 'Error')
                  .map(([name, schema]) => (
                    <details class="operation" key={name} id={`shape-${name}`}>
                      <summary>
                        <code>{name}</code>
                      </summary>
                      <SchemaView schema={schema} components={{}} />
                    </details>
                  ))}
              </section>
            </>
          );
        }}
      </Loading>
    </>
  );
}

function OperationView({
  path,
  method,
  operation,
  components,
}: {
  path: string;
  method: string;
  operation: Operation;
  components: Record<string, Schema>;
}) {
  const body = operation.requestBody;
  const [bodyType, bodyContent] = Object.entries(body?.content ?? {})[0] ?? [];
  return (
    <details class="operation" id={operation.operationId}>
      <summary>
        <code class={`method method-${method}`}>{method.toUpperCase()}</code> <code>{path}</code>{' '}
        <span>{operation.summary}</span>
      </summary>
      {operation.description ? <Prose text={operation.description} /> : null}
      {operation.parameters?.length ? (
        <>
          <h3>Parameters</h3>
          <ul class="api-fields">
            {operation.parameters.map((parameter) => (
              <li key={`${parameter.in}-${parameter.name}`}>
                <code>{parameter.name}</code>{' '}
                <span class="muted">{`${parameter.in}, ${typeOf(parameter.schema ?? {})}`}</span>
                {parameter.required ? <span class="required"> required</span> : null}
                {parameter.description ? ` — ${parameter.description}` : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {body ? (
        <>
          <h3>{`Request body (${bodyType})`}</h3>
          {body.description ? <p>{body.description}</p> : null}
          {bodyContent?.schema ? <SchemaView schema={bodyContent.schema} components={components} /> : null}
        </>
      ) : null}
      <h3>Answers</h3>
      <ul class="answers">
        {Object.entries(operation.responses).map(([status, response]) => {
          const schema = Object.values(response.content ?? {})[0]?.schema;
          return (
            <li key={status}>
              <strong>{status}</strong> {inline(response.description)}
              {schema && status.startsWith('2') ? (
                <SchemaView schema={schema} components={components} />
              ) : null}
            </li>
          );
        })}
      </ul>
    </details>
  );
}

/** A JSON Schema as nested fields: name, type, whether required, what it means. */
function SchemaView({
  schema,
  components,
  depth = 0,
}: {
  schema: Schema;
  components: Record<string, Schema>;
  depth?: number;
}): ComponentChildren {
  const resolved = resolve(schema, components);
  const object = objectOf(resolved);
  if (object?.properties && depth < 8)
    return (
      <ul class="api-fields">
        {Object.entries(object.properties).map(([name, property]) => {
          const inner = resolve(property, components);
          return (
            <li key={name}>
              <code>{name}</code> <span class="muted">{typeOf(inner)}</span>
              {object.required?.includes(name) ? <span class="required"> required</span> : null}
              {inner.description ? ` — ${inner.description}` : null}
              {nested(inner) ? <SchemaView schema={inner} components={components} depth={depth + 1} /> : null}
            </li>
          );
        })}
      </ul>
    );
  const items = resolved.items ? resolve(resolved.items, components) : undefined;
  if (items && nested(items) && depth < 8)
    return (
      <div class="nested">
        <span class="muted">each item:</span>
        <SchemaView schema={items} components={components} depth={depth + 1} />
      </div>
    );
  const choices = resolved.anyOf ?? resolved.oneOf;
  if (choices && depth < 8)
    return (
      <ul class="api-fields">
        {choices.map((choice, index) => (
          <li key={index}>
            <span class="muted">{`or ${typeOf(resolve(choice, components))}`}</span>
            {nested(resolve(choice, components)) ? (
              <SchemaView schema={choice} components={components} depth={depth + 1} />
            ) : null}
          </li>
        ))}
      </ul>
    );
  return depth === 0 ? <p class="muted">{typeOf(resolved)}</p> : null;
}

function resolve(schema: Schema, components: Record<string, Schema>): Schema {
  const name = schema.$ref?.split('/').at(-1);
  return name && components[name] ? components[name] : schema;
}

/** The object a schema describes, also when it is `allOf` of objects. */
function objectOf(schema: Schema): Schema | undefined {
  if (schema.properties) return schema;
  if (schema.allOf?.every((part) => part.properties))
    return {
      properties: Object.assign({}, ...schema.allOf.map((part) => part.properties)),
      required: schema.allOf.flatMap((part) => part.required ?? []),
    };
  return undefined;
}

function nested(schema: Schema): boolean {
  return Boolean(
    schema.properties ||
      schema.allOf ||
      (schema.items && nested(schema.items)) ||
      schema.anyOf ||
      schema.oneOf,
  );
}

function typeOf(schema: Schema): string {
  // A shared shape (a condition, a journey step) goes by its name: it is shown once, below.
  if (schema.$ref) return schema.$ref.split('/').at(-1) ?? 'anything';
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  if (schema.anyOf || schema.oneOf) return 'one of these';
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'anything'}`;
  const bounds = [
    schema.format,
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : undefined,
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : undefined,
    schema.maxLength !== undefined ? `at most ${schema.maxLength} characters` : undefined,
    schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : undefined,
  ].filter(Boolean);
  return `${type ?? (schema.properties ? 'object' : 'anything')}${bounds.length ? ` (${bounds.join(', ')})` : ''}`;
}

/** The description's light markdown: paragraphs, list items, `code` and **bold**. */
function Prose({ text }: { text: string }) {
  return (
    <div class="prose">
      {text.split(/\n{2,}/).map((block, index) => {
        const lines = block.split('\n');
        if (lines.every((line) => line.startsWith('- ')))
          return (
            <ul key={index}>
              {lines.map((line, item) => (
                <li key={item}>{inline(line.slice(2))}</li>
              ))}
            </ul>
          );
        return <p key={index}>{inline(block)}</p>;
      })}
    </div>
  );
}

function inline(text: string): ComponentChildren {
  return text
    .split(/(`[^`]+`|\*\*[^*]+\*\*)/)
    .map((part, index) =>
      part.startsWith('`') ? (
        <code key={index}>{part.slice(1, -1)}</code>
      ) : part.startsWith('**') ? (
        <strong key={index}>{part.slice(2, -2)}</strong>
      ) : (
        part
      ),
    );
}

function slug(text: string) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/**
 * Templates as marketers write them: Handlebars as SES uses it (variables, dotted paths, #if,
 * #each), checked when saved so that a typo never reaches a customer. A template may carry
 * variants (alternative subject, HTML or text); a customer never gets the same variant of a
 * campaign twice in a row.
 */
import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import type { TemplateContent } from './render.ts';
import type { Problem } from './settings.ts';

export interface TemplateVariant extends Partial<TemplateContent> {
  name: string;
}

export interface TemplateDefinition extends TemplateContent {
  description?: string;
  /** Alternatives to the base template: variant 0 is the base, variant n is `variants[n - 1]`. */
  variants?: TemplateVariant[];
}

export interface StoredTemplate extends TemplateDefinition {
  name: string;
  version: number;
  createdAt: string;
}

export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What the product gives every template, besides the customer's traits. */
export const PRODUCT_VARIABLES = [
  'firstName',
  'lastName',
  'name',
  'email',
  'customerId',
  'stage',
  'orderCount',
  'revenue',
  'firstOrderAt',
  'lastOrderAt',
  'offer',
  'unsubscribeUrl',
  'brandName',
  /** The event that started the customer's journey: `event.name`, `event.properties.<any>`. */
  'event',
] as const;

/** Segment's reserved identify traits, which any site may send. */
export const SEGMENT_TRAITS = [
  'address',
  'age',
  'avatar',
  'birthday',
  'company',
  'createdAt',
  'description',
  'gender',
  'id',
  'phone',
  'title',
  'username',
  'website',
  'timezone',
  'relationship',
] as const;

const OFFER_FIELDS = ['code', 'description'];
const EVENT_FIELDS = ['name', 'properties'];
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
/** Blocks whose body sees a different context (an item, an object): paths there are relative. */
const CONTEXT_BLOCKS = new Set(['each', 'with']);
const HELPERS = new Set(['lookup', 'rating']);
const DATA_VARIABLES = new Set(['index', 'key', 'first', 'last', 'root']);

export function variantCount(template: TemplateDefinition): number {
  return 1 + (template.variants?.length ?? 0);
}

export function contentOf(template: TemplateDefinition, variant: number): TemplateContent {
  const override = variant > 0 ? template.variants?.[variant - 1] : undefined;
  const subject = override?.subject ?? template.subject;
  const html = override?.html ?? template.html;
  const text = override?.text ?? template.text;
  return text === undefined ? { subject, html } : { subject, html, text };
}

/**
 * The variant for this occurrence: the one after the variant sent last time, so nobody gets the
 * same one twice in a row; a stable pick per customer the first time.
 */
export function chooseVariant(count: number, previous: number | undefined, customerId: string): number {
  if (count <= 1) return 0;
  if (previous === undefined) return createHash('sha256').update(customerId).digest().readUInt32BE(0) % count;
  return (previous + 1) % count;
}

/** Everything wrong with a template, each problem naming the part and the variable or line. */
export function validateTemplate(
  template: TemplateDefinition,
  customTraits: readonly string[] = [],
): Problem[] {
  const allowed = new Set<string>([...PRODUCT_VARIABLES, ...SEGMENT_TRAITS, ...customTraits]);
  const problems: Problem[] = [];
  if (!template.subject?.trim()) problems.push({ field: 'subject', message: 'is required' });
  if (!template.html?.trim()) problems.push({ field: 'html', message: 'is required' });
  const parts: [string, string | undefined, boolean][] = [
    ['subject', template.subject, false],
    ['html', template.html, true],
    ['text', template.text, false],
  ];
  (template.variants ?? []).forEach((variant, index) => {
    if (!variant.name?.trim()) problems.push({ field: `variants[${index}].name`, message: 'is required' });
    parts.push([`variants[${index}].subject`, variant.subject, false]);
    parts.push([`variants[${index}].html`, variant.html, true]);
    parts.push([`variants[${index}].text`, variant.text, false]);
  });
  for (const [field, source, isHtml] of parts) {
    if (source === undefined) continue;
    problems.push(...checkPart(field, source, isHtml, allowed));
  }
  return problems;
}

/**
 * Handlebars' parse errors span four lines (where, the text near it, a caret, what it expected);
 * one line for a marketer: where, near what, and the likely cause when the template ended early.
 */
function syntaxMessage(error: unknown): string {
  if (!(error instanceof Error)) return 'the template cannot be read';
  const lines = error.message.split('\n').map((line) => line.trim());
  const where = (lines[0] ?? '').replace(/:$/, '');
  const near = lines[1] && !lines[1].startsWith('-') ? ` near "${lines[1]}"` : '';
  const expected = lines.at(-1) ?? '';
  const cause = /got 'EOF'/.test(expected)
    ? ': the template ends inside a block (a {{#…}} without its {{/…}})'
    : lines.length > 1
      ? `: ${expected}`
      : '';
  return `${where}${near}${cause}`;
}

function checkPart(field: string, source: string, isHtml: boolean, allowed: Set<string>): Problem[] {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    return [{ field, message: `syntax error: ${syntaxMessage(error)}` }];
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const report = (message: string) => {
    if (seen.has(message)) return;
    seen.add(message);
    problems.push({ field, message });
  };

  const checkPath = (path: hbs.AST.PathExpression, relative: boolean) => {
    if (path.data) {
      const [root, ...rest] = path.parts;
      if (!root || !DATA_VARIABLES.has(root))
        report(`unknown variable {{@${path.original.replace(/^@/, '')}}}`);
      else if (root === 'root' && rest[0]) checkRoot(rest, `@root.${rest.join('.')}`);
      return;
    }
    if (relative || path.depth > 0 || path.original === 'this' || path.original.startsWith('this.')) return;
    checkRoot(path.parts, path.original);
  };
  const checkRoot = (parts: string[], original: string) => {
    const [root, child] = parts;
    if (!root) return;
    if (!allowed.has(root)) {
      report(
        `unknown variable {{${original}}}: not a product variable or a known trait (list custom traits in the contact policy)`,
      );
    } else if (root === 'offer' && child && !OFFER_FIELDS.includes(child)) {
      report(`unknown variable {{${original}}}: an offer has ${OFFER_FIELDS.join(' and ')}`);
    } else if (root === 'event' && child && !EVENT_FIELDS.includes(child)) {
      report(`unknown variable {{${original}}}: the journey's event has ${EVENT_FIELDS.join(' and ')}`);
    }
  };
  const checkValue = (node: hbs.AST.Expression, relative: boolean) => {
    if (node.type === 'PathExpression') checkPath(node as hbs.AST.PathExpression, relative);
    if (node.type === 'SubExpression') checkCall(node as hbs.AST.SubExpression, relative);
  };
  const checkCall = (node: hbs.AST.SubExpression | hbs.AST.MustacheStatement, relative: boolean) => {
    const path = node.path as hbs.AST.PathExpression;
    if (!HELPERS.has(path.original)) report(`unknown helper "${path.original}"`);
    if (path.original === 'rating') {
      const [question] = node.params;
      const value =
        question?.type === 'StringLiteral' ? (question as hbs.AST.StringLiteral).value : undefined;
      if (node.params.length !== 1 || !(value === 'csat' || value === 'nps' || value === 'reason'))
        report(
          'the rating helper takes "csat" (1 to 5), "nps" (0 to 10) or "reason" (why one leaves): {{rating "csat"}}',
        );
      if (field.endsWith('subject')) report('a rating row belongs in the body, not the subject');
      return;
    }
    for (const param of node.params) checkValue(param, relative);
    for (const pair of node.hash?.pairs ?? []) checkValue(pair.value, relative);
  };
  const walk = (body: hbs.AST.Statement[], relative: boolean) => {
    for (const statement of body) {
      switch (statement.type) {
        case 'MustacheStatement': {
          const mustache = statement as hbs.AST.MustacheStatement;
          if (isHtml && !mustache.escaped) {
            report(
              `{{{${(mustache.path as hbs.AST.PathExpression).original}}}} would not be HTML-escaped: use two braces`,
            );
          }
          if (mustache.params.length > 0 || (mustache.hash?.pairs.length ?? 0) > 0)
            checkCall(mustache, relative);
          else checkValue(mustache.path as hbs.AST.Expression, relative);
          break;
        }
        case 'BlockStatement': {
          const block = statement as hbs.AST.BlockStatement;
          const name = (block.path as hbs.AST.PathExpression).original;
          if (!BLOCK_HELPERS.has(name)) report(`unknown block helper "#${name}"`);
          for (const param of block.params) checkValue(param, relative);
          walk(block.program?.body ?? [], relative || CONTEXT_BLOCKS.has(name));
          walk(block.inverse?.body ?? [], relative);
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement':
        case 'DecoratorBlock':
        case 'Decorator':
          report('partials and decorators are not supported');
          break;
        default:
          break;
      }
    }
  };
  walk(program.body, false);
  return problems;
}

/** The questions a template's rating rows ask (`{{rating "csat"}}`, ...), for the response rate. */
export function ratingQuestionsIn(parts: readonly (string | undefined)[]): string[] {
  const asked = new Set<string>();
  for (const part of parts)
    for (const match of (part ?? '').matchAll(/\{\{~?\s*rating\s+"(csat|nps|reason)"/g))
      if (match[1]) asked.add(match[1]);
  return [...asked].sort();
}

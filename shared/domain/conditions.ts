/**
 * The condition language that segments, journey audiences, branches and exits share (DESIGN.md,
 * "Definitions"): one zod schema per kind of condition (the source of the types and of the JSON
 * Schema), one parser that names the field path of every problem, and one evaluator.
 *
 * Evaluation is pure and answers two things: whether the condition holds for a customer at `now`,
 * and the earliest later time at which it may change without any new input (`changesAt`: a
 * window that closes, a date trait that ages, a prediction that decays). The engine keeps the
 * earliest such time as the customer's next due time, so time-relative truths ("no order in 30
 * days") change membership when they become true, not at a periodic batch.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { latestAnswer } from './answers.ts';
import { relationshipOf } from './contact-policy.ts';
import { type FittedModel, predict } from './models/fitted.ts';
import { purchaseSummary } from './models/summary.ts';
import { DAY_MS, type Profile, STAGES } from './profile.ts';
import { signalKeyOf } from './signals.ts';

/** The longest window a condition may look back over (the event history keeps a little more). */
export const MAX_WINDOW_DAYS = 365;
/** How deep conditions may nest (all, any, not inside each other). */
export const MAX_CONDITION_DEPTH = 8;
/** How many conditions one all/any may hold, and how many values an `in` list. */
const MAX_CHILDREN = 50;
const MAX_VALUES = 100;

const days = (max: number) =>
  z
    .number()
    .int(`must be a whole number of days from 1 to ${max}`)
    .min(1, `must be a whole number of days from 1 to ${max}`)
    .max(max, `must be a whole number of days from 1 to ${max}`);

const path = z
  .string()
  .min(1, 'must name a field')
  .max(200)
  .regex(/^[^.\s][^\s]*$/, 'must be a field name or a dotted path such as address.country');

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const COMPARISONS = ['equals', 'notEquals', 'in', 'notIn', 'contains', 'exists', 'missing'] as const;
export const ORDERINGS = ['gt', 'gte', 'lt', 'lte'] as const;
export const AGES = ['withinDays', 'olderThanDays'] as const;
export const OPERATORS = [...COMPARISONS, ...ORDERINGS, ...AGES] as const;
export type Operator = (typeof OPERATORS)[number];

/**
 * A test of one value (a trait, or a property of an event). `value` depends on the operator:
 * a scalar for equals/notEquals/contains, a list for in/notIn, none for exists/missing, a number
 * or an ISO date for gt/gte/lt/lte, a number of days for withinDays/olderThanDays (the field
 * holds a date).
 */
const valueTest = {
  op: z.enum(OPERATORS, { error: () => `must be one of ${OPERATORS.join(', ')}` }),
  value: z.union([scalar, z.array(scalar).max(MAX_VALUES)]).optional(),
};

function checkValue(test: { op: Operator; value?: unknown }, context: z.RefinementCtx) {
  const problem = valueProblem(test.op, test.value);
  if (problem) context.addIssue({ code: 'custom', path: ['value'], message: problem });
}

function valueProblem(op: Operator, value: unknown): string | undefined {
  switch (op) {
    case 'exists':
    case 'missing':
      return value === undefined ? undefined : `${op} takes no value`;
    case 'in':
    case 'notIn':
      return Array.isArray(value) && value.length > 0 ? undefined : `${op} needs a list of values`;
    case 'equals':
    case 'notEquals':
    case 'contains':
      return value !== undefined && !Array.isArray(value) ? undefined : `${op} needs one value`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return typeof value === 'number' || (typeof value === 'string' && isDate(value))
        ? undefined
        : `${op} needs a number or an ISO date`;
    case 'withinDays':
    case 'olderThanDays':
      return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 3650
        ? undefined
        : `${op} needs a whole number of days from 1 to 3650`;
  }
}

export const propertyFilterSchema = z.strictObject({ property: path, ...valueTest }).superRefine(checkValue);
export type PropertyFilter = z.infer<typeof propertyFilterSchema>;

const traitSchema = z.strictObject({ trait: path, ...valueTest }).superRefine(checkValue);

const stageSchema = z.strictObject({
  stage: z.array(z.enum(STAGES)).min(1, 'must list at least one stage'),
});

const timesSchema = z
  .strictObject({
    atLeast: z.number().int().min(1, 'must be at least 1').max(1000).optional(),
    atMost: z.number().int().min(0, 'must be at least 0').max(1000).optional(),
  })
  .refine((times) => times.atLeast !== undefined || times.atMost !== undefined, {
    message: 'needs atLeast, atMost or both',
  })
  .refine(
    (times) => times.atLeast === undefined || times.atMost === undefined || times.atLeast <= times.atMost,
    {
      message: 'atLeast must not be more than atMost',
    },
  );

const eventName = z.string().min(1, 'must name an event').max(512);

const performedSchema = z.strictObject({
  performed: eventName,
  where: z.array(propertyFilterSchema).max(20).optional(),
  times: timesSchema.optional(),
  withinDays: days(MAX_WINDOW_DAYS).optional(),
});

const lastPerformedSchema = z
  .strictObject({
    lastPerformed: eventName,
    where: z.array(propertyFilterSchema).max(20).optional(),
    withinDays: days(MAX_WINDOW_DAYS).optional(),
    olderThanDays: days(MAX_WINDOW_DAYS).optional(),
  })
  .refine((condition) => (condition.withinDays === undefined) !== (condition.olderThanDays === undefined), {
    message: 'needs exactly one of withinDays or olderThanDays',
  });

export const MEASURES = ['orderCount', 'revenue', 'visitDays', 'averageOrderValue'] as const;
const measureSchema = z.strictObject({
  measure: z.enum(MEASURES, { error: () => `must be one of ${MEASURES.join(', ')}` }),
  op: z.enum(['equals', 'notEquals', ...ORDERINGS], {
    error: () => `must be one of equals, notEquals, ${ORDERINGS.join(', ')}`,
  }),
  value: z.number().min(0, 'must be a number, 0 or more'),
  withinDays: days(MAX_WINDOW_DAYS).optional(),
});

export const PREDICTIONS = ['pAlive', 'expectedPurchases', 'value'] as const;
const predictedSchema = z.strictObject({
  predicted: z.enum(PREDICTIONS, { error: () => `must be one of ${PREDICTIONS.join(', ')}` }),
  op: z.enum(ORDERINGS, { error: () => `must be one of ${ORDERINGS.join(', ')}` }),
  value: z.number().min(0, 'must be a number, 0 or more'),
});

const relationshipSchema = z.strictObject({
  relationship: z.array(z.enum(['fling', 'friend', 'committed'])).min(1, 'must list at least one'),
});

const subscribedSchema = z.strictObject({ subscribed: z.boolean() });

export const DEFINITION_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const definitionId = z.string().regex(DEFINITION_ID, 'must be an id (a-z, 0-9 and -, up to 63 characters)');

const segmentRefSchema = z.strictObject({ segment: definitionId });

export const MESSAGE_STATUSES = ['sent', 'opened', 'clicked', 'converted'] as const;
const messageSchema = z.strictObject({
  message: z.strictObject({
    journey: definitionId,
    status: z.enum(MESSAGE_STATUSES, { error: () => `must be one of ${MESSAGE_STATUSES.join(', ')}` }),
    withinDays: days(MAX_WINDOW_DAYS).optional(),
  }),
});

const randomPercentSchema = z.strictObject({
  randomPercent: z
    .number()
    .int()
    .min(1, 'must be a whole percent from 1 to 99')
    .max(99, 'must be a whole percent from 1 to 99'),
});

/**
 * A regular visitor who stopped coming: at least `visitDays` distinct visit days, and no visit for
 * `gapMultiplier` times the median gap between their visit days (at least `quietDays`). True from
 * that moment until the next visit: each lapse is one entry into a segment that uses it.
 */
const lapsedSchema = z.strictObject({
  lapsed: z.strictObject({
    visitDays: z.number().int().min(2, 'must be at least 2').max(60),
    quietDays: days(MAX_WINDOW_DAYS),
    gapMultiplier: z.number().min(1, 'must be at least 1').max(20),
  }),
});

/**
 * The customer's latest rating of our email (`csat` 1-5, `nps` 0-10), within `withinDays` if
 * given: `{ satisfaction: { question: 'csat', op: 'lte', value: 2 } }` is an unhappy customer.
 */
const satisfactionSchema = z.strictObject({
  satisfaction: z.strictObject({
    question: z.enum(['csat', 'nps']),
    op: z.enum(['equals', ...ORDERINGS]),
    value: z.number(),
    withinDays: days(MAX_WINDOW_DAYS).optional(),
  }),
});

/** Each leaf kind by the key that names it. */
const LEAVES = {
  trait: traitSchema,
  stage: stageSchema,
  performed: performedSchema,
  lastPerformed: lastPerformedSchema,
  measure: measureSchema,
  predicted: predictedSchema,
  relationship: relationshipSchema,
  subscribed: subscribedSchema,
  segment: segmentRefSchema,
  message: messageSchema,
  randomPercent: randomPercentSchema,
  lapsed: lapsedSchema,
  satisfaction: satisfactionSchema,
} as const;
const COMPOUNDS = ['all', 'any', 'not'] as const;
export const CONDITION_KINDS = [...COMPOUNDS, ...Object.keys(LEAVES)] as readonly string[];

type Leaf = { [K in keyof typeof LEAVES]: z.infer<(typeof LEAVES)[K]> }[keyof typeof LEAVES];
export type Condition = Leaf | { all: Condition[] } | { any: Condition[] } | { not: Condition };
export type TraitCondition = z.infer<typeof traitSchema>;
export type PerformedCondition = z.infer<typeof performedSchema>;
export type LastPerformedCondition = z.infer<typeof lastPerformedSchema>;

/** The schema of a condition, for types and JSON Schema; `parseCondition` is the validator. */
export const conditionSchema: z.ZodType<Condition> = z
  .lazy(
    () =>
      z.union([
        z.strictObject({ all: z.array(conditionSchema).min(1).max(MAX_CHILDREN) }),
        z.strictObject({ any: z.array(conditionSchema).min(1).max(MAX_CHILDREN) }),
        z.strictObject({ not: conditionSchema }),
        ...Object.values(LEAVES),
      ]),
    // Named, so the API's description keeps this recursive shape once, as `Condition`.
  )
  .meta({ id: 'Condition' });

export interface Problem {
  field: string;
  message: string;
}

/**
 * Validates a condition, naming the path of each problem (`condition.all[2].performed: ...`).
 * A condition is an object with exactly one of the kind keys; the kind decides its schema.
 */
export function parseCondition(
  input: unknown,
  at = 'condition',
): { ok: true; value: Condition } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const value = parseNode(input, at, 1, problems);
  return problems.length === 0 && value ? { ok: true, value } : { ok: false, problems };
}

function parseNode(input: unknown, at: string, depth: number, problems: Problem[]): Condition | undefined {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    problems.push({
      field: at,
      message: `must be a condition: an object with one of ${CONDITION_KINDS.join(', ')}`,
    });
    return undefined;
  }
  const kinds = Object.keys(input).filter((key) => CONDITION_KINDS.includes(key));
  if (kinds.length !== 1) {
    problems.push({
      field: at,
      message:
        kinds.length === 0
          ? `must have one of ${CONDITION_KINDS.join(', ')} (found ${Object.keys(input).join(', ') || 'nothing'})`
          : `must have only one of ${kinds.join(', ')}: combine them with all or any`,
    });
    return undefined;
  }
  const kind = kinds[0] as string;
  const record = input as Record<string, unknown>;
  if (kind === 'all' || kind === 'any' || kind === 'not') {
    if (depth > MAX_CONDITION_DEPTH) {
      problems.push({ field: at, message: `nested deeper than ${MAX_CONDITION_DEPTH} levels` });
      return undefined;
    }
    const extra = Object.keys(record).filter((key) => key !== kind);
    if (extra.length > 0) problems.push({ field: at, message: `does not apply here: ${extra.join(', ')}` });
    if (kind === 'not') {
      const child = parseNode(record.not, `${at}.not`, depth + 1, problems);
      return child ? { not: child } : undefined;
    }
    const children = record[kind];
    if (!Array.isArray(children) || children.length === 0 || children.length > MAX_CHILDREN) {
      problems.push({ field: `${at}.${kind}`, message: `must be a list of 1 to ${MAX_CHILDREN} conditions` });
      return undefined;
    }
    const parsed = children.map((child, index) =>
      parseNode(child, `${at}.${kind}[${index}]`, depth + 1, problems),
    );
    if (parsed.some((child) => !child)) return undefined;
    return (kind === 'all' ? { all: parsed } : { any: parsed }) as Condition;
  }
  const result = LEAVES[kind as keyof typeof LEAVES].safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path.reduce<string>(
        (text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${String(part)}`),
        at,
      );
      problems.push({
        field,
        message:
          issue.code === 'unrecognized_keys'
            ? `does not apply to ${kind}: ${issue.keys.join(', ')}`
            : issue.message,
      });
    }
    return undefined;
  }
  return result.data as Condition;
}

/** Every condition inside this one, itself included, depth first. */
export function* walkConditions(condition: Condition): Generator<Condition> {
  yield condition;
  if ('all' in condition) for (const child of condition.all) yield* walkConditions(child);
  else if ('any' in condition) for (const child of condition.any) yield* walkConditions(child);
  else if ('not' in condition) yield* walkConditions(condition.not);
}

/** The segments a condition refers to. */
export function segmentRefsOf(condition: Condition): string[] {
  return [...walkConditions(condition)].flatMap((node) => ('segment' in node ? [node.segment] : []));
}

/** What evaluation reads beyond the profile. */
export interface EvaluationContext {
  profile: Profile;
  now: string;
  /** The definition being evaluated (randomPercent is stable per customer and definition). */
  definitionId: string;
  /** Current membership of other segments, with the time it may change. */
  segment: (id: string) => Outcome;
  model?: FittedModel | undefined;
}

export interface Outcome {
  value: boolean;
  /** The earliest time after `now` at which the value may change with no new input. */
  changesAt?: string | undefined;
}

export function evaluate(condition: Condition, context: EvaluationContext): Outcome {
  if ('all' in condition || 'any' in condition) {
    const children = 'all' in condition ? condition.all : condition.any;
    const outcomes = children.map((child) => evaluate(child, context));
    const value = 'all' in condition ? outcomes.every((o) => o.value) : outcomes.some((o) => o.value);
    // Conservative: the whole may change whenever a part may.
    return { value, changesAt: earliest(outcomes.map((o) => o.changesAt)) };
  }
  if ('not' in condition) {
    const inner = evaluate(condition.not, context);
    return { value: !inner.value, changesAt: inner.changesAt };
  }
  const { profile, now } = context;
  if ('trait' in condition) return testValue(traitValue(profile, condition.trait), condition, now);
  if ('stage' in condition) return { value: condition.stage.includes(profile.stage) };
  if ('performed' in condition) return performed(condition, context);
  if ('lastPerformed' in condition) return lastPerformed(condition, context);
  if ('measure' in condition) return measure(condition, context);
  if ('predicted' in condition) return predicted(condition, context);
  if ('relationship' in condition) return { value: condition.relationship.includes(relationshipOf(profile)) };
  if ('subscribed' in condition)
    return { value: (profile.consent?.marketing ?? true) === condition.subscribed };
  if ('segment' in condition) return context.segment(condition.segment);
  if ('message' in condition) return message(condition.message, context);
  if ('randomPercent' in condition)
    return { value: percentBucket(profile.id, context.definitionId) < condition.randomPercent };
  if ('lapsed' in condition) return lapsed(condition.lapsed, context);
  if ('satisfaction' in condition) return satisfaction(condition.satisfaction, context);
  return { value: false };
}

/** A stable pseudo-random 0..99 per customer and definition. */
export function percentBucket(customerId: string, definitionId: string): number {
  return createHash('sha256').update(`${definitionId}\u0000${customerId}`).digest().readUInt32BE(0) % 100;
}

/** A trait by name or dotted path (`address.country`); an own property only. */
export function traitValue(profile: Profile, name: string): unknown {
  if (Object.hasOwn(profile.traits, name)) return profile.traits[name];
  return valueAt(profile.traits, name);
}

/** The value at a dotted path of a record (own properties only, so `__proto__` finds nothing). */
export function valueAt(record: Record<string, unknown> | undefined, dotted: string): unknown {
  if (record && Object.hasOwn(record, dotted)) return record[dotted];
  let current: unknown = record;
  for (const part of dotted.split('.')) {
    if (!current || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Tests one value with an operator. Strings compare as written (equals is exact; contains ignores
 * case); a number compares with a number, also when one of them is a numeric string; dates
 * compare as times. withinDays/olderThanDays read the value as a date.
 */
export function testValue(actual: unknown, test: { op: Operator; value?: unknown }, now: string): Outcome {
  const { op, value } = test;
  switch (op) {
    case 'exists':
      return { value: actual !== undefined && actual !== null && actual !== '' };
    case 'missing':
      return { value: actual === undefined || actual === null || actual === '' };
    case 'equals':
      return { value: same(actual, value) };
    case 'notEquals':
      return { value: !same(actual, value) };
    case 'in':
      return { value: Array.isArray(value) && value.some((candidate) => same(actual, candidate)) };
    case 'notIn':
      return { value: !(Array.isArray(value) && value.some((candidate) => same(actual, candidate))) };
    case 'contains':
      return { value: contains(actual, value) };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { value: ordered(actual, value, op) };
    case 'withinDays':
    case 'olderThanDays':
      return age(actual, Number(value), op, now);
  }
}

function same(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  if (actual === expected) return true;
  const a = numeric(actual);
  const b = numeric(expected);
  return a !== undefined && b !== undefined && a === b;
}

function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  if (typeof actual === 'string' && expected !== undefined && expected !== null)
    return actual.toLowerCase().includes(String(expected).toLowerCase());
  return false;
}

function ordered(actual: unknown, expected: unknown, op: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  let a: number | undefined;
  let b: number | undefined;
  if (typeof expected === 'string' && isDate(expected)) {
    a = typeof actual === 'string' && isDate(actual) ? Date.parse(actual) : undefined;
    b = Date.parse(expected);
  } else {
    a = numeric(actual);
    b = numeric(expected);
  }
  if (a === undefined || b === undefined) return false;
  return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
}

function age(actual: unknown, daysValue: number, op: 'withinDays' | 'olderThanDays', now: string): Outcome {
  if (typeof actual !== 'string' || !isDate(actual)) return { value: false };
  const at = Date.parse(actual);
  const nowMs = Date.parse(now);
  const boundary = at + daysValue * DAY_MS;
  if (op === 'withinDays') {
    // Within the last N days: from the date itself (a future date is not yet within) to N days after.
    if (at > nowMs) return { value: false, changesAt: iso(at) };
    return boundary > nowMs ? { value: true, changesAt: iso(boundary) } : { value: false };
  }
  return boundary < nowMs ? { value: true } : { value: false, changesAt: iso(boundary + 1) };
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

export function isDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value));
}

/** Does an event's properties pass every filter? */
export function matchesWhere(
  properties: Record<string, unknown> | undefined,
  where: readonly PropertyFilter[] | undefined,
  at: string,
): boolean {
  return (where ?? []).every((filter) => testValue(valueAt(properties, filter.property), filter, at).value);
}

function entriesOf(
  profile: Profile,
  condition: { performed?: string; lastPerformed?: string; where?: PropertyFilter[] },
) {
  const name = condition.performed ?? condition.lastPerformed ?? '';
  return profile.signals?.[signalKeyOf(name, condition.where)] ?? [];
}

function performed(condition: PerformedCondition, { profile, now }: EvaluationContext): Outcome {
  const nowMs = Date.parse(now);
  const entries = entriesOf(profile, condition);
  const window = condition.withinDays;
  const inWindow = entries.filter(
    ([seconds]) => seconds * 1000 <= nowMs && (!window || seconds * 1000 > nowMs - window * DAY_MS),
  );
  const count = inWindow.length;
  const { atLeast, atMost } = condition.times ?? { atLeast: 1 };
  const value = (atLeast === undefined || count >= atLeast) && (atMost === undefined || count <= atMost);
  // The count falls when the oldest event in the window leaves it; future-dated events enter later.
  const leaves =
    window && inWindow.length > 0
      ? Math.min(...inWindow.map(([s]) => s * 1000)) + window * DAY_MS
      : undefined;
  const enters = entries.map(([s]) => s * 1000).filter((ms) => ms > nowMs);
  return {
    value,
    changesAt: earliest([leaves, ...enters].map((ms) => (ms === undefined ? undefined : iso(ms)))),
  };
}

function lastPerformed(condition: LastPerformedCondition, { profile, now }: EvaluationContext): Outcome {
  const nowMs = Date.parse(now);
  const times = entriesOf(profile, condition)
    .map(([seconds]) => seconds * 1000)
    .filter((ms) => ms <= nowMs);
  if (times.length === 0) return { value: false };
  const last = Math.max(...times);
  if (condition.withinDays !== undefined) {
    const until = last + condition.withinDays * DAY_MS;
    return until > nowMs ? { value: true, changesAt: iso(until) } : { value: false };
  }
  const from = last + (condition.olderThanDays ?? 0) * DAY_MS;
  return from < nowMs ? { value: true } : { value: false, changesAt: iso(from + 1) };
}

function measure(condition: z.infer<typeof measureSchema>, { profile, now }: EvaluationContext): Outcome {
  const nowMs = Date.parse(now);
  const since = condition.withinDays === undefined ? -Infinity : nowMs - condition.withinDays * DAY_MS;
  // Every known order counts, even one timed a moment after `now`: inputs applied out of order
  // (two ingest calls a millisecond apart) must not make a fact the profile holds disappear.
  const inWindow = (ms: number) => ms > since;
  let actual: number | undefined;
  let oldest: number | undefined;
  if (condition.measure === 'visitDays') {
    const days = profile.visitDays.filter((day) => inWindow(day * DAY_MS + DAY_MS - 1));
    actual = days.length;
    oldest = days[0] === undefined ? undefined : days[0] * DAY_MS + DAY_MS - 1;
  } else {
    const orders = profile.orders.filter((order) => inWindow(Date.parse(order.at)));
    const revenue = orders.reduce((sum, order) => sum + order.revenue, 0);
    actual =
      condition.measure === 'orderCount'
        ? orders.length
        : condition.measure === 'revenue'
          ? Math.round(revenue * 100) / 100
          : orders.length > 0
            ? Math.round((revenue / orders.length) * 100) / 100
            : undefined;
    oldest = orders[0] ? Date.parse(orders[0].at) : undefined;
  }
  const value =
    actual !== undefined &&
    (condition.op === 'equals'
      ? actual === condition.value
      : condition.op === 'notEquals'
        ? actual !== condition.value
        : ordered(actual, condition.value, condition.op));
  const changesAt =
    condition.withinDays !== undefined && oldest !== undefined
      ? iso(oldest + condition.withinDays * DAY_MS)
      : undefined;
  return { value, changesAt };
}

/** How far ahead a decaying prediction is followed to find when it crosses its threshold. */
const PREDICTION_HORIZON_DAYS = 730;

/**
 * pAlive, expected purchases (next 52 weeks) and value (those times the expected order value),
 * from the fitted model and the customer's orders. With no purchase, they only fall as time
 * passes, so the day the value crosses the threshold is found by bisection over whole days.
 */
function predicted(
  condition: z.infer<typeof predictedSchema>,
  { profile, now, model }: EvaluationContext,
): Outcome {
  if (!model) return { value: false };
  const valueOn = (at: number) => {
    const summary = purchaseSummary(profile.orders, iso(at));
    if (!summary) return undefined;
    const prediction = predict(model, summary);
    return condition.predicted === 'pAlive'
      ? prediction.probabilityAlive
      : condition.predicted === 'expectedPurchases'
        ? prediction.expectedPurchases
        : prediction.predictedValue;
  };
  const nowMs = Date.parse(now);
  const holds = (at: number) => {
    const actual = valueOn(at);
    return actual !== undefined && ordered(actual, condition.value, condition.op);
  };
  const value = holds(nowMs);
  // Predictions are by whole days: find the first later day on which the answer differs.
  const today = Math.floor(nowMs / DAY_MS);
  const dayMs = (day: number) => day * DAY_MS;
  let low = today;
  let high = today + PREDICTION_HORIZON_DAYS;
  if (holds(dayMs(high)) === value) return { value };
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (holds(dayMs(middle)) === value) low = middle;
    else high = middle;
  }
  return { value, changesAt: iso(Math.max(dayMs(high), nowMs + 1)) };
}

function message(
  condition: z.infer<typeof messageSchema>['message'],
  { profile, now }: EvaluationContext,
): Outcome {
  const history = profile.campaigns[condition.journey as keyof Profile['campaigns']];
  if (!history) return { value: false };
  const at =
    condition.status === 'sent'
      ? history.lastStatus === 'queued' || history.lastStatus === 'deferred'
        ? history.lastAt
        : undefined
      : condition.status === 'opened'
        ? history.lastOpenedAt
        : condition.status === 'clicked'
          ? history.lastClickedAt
          : history.lastConvertedAt;
  if (!at) return { value: false };
  if (condition.withinDays === undefined) return { value: true };
  const until = Date.parse(at) + condition.withinDays * DAY_MS;
  return until > Date.parse(now) ? { value: true, changesAt: iso(until) } : { value: false };
}

function lapsed(rule: z.infer<typeof lapsedSchema>['lapsed'], { profile, now }: EvaluationContext): Outcome {
  const last = profile.lastVisitAt;
  if (!last || profile.visitDays.length < rule.visitDays) return { value: false };
  const quietDays = Math.max(rule.quietDays, rule.gapMultiplier * medianGap(profile.visitDays));
  const from = Date.parse(last) + quietDays * DAY_MS;
  return from <= Date.parse(now) ? { value: true } : { value: false, changesAt: iso(from) };
}

function satisfaction(
  rule: z.infer<typeof satisfactionSchema>['satisfaction'],
  { profile, now }: EvaluationContext,
): Outcome {
  const nowMs = Date.parse(now);
  const since = rule.withinDays === undefined ? undefined : nowMs - rule.withinDays * DAY_MS;
  const answer = latestAnswer(profile, rule.question, since);
  if (!answer || Date.parse(answer.at) > nowMs) return { value: false };
  const value =
    rule.op === 'equals' ? answer.score === rule.value : ordered(answer.score, rule.value, rule.op);
  // The answer leaves the window then (an older answer inside it is not the latest any more).
  return rule.withinDays === undefined
    ? { value }
    : { value, changesAt: iso(Date.parse(answer.at) + rule.withinDays * DAY_MS) };
}

/** The median number of days between consecutive visit days (0 with fewer than two). */
export function medianGap(days: readonly number[]): number {
  const gaps = days.slice(1).map((day, index) => day - (days[index] ?? day));
  if (gaps.length === 0) return 0;
  const sorted = [...gaps].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function earliest(times: readonly (string | undefined)[]): string | undefined {
  let found: string | undefined;
  for (const time of times) if (time && (!found || time < found)) found = time;
  return found;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

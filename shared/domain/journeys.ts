/**
 * Journeys as data (DESIGN.md, "Definitions"): what starts a customer on a journey, who may
 * enter, when they leave, and the steps they go through (waits, sends, branches, ...). One zod
 * schema per step kind (the source of the types and the JSON Schema), a parser that names the
 * field path of each problem, and the helpers the engine uses to walk a journey's steps. The
 * default lifecycle journeys are definitions like any other (shared/domain/defaults/journeys).
 */
import * as z from 'zod';
import {
  type Condition,
  conditionSchema,
  DEFINITION_ID,
  type Problem,
  parseCondition,
  propertyFilterSchema,
  segmentRefsOf,
} from './conditions.ts';
import { STAGES } from './profile.ts';
import { offerSchema } from './rules.ts';

/** The longest a single wait may last, and the most steps a journey may hold. */
export const MAX_WAIT_DAYS = 365;
export const MAX_STEPS = 100;
const MAX_DEPTH = 6;

const whole = (name: string, max: number) =>
  z
    .number()
    .int(`must be a whole number of ${name} from 1 to ${max}`)
    .min(1, `must be a whole number of ${name} from 1 to ${max}`)
    .max(max, `must be a whole number of ${name} from 1 to ${max}`);

/** A length of time: exactly one of minutes, hours or days. */
const durationShape = {
  minutes: whole('minutes', MAX_WAIT_DAYS * 1440).optional(),
  hours: whole('hours', MAX_WAIT_DAYS * 24).optional(),
  days: whole('days', MAX_WAIT_DAYS).optional(),
};
const oneUnit = (value: {
  minutes?: number | undefined;
  hours?: number | undefined;
  days?: number | undefined;
}) => [value.minutes, value.hours, value.days].filter((part) => part !== undefined).length === 1;
export const durationSchema = z
  .strictObject(durationShape)
  .refine(oneUnit, { message: 'needs exactly one of minutes, hours or days' });
export type Duration = z.infer<typeof durationSchema>;

export function durationMs(duration: Duration): number {
  return ((duration.minutes ?? 0) + (duration.hours ?? 0) * 60 + (duration.days ?? 0) * 1440) * 60_000;
}

export const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time of day, HH:MM');
const eventName = z.string().min(1, 'must name an event').max(512);
export const templateName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a template name (a-z, 0-9, -)');

const waitSchema = z.strictObject({
  wait: z.union([
    z
      .strictObject({
        ...durationShape,
        /** With a trustworthy model: the expected time between a customer's purchases instead. */
        predicted: z.literal('timeBetweenPurchases').optional(),
      })
      .refine(oneUnit, { message: 'needs exactly one of minutes, hours or days (or untilLocalTime)' }),
    z.strictObject({ untilLocalTime: localTime }),
  ]),
});
const sendSchema = z.strictObject({
  send: z.strictObject({
    template: templateName,
    offer: offerSchema.optional(),
  }),
});
const setTraitSchema = z.strictObject({
  setTrait: z.strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a trait name'),
    value: z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]),
  }),
});
const pauseSchema = z.strictObject({ pauseMarketing: z.strictObject({ days: whole('days', 365) }) });
const exitSchema = z.strictObject({ exit: z.strictObject({}) });

export type Step =
  | z.infer<typeof waitSchema>
  | z.infer<typeof sendSchema>
  | z.infer<typeof setTraitSchema>
  | z.infer<typeof pauseSchema>
  | z.infer<typeof exitSchema>
  | {
      waitFor: {
        event: string;
        where?: z.infer<typeof propertyFilterSchema>[];
        timeout: Duration;
        then?: Step[];
        timedOut?: Step[];
      };
    }
  | { branch: { if: Condition; then: Step[]; else?: Step[] } }
  | { split: { percent: number; then: Step[]; else?: Step[] } };

/** The schema of a step, for types and JSON Schema; `parseJourney` is the validator. */
export const stepSchema: z.ZodType<Step> = z
  .lazy(() =>
    z.union([
      waitSchema,
      sendSchema,
      setTraitSchema,
      pauseSchema,
      exitSchema,
      z.strictObject({
        waitFor: z.strictObject({
          event: eventName,
          where: z.array(propertyFilterSchema).max(20).optional(),
          timeout: durationSchema,
          then: z.array(stepSchema).optional(),
          timedOut: z.array(stepSchema).optional(),
        }),
      }),
      z.strictObject({
        branch: z.strictObject({
          if: conditionSchema,
          then: z.array(stepSchema),
          else: z.array(stepSchema).optional(),
        }),
      }),
      z.strictObject({
        split: z.strictObject({
          percent: z.number().int().min(1).max(99),
          then: z.array(stepSchema),
          else: z.array(stepSchema).optional(),
        }),
      }),
    ]),
  )
  .meta({ id: 'Step' });

/** One event name, or a few that mean the same here (`Signed Up`, `Newsletter Subscribed`). */
const eventNames = z.union([eventName, z.array(eventName).min(1, 'must name an event').max(10)]);

const entrySchema = z.union([
  z.strictObject({ event: eventNames, where: z.array(propertyFilterSchema).max(20).optional() }),
  z.strictObject({ segmentEntered: z.string().regex(DEFINITION_ID, 'must be a segment id') }),
  z.strictObject({ stageEntered: z.enum(STAGES) }),
  z.strictObject({
    date: z.strictObject({
      trait: z.string().min(1).max(200),
      daysBefore: z.number().int().min(0).max(60).optional(),
    }),
  }),
]);
export type Entry = z.infer<typeof entrySchema>;

export const conversionSchema = z.strictObject({
  event: eventNames,
  where: z.array(propertyFilterSchema).max(20).optional(),
  /** How long after an email the event counts as its conversion (absent: as long as the stage lasts). */
  withinDays: whole('days', 365).optional(),
  /** Counts only while the customer was in one of these stages (before the event). */
  stage: z.array(z.enum(STAGES)).min(1).optional(),
});
export type Conversion = z.infer<typeof conversionSchema>;

export const journeyHead = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  description: z.string().trim().max(500).optional(),
  /** How the preference page names the journey to customers ("Offers when we have not seen you"). */
  preferenceLabel: z.string().trim().min(1).max(120).optional(),
  enabled: z.boolean(),
  category: z.enum(['marketing', 'service']),
  reentry: z
    .union([z.literal('never'), z.literal('always'), z.strictObject({ afterDays: whole('days', 3650) })])
    .optional(),
  conversion: conversionSchema.optional(),
  holdoutPercent: z
    .number()
    .min(0, 'must be between 0 and 50')
    .max(50, 'must be between 0 and 50')
    .optional(),
  /** A customer who asked for a fling (the `relationship` trait) gets only journeys marked for them. */
  forFlings: z.boolean().optional(),
  /** When disabled: customers inside finish their steps (default), or leave at once. */
  onDisable: z.enum(['finish', 'exit']).optional(),
});

export type JourneyBody = z.infer<typeof journeyHead> & {
  entry: Entry;
  audience?: Condition;
  exitWhen?: Condition;
  steps: Step[];
};

export const journeySchema: z.ZodType<JourneyBody> = journeyHead.extend({
  entry: entrySchema,
  audience: conditionSchema.optional(),
  exitWhen: conditionSchema.optional(),
  steps: z.array(stepSchema).min(1).max(MAX_STEPS),
}) as unknown as z.ZodType<JourneyBody>;

export interface JourneyDefinition extends JourneyBody {
  id: string;
  version: number;
  updatedAt: string;
  builtIn?: boolean;
}

const STEP_KINDS = [
  'wait',
  'waitFor',
  'send',
  'branch',
  'split',
  'setTrait',
  'pauseMarketing',
  'exit',
] as const;

/** Parses a journey, naming the path of every problem (`steps[2].waitFor.timeout.hours: ...`). */
export function parseJourney(
  input: unknown,
): { ok: true; value: JourneyBody } | { ok: false; problems: Problem[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, problems: [{ field: 'body', message: 'must be a JSON object' }] };
  const { entry, audience, exitWhen, steps, ...head } = input as Record<string, unknown>;
  const problems: Problem[] = [];
  const parsedHead = journeyHead.safeParse(head);
  if (!parsedHead.success) problems.push(...issuesAt('', parsedHead.error.issues));
  const parsedEntry = entrySchema.safeParse(entry);
  if (!parsedEntry.success) problems.push(...entryProblems(entry, parsedEntry.error.issues));
  const conditions: Partial<Record<'audience' | 'exitWhen', Condition>> = {};
  for (const [field, value] of [
    ['audience', audience],
    ['exitWhen', exitWhen],
  ] as const) {
    if (value === undefined) continue;
    const parsed = parseCondition(value, field);
    if (parsed.ok) conditions[field] = parsed.value;
    else problems.push(...parsed.problems);
  }
  const parsedSteps = parseSteps(steps, 'steps', 1, problems);
  if (parsedSteps && parsedSteps.length === 0)
    problems.push({ field: 'steps', message: 'needs at least one step' });
  if (problems.length > 0 || !parsedHead.success || !parsedEntry.success || !parsedSteps)
    return { ok: false, problems };
  return {
    ok: true,
    value: { ...parsedHead.data, entry: parsedEntry.data, ...conditions, steps: parsedSteps },
  };
}

function entryProblems(entry: unknown, issues: z.core.$ZodIssue[]): Problem[] {
  const kinds = ['event', 'segmentEntered', 'stageEntered', 'date'];
  const given =
    entry && typeof entry === 'object' ? Object.keys(entry).filter((key) => kinds.includes(key)) : [];
  if (given.length !== 1)
    return [{ field: 'entry', message: `must have exactly one of ${kinds.join(', ')}` }];
  const kind = given[0] as string;
  const schema = {
    event: z.strictObject({ event: eventNames, where: z.array(propertyFilterSchema).max(20).optional() }),
    segmentEntered: z.strictObject({
      segmentEntered: z.string().regex(DEFINITION_ID, 'must be a segment id'),
    }),
    stageEntered: z.strictObject({ stageEntered: z.enum(STAGES) }),
    date: z.strictObject({
      date: z.strictObject({
        trait: z.string().min(1).max(200),
        daysBefore: z.number().int().min(0).max(60).optional(),
      }),
    }),
  }[kind];
  const result = schema?.safeParse(entry);
  return result && !result.success ? issuesAt('entry', result.error.issues) : issuesAt('entry', issues);
}

function parseSteps(input: unknown, at: string, depth: number, problems: Problem[]): Step[] | undefined {
  if (!Array.isArray(input)) {
    problems.push({ field: at, message: 'must be a list of steps' });
    return undefined;
  }
  if (input.length > MAX_STEPS) {
    problems.push({ field: at, message: `must hold at most ${MAX_STEPS} steps` });
    return undefined;
  }
  const steps = input.map((step, index) => parseStep(step, `${at}[${index}]`, depth, problems));
  return steps.every((step) => step !== undefined) ? (steps as Step[]) : undefined;
}

function parseStep(input: unknown, at: string, depth: number, problems: Problem[]): Step | undefined {
  const kinds =
    input && typeof input === 'object' && !Array.isArray(input)
      ? Object.keys(input).filter((key) => (STEP_KINDS as readonly string[]).includes(key))
      : [];
  if (kinds.length !== 1) {
    problems.push({ field: at, message: `must be one step: one of ${STEP_KINDS.join(', ')}` });
    return undefined;
  }
  const kind = kinds[0] as (typeof STEP_KINDS)[number];
  const record = input as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => key !== kind);
  if (extra.length > 0) {
    problems.push({ field: at, message: `does not apply here: ${extra.join(', ')}` });
    return undefined;
  }
  const body = record[kind];
  if (kind === 'branch' || kind === 'split' || kind === 'waitFor') {
    if (depth > MAX_DEPTH) {
      problems.push({ field: at, message: `nested deeper than ${MAX_DEPTH} levels` });
      return undefined;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      problems.push({ field: `${at}.${kind}`, message: 'must be an object' });
      return undefined;
    }
    const fields = body as Record<string, unknown>;
    const lists = kind === 'waitFor' ? (['then', 'timedOut'] as const) : (['then', 'else'] as const);
    const nested: Record<string, Step[]> = {};
    for (const list of lists) {
      if (fields[list] === undefined) {
        if (list === 'then' && kind !== 'waitFor')
          problems.push({ field: `${at}.${kind}.then`, message: 'is required' });
        continue;
      }
      const parsed = parseSteps(fields[list], `${at}.${kind}.${list}`, depth + 1, problems);
      if (parsed) nested[list] = parsed;
    }
    const { then: _then, else: _else, timedOut: _timedOut, ...rest } = fields;
    if (kind === 'branch') {
      const { if: condition, ...others } = rest;
      if (Object.keys(others).length > 0)
        problems.push({
          field: `${at}.branch`,
          message: `does not apply here: ${Object.keys(others).join(', ')}`,
        });
      const parsed = parseCondition(condition, `${at}.branch.if`);
      if (!parsed.ok) {
        problems.push(...parsed.problems);
        return undefined;
      }
      return {
        branch: { if: parsed.value, then: nested.then ?? [], ...(nested.else ? { else: nested.else } : {}) },
      };
    }
    const schema =
      kind === 'split'
        ? z.strictObject({
            percent: z
              .number()
              .int('must be a whole percent from 1 to 99')
              .min(1, 'must be a whole percent from 1 to 99')
              .max(99, 'must be a whole percent from 1 to 99'),
          })
        : z.strictObject({
            event: eventName,
            where: z.array(propertyFilterSchema).max(20).optional(),
            timeout: durationSchema,
          });
    const result = schema.safeParse(rest);
    if (!result.success) {
      problems.push(
        ...issuesAt(`${at}.${kind}`, result.error.issues).map((problem) =>
          problem.field === `${at}.waitFor.timeout` && problem.message.startsWith('Invalid input')
            ? {
                ...problem,
                message: 'is required: a waitFor waits at most this long (minutes, hours or days)',
              }
            : problem,
        ),
      );
      return undefined;
    }
    return { [kind]: { ...result.data, ...nested } } as Step;
  }
  if (kind === 'wait') {
    // Name the field at fault, not "one of the shapes": the shape is told by its keys.
    const wait = record.wait;
    const shape =
      wait && typeof wait === 'object' && 'untilLocalTime' in wait
        ? z.strictObject({ wait: z.strictObject({ untilLocalTime: localTime }) })
        : z.strictObject({ wait: waitSchema.shape.wait.options[0] });
    const result = shape.safeParse(input);
    if (!result.success) {
      problems.push(...issuesAt(at, result.error.issues));
      return undefined;
    }
    return result.data as Step;
  }
  const schema = {
    wait: waitSchema,
    send: sendSchema,
    setTrait: setTraitSchema,
    pauseMarketing: pauseSchema,
    exit: exitSchema,
  }[kind];
  const result = schema.safeParse(input);
  if (!result.success) {
    problems.push(...issuesAt(at, result.error.issues));
    return undefined;
  }
  return result.data as Step;
}

export function issuesAt(at: string, issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.map((issue) => {
    const field = issue.path.reduce<string>(
      (text, part) =>
        typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
      at,
    );
    return {
      field: field || 'body',
      message:
        issue.code === 'unrecognized_keys'
          ? `does not apply here: ${issue.keys.join(', ')}`
          : issue.code === 'invalid_union'
            ? 'is not one of the shapes this field takes'
            : issue.message,
    };
  });
}

/** Every step of a journey, with its path, depth first. */
export function* walkSteps(
  steps: readonly Step[],
  path: StepPath = [],
): Generator<{ step: Step; path: StepPath }> {
  for (const [index, step] of steps.entries()) {
    const here = [...path, index];
    yield { step, path: here };
    for (const [key, list] of nestedLists(step)) yield* walkSteps(list, [...here, key]);
  }
}

function nestedLists(step: Step): [string, Step[]][] {
  if ('branch' in step)
    return [
      ['then', step.branch.then],
      ...(step.branch.else ? [['else', step.branch.else] as [string, Step[]]] : []),
    ];
  if ('split' in step)
    return [
      ['then', step.split.then],
      ...(step.split.else ? [['else', step.split.else] as [string, Step[]]] : []),
    ];
  if ('waitFor' in step)
    return [
      ...(step.waitFor.then ? [['then', step.waitFor.then] as [string, Step[]]] : []),
      ...(step.waitFor.timedOut ? [['timedOut', step.waitFor.timedOut] as [string, Step[]]] : []),
    ];
  return [];
}

/** Where a customer is in a journey: indexes into step lists, and the branch taken between them. */
export type StepPath = (number | string)[];

export function stepAt(steps: readonly Step[], path: StepPath): Step | undefined {
  let list: readonly Step[] | undefined = steps;
  let step: Step | undefined;
  for (let position = 0; position < path.length; position++) {
    const part = path[position];
    if (typeof part === 'number') {
      step = list?.[part];
      if (!step) return undefined;
    } else {
      list = step ? (nestedLists(step).find(([key]) => key === part)?.[1] ?? []) : undefined;
    }
  }
  return step;
}

/** The path of the step after `path` once it is done: the next sibling, or the step after the parent. */
export function nextPath(steps: readonly Step[], path: StepPath): StepPath | undefined {
  const next = [...path];
  for (;;) {
    const last = next.at(-1);
    if (typeof last !== 'number') return undefined;
    next[next.length - 1] = last + 1;
    if (stepAt(steps, next)) return next;
    // Past the end of a nested list: on after the step that holds it.
    next.splice(-2, 2);
    if (next.length === 0) return undefined;
  }
}

/** The templates and segments a journey uses, for checks that they exist. */
export function referencesOf(journey: JourneyBody): { templates: string[]; segments: string[] } {
  const templates = new Set<string>();
  const conditions: Condition[] = [journey.audience, journey.exitWhen].filter((c): c is Condition => !!c);
  for (const { step } of walkSteps(journey.steps)) {
    if ('send' in step) templates.add(step.send.template);
    if ('branch' in step) conditions.push(step.branch.if);
  }
  const segments = new Set(conditions.flatMap((condition) => segmentRefsOf(condition)));
  if ('segmentEntered' in journey.entry) segments.add(journey.entry.segmentEntered);
  return { templates: [...templates], segments: [...segments] };
}

/** Conditions used anywhere in a journey (for the signals they need). */
export function conditionsOf(journey: JourneyBody): Condition[] {
  const conditions: Condition[] = [journey.audience, journey.exitWhen].filter((c): c is Condition => !!c);
  for (const { step } of walkSteps(journey.steps)) if ('branch' in step) conditions.push(step.branch.if);
  return conditions;
}

/**
 * Segments: named conditions whose membership the engine keeps exact for every customer, in the
 * same decision that changes the profile. A segment may use another (`{ "segment": "vip" }`),
 * never in a cycle; they are evaluated in dependency order, so one pass settles them all.
 */
import * as z from 'zod';
import {
  type Condition,
  conditionSchema,
  DEFINITION_ID,
  earliest,
  evaluate,
  type Outcome,
  type Problem,
  parseCondition,
  segmentRefsOf,
} from './conditions.ts';
import type { FittedModel } from './models/fitted.ts';
import type { Profile } from './profile.ts';
import { type SignalNeed, signalNeeds } from './signals.ts';

export const segmentSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  description: z.string().trim().max(500).optional(),
  condition: conditionSchema,
});
export type SegmentBody = z.infer<typeof segmentSchema>;

export interface SegmentDefinition extends SegmentBody {
  id: string;
  version: number;
  updatedAt: string;
  /** Shipped with the product (shared/domain/defaults), and not changed since. */
  builtIn?: boolean;
}

/** How many segments a shop may define (every one is evaluated on every input of every customer). */
export const MAX_SEGMENTS = 200;

/**
 * Validates a segment saved under `id`, against the others: the name, the condition (each
 * problem with its path), references to segments that exist, and no cycle through this one.
 */
export function parseSegment(
  id: string,
  input: unknown,
  others: ReadonlyMap<string, Pick<SegmentDefinition, 'condition'>>,
): { ok: true; value: SegmentBody } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!DEFINITION_ID.test(id))
    problems.push({ field: 'id', message: 'must be a-z, 0-9 and -, up to 63 characters' });
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problems: [...problems, { field: 'body', message: 'must be a JSON object' }] };
  }
  const { condition: rawCondition, ...rest } = input as Record<string, unknown>;
  const head = segmentSchema.omit({ condition: true }).safeParse(rest);
  if (!head.success) {
    for (const issue of head.error.issues) {
      problems.push({
        field: issue.path.map(String).join('.') || 'body',
        message:
          issue.code === 'unrecognized_keys'
            ? `does not apply here: ${issue.keys.join(', ')}`
            : issue.message,
      });
    }
  }
  const condition = parseCondition(rawCondition, 'condition');
  if (!condition.ok) problems.push(...condition.problems);
  if (problems.length > 0 || !head.success || !condition.ok) return { ok: false, problems };

  for (const ref of segmentRefsOf(condition.value)) {
    if (ref === id) problems.push({ field: 'condition', message: `refers to itself (segment ${id})` });
    else if (!others.has(ref))
      problems.push({ field: 'condition', message: `refers to segment ${ref}, which does not exist` });
  }
  if (problems.length === 0) {
    const cycle = cycleThrough(id, condition.value, others);
    if (cycle) problems.push({ field: 'condition', message: `makes a cycle: ${cycle.join(' -> ')}` });
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, value: { ...head.data, condition: condition.value } };
}

/** A path of references from `id` back to itself, if saving this condition would make one. */
function cycleThrough(
  id: string,
  condition: Condition,
  others: ReadonlyMap<string, Pick<SegmentDefinition, 'condition'>>,
): string[] | undefined {
  const refsOf = (segment: string) =>
    segment === id
      ? segmentRefsOf(condition)
      : segmentRefsOf(others.get(segment)?.condition ?? ({ all: [] } as never));
  const stack: string[][] = refsOf(id).map((ref) => [id, ref]);
  const seen = new Set<string>();
  while (stack.length > 0) {
    const trail = stack.pop() as string[];
    const last = trail.at(-1) as string;
    if (last === id) return trail;
    if (seen.has(last)) continue;
    seen.add(last);
    for (const next of refsOf(last)) stack.push([...trail, next]);
  }
  return undefined;
}

/** The segments in use, ready for the engine: in dependency order, with the signals they need. */
export interface CompiledSegments {
  ordered: SegmentDefinition[];
  needs: Map<string, SignalNeed>;
}

/** `also`: other conditions the engine evaluates (journeys'), whose signals must be kept too. */
export function compileSegments(
  segments: readonly SegmentDefinition[],
  also: readonly Condition[] = [],
): CompiledSegments {
  const byId = new Map(segments.map((segment) => [segment.id, segment]));
  const ordered: SegmentDefinition[] = [];
  const placed = new Set<string>();
  const place = (segment: SegmentDefinition, trail: Set<string>) => {
    if (placed.has(segment.id) || trail.has(segment.id)) return;
    trail.add(segment.id);
    for (const ref of segmentRefsOf(segment.condition)) {
      const dependency = byId.get(ref);
      if (dependency) place(dependency, trail);
    }
    placed.add(segment.id);
    ordered.push(segment);
  };
  for (const segment of [...segments].sort((a, b) => (a.id < b.id ? -1 : 1))) place(segment, new Set());
  return { ordered, needs: signalNeeds([...ordered.map((segment) => segment.condition), ...also]) };
}

export interface SegmentChange {
  segment: string;
  change: 'entered' | 'exited';
  at: string;
}

export interface SegmentEvaluation {
  /** Current memberships: segment id -> when the customer entered. */
  memberships: Record<string, string>;
  changes: SegmentChange[];
  /** The earliest time a membership may change with no new input. */
  changesAt?: string | undefined;
}

/**
 * Evaluates every segment for one customer at `now`, against the memberships they had: who
 * enters, who leaves, and when to look again. A segment no longer defined is left silently.
 */
export function evaluateSegments(
  profile: Profile,
  segments: CompiledSegments,
  now: string,
  model: FittedModel | undefined,
): SegmentEvaluation {
  const before = profile.segments ?? {};
  const outcomes = new Map<string, Outcome>();
  const memberships: Record<string, string> = {};
  const changes: SegmentChange[] = [];
  for (const segment of segments.ordered) {
    const outcome = evaluate(segment.condition, {
      profile,
      now,
      definitionId: segment.id,
      model,
      segment: (id) => outcomes.get(id) ?? { value: false },
    });
    outcomes.set(segment.id, outcome);
    const since = before[segment.id];
    if (outcome.value) {
      memberships[segment.id] = since ?? now;
      if (!since) changes.push({ segment: segment.id, change: 'entered', at: now });
    } else if (since) {
      changes.push({ segment: segment.id, change: 'exited', at: now });
    }
  }
  return {
    memberships,
    changes,
    changesAt: earliest([...outcomes.values()].map((outcome) => outcome.changesAt)),
  };
}

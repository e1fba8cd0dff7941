/**
 * `GET /admin/dead-letters` and `POST /admin/dead-letters/redrive`: what the pipeline gave up on,
 * per queue with its reason, and sending it back for another try (all, or by id).
 */
import * as z from 'zod';
import { problemsOf } from '../../shared/domain/settings.ts';
import type { DeadLetterQueues } from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface DeadLetterDeps {
  queues: DeadLetterQueues;
}

/** At most this many ids a request: more is "all", which needs none. */
const MOST_IDS = 100;

export const redriveBody = z.strictObject({
  ids: z
    .array(z.string().min(1).max(128))
    .min(1, 'name at least one id, or send {} to redrive every letter')
    .max(MOST_IDS, `at most ${MOST_IDS} ids; send {} to redrive every letter`)
    .optional()
    .describe('The letters to send back; without it, every letter of every queue.'),
});

export async function listDeadLetters(deps: DeadLetterDeps): Promise<Answer> {
  const { queues, letters } = await deps.queues.list();
  return { status: 200, body: { queues, letters } };
}

export async function redriveDeadLetters(body: unknown, deps: DeadLetterDeps): Promise<Answer> {
  const request = redriveBody.safeParse(body ?? {});
  if (!request.success) return invalid(problemsOf(request.error));
  const ids = request.data.ids ? [...new Set(request.data.ids)] : undefined;
  const outcome = await deps.queues.redrive(ids);
  if (!outcome.found)
    return {
      status: 404,
      body: {
        success: false,
        error: `not in any dead-letter queue: ${outcome.unknown.join(', ')} (nothing was redriven)`,
        unknown: outcome.unknown,
      },
    };
  return { status: 200, body: { redriven: outcome.redriven, skipped: outcome.skipped } };
}

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

export const redriveBody = z
  .strictObject({
    ids: z
      .array(z.string().min(1).max(128))
      .min(1, 'name at least one id')
      .max(MOST_IDS, `at most ${MOST_IDS} ids; send {"all": true} to redrive every letter`)
      .optional()
      .describe('The letters to send back, by id'),
    all: z.literal(true).optional().describe('Every letter of every queue (instead of ids)'),
  })
  // Every letter goes back only when asked in so many words: an empty POST resends nothing.
  .refine((body) => (body.ids === undefined) !== (body.all === undefined), {
    message: 'name the letters in ids, or send {"all": true} to redrive every letter',
  });

export async function listDeadLetters(deps: DeadLetterDeps): Promise<Answer> {
  const { queues, letters } = await deps.queues.list();
  return { status: 200, body: { queues, letters } };
}

export async function redriveDeadLetters(body: unknown, deps: DeadLetterDeps): Promise<Answer> {
  const request = redriveBody.safeParse(body ?? {});
  if (!request.success) return invalid(problemsOf(request.error));
  const { ids } = request.data;
  const outcome = await deps.queues.redrive(ids ? { ids: [...new Set(ids)] } : { all: true });
  if (!outcome.found)
    return {
      status: 404,
      body: {
        success: false,
        error: `not in any dead-letter queue: ${outcome.unknown.join(', ')} (nothing was redriven)`,
        unknown: outcome.unknown,
      },
    };
  const { found: _found, ...answer } = outcome;
  return { status: 200, body: answer };
}

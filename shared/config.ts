/**
 * Environment, parsed once at cold start with zod. A function asks only for what it uses and
 * fails fast, naming the variable, when something is missing: no placeholder defaults.
 */
import * as z from 'zod';

const deadLetterSources = z.array(
  z.strictObject({
    name: z.string().min(1),
    url: z.url(),
    redrive: z
      .union([z.strictObject({ queueUrl: z.url() }), z.strictObject({ functionName: z.string().min(1) })])
      .optional(),
  }),
);

const variables = {
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  /** The FIFO queue of customer inputs (events, timers due) that apply-event takes in batches. */
  CUSTOMER_INPUTS_QUEUE_URL: z.url().optional(),
  /** The state machine that runs whole-base jobs (Step Functions; locally its stand-in). */
  JOB_STATE_MACHINE_ARN: z.string().min(1),
  /** Locally the key itself; in AWS the id of the Secrets Manager secret that holds it. */
  WRITE_KEY: z.string().min(8).optional(),
  WRITE_KEY_SECRET_ID: z.string().min(1).optional(),
  ADMIN_TOKEN: z.string().min(8).optional(),
  ADMIN_TOKEN_SECRET_ID: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3),
  BRAND_NAME: z.string().min(1),
  POSTAL_ADDRESS: z.string().min(1),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  /** Key of the HMAC that makes offer codes unguessable. */
  OFFER_SECRET: z.string().min(8).optional(),
  OFFER_SECRET_ID: z.string().min(1).optional(),
  /** Key of unsubscribe tokens (they must outlive deployments: the links are in people's inboxes). */
  UNSUBSCRIBE_SECRET: z.string().min(8).optional(),
  UNSUBSCRIBE_SECRET_ID: z.string().min(1).optional(),
  /** The API's public address, for links in emails (the unsubscribe page). */
  PUBLIC_URL: z.url().transform((url) => url.replace(/\/$/, '')),
  /** The console's sign-in in AWS: marketers' Cognito access tokens open the admin API too. */
  COGNITO_USER_POOL_ID: z.string().min(1).optional(),
  COGNITO_CLIENT_ID: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  /** The domain SES receives replies on (`reply+<id>@` it): unset, emails carry no Reply-To of ours. */
  INBOUND_DOMAIN: z.string().min(3).optional(),
  /** The shop's support mailbox: a copy of every customer reply goes there (unset: none). */
  SUPPORT_ADDRESS: z.email().optional(),
  /** The bucket SES stores received mail in (inbound). */
  INBOUND_BUCKET: z.string().min(1).optional(),
  /** Webhooks may call loopback and private addresses: only ever `1` locally. */
  WEBHOOKS_ALLOW_PRIVATE: z.enum(['0', '1']).optional(),
  /** The dead-letter queues and where each one's letters go back to (shared/domain/dead-letters.ts). */
  DEAD_LETTER_QUEUES: z
    .string()
    .transform((text, context) => {
      try {
        return deadLetterSources.parse(JSON.parse(text));
      } catch (error) {
        context.addIssue({ code: 'custom', message: `not a list of dead-letter queues: ${String(error)}` });
        return z.NEVER;
      }
    })
    .optional(),
  /** How many send-message instances share the account's send rate (their reserved concurrency). */
  SEND_RATE_SHARE: z.coerce.number().int().min(1).default(1),
} as const;

type Variables = typeof variables;
export type Config<K extends keyof Variables> = { [P in K]: z.infer<Variables[P]> };

export function loadConfig<K extends keyof Variables>(
  names: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Config<K> {
  const shape = Object.fromEntries(names.map((name) => [name, variables[name]]));
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')} (${issue.message})`)
      .join(', ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return result.data as Config<K>;
}

/** A secret is either given directly (local stack) or by the id of a Secrets Manager secret. */
export function secretSource(value: string | undefined, secretId: string | undefined, name: string) {
  if (value) return { value } as const;
  if (secretId) return { secretId } as const;
  throw new Error(`Invalid configuration: set ${name} or ${name}_SECRET_ID`);
}

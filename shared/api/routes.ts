/**
 * What the OpenAPI description says of every HTTP route of `infra/topology.ts`, by route key: its
 * summary, the query parameters its handler reads, the body it validates (the handler's own zod
 * schema, imported from where it lives) and the JSON of each answer it gives. The answers' shapes
 * are read off the handlers; every object is loose (an answer may carry more than is described),
 * a field is required only where the handler always sets it, and the e2e tests check every real
 * answer against them. The errors every route of its kind may answer (400 for a route with a body
 * or a query, 401 and 403 for the admin API, 401 for the tracking API) are added by
 * `shared/api/openapi.ts`; only a route's own errors (404, 409, 413, ...) are listed here.
 */
import * as z from 'zod';
import { redriveBody } from '../../functions/admin/dead-letters.ts';
import { backtestBody, publishBody } from '../../functions/admin/journeys.ts';
import { sweepRequest } from '../../functions/admin/routes.ts';
import {
  templateBody,
  previewBody as templatePreviewBody,
  testBody as templateTestBody,
} from '../../functions/templates/templates.ts';
import { newTokenBody } from '../domain/api-tokens.ts';
import { broadcastSchema } from '../domain/broadcasts.ts';
import { conditionSchema } from '../domain/conditions.ts';
import { simulationSchema } from '../domain/journey-simulation.ts';
import { journeySchema } from '../domain/journeys.ts';
import { STAGES } from '../domain/profile.ts';
import { lifecycleSchema, policySchema } from '../domain/rules.ts';
import { incomingEvent, TRACKING_PATHS } from '../domain/segment.ts';
import { segmentSchema } from '../domain/segments.ts';
import { newSourceSchema, rotationSchema, SOURCE_KINDS } from '../domain/sources.ts';
import { webhookSchema } from '../domain/webhooks.ts';
import { errorAnswer } from './openapi.ts';
import type { ApiAnswer, RouteDoc } from './route-doc.ts';

/** Every error answer's shape (`success: false`, `error`, `problems`): defined beside the generator. */
export { errorAnswer };

// Shared pieces.

const answer = (description: string, schema: z.ZodType): ApiAnswer => ({ description, schema });
const error = (description: string): ApiAnswer => ({ description, schema: errorAnswer });
const page = (description: string): ApiAnswer => ({ description, contentType: 'text/html' });
const queryParam = (description: string) => z.string().optional().describe(description);
const counts = z.record(z.string(), z.number());
const deleted = z.looseObject({ deleted: z.string().describe('The id (or name) deleted') });

// Tracking API.

const record = z.record(z.string(), z.unknown());
const identifier = z.union([z.string(), z.number()]);

/**
 * A single call (`/v1/identify`, `/v1/track`, ...): the path names its type. The handler checks
 * it by hand (functions/ingest/ingest.ts, then segment.ts's schema for the event with that type),
 * so this mirrors what it takes.
 */
const trackingCall = z.looseObject({
  userId: identifier
    .nullish()
    .describe('The customer’s id in your system (userId or anonymousId is required)'),
  anonymousId: identifier.nullish().describe('The visitor’s anonymous id, before they are known'),
  messageId: z
    .string()
    .optional()
    .describe('Makes a retry a duplicate; derived from the content when absent'),
  timestamp: z
    .string()
    .optional()
    .describe('When it happened (ISO 8601); corrected for clock skew by sentAt'),
  originalTimestamp: z.string().optional(),
  sentAt: z.string().optional(),
  context: record.optional(),
  integrations: record.optional(),
  event: z.string().optional().describe('track: the event’s name (required there)'),
  properties: record.optional().describe('track, page, screen: the event’s properties'),
  traits: record.optional().describe('identify, group: traits (email, firstName, ...)'),
  name: z.string().nullish().describe('page, screen: the page’s name'),
  category: z.string().nullish(),
  groupId: identifier.optional().describe('group: required there'),
  previousId: identifier.optional().describe('alias: required there'),
  writeKey: z
    .string()
    .optional()
    .describe(
      'analytics.js sends the write key in the body (text/plain, no preflight) instead of Basic auth',
    ),
});

/** `/v1/batch` (and `/v1/import`): events of any type, each validated on its own. */
const batchRequest = z.looseObject({
  batch: z
    .array(incomingEvent)
    .describe('The events, each with its type; one that is not valid is rejected without its neighbours'),
  context: record.optional().describe('Reaches every event of the batch'),
  integrations: record.optional(),
  sentAt: z.string().optional(),
  writeKey: z.string().optional(),
});

const rejection = z.looseObject({
  index: z.number().describe('The event’s position in the batch (0 for a single call)'),
  messageId: z.string().optional(),
  error: z.string().describe('The field and what is wrong with it'),
});

const trackingAccepted = z.looseObject({
  success: z.literal(true),
  accepted: z.number().optional().describe('Only when some events of a batch were rejected: those taken'),
  rejected: z.array(rejection).optional().describe('Only when some events of a batch were rejected'),
});

// Platform webhooks.

const platformAccepted = z.looseObject({
  success: z.literal(true),
  events: z.number().optional().describe('The events the delivery became'),
  ignored: z.string().optional().describe('Why nothing was taken (a topic not mapped, a WooCommerce ping)'),
  duplicate: z.boolean().optional().describe('The delivery was taken before (a platform’s retry)'),
});

const platformRoute = (platform: string, signature: string, headers: z.ZodObject): RouteDoc => ({
  summary: `Receive a ${platform} webhook`,
  headers,
  description: `${platform}’s delivery for the source named in the path: verified with the source’s signing secret over the raw body, taken once by its delivery id, mapped onto the Segment events a site sends and queued. A retried delivery answers 200 with \`duplicate: true\`.`,
  tag: 'Platform webhooks',
  rawBody: {
    contentType: 'application/json',
    description: `The payload exactly as ${platform} sent it. ${signature}`,
  },
  responses: {
    200: answer('Taken (or ignored, or a duplicate): nothing for the platform to retry', platformAccepted),
    401: error(
      'No such source of this platform, the source is revoked, has no signing secret, or the signature does not match',
    ),
    413: error('The body is larger than 512 KB'),
  },
});

// Public pages.

const pageNotFound = page('The link is not valid (forged, altered or not ours): nothing changes');

// Access.

const tokenView = z.looseObject({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()).describe('What the token may do (the scopes of the API description)'),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().optional(),
  revokedAt: z.string().optional(),
  status: z.enum(['active', 'expired', 'revoked']),
});

const auditEntry = z.looseObject({
  id: z.string(),
  at: z.string(),
  who: z.looseObject({
    kind: z.enum(['person', 'token']),
    name: z.string(),
    role: z.string().optional(),
    token: z.string().optional().describe('The API token’s id'),
  }),
  what: z.string().describe('The route key, e.g. `PUT /admin/segments/{id}`'),
  target: z
    .record(z.string(), z.string())
    .describe('The path parameters (a digest for customers and addresses)'),
  outcome: z
    .union([z.literal('pending'), z.number()])
    .describe('The HTTP status it answered (403 for a refusal), or pending'),
  refused: z.string().optional().describe('What the caller lacked'),
  before: z.unknown().optional().describe('The target as its GET showed it before the change'),
  after: z.unknown().optional().describe('The target as its GET showed it after the change'),
  statesOmitted: z.boolean().optional(),
});

// Customers.

const customerCard = z.looseObject({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable().optional(),
  stage: z.string(),
  orderCount: z.number(),
  lastSeenAt: z.string(),
  segments: z.array(z.string()).optional(),
});

const customerView = z.looseObject({
  id: z.string(),
  stage: z.string().describe('The lifecycle stage'),
  stageChangedAt: z.string(),
  email: z.string().nullable(),
  orderCount: z.number(),
  revenue: z.number(),
  refundCount: z.number(),
  refundTotal: z.number(),
  firstOrderAt: z.string().nullable(),
  lastOrderAt: z.string().nullable(),
  visitCount: z.number(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  anonymousIds: z.array(z.string()),
  traits: record,
  orders: z.array(
    z.looseObject({
      orderId: z.string(),
      at: z.string(),
      revenue: z.number(),
      currency: z.string().optional(),
    }),
  ),
  messages: z
    .array(
      z.looseObject({
        campaignId: z.string().optional(),
        occurrence: z.number().optional(),
        status: z.string().optional(),
        reason: z.string().optional(),
        template: z.looseObject({ name: z.string(), version: z.number() }).optional(),
        history: z.array(z.looseObject({ status: z.string(), at: z.string() })).optional(),
      }),
    )
    .describe('Every email decided for the customer, as the ledger has it'),
  timeline: z
    .array(
      z.looseObject({
        at: z.string(),
        kind: z.enum(['event', 'stage', 'message', 'feedback', 'segment']),
        title: z.string(),
        detail: z.string().optional(),
        campaignId: z.string().optional(),
      }),
    )
    .describe('What happened, newest first (at most 300 entries)'),
  prediction: z
    .looseObject({
      probabilityAlive: z.number(),
      expectedPurchases: z.number(),
      expectedOrderValue: z.number(),
      predictedValue: z.number(),
      horizonWeeks: z.number(),
      modelAsOf: z.string(),
    })
    .nullable()
    .describe('What the fitted model expects (null without a model or an order)'),
  segments: z.array(z.looseObject({ id: z.string(), name: z.string(), enteredAt: z.string() })),
  feedback: z.array(
    z.looseObject({
      campaignId: z.string().nullable(),
      occurrence: z.number().nullable(),
      question: z.string(),
      answer: z
        .looseObject({ score: z.number(), at: z.string(), comment: z.string().optional(), stage: z.string() })
        .nullable(),
      clicks: z.number(),
      pendingSince: z.string().nullable(),
    }),
  ),
  impressions: z.looseObject({
    balance: z.number(),
    good: z.number(),
    bad: z.number(),
    windowDays: z.number(),
    weights: z.looseObject({ good: z.number(), bad: z.number() }),
    recoversAt: z.string().nullable(),
    recent: z.array(z.looseObject({ at: z.string(), kind: z.enum(['good', 'bad']), what: z.string() })),
  }),
  replies: z.array(
    z.looseObject({
      at: z.string(),
      campaignId: z.string(),
      occurrence: z.number(),
      subject: z.string().optional(),
      text: z.string(),
    }),
  ),
  journeys: z
    .array(
      z.looseObject({
        id: z.string(),
        version: z.number(),
        entries: z.number(),
        enteredAt: z.string().optional(),
        step: z.string().optional(),
        waitingUntil: z.string().optional(),
        heldBecause: z.string().optional(),
        leftAt: z.string().optional(),
        leftBecause: z.string().optional(),
      }),
    )
    .describe('The journeys the customer entered: where they are, or why they left'),
});

const suppression = z.looseObject({
  address: z.string(),
  reason: z.enum(['bounce', 'complaint', 'erased', 'manual', 'suppression-list']),
  at: z.string(),
  detail: z.string().optional(),
});

// Segments.

const segmentView = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  condition: z.unknown().describe('The condition, as saved (the body of PUT /admin/segments/{id})'),
  version: z.number(),
  updatedAt: z.string(),
  builtIn: z.boolean(),
  count: z.number().describe('Members now, from the counters'),
  status: z
    .enum(['ready', 'building'])
    .describe('ready once every customer was evaluated under this version'),
  progress: z
    .number()
    .optional()
    .describe('Share of the customers evaluated so far (0 to 1), while building'),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

const segmentBody = segmentSchema.extend({
  version: z
    .number()
    .optional()
    .describe('The version you edited: 409 if the segment is at another one (absent: no check)'),
});

// Journeys.

const journeyNumbers = z
  .looseObject({
    inside: z.number(),
    entered: z.number(),
    sent: z.number(),
    heldOut: z.number(),
    converted: z.number(),
    exitedByExitWhen: z.number(),
  })
  .describe('Since each version was published, all versions together');

const journeyVersionView = {
  id: z.string(),
  version: z.number(),
  updatedAt: z.string(),
  builtIn: z.boolean(),
  definition: z.unknown().describe('The journey’s definition (the body of PUT /admin/journeys/{id})'),
};

const journeyNotFound = error('No such journey, or no such version of it');

/** The handler strips `version` (the optimistic lock) and checks the rest as a journey (parseJourney). */
function withEditedVersion(schema: z.ZodType) {
  if (!(schema instanceof z.ZodObject)) throw new Error('journeySchema is expected to be an object schema');
  return schema.extend({
    version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The version you edited: 409 if a newer one was saved meanwhile (absent: no check)'),
  });
}

const jobStatus = z.enum(['running', 'done']);

const jobView = z.looseObject({
  id: z.string(),
  reason: z.looseObject({ kind: z.string() }).describe('What the job is for (a backtest, a model fit, ...)'),
  parts: z.number(),
  status: jobStatus,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  evaluated: z.number().describe('Customers evaluated so far'),
  changed: z.number(),
  partsDone: z.number(),
  results: counts.optional().describe('What a job that computes found (a backtest’s counts)'),
  progress: z.number().describe('0 to 1'),
});

// Broadcasts.

const broadcastView = z.looseObject({
  id: z.string(),
  name: z.string(),
  segment: z.string(),
  template: z.string(),
  category: z.enum(['marketing', 'service']).optional(),
  sendAt: z.union([z.string(), z.looseObject({ date: z.string(), localTime: z.string() })]).optional(),
  holdoutPercent: z.number().optional(),
  dropInGuard: z.union([z.looseObject({ quietDays: z.number() }), z.literal(false)]).optional(),
  dropInGuardOffReason: z.string().optional(),
  conversion: z.unknown().optional(),
  status: z.enum(['scheduled', 'sending', 'sent', 'cancelled']),
  createdAt: z.string(),
  startsAt: z.string().describe('When the send starts (membership is taken then)'),
  startedAt: z.string().optional(),
  cancelledAt: z.string().optional(),
  progress: z
    .looseObject({
      customersLookedAt: z.number(),
      partsDone: z.number(),
      parts: z.number(),
      done: z.boolean(),
    })
    .nullable()
    .describe('The send’s progress (null before it starts)'),
  numbers: z.looseObject({
    recipients: z.number(),
    sent: z.number(),
    waiting: z.number(),
    failed: z.number(),
    skipped: counts.describe('By reason'),
    heldOut: z.number(),
    delivered: z.number(),
    opened: z.number(),
    clicked: z.number(),
    converted: z.number(),
    heldOutConverted: z.number(),
    conversionRate: z.number().nullable(),
    heldOutConversionRate: z.number().nullable(),
    uplift: z.number().nullable().describe('Percentage points of conversion over the holdout'),
  }),
});

const broadcastNotFound = error('No such broadcast');

// Templates.

const templateSource = z.enum(['stored', 'built-in']);
const templateNotFound = error('No such template, or no such version of it');

/** The inline schema `publishTemplate` (functions/templates/templates.ts) validates `body ?? {}` with. */
const templatePublishBody = z
  .strictObject({
    version: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('The version to publish (default: the latest saved)'),
  })
  .optional();

// Lifecycle and contact policy.

const lifecycleView = z.looseObject({
  atRisk: z.looseObject({
    mode: z.enum(['fixed', 'predictive']),
    afterDays: z.number(),
    aliveThreshold: z.number(),
    oneTimeBuyers: z.looseObject({ afterDays: z.number(), graceDays: z.number() }),
  }),
  ended: z.looseObject({ afterDays: z.number() }),
});

/** The handler merges the patch into the current rules (nested objects too), then validates the whole. */
const lifecyclePatch = z.strictObject({
  atRisk: lifecycleSchema.shape.atRisk
    .extend({ oneTimeBuyers: lifecycleSchema.shape.atRisk.shape.oneTimeBuyers.partial() })
    .partial()
    .optional(),
  ended: lifecycleSchema.shape.ended.partial().optional(),
});

const policyView = z.looseObject({
  caps: z.looseObject({ perDay: z.number(), perWeek: z.number() }),
  quietHours: z.looseObject({
    enabled: z.boolean(),
    start: z.string(),
    end: z.string(),
    defaultTimezone: z.string().nullable().optional(),
  }),
  cooldownDays: z.number(),
  customTraits: z.array(z.string()),
  impressions: z
    .looseObject({
      windowDays: z.number(),
      goodWeight: z.number(),
      badWeight: z.number(),
      goodEvents: z.array(z.string()),
      badEvents: z.array(z.string()),
    })
    .describe('The impression balance’s rules, defaults filled in'),
  broadcasts: z
    .looseObject({ quietDays: z.number(), rateShare: z.number() })
    .describe('What broadcasts follow, defaults filled in'),
});

/** The handler merges the patch into the current policy (caps, quiet hours and impressions field by field). */
const policyPatch = policySchema
  .extend({
    caps: policySchema.shape.caps.partial(),
    quietHours: policySchema.shape.quietHours.partial(),
  })
  .partial();

// Metrics and prediction.

const rate = z.number().nullable();
const csat = z.looseObject({ responses: z.number(), satisfied: z.number(), score: rate });
const nps = z.looseObject({
  responses: z.number(),
  promoters: z.number(),
  passives: z.number(),
  detractors: z.number(),
  score: rate,
});

const campaignMetrics = z.looseObject({
  decided: z.number(),
  sent: z.number(),
  delivered: z.number(),
  opened: z.number(),
  clicked: z.number(),
  converted: z.number(),
  heldOut: z.number(),
  heldOutConverted: z.number(),
  deferred: z.number(),
  skipped: z.number(),
  failed: z.number(),
  conversionRate: rate,
  heldOutConversionRate: rate,
  uplift: z
    .looseObject({ uplift: z.number(), low: z.number(), high: z.number(), significant: z.boolean() })
    .nullable()
    .describe('Sent minus held out, with its 95% interval; null while a group is empty'),
});

const metricsView = z.looseObject({
  window: z.looseObject({ from: z.string(), to: z.string() }),
  customers: z.looseObject({ total: z.number(), buyers: z.number(), byStage: counts }),
  stageChanges: z
    .array(z.looseObject({ date: z.string() }))
    .describe('Per day: customers who entered each stage'),
  retention: z.looseObject({ customersAtStart: z.number(), orderedAgain: z.number(), rate }),
  repeatPurchase: z.looseObject({ buyers: z.number(), repeatBuyers: z.number(), rate }),
  value: z.looseObject({
    historic: z.looseObject({ total: z.number(), perBuyer: rate, inWindow: z.number() }),
    predicted: z
      .looseObject({
        total: z.number(),
        perBuyer: rate,
        horizonWeeks: z.number(),
        modelAsOf: z.string(),
        trustworthy: z.boolean(),
      })
      .nullable(),
  }),
  campaigns: z.record(z.string(), campaignMetrics).describe('By journey or broadcast id'),
  satisfaction: z.looseObject({
    csat,
    nps,
    responseRate: z.looseObject({ asked: z.number(), answered: z.number(), rate }),
    byJourney: z.record(z.string(), z.looseObject({ csat, nps })),
    byStage: z.record(z.string(), z.looseObject({ csat, nps })),
    leaving: z.looseObject({ left: z.number(), reasons: counts, answered: z.number() }),
  }),
});

const groupProfile = z
  .looseObject({
    customers: z.number(),
    meanValue: z.number(),
    ordersPerCustomer: z.number(),
    meanOrderValue: z.number(),
    medianDaysBetweenOrders: z.number().nullable(),
    repeatShare: z.number(),
  })
  .nullable();

const bestCustomers = z.looseObject({
  basis: z.enum(['predicted-value', 'historic-value']),
  modelAsOf: z.string().nullable(),
  threshold: z.number().nullable().describe('The value at which the top tenth begins'),
  best: groupProfile,
  rest: groupProfile,
  traits: z.array(
    z.looseObject({
      trait: z.string(),
      value: z.string(),
      topShare: z.number(),
      restShare: z.number(),
      lift: z.number().nullable(),
    }),
  ),
  asOf: z.string(),
  computedAt: z.string(),
});

const modelReport = z.looseObject({
  model: z.string(),
  asOf: z.string(),
  fittedAt: z.string(),
  customers: z.number(),
  repeatBuyers: z.number(),
  r: z.number(),
  alpha: z.number(),
  a: z.number(),
  b: z.number(),
  logLikelihood: z.number(),
  p: z.number().nullable(),
  q: z.number().nullable(),
  gamma: z.number().nullable(),
  gammaGammaLogLikelihood: z.number().nullable(),
  trustworthy: z.boolean(),
});

/** `refitModel` (functions/admin/insights.ts) reads `asOf` by hand: a day, default yesterday. */
const modelFitBody = z
  .looseObject({
    asOf: z.string().optional().describe('Fit on orders up to this day, YYYY-MM-DD (default: yesterday)'),
  })
  .optional();

// Sources and webhooks.

const sourceView = z.looseObject({
  id: z.string(),
  kind: z.enum(SOURCE_KINDS),
  name: z.string(),
  createdAt: z.string(),
  status: z.enum(['active', 'revoked']),
  revokedAt: z.string().optional(),
  orderOn: z.enum(['created', 'paid']).optional(),
  webhookUrl: z
    .string()
    .optional()
    .describe('Platforms: the URL to paste into the platform’s webhook settings'),
  signingSecret: z.enum(['set', 'missing']).optional().describe('Platforms: whether a signing secret is set'),
  credentials: z.array(
    z.looseObject({ createdAt: z.string(), retiresAt: z.string().optional(), active: z.boolean() }),
  ),
  lastEventAt: z.string().nullable().describe('The last event seen in the past 7 days'),
  today: z.looseObject({
    accepted: z.number(),
    rejected: z.number(),
    ignored: z.number(),
    latestRejections: z.array(z.string()),
  }),
});

const sourceNotFound = error('No such source');

const webhookView = z.looseObject({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().optional(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const delivery = z.looseObject({
  id: z.string(),
  webhookId: z.string(),
  type: z.string().describe('The event type'),
  createdAt: z.string(),
  body: z.string().describe('The signed JSON body, the same on every attempt'),
  state: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.array(z.looseObject({ at: z.string(), outcome: z.string(), ms: z.number() })),
  nextAttemptAt: z.string().optional(),
  reason: z.string().optional().describe('Why it was given up'),
});

const webhookNotFound = error('No such webhook');
const secret = z
  .string()
  .describe('The signing secret, shown this once: keep it where the receiver verifies signatures');

// Operations.

const deadLetter = z.looseObject({
  id: z.string(),
  queue: z.string(),
  reason: z.string(),
  firstSeen: z.string(),
  attempts: z.number().optional(),
  summary: z.looseObject({ type: z.string(), customer: z.string().optional() }),
  redrivable: z.boolean(),
  why: z.string().optional().describe('Why it cannot be redriven'),
});

const sweepResult = z.looseObject({
  now: z.string(),
  due: z.number().describe('Customers the index listed as due'),
  dispatched: z.number().describe('Deferred messages whose send time had come'),
  itemsRead: z.number(),
  published: z.number(),
  applied: z.number().optional(),
  pending: z.number().optional().describe('Timers not yet applied when the sweep stopped waiting (25 s)'),
  fired: z.number().optional(),
  messages: z
    .record(z.string(), counts)
    .optional()
    .describe('Emails the timers decided, by campaign and status'),
  stages: counts.optional(),
});

export const ROUTE_DOCS: Record<string, RouteDoc> = {
  // Tracking API: Segment's HTTP tracking API.

  'POST /v1/{type}': {
    summary: 'Send tracking calls',
    path: z.object({
      type: z.enum(TRACKING_PATHS).describe('The call: one event, or a batch'),
    }),
    description:
      'Segment’s HTTP tracking API: `type` is identify, track, page, screen, group or alias (or their one-letter forms i, t, p, s, g, a) for one call, batch (b) or import for many. Authenticate with the write key as the Basic user, or (analytics.js) as `writeKey` in a text/plain body. Each event of a batch is validated on its own: valid ones are taken, the others named; a retry with the same messageId is taken once.',
    tag: 'Tracking API',
    body: z.union([batchRequest, trackingCall]),
    responses: {
      200: answer(
        'Taken (and queued for the customer); a batch names the events it rejected',
        trackingAccepted,
      ),
      404: error('The path names no tracking call'),
      413: error('Over Segment’s limits: 32 KB for a call, 500 KB for a batch'),
    },
  },

  // Platform webhooks: Shopify, WooCommerce and Stripe deliveries.

  'POST /webhooks/shopify/{sourceId}': platformRoute(
    'Shopify',
    'Signed with `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the raw body with the source’s signing secret); the topic is `X-Shopify-Topic` and the delivery id `X-Shopify-Webhook-Id`.',
    z.object({
      'X-Shopify-Hmac-Sha256': z.string().describe('Base64 HMAC-SHA256 of the raw body'),
      'X-Shopify-Topic': z.string().describe('What happened, such as orders/paid'),
      'X-Shopify-Webhook-Id': z.string().optional().describe('The delivery’s id: a retry is taken once'),
    }),
  ),
  'POST /webhooks/woocommerce/{sourceId}': platformRoute(
    'WooCommerce',
    'Signed with `X-WC-Webhook-Signature` (base64 HMAC-SHA256 of the raw body with the webhook’s secret); the topic is `X-WC-Webhook-Topic` and the delivery id `X-WC-Webhook-Delivery-ID`. The form-encoded ping (`webhook_id=…`) WooCommerce sends a new webhook is answered 200.',
    z.object({
      'X-WC-Webhook-Signature': z
        .string()
        .optional()
        .describe('Base64 HMAC-SHA256 of the raw body (not on the ping)'),
      'X-WC-Webhook-Topic': z.string().optional().describe('What happened, such as order.updated'),
      'X-WC-Webhook-Delivery-ID': z.string().optional().describe('The delivery’s id: a retry is taken once'),
    }),
  ),
  'POST /webhooks/stripe/{sourceId}': platformRoute(
    'Stripe',
    'Signed with `Stripe-Signature` (`t=<unix seconds>,v1=<hex HMAC>`, no older than 5 minutes), verified by Stripe’s library; the topic is the event’s `type` and the delivery id its `id`.',
    z.object({ 'Stripe-Signature': z.string().describe('t=<unix seconds>,v1=<hex HMAC-SHA256>') }),
  ),

  // Public pages: opened from the links in our emails (HTML, no login: the token is the key).

  'GET /u/{token}': {
    summary: 'Show the preference page',
    description:
      'The unsubscribe link’s page: leave some campaigns, all marketing, service email too, or stay. Changes nothing by itself.',
    tag: 'Public pages',
    responses: { 200: page('The preference page'), 404: pageNotFound },
  },
  'POST /u/{token}': {
    summary: 'Unsubscribe or change preferences',
    description:
      'RFC 8058 one-click unsubscribe: a mail client’s POST of `List-Unsubscribe=One-Click` leaves all marketing at once and answers in text/plain. The preference page’s form posts `choice` (all, some, stay or reason) with `keep`, `stop-service`, `reason` and `comment`, and answers a page.',
    tag: 'Public pages',
    rawBody: {
      contentType: 'application/x-www-form-urlencoded',
      description:
        '`List-Unsubscribe=One-Click` (RFC 8058), or the preference page’s form: `choice` = all | some | stay | reason, `keep` (a journey id, repeated: the campaigns kept), `stop-service=yes`, `reason` (an index of the reasons shown) and `comment`.',
    },
    responses: {
      200: page(
        'Done: a confirmation page (the one-click POST answers `text/plain`: "You are unsubscribed from all marketing email.")',
      ),
      400: page('No choice made, or a comment that is too long: a page saying so'),
      404: pageNotFound,
      413: page('The form is larger than 16 KB'),
    },
  },
  'GET /f/{token}': {
    summary: 'Record a rating or reason click',
    description:
      'A rating or reason link of an email: the click is kept at once and settles into the answer unless another follows within a minute (a mail scanner’s burst). Answers a thank-you page that offers a comment.',
    tag: 'Public pages',
    responses: { 200: page('The thank-you page'), 404: pageNotFound },
  },
  'POST /f/{token}': {
    summary: 'Confirm a rating with a comment',
    description:
      'The thank-you page’s form: confirms the answer (a person, not a scanner) and keeps the comment.',
    tag: 'Public pages',
    rawBody: {
      contentType: 'application/x-www-form-urlencoded',
      description: '`comment`: optional words with the answer.',
    },
    responses: {
      200: page('Thank you'),
      404: pageNotFound,
      413: page('The comment (or the form) is too long'),
    },
  },

  // Access: who is calling, API tokens, and the audit log.

  'GET /admin/me': {
    summary: 'Who is calling',
    description:
      'The caller’s name, their role (a person) or token id and scopes (an API token), and the routes they may call.',
    tag: 'Access',
    responses: {
      200: answer(
        'The caller',
        z.looseObject({
          name: z.string(),
          role: z.string().optional().describe('A person’s role'),
          token: z.string().optional().describe('An API token’s id'),
          scopes: z.array(z.string()).optional().describe('An API token’s scopes'),
          routes: z.array(z.string()).describe('The route keys the caller may call'),
        }),
      ),
    },
  },
  'GET /admin/audit': {
    summary: 'Read the audit log',
    description:
      'Who changed what, when, from what to what, and every refusal, the newest first: at most 500 entries of a window of at most 92 days (default: the last 7).',
    tag: 'Access',
    query: z.object({
      from: queryParam('First day, YYYY-MM-DD (default: 6 days before `to`)'),
      to: queryParam('Last day, YYYY-MM-DD (default: today)'),
      who: queryParam('Only callers whose name contains this'),
      what: queryParam('Only route keys that contain this, e.g. `/admin/segments`'),
    }),
    responses: {
      200: answer(
        'The entries',
        z.looseObject({
          from: z.string(),
          to: z.string(),
          entries: z.array(auditEntry),
          more: z.boolean().describe('More entries than the 500 answered'),
        }),
      ),
    },
  },
  'GET /admin/tokens': {
    summary: 'List API tokens',
    description: 'Every API token with its status and last use, the newest first; never the token itself.',
    tag: 'Access',
    responses: { 200: answer('The tokens', z.looseObject({ tokens: z.array(tokenView) })) },
  },
  'POST /admin/tokens': {
    summary: 'Make an API token',
    description:
      'A token for a machine, with scopes and an expiry (default 90 days). The token is answered this once: only its digest is kept.',
    tag: 'Access',
    body: newTokenBody,
    responses: {
      201: answer(
        'Made',
        tokenView.extend({
          token: z.string().describe('The token (`lct_…`), shown this once: send it as Bearer'),
        }),
      ),
    },
  },
  'DELETE /admin/tokens/{id}': {
    summary: 'Revoke an API token',
    description: 'The token stops working at once; it stays listed as revoked.',
    tag: 'Access',
    responses: { 200: answer('Revoked', tokenView), 404: error('No such token') },
  },

  // Customers: the directory, a customer's view, GDPR export and erasure, suppressions.

  'GET /admin/customers': {
    summary: 'Find or list customers',
    description:
      'By `email` (exact: the customers with that address), by the start of an email or a name (`q`), or everyone, filtered by stage and segment, a page at a time (`cursor` goes on).',
    tag: 'Customers',
    query: z.object({
      email: queryParam('An email address: the customers who have it (the other parameters are ignored)'),
      q: queryParam('The start of an email or a name, 2 characters at least'),
      stage: z.enum(STAGES).optional().describe('Only customers in this stage'),
      segment: queryParam('Only members of this segment'),
      limit: queryParam('Customers per page, 1 to 200 (default 50)'),
      cursor: queryParam('Where the previous page stopped'),
    }),
    responses: {
      200: answer(
        'The customers found',
        z.looseObject({
          customers: z.array(customerCard),
          cursor: z.string().optional().describe('Present when there is more: pass it to get the next page'),
        }),
      ),
    },
  },
  'GET /admin/customers/{id}': {
    summary: 'Show a customer',
    description:
      'Everything about one customer (by their id or any anonymous id linked to them): profile, orders, emails, timeline, feedback, impressions, prediction, segments and journeys.',
    tag: 'Customers',
    responses: { 200: answer('The customer', customerView), 404: error('No such customer') },
  },
  'DELETE /admin/customers/{id}': {
    summary: 'Erase a customer',
    description:
      'GDPR erasure: every item held about the customer goes (profile, events, ledger, aliases); only a hashed suppression per address stays, so nothing mails them again by mistake.',
    tag: 'Customers',
    responses: {
      200: answer(
        'Erased',
        z.looseObject({ erased: z.string(), itemsDeleted: z.number(), addressesSuppressed: z.number() }),
      ),
      404: error('No such customer'),
    },
  },
  'GET /admin/customers/{id}/export': {
    summary: 'Export a customer’s data',
    description:
      'GDPR access: a copy of everything held about the customer, as stored (sent as an attachment).',
    tag: 'Customers',
    responses: {
      200: answer(
        'The customer’s data',
        z.looseObject({
          customerId: z.string(),
          exportedAt: z.string(),
          profile: z.unknown().describe('The profile item as stored (null if none)'),
          messages: z.array(z.unknown()),
          aliases: z.array(z.unknown()),
          suppressions: z.array(suppression),
          replyAddresses: z.array(z.unknown()),
          items: z.array(z.unknown()).describe('Every item held, as stored'),
        }),
      ),
      404: error('No such customer'),
    },
  },
  'GET /admin/suppressions/{address}': {
    summary: 'Check a suppressed address',
    description: 'Whether an address is suppressed (never mailed), and why.',
    tag: 'Customers',
    responses: { 200: answer('Suppressed', suppression), 404: error('The address is not suppressed') },
  },
  'PUT /admin/suppressions/{address}': {
    summary: 'Suppress an address',
    description:
      'No email goes to the address any more (reason `manual`). Suppressing it again keeps the first entry.',
    tag: 'Customers',
    responses: {
      200: answer('Suppressed', suppression),
      400: error('The address is not an email address'),
    },
  },
  'DELETE /admin/suppressions/{address}': {
    summary: 'Release a suppressed address',
    description: 'The address may be mailed again.',
    tag: 'Customers',
    responses: {
      200: answer('Released', z.looseObject({ removed: z.string() })),
      404: error('The address is not suppressed'),
    },
  },

  // Segments: named conditions whose membership is kept exact.

  'GET /admin/segments': {
    summary: 'List segments',
    description: 'Every segment (built-in and own) with its live count and build status.',
    tag: 'Segments',
    responses: {
      200: answer(
        'The segments',
        z.looseObject({ segments: z.array(segmentView), customers: z.number().describe('Customers in all') }),
      ),
    },
  },
  'POST /admin/segments/preview': {
    summary: 'Preview a condition',
    description:
      'Estimates how many customers a condition holds for before it is saved: evaluated exactly on a sample of up to 400 customers and scaled to the base.',
    tag: 'Segments',
    // `previewSegment` reads only `condition` and checks it with parseCondition (conditionSchema).
    body: z.object({ condition: conditionSchema }),
    responses: {
      200: answer(
        'The estimate',
        z.looseObject({
          estimate: z.number(),
          exact: z.boolean().describe('Every customer was evaluated'),
          evaluated: z.number(),
          matched: z.number(),
          customers: z.number(),
          sample: z.array(z.string()).describe('Up to 20 ids of matching customers'),
        }),
      ),
    },
  },
  'GET /admin/segments/{id}': {
    summary: 'Show a segment',
    description: 'The segment with its count, build status and what uses it.',
    tag: 'Segments',
    responses: {
      200: answer(
        'The segment',
        segmentView.extend({
          usedBy: z
            .array(z.looseObject({ kind: z.enum(['segment', 'journey', 'broadcast']), id: z.string() }))
            .describe('Segments, journeys and broadcasts still to send that use it'),
        }),
      ),
      404: error('No such segment'),
    },
  },
  'PUT /admin/segments/{id}': {
    summary: 'Save a segment',
    description:
      'Saves a new version (creating the segment if new); its build over the existing customers starts at once in the background. Send the `version` you edited to get 409 rather than overwrite a change made meanwhile.',
    tag: 'Segments',
    body: segmentBody,
    responses: {
      200: answer('Saved: building', segmentView),
      201: answer('Created: building', segmentView),
      409: error('The segment is at another version than the one edited, or was changed meanwhile'),
    },
  },
  'DELETE /admin/segments/{id}': {
    summary: 'Delete a segment',
    description: 'Deletes a segment nothing uses; its memberships go in the background.',
    tag: 'Segments',
    responses: {
      200: answer('Deleted', deleted),
      404: error('No such segment'),
      409: error(
        'Other segments, journeys or broadcasts use it (`usedBy` names them), or it was changed meanwhile',
      ),
    },
  },
  'GET /admin/segments/{id}/members': {
    summary: 'List a segment’s members',
    description:
      'The members with when each entered, a page at a time (a page may hold fewer than `limit`: follow `cursor`).',
    tag: 'Segments',
    query: z.object({
      limit: queryParam('Members per page, 1 to 200 (default 50)'),
      cursor: queryParam('Where the previous page stopped'),
    }),
    responses: {
      200: answer(
        'The members',
        z.looseObject({
          members: z.array(
            z.looseObject({ id: z.string(), email: z.string().nullable(), enteredAt: z.string() }),
          ),
          cursor: z.string().optional().describe('Present when there is more'),
        }),
      ),
      404: error('No such segment'),
    },
  },

  // Journeys: versioned definitions, published and switched on and off.

  'GET /admin/journeys': {
    summary: 'List journeys',
    description: 'Every journey (built-in, published and drafts) with its switch, versions and numbers.',
    tag: 'Journeys',
    responses: {
      200: answer(
        'The journeys',
        z.looseObject({
          journeys: z.array(
            z.looseObject({
              id: z.string(),
              name: z.string(),
              description: z.string().optional(),
              enabled: z.boolean(),
              category: z.string(),
              builtIn: z.boolean(),
              entry: z
                .unknown()
                .optional()
                .describe('What starts a customer on it (absent for a draft never published)'),
              published: z.number().nullable().describe('The published version (0: the built-in one)'),
              latest: z.number().describe('The latest saved version'),
              updatedAt: z.string().optional(),
              numbers: journeyNumbers,
            }),
          ),
        }),
      ),
    },
  },
  'GET /admin/journeys/{id}': {
    summary: 'Show a journey',
    description:
      'A version of the journey (default: the latest saved, which an editor opens) with its numbers per step.',
    tag: 'Journeys',
    query: z.object({ version: queryParam('The version to show (0: the built-in one)') }),
    responses: {
      200: answer(
        'The journey',
        z.looseObject({
          ...journeyVersionView,
          enabled: z.boolean(),
          published: z.number().nullable(),
          latest: z.number(),
          versions: z.array(z.looseObject({ version: z.number(), updatedAt: z.string() })),
          numbers: journeyNumbers,
          steps: z
            .record(z.string(), counts)
            .optional()
            .describe('This version’s numbers by step path (waiting, passed, sent, ...)'),
        }),
      ),
      404: journeyNotFound,
    },
  },
  'PUT /admin/journeys/{id}': {
    summary: 'Save a journey',
    description:
      'Saves a new version, a draft: customers see nothing until it is published. Templates and segments it uses must exist. Send the `version` you edited to get 409 rather than overwrite a newer one.',
    tag: 'Journeys',
    body: withEditedVersion(journeySchema),
    responses: {
      200: answer('Saved', z.looseObject({ ...journeyVersionView, published: z.number().nullable() })),
      201: answer('Created', z.looseObject({ ...journeyVersionView, published: z.number().nullable() })),
      409: error('A newer version was saved meanwhile'),
    },
  },
  'DELETE /admin/journeys/{id}': {
    summary: 'Delete a journey',
    description:
      'Nobody enters any more and those inside leave. A built-in journey cannot be deleted (409): turn it off.',
    tag: 'Journeys',
    responses: {
      200: answer('Deleted', deleted),
      404: error('No such journey'),
      409: error('The journey is built in, or was published meanwhile'),
    },
  },
  'POST /admin/journeys/{id}/publish': {
    summary: 'Publish a journey version',
    description:
      'Makes a saved version (default: the latest; 0: the built-in one) the one new entrants go through; customers inside finish on theirs.',
    tag: 'Journeys',
    body: publishBody,
    responses: {
      200: answer(
        'Published',
        z.looseObject({ ...journeyVersionView, enabled: z.boolean(), published: z.number() }),
      ),
      404: journeyNotFound,
      409: error('The journey was published meanwhile'),
    },
  },
  'POST /admin/journeys/{id}/enable': {
    summary: 'Turn a journey on',
    description: 'Turns the published version on, without a new version.',
    tag: 'Journeys',
    responses: {
      200: answer('On', z.looseObject({ id: z.string(), enabled: z.boolean(), published: z.number() })),
      404: error('No such journey'),
      409: error('The journey has no published version, or was published meanwhile'),
    },
  },
  'POST /admin/journeys/{id}/disable': {
    summary: 'Turn a journey off',
    description: 'Nobody new enters; those inside finish or leave, as the journey’s `onDisable` says.',
    tag: 'Journeys',
    responses: {
      200: answer('Off', z.looseObject({ id: z.string(), enabled: z.boolean(), published: z.number() })),
      404: error('No such journey'),
      409: error('The journey has no published version, or was published meanwhile'),
    },
  },
  'POST /admin/journeys/{id}/test': {
    summary: 'Test a journey on a made-up customer',
    description:
      'Runs a definition (the one in the body, else the version asked for, else the latest saved) over events for one made-up customer and answers the timeline. Nothing is stored or sent.',
    tag: 'Journeys',
    // The handler takes `journey` and `version` (testBody), and checks the rest with simulationSchema.
    body: simulationSchema.extend({
      journey: journeySchema.optional().describe('An unsaved definition to test'),
      version: z.number().int().min(0).optional().describe('A saved version to test (default: the latest)'),
    }),
    responses: {
      200: answer(
        'What the customer went through',
        z.looseObject({
          journey: z.string(),
          version: z.number(),
          timeline: z.array(
            z.looseObject({
              at: z.string(),
              kind: z.enum(['event', 'entered', 'waiting', 'email', 'converted', 'left', 'stage']),
            }),
          ),
          profile: z
            .looseObject({
              stage: z.string(),
              traits: record,
              journeys: z.unknown().optional(),
              segments: z.unknown().optional(),
            })
            .describe('The customer as the engine left them'),
        }),
      ),
      404: journeyNotFound,
    },
  },
  'POST /admin/journeys/{id}/backtest': {
    summary: 'Backtest a journey version',
    description:
      'Replays every customer’s stored history over the window (at most 400 days) through the version, with nothing written, as a whole-base job. Answers 202 at once: GET /admin/jobs/{id} shows its progress and counts.',
    tag: 'Journeys',
    body: backtestBody,
    responses: {
      202: answer(
        'Started',
        z.looseObject({
          job: z.string().describe('The job’s id, for GET /admin/jobs/{id}'),
          journey: z.string(),
          version: z.number(),
          from: z.string(),
          to: z.string(),
          status: jobStatus,
        }),
      ),
      404: journeyNotFound,
    },
  },

  // Broadcasts: one-off emails to a segment.

  'GET /admin/broadcasts': {
    summary: 'List broadcasts',
    description: 'Every broadcast, the newest first, with its numbers.',
    tag: 'Broadcasts',
    responses: { 200: answer('The broadcasts', z.looseObject({ broadcasts: z.array(broadcastView) })) },
  },
  'POST /admin/broadcasts': {
    summary: 'Create a broadcast',
    description:
      'Sent at once (202: sending) when it has no later `sendAt`, else scheduled (201). A broadcast is sent once: an `id` already used answers 409.',
    tag: 'Broadcasts',
    // `createBroadcast` takes an optional `id` beside the broadcast (parseBroadcast: broadcastSchema).
    body: broadcastSchema.extend({
      id: z
        .string()
        .optional()
        .describe('Your id, starting with broadcast- (default: made from the name), making a retry safe'),
    }),
    responses: {
      201: answer('Scheduled', broadcastView),
      202: answer('Sending', broadcastView),
      409: error('A broadcast with this id exists'),
    },
  },
  'POST /admin/broadcasts/preview': {
    summary: 'Preview a broadcast',
    description:
      'Before sending: how many would receive it and how many would be left out, by reason (an estimate from a sample of 5,000 customers in a large base).',
    tag: 'Broadcasts',
    // `previewBroadcast`: the same checks, a name not needed yet, an `id` ignored.
    body: broadcastSchema.extend({
      name: broadcastSchema.shape.name.optional(),
      id: z.string().optional().describe('Ignored'),
    }),
    responses: {
      200: answer(
        'Who would receive it',
        z.looseObject({
          segment: z.string(),
          exact: z.boolean(),
          members: z.number(),
          recipients: z.number(),
          heldOut: z.number(),
          skipped: counts.describe('By reason'),
          deferred: counts.describe('Sent later: quiet hours, caps, cool-down'),
          evaluated: z.number(),
        }),
      ),
    },
  },
  'GET /admin/broadcasts/{id}': {
    summary: 'Show a broadcast',
    description: 'The broadcast with its status, progress and numbers.',
    tag: 'Broadcasts',
    responses: { 200: answer('The broadcast', broadcastView), 404: broadcastNotFound },
  },
  'POST /admin/broadcasts/{id}/cancel': {
    summary: 'Cancel a broadcast',
    description:
      'What has not gone out does not go; what went stays counted. Only a scheduled or sending broadcast can be cancelled.',
    tag: 'Broadcasts',
    responses: {
      200: answer('Cancelled', broadcastView),
      404: broadcastNotFound,
      409: error('The broadcast is sent or cancelled already'),
    },
  },

  // Templates: versioned email templates (the templates function).

  'GET /admin/templates': {
    summary: 'List templates',
    description: 'Every template, built-in and stored, with its versions and the journeys that send it.',
    tag: 'Templates',
    responses: {
      200: answer(
        'The templates',
        z.looseObject({
          templates: z.array(
            z.looseObject({
              name: z.string(),
              source: templateSource,
              latest: z.number(),
              published: z.number().nullable().describe('The published version (0: the built-in one)'),
              usedBy: z.array(z.string()).describe('Journeys whose published version sends it'),
              updatedAt: z.string().optional(),
              description: z.string().optional(),
            }),
          ),
        }),
      ),
    },
  },
  'GET /admin/templates/{name}': {
    summary: 'Show a template',
    description:
      'A version of the template (default: the published one, else the latest saved) with the list of versions.',
    tag: 'Templates',
    query: z.object({ version: queryParam('The version to show, a whole number (0: the built-in one)') }),
    responses: {
      200: answer(
        'The template',
        z.looseObject({
          name: z.string(),
          version: z.number(),
          source: templateSource,
          latest: z.number(),
          published: z.number().nullable(),
          subject: z.string(),
          html: z.string(),
          text: z.string().optional(),
          description: z.string().optional(),
          variants: z
            .array(
              z.looseObject({
                name: z.string(),
                subject: z.string().optional(),
                html: z.string().optional(),
                text: z.string().optional(),
              }),
            )
            .optional(),
          createdAt: z.string().optional(),
          versions: z.array(
            z.looseObject({
              version: z.number(),
              createdAt: z.string().nullable(),
              builtIn: z.boolean().optional(),
            }),
          ),
        }),
      ),
      404: templateNotFound,
    },
  },
  'PUT /admin/templates/{name}': {
    summary: 'Save a template',
    description:
      'Saves a new version (never overwriting one), checked first: unknown variables and broken Handlebars answer 400. Campaigns send it once it is published.',
    tag: 'Templates',
    body: templateBody,
    responses: {
      201: answer(
        'Saved',
        z.looseObject({
          name: z.string(),
          version: z.number(),
          createdAt: z.string(),
          published: z.literal(false),
        }),
      ),
    },
  },
  'DELETE /admin/templates/{name}': {
    summary: 'Delete a template',
    description:
      'Deletes every stored version. A built-in template falls back to its built-in content; any other in use by a journey cannot go (409).',
    tag: 'Templates',
    responses: {
      200: answer(
        'Deleted',
        z.looseObject({ deleted: z.string(), fallsBackTo: z.literal('built-in').nullable() }),
      ),
      404: templateNotFound,
      409: error('Journeys send it: point them at another template first'),
    },
  },
  'POST /admin/templates/{name}/publish': {
    summary: 'Publish a template version',
    description: 'Makes a saved version (default: the latest) the one campaigns send.',
    tag: 'Templates',
    body: templatePublishBody,
    responses: {
      200: answer('Published', z.looseObject({ name: z.string(), published: z.number() })),
      404: templateNotFound,
    },
  },
  'POST /admin/templates/{name}/preview': {
    summary: 'Preview a template',
    description:
      'Renders a version (default: the published one), or unsaved content, with a real customer’s data or sample data.',
    tag: 'Templates',
    body: templatePreviewBody.optional(),
    responses: {
      200: answer(
        'The rendered email',
        z.looseObject({
          subject: z.string(),
          html: z.string(),
          text: z.string(),
          variant: z.number(),
          version: z.number().nullable().describe('The version rendered (null for unsaved content)'),
        }),
      ),
      404: error('No such template (or version), or no such customer'),
    },
  },
  'POST /admin/templates/{name}/test': {
    summary: 'Send a test email',
    description:
      'Sends the rendered template to one address, marked as a test: no ledger, no counter, no campaign.',
    tag: 'Templates',
    body: templateTestBody,
    responses: {
      200: answer(
        'Sent',
        z.looseObject({
          sent: z.literal(true),
          to: z.string(),
          messageId: z.string(),
          version: z.number().nullable(),
        }),
      ),
      404: error('No such template (or version), or no such customer'),
    },
  },

  // Lifecycle and contact policy: the engine's rules that are not journeys.

  'GET /admin/lifecycle': {
    summary: 'Show the lifecycle rules',
    description: 'When a customer is at risk and when the relationship has ended.',
    tag: 'Lifecycle and contact policy',
    responses: { 200: answer('The rules', lifecycleView) },
  },
  'PUT /admin/lifecycle': {
    summary: 'Change the lifecycle rules',
    description:
      'A partial update: what is given replaces, the rest stays; the whole is validated. Every customer is evaluated again in the background.',
    tag: 'Lifecycle and contact policy',
    body: lifecyclePatch,
    responses: { 200: answer('The rules now', lifecycleView) },
  },
  'GET /admin/contact-policy': {
    summary: 'Show the contact policy',
    description:
      'Caps, quiet hours, cool-down, custom traits, the impression balance and broadcasts’ defaults, with the defaults that apply filled in.',
    tag: 'Lifecycle and contact policy',
    responses: { 200: answer('The policy', policyView) },
  },
  'PUT /admin/contact-policy': {
    summary: 'Change the contact policy',
    description:
      'A partial update: what is given replaces (caps, quiet hours and impressions field by field), the rest stays; the whole is validated.',
    tag: 'Lifecycle and contact policy',
    body: policyPatch,
    responses: { 200: answer('The policy now', policyView) },
  },

  // Metrics and prediction.

  'GET /admin/metrics': {
    summary: 'Read the metrics',
    description:
      'A window’s metrics from the counters (default: the last 30 days, at most three years): customers by stage, retention, repeat purchase, value, each campaign’s numbers with uplift over its holdout, and satisfaction.',
    tag: 'Metrics and prediction',
    query: z.object({
      from: queryParam('First day, YYYY-MM-DD (default: 29 days before `to`)'),
      to: queryParam('Last day, YYYY-MM-DD (default: today)'),
    }),
    responses: { 200: answer('The metrics', metricsView) },
  },
  'GET /admin/insights/best-customers': {
    summary: 'Show the best customers',
    description:
      'The top tenth by predicted value (by historic value until a model is fitted) against the other buyers, as the last fit found them.',
    tag: 'Metrics and prediction',
    query: z.object({ asOf: queryParam('The day they must be computed as of, YYYY-MM-DD (404 otherwise)') }),
    responses: {
      200: answer('The best customers', bestCustomers),
      404: error('No insights yet, or none as of that day: fit the model'),
    },
  },
  'GET /admin/model': {
    summary: 'Show the fitted model',
    description: 'The current BG/NBD and Gamma-Gamma fit, whether it is trustworthy, and the past fits.',
    tag: 'Metrics and prediction',
    responses: {
      200: answer(
        'The model',
        z.looseObject({
          current: modelReport.nullable(),
          trustworthy: z.boolean(),
          minimum: z
            .looseObject({ customers: z.number(), repeatBuyers: z.number() })
            .describe('What a fit needs to be trusted'),
          history: z.array(modelReport).describe('The most recent fits first (up to 30)'),
        }),
      ),
    },
  },
  'POST /admin/model/fit': {
    summary: 'Fit the model now',
    description:
      'Starts the nightly fit on demand, as a whole-base job (202): the model, the best customers, then every customer evaluated again under it. GET /admin/jobs/{id} shows it.',
    tag: 'Metrics and prediction',
    body: modelFitBody,
    responses: {
      202: answer('Started', z.looseObject({ job: z.string(), asOf: z.string(), status: jobStatus })),
    },
  },

  // Sources and webhooks: where events come from, and where they go.

  'GET /admin/sources': {
    summary: 'List sources',
    description:
      'Every source (the installed write key’s `default` among them) with its credentials and today’s numbers.',
    tag: 'Sources and webhooks',
    responses: { 200: answer('The sources', z.looseObject({ sources: z.array(sourceView) })) },
  },
  'POST /admin/sources': {
    summary: 'Create a source',
    description:
      'A Segment source answers its write key this once (only its digest is kept); a platform source answers the webhook URL to paste into the platform, and keeps its signing secret sealed.',
    tag: 'Sources and webhooks',
    body: newSourceSchema,
    responses: {
      201: answer(
        'Created',
        sourceView.extend({
          writeKey: z.string().optional().describe('Segment: the write key, shown this once'),
          setup: z.string().optional().describe('Platforms: what to do next'),
        }),
      ),
    },
  },
  'GET /admin/sources/{id}': {
    summary: 'Show a source',
    description: 'The source with its credentials and today’s numbers.',
    tag: 'Sources and webhooks',
    responses: { 200: answer('The source', sourceView), 404: sourceNotFound },
  },
  'POST /admin/sources/{id}/rotate': {
    summary: 'Rotate a source’s key or secret',
    description:
      'A new write key (Segment: answered this once) or signing secret (platforms: the one the platform shows); the old ones keep working for `graceHours`.',
    tag: 'Sources and webhooks',
    body: rotationSchema,
    responses: {
      200: answer(
        'Rotated',
        sourceView.extend({
          writeKey: z.string().optional().describe('Segment: the new write key, shown this once'),
        }),
      ),
      404: sourceNotFound,
      409: error('The source is revoked'),
    },
  },
  'POST /admin/sources/{id}/revoke': {
    summary: 'Revoke a source',
    description: 'Its keys and secrets stop working at once.',
    tag: 'Sources and webhooks',
    responses: { 200: answer('Revoked', sourceView), 404: sourceNotFound },
  },
  'GET /admin/webhooks': {
    summary: 'List webhooks',
    description: 'Every webhook the shop gets events on (never its signing secret).',
    tag: 'Sources and webhooks',
    responses: { 200: answer('The webhooks', z.looseObject({ webhooks: z.array(webhookView) })) },
  },
  'GET /admin/webhooks/{id}': {
    summary: 'Show a webhook',
    description: 'The webhook with its latest 50 deliveries.',
    tag: 'Sources and webhooks',
    responses: {
      200: answer('The webhook', webhookView.extend({ deliveries: z.array(delivery) })),
      404: webhookNotFound,
    },
  },
  'PUT /admin/webhooks/{id}': {
    summary: 'Create or change a webhook',
    description:
      'A new webhook answers its signing secret this once (201); a change keeps the secret (200). The URL must be https and public (http and private addresses only in local development).',
    tag: 'Sources and webhooks',
    body: webhookSchema,
    responses: {
      200: answer('Changed', webhookView),
      201: answer('Created', webhookView.extend({ secret })),
    },
  },
  'DELETE /admin/webhooks/{id}': {
    summary: 'Delete a webhook',
    description: 'No more deliveries go to it.',
    tag: 'Sources and webhooks',
    responses: { 200: answer('Deleted', deleted), 404: webhookNotFound },
  },
  'GET /admin/webhooks/{id}/deliveries': {
    summary: 'List a webhook’s deliveries',
    description: 'The latest 100 deliveries, the newest first, with every attempt.',
    tag: 'Sources and webhooks',
    responses: {
      200: answer('The deliveries', z.looseObject({ deliveries: z.array(delivery) })),
      404: webhookNotFound,
    },
  },
  'POST /admin/webhooks/{id}/test': {
    summary: 'Send a test delivery',
    description:
      'Sends a `Webhook Test` event once, signed like any other, and answers how it went (no retries).',
    tag: 'Sources and webhooks',
    responses: { 200: answer('The delivery, attempted', delivery), 404: webhookNotFound },
  },
  'POST /admin/webhooks/{id}/secret': {
    summary: 'Rotate a webhook’s signing secret',
    description: 'A new signing secret, answered this once; deliveries are signed with it from now on.',
    tag: 'Sources and webhooks',
    responses: { 200: answer('Rotated', webhookView.extend({ secret })), 404: webhookNotFound },
  },

  // Operations: dead letters, the sweep, whole-base jobs, the API's own description.

  'GET /admin/dead-letters': {
    summary: 'List dead letters',
    description:
      'What the pipeline gave up on after its retries, per queue, each with its reason and whether it can be redriven.',
    tag: 'Operations',
    responses: {
      200: answer(
        'The dead letters',
        z.looseObject({
          queues: z.array(
            z.looseObject({
              queue: z.string(),
              count: z.number().describe('Letters in the queue (SQS’s approximate count)'),
              listed: z
                .number()
                .describe('Of those, listed here: a FIFO queue hands out ten of one customer’s at a time'),
            }),
          ),
          letters: z.array(deadLetter),
        }),
      ),
    },
  },
  'POST /admin/dead-letters/redrive': {
    summary: 'Redrive dead letters',
    description:
      'Sends letters back for another try: those named in `ids`, or every one with `{"all": true}` (an empty body sends nothing). An id in no queue answers 404 and nothing is redriven. A call stops after about 20 s and answers `more: true`; call it again for the rest.',
    tag: 'Operations',
    body: redriveBody,
    responses: {
      200: answer(
        'What went back',
        z.looseObject({
          redriven: z.array(z.string()).describe('The letters sent back (and deleted from their queue)'),
          skipped: z
            .array(z.looseObject({ id: z.string(), why: z.string() }))
            .describe('Letters that cannot be redriven, with why'),
          failed: z
            .array(z.looseObject({ id: z.string(), why: z.string() }))
            .describe('Letters whose send failed: still in their queue'),
          more: z.boolean().describe('Letters are left that this call did not reach'),
        }),
      ),
      404: error('Some ids are in no dead-letter queue (`unknown` names them): nothing was redriven'),
    },
  },
  'POST /admin/sweep': {
    summary: 'Run the sweep',
    description:
      'Fires the timers due by `now` (default: the present) and dispatches deferred messages, as the schedule does, then waits up to 25 s for them to be applied and sums up what they decided.',
    tag: 'Operations',
    body: sweepRequest.optional(),
    responses: { 200: answer('What the sweep did', sweepResult) },
  },
  'GET /admin/jobs/{id}': {
    summary: 'Show a job',
    description:
      'A whole-base job’s progress (a backtest, a model fit, a segment’s build), and what a backtest found so far.',
    tag: 'Operations',
    responses: { 200: answer('The job', jobView), 404: error('No such job') },
  },
  'GET /openapi.json': {
    summary: 'Read the API description',
    description:
      'This OpenAPI 3.1 document, made from the zod schemas the handlers validate with. Public: it holds shapes, no data.',
    tag: 'Operations',
    responses: {
      200: answer(
        'The OpenAPI document',
        z.looseObject({
          openapi: z.string(),
          info: z.looseObject({}),
          paths: z.record(z.string(), z.unknown()),
        }),
      ),
    },
  },
};

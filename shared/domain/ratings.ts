/**
 * Ratings in emails (two-way, issue 15): a one-click row of scores under an email, each link a
 * sealed token naming the customer, the email (its campaign and occurrence), the question and
 * the score. Nothing in a link can be changed or made up: a forged, altered or foreign token
 * opens to nothing.
 */
import { REASONS } from './reasons.ts';
import { openToken, sealToken } from './sealed-token.ts';

export { REASONS };

/** CSAT: how satisfied, 1 to 5; NPS: how likely to recommend, 0 to 10; reason: why one leaves. */
export const QUESTIONS = {
  csat: { min: 1, max: 5 },
  nps: { min: 0, max: 10 },
  reason: { min: 0, max: REASONS.length - 1 },
} as const;
export type Question = keyof typeof QUESTIONS;
export const isQuestion = (value: unknown): value is Question =>
  typeof value === 'string' && Object.hasOwn(QUESTIONS, value);

export interface RatingClaim {
  customerId: string;
  campaignId: string;
  occurrence: number;
  question: Question;
  score: number;
}

const PURPOSE = 'rating';

export function makeRatingToken(secret: string, claim: RatingClaim, iv?: Buffer): string {
  const { customerId, campaignId, occurrence, question, score } = claim;
  return sealToken(
    secret,
    PURPOSE,
    JSON.stringify([customerId, campaignId, occurrence, question, score]),
    iv,
  );
}

/** The rating a token carries, or undefined when it is not one of ours, intact and in range. */
export function readRatingToken(secret: string, token: string): RatingClaim | undefined {
  const opened = openToken(secret, PURPOSE, token);
  if (opened === undefined) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(opened);
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 5) return undefined;
  const [customerId, campaignId, occurrence, question, score] = fields as unknown[];
  if (typeof customerId !== 'string' || typeof campaignId !== 'string') return undefined;
  if (!Number.isInteger(occurrence) || (occurrence as number) < 1) return undefined;
  if (!isQuestion(question)) return undefined;
  const range = QUESTIONS[question];
  if (!Number.isInteger(score) || (score as number) < range.min || (score as number) > range.max)
    return undefined;
  return { customerId, campaignId, occurrence: occurrence as number, question, score: score as number };
}

/** The links of one question's row for one email: a score and its URL each, lowest first. */
export function ratingLinks(
  secret: string,
  baseUrl: string,
  message: Omit<RatingClaim, 'question' | 'score'>,
  question: Question,
): { score: number; url: string }[] {
  const { min, max } = QUESTIONS[question];
  return Array.from({ length: max - min + 1 }, (_, index) => {
    const score = min + index;
    return { score, url: `${baseUrl}/f/${makeRatingToken(secret, { ...message, question, score })}` };
  });
}

/**
 * Link prefetch. Mail security scanners fetch every link of an email when it arrives: five (or
 * eleven) different scores within seconds. A person clicks one, and may change their mind once.
 * So clicks are read in clusters (each within PREFETCH_WINDOW_MS of the one before): a cluster
 * with BURST_SCORES or more different scores is a scanner's burst and answers nothing; otherwise
 * the cluster's latest click answers, once the window has passed without another click (a burst
 * could still be starting). A POST from the thank-you page (a comment, a confirmation) is never
 * a prefetch: it answers at once. A later answer replaces an earlier one for the same email.
 */
export const PREFETCH_WINDOW_MS = 60_000;
export const BURST_SCORES = 3;
/** Clicks kept per email: enough to see a burst of an NPS row (11 links) and the click after it. */
const KEPT_CLICKS = 24;

export interface RatingClick {
  question: Question;
  score: number;
  at: string;
  /** From the thank-you page's form (POST): a person, never a prefetch. */
  confirmed?: boolean;
  /** What they wrote on the thank-you page (bounded by the page: MAX_COMMENT_CHARS). */
  comment?: string;
}

/** The longest comment kept; the page refuses a longer one. */
export const MAX_COMMENT_CHARS = 2000;

/** The clicks an email keeps, oldest first. */
export function withClick(clicks: readonly RatingClick[], click: RatingClick): RatingClick[] {
  return [...clicks, click].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).slice(-KEPT_CLICKS);
}

/**
 * The answer at `now` of one question of one email, if one has settled: per cluster, its latest
 * confirmation, or its latest click once the window passed (unless the cluster is a burst); the
 * latest cluster that answers wins. A burst answers nothing and leaves the answer before it.
 */
export function settledAnswer(clicks: readonly RatingClick[], now: string): RatingClick | undefined {
  const clusters: RatingClick[][] = [];
  for (const click of clicks) {
    const current = clusters.at(-1);
    const previous = current?.at(-1);
    if (current && previous && Date.parse(click.at) - Date.parse(previous.at) < PREFETCH_WINDOW_MS)
      current.push(click);
    else clusters.push([click]);
  }
  let answer: RatingClick | undefined;
  for (const cluster of clusters) {
    const last = cluster.at(-1);
    if (!last) continue;
    const scores = new Set(
      cluster.filter((click) => !click.confirmed).map((click) => `${click.question}:${click.score}`),
    );
    const burst = scores.size >= BURST_SCORES;
    const windowPassed = Date.parse(now) - Date.parse(last.at) >= PREFETCH_WINDOW_MS;
    // The cluster's latest click that counts: a confirmation always, a plain click once settled.
    const counted = cluster.findLast((click) => click.confirmed || (!burst && windowPassed));
    if (counted) answer = counted;
  }
  return answer;
}

/** When the latest cluster's window ends, if its answer is still to settle then. */
export function settlesAt(clicks: readonly RatingClick[]): string | undefined {
  const last = clicks.at(-1);
  if (!last || last.confirmed) return undefined;
  return new Date(Date.parse(last.at) + PREFETCH_WINDOW_MS).toISOString();
}

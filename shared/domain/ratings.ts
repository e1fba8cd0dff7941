/**
 * Ratings in emails (two-way, issue 15): a one-click row of scores under an email, each link a
 * sealed token naming the customer, the email (its campaign and occurrence), the question and
 * the score. Nothing in a link can be changed or made up: a forged, altered or foreign token
 * opens to nothing.
 */
import { openToken, sealToken } from './sealed-token.ts';

/** CSAT: how satisfied, 1 to 5; NPS: how likely to recommend, 0 to 10. */
export const QUESTIONS = {
  csat: { min: 1, max: 5 },
  nps: { min: 0, max: 10 },
} as const;
export type Question = keyof typeof QUESTIONS;

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
  if (question !== 'csat' && question !== 'nps') return undefined;
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

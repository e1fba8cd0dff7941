/** Rating links: sealed tokens that open to exactly what was sealed, and to nothing else. */
import { describe, expect, it } from 'vitest';
import {
  makeRatingToken,
  type RatingClick,
  ratingLinks,
  readRatingToken,
  settledAnswer,
  withClick,
} from '../../shared/domain/ratings.ts';
import { sealToken } from '../../shared/domain/sealed-token.ts';
import { makeUnsubscribeToken } from '../../shared/domain/unsubscribe-token.ts';

const message = { customerId: 'ada', campaignId: 'feedback-request', occurrence: 1 };

describe('rating tokens', () => {
  it('open to the customer, the email, the question and the score sealed in them', () => {
    const token = makeRatingToken('secret', { ...message, question: 'csat', score: 4 });
    expect(readRatingToken('secret', token)).toEqual({ ...message, question: 'csat', score: 4 });
    // Opaque: nothing of the customer shows in the link.
    expect(token).not.toContain('ada');
  });

  it('open to nothing when altered, made with another secret, made for another purpose, or garbage', () => {
    const token = makeRatingToken('secret', { ...message, question: 'nps', score: 9 });
    const flip = (at: number) =>
      `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(readRatingToken('secret', flip(3))).toBeUndefined();
    expect(readRatingToken('secret', flip(token.length - 2))).toBeUndefined();
    expect(readRatingToken('other', token)).toBeUndefined();
    expect(readRatingToken('secret', makeUnsubscribeToken('secret', 'ada'))).toBeUndefined();
    expect(readRatingToken('secret', 'x'.repeat(5000))).toBeUndefined();
    expect(readRatingToken('secret', '../../etc/passwd')).toBeUndefined();
  });

  it('refuse a sealed score outside its question’s range, or a payload of another shape', () => {
    const sealed = (payload: unknown) => sealToken('secret', 'rating', JSON.stringify(payload));
    expect(readRatingToken('secret', sealed(['ada', 'x', 1, 'csat', 6]))).toBeUndefined();
    expect(readRatingToken('secret', sealed(['ada', 'x', 1, 'nps', -1]))).toBeUndefined();
    expect(readRatingToken('secret', sealed(['ada', 'x', 1, 'ces', 3]))).toBeUndefined();
    expect(readRatingToken('secret', sealed(['ada', 'x', 0, 'csat', 3]))).toBeUndefined();
    expect(readRatingToken('secret', sealed({ customerId: 'ada' }))).toBeUndefined();
    expect(readRatingToken('secret', sealToken('secret', 'rating', 'not json'))).toBeUndefined();
  });

  it('a row has a link per score: 1 to 5 for CSAT, 0 to 10 for NPS', () => {
    const csat = ratingLinks('secret', 'https://shop.example', message, 'csat');
    expect(csat.map((link) => link.score)).toEqual([1, 2, 3, 4, 5]);
    expect(csat.every((link) => link.url.startsWith('https://shop.example/f/'))).toBe(true);
    const nps = ratingLinks('secret', 'https://shop.example', message, 'nps');
    expect(nps.map((link) => link.score)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const last = nps.at(-1)?.url.split('/f/')[1] ?? '';
    expect(readRatingToken('secret', last)).toEqual({ ...message, question: 'nps', score: 10 });
  });
});

describe('answers and link prefetch', () => {
  const at = (seconds: number) => new Date(Date.parse('2026-12-01T12:00:00Z') + seconds * 1000).toISOString();
  const click = (score: number, seconds: number, confirmed = false): RatingClick => ({
    question: 'csat',
    score,
    at: at(seconds),
    ...(confirmed ? { confirmed } : {}),
  });
  const clicks = (...list: RatingClick[]) => list.reduce<RatingClick[]>(withClick, []);

  it('a person’s click answers once its minute has passed without another score', () => {
    const one = clicks(click(4, 0));
    expect(settledAnswer(one, at(30))).toBeUndefined();
    expect(settledAnswer(one, at(60))).toEqual({ question: 'csat', score: 4, at: at(0) });
    // Clicking the same score twice is still one answer.
    expect(settledAnswer(clicks(click(4, 0), click(4, 5)), at(70))?.score).toBe(4);
  });

  it('a scanner fetching every link answers nothing; the person’s later click answers', () => {
    const burst = [1, 2, 3, 4, 5].map((score, index) => click(score, index * 0.2));
    expect(settledAnswer(clicks(...burst), at(600))).toBeUndefined();
    const later = clicks(...burst, click(2, 300));
    expect(settledAnswer(later, at(330))).toBeUndefined();
    expect(settledAnswer(later, at(360))).toEqual({ question: 'csat', score: 2, at: at(300) });
    // A burst after an answer leaves the answer standing.
    expect(
      settledAnswer(clicks(click(5, 0), ...[1, 2, 3].map((score) => click(score, 500))), at(900))?.score,
    ).toBe(5);
  });

  it('a confirmation from the thank-you page answers at once, even inside a burst; a later answer replaces', () => {
    expect(settledAnswer(clicks(click(1, 0), click(5, 1), click(3, 2, true)), at(3))?.score).toBe(3);
    expect(settledAnswer(clicks(click(3, 0, true), click(5, 400)), at(500))?.score).toBe(5);
  });

  it('keeps a bounded number of clicks per email', () => {
    const many = Array.from({ length: 100 }, (_, index) => click((index % 5) + 1, index));
    expect(clicks(...many)).toHaveLength(24);
  });
});

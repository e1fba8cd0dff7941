/** Rating links: sealed tokens that open to exactly what was sealed, and to nothing else. */
import { describe, expect, it } from 'vitest';
import { makeRatingToken, ratingLinks, readRatingToken } from '../../shared/domain/ratings.ts';
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

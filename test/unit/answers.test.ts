/** The engine hears the customer: ratings settle into Feedback Given, replies become Email Replied. */
import { describe, expect, it } from 'vitest';
import type { FeedbackInput } from '../../shared/domain/answers.ts';
import { evaluate } from '../../shared/domain/conditions.ts';
import { feedbackAdded, sumCounts } from '../../shared/domain/counters.ts';
import { decide, type Effect, type EngineInput } from '../../shared/domain/lifecycle.ts';
import { metricsFromCounts } from '../../shared/domain/metrics.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { identify, order } from '../support/events.ts';

const settings = defaultSettings();
const t0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

function customer(): Profile {
  let profile = decide(
    undefined,
    'u1',
    { kind: 'event', event: identify({ email: 'ada@example.com' }, { timestamp: at(-3600) }) },
    settings,
  ).profile;
  profile = decide(profile, 'u1', { kind: 'event', event: order('o1', at(-1800)) }, settings).profile;
  return profile;
}

const click = (score: number, seconds: number, extra: Partial<FeedbackInput> = {}): FeedbackInput => ({
  kind: 'feedback',
  messageId: `f-${score}-${seconds}`,
  at: at(seconds),
  campaignId: 'feedback-request',
  occurrence: 1,
  question: 'csat',
  score,
  ...extra,
});

function run(profile: Profile, ...inputs: EngineInput[]) {
  const effects: Effect[] = [];
  let current = profile;
  for (const input of inputs) {
    const decision = decide(current, 'u1', input, settings);
    current = decision.profile;
    effects.push(...decision.effects);
  }
  return { profile: current, effects };
}
const answered = (effects: Effect[]) => effects.filter((effect) => effect.type === 'answered');
const timers = (seconds: number): EngineInput => ({
  kind: 'timers',
  messageId: `t-${seconds}`,
  now: at(seconds),
});

describe('ratings in the engine', () => {
  it('a click is kept at once and settles into Feedback Given when its minute passes (a due time)', () => {
    const clicked = run(customer(), click(4, 0));
    expect(answered(clicked.effects)).toEqual([]);
    expect(clicked.profile.feedback?.[0]?.clicks).toHaveLength(1);
    expect(clicked.profile.nextDueAt).toBe(at(60));
    const settled = run(clicked.profile, timers(60));
    expect(answered(settled.effects)).toEqual([
      expect.objectContaining({
        event: 'Feedback Given',
        at: at(0),
        properties: { question: 'csat', score: 4, campaign: 'feedback-request', occurrence: 1 },
      }),
    ]);
    expect(settled.profile.feedback?.[0]?.answer).toMatchObject({ score: 4, stage: 'buildup' });
    // In the event log, for conditions, like any event.
    expect(settled.profile.events?.at(-1)).toMatchObject({
      name: 'Feedback Given',
      properties: { score: 4 },
    });
    // Settled once: the next sweep finds nothing more to say.
    expect(answered(run(settled.profile, timers(120)).effects)).toEqual([]);
  });

  it('a comment posted from the thank-you page answers at once, and the low score starts the service follow-up', () => {
    const { effects, profile } = run(
      customer(),
      click(1, 0),
      click(1, 20, { confirmed: true, comment: '  It arrived broken.  ' }),
    );
    expect(answered(effects)).toEqual([
      expect.objectContaining({
        properties: expect.objectContaining({ score: 1, comment: 'It arrived broken.' }),
      }),
    ]);
    const follow = effects.find((effect) => effect.type === 'message');
    expect(follow).toMatchObject({ campaignId: 'service-follow-up', status: 'queued' });
    expect(profile.marketingPausedUntil).toBeDefined();
  });

  it('a scanner’s burst answers nothing, and the person’s later click replaces nothing it did not say', () => {
    const burst = [1, 2, 3, 4, 5].map((score, index) => click(score, index * 0.1));
    const scanned = run(customer(), ...burst, timers(120));
    expect(answered(scanned.effects)).toEqual([]);
    const person = run(scanned.profile, click(5, 600), timers(660));
    expect(answered(person.effects).map((effect) => effect.properties.score)).toEqual([5]);
  });

  it('a later answer replaces the earlier one for that email (satisfaction reads the latest)', () => {
    const first = run(customer(), click(2, 0, { confirmed: true }));
    const unhappy = { satisfaction: { question: 'csat' as const, op: 'lte' as const, value: 2 } };
    const context = (profile: Profile) => ({
      profile,
      now: at(1000),
      definitionId: 'x',
      segment: () => ({ value: false }),
    });
    expect(evaluate(unhappy, context(first.profile)).value).toBe(true);
    const second = run(first.profile, click(5, 300, { confirmed: true }));
    expect(second.profile.feedback).toHaveLength(1);
    expect(second.profile.feedback?.[0]?.answer?.score).toBe(5);
    expect(evaluate(unhappy, context(second.profile)).value).toBe(false);
    // Within a window: an answer older than it does not count.
    const recent = {
      satisfaction: { question: 'csat' as const, op: 'gte' as const, value: 4, withinDays: 1 },
    };
    expect(evaluate(recent, context(second.profile))).toEqual({
      value: true,
      changesAt: new Date(t0 + 300_000 + 86_400_000).toISOString(),
    });
  });

  it('a reply becomes Email Replied, kept (bounded) on the profile, and counts as a click', () => {
    const base = customer();
    const replies = Array.from(
      { length: 12 },
      (_, index): EngineInput => ({
        kind: 'reply',
        messageId: `r${index}`,
        at: at(index),
        campaignId: 'welcome-kit',
        occurrence: 1,
        subject: 'Re: Thank you',
        text: `Reply ${index}`,
      }),
    );
    const { effects, profile } = run(base, ...replies);
    expect(answered(effects)).toHaveLength(12);
    expect(answered(effects)[0]).toMatchObject({ event: 'Email Replied', properties: { text: 'Reply 0' } });
    expect(profile.replies).toHaveLength(10);
    expect(profile.replies?.at(-1)?.text).toBe('Reply 11');
    expect(profile.lastClickAt).toBe(at(11));
  });
});

describe('satisfaction in the metrics', () => {
  it('counts each email’s latest answer once, by journey and stage; CSAT, NPS, response rate, reasons', () => {
    const inputs: EngineInput[] = [
      click(5, 0, { confirmed: true }),
      click(2, 100, { confirmed: true, campaignId: 'welcome-kit' }),
      click(1, 200, { confirmed: true, campaignId: 'welcome-kit' }), // replaces the 2
      click(10, 300, { confirmed: true, question: 'nps', campaignId: 'loyalty-reward' }),
      click(3, 400, { confirmed: true, question: 'nps', campaignId: 'loyalty-reward', occurrence: 2 }),
      click(0, 500, { confirmed: true, question: 'reason', campaignId: undefined, occurrence: undefined }),
    ];
    // Moved change by change, as the projections do: the replaced answer leaves the counts.
    const moves = new Map<string, number>();
    let before: Profile = customer();
    for (const input of inputs) {
      const after = run(before, input).profile;
      sumCounts(moves, feedbackAdded(before, after));
      before = after;
    }
    const days = new Map<string, Record<string, number>>();
    for (const [key, value] of moves) {
      const [item, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const date = item.replace('DAY#', '');
      days.set(date, { ...days.get(date), [name]: value });
    }
    days.set('2026-03-01', {
      ...days.get('2026-03-01'),
      'asked:csat:feedback-request': 1,
      'asked:csat:welcome-kit': 3,
      'asked:nps:loyalty-reward': 4,
    });
    const metrics = metricsFromCounts(
      { from: '2026-03-01', to: '2026-03-01' },
      { gauges: {}, days: [...days].map(([date, counts]) => ({ date, counts })) },
    );
    expect(metrics.satisfaction.csat).toEqual({ responses: 2, satisfied: 1, score: 0.5 });
    expect(metrics.satisfaction.nps).toEqual({
      responses: 2,
      promoters: 1,
      passives: 0,
      detractors: 1,
      score: 0,
    });
    expect(metrics.satisfaction.byJourney['welcome-kit']?.csat).toEqual({
      responses: 1,
      satisfied: 0,
      score: 0,
    });
    expect(metrics.satisfaction.byStage.buildup.csat.responses).toBe(2);
    expect(metrics.satisfaction.responseRate).toEqual({ asked: 8, answered: 4, rate: 0.5 });
    expect(metrics.satisfaction.leaving.reasons).toEqual({ 'too-many': 1 });
  });
});

describe('bounds', () => {
  it('keeps one comment per email however many are posted, and at most 20 emails', () => {
    const posts = Array.from({ length: 30 }, (_, index) =>
      click(2, index * 100, { confirmed: true, comment: 'x'.repeat(2000), messageId: `c${index}` }),
    );
    const { profile } = run(customer(), ...posts);
    const comments = profile.feedback?.[0]?.clicks.filter((entry) => entry.comment) ?? [];
    expect(comments).toHaveLength(1);
    const many = Array.from({ length: 30 }, (_, index) =>
      click(4, index, { occurrence: index + 1, confirmed: true }),
    );
    expect(run(customer(), ...many).profile.feedback).toHaveLength(20);
    expect(JSON.stringify(run(customer(), ...posts, ...many).profile).length).toBeLessThan(60_000);
  });
});

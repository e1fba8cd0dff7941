/**
 * The customer answering back (two-way): ratings and reasons clicked in an email or given on a
 * page, and replies to our email. Each settled answer becomes an event in the customer's history
 * (`Feedback Given`, `Email Replied`), so segments, journeys, webhooks and the timeline use it like
 * any event the site sends; the facts behind them stay on the profile, bounded.
 */
import type { Profile, Stage } from './profile.ts';
import {
  isQuestion,
  MAX_COMMENT_CHARS,
  type Question,
  type RatingClick,
  REASONS,
  settledAnswer,
  settlesAt,
  withClick,
} from './ratings.ts';
import type { CustomerEvent } from './segment.ts';

export const FEEDBACK_GIVEN = 'Feedback Given';
export const EMAIL_REPLIED = 'Email Replied';

/** A click on a rating or reason link, or a form posted on the thank-you or preference page. */
export interface FeedbackInput {
  kind: 'feedback';
  messageId: string;
  at: string;
  /** The email it answers; absent for the preference page. */
  campaignId?: string;
  occurrence?: number;
  question: Question;
  score: number;
  /** Posted by a person (a form), never a link scanner: answers at once. */
  confirmed?: boolean;
  comment?: string;
}

/** A reply to one of our emails, its text already cleaned (quotes, signatures) and bounded. */
export interface ReplyInput {
  kind: 'reply';
  messageId: string;
  at: string;
  campaignId: string;
  occurrence: number;
  subject?: string;
  text: string;
}

/** One question of one email: the clicks seen, and the answer that settled from them. */
export interface FeedbackState {
  campaignId?: string;
  occurrence?: number;
  question: Question;
  clicks: RatingClick[];
  answer?: Answer;
}

export interface Answer {
  question: Question;
  score: number;
  at: string;
  comment?: string;
  /** The customer's stage when they answered (satisfaction by stage). */
  stage: Stage;
}

export interface ReplyFact {
  at: string;
  campaignId: string;
  occurrence: number;
  subject?: string;
  text: string;
}

/** Emails (by question) whose answers the profile keeps, and replies: the most recent. */
export const KEPT_FEEDBACK = 20;
export const KEPT_REPLIES = 10;

const sameEmail = (
  state: FeedbackState,
  input: Pick<FeedbackInput, 'campaignId' | 'occurrence' | 'question'>,
) =>
  state.campaignId === input.campaignId &&
  state.occurrence === input.occurrence &&
  state.question === input.question;

/** Keeps the click on its email's question (a bounded list of clicks, a bounded list of emails). */
export function withFeedbackClick(profile: Profile, input: FeedbackInput): Profile {
  if (!isQuestion(input.question)) return profile;
  const click: RatingClick = {
    question: input.question,
    score: input.score,
    at: input.at,
    ...(input.confirmed ? { confirmed: true } : {}),
    ...(input.comment?.trim() ? { comment: input.comment.trim().slice(0, MAX_COMMENT_CHARS) } : {}),
  };
  const states = profile.feedback ?? [];
  const existing = states.find((state) => sameEmail(state, input));
  // Only the latest comment is kept with the clicks (the answer keeps its own): bounded per email.
  const earlier = click.comment
    ? (existing?.clicks ?? []).map(({ comment: _dropped, ...rest }) => rest)
    : (existing?.clicks ?? []);
  const state: FeedbackState = existing
    ? { ...existing, clicks: withClick(earlier, click) }
    : {
        ...(input.campaignId !== undefined ? { campaignId: input.campaignId } : {}),
        ...(input.occurrence !== undefined ? { occurrence: input.occurrence } : {}),
        question: input.question,
        clicks: [click],
      };
  const others = states.filter((candidate) => candidate !== existing);
  return { ...profile, feedback: [...others, state].slice(-KEPT_FEEDBACK) };
}

/**
 * The answers that settled by `now` and were not given yet: the profile remembers each as its
 * email's answer, and each becomes a `Feedback Given` event (received `now`).
 */
export function settleFeedback(profile: Profile, now: string): { profile: Profile; events: CustomerEvent[] } {
  const events: CustomerEvent[] = [];
  const feedback = (profile.feedback ?? []).map((state) => {
    const settled = settledAnswer(state.clicks, now);
    if (!settled || (state.answer?.at === settled.at && state.answer.score === settled.score)) return state;
    const answer: Answer = {
      question: settled.question,
      score: settled.score,
      at: settled.at,
      ...(settled.comment ? { comment: settled.comment } : {}),
      stage: profile.stage,
    };
    events.push(feedbackEvent(profile.id, state, answer, now));
    return { ...state, answer };
  });
  return events.length === 0 ? { profile, events } : { profile: { ...profile, feedback }, events };
}

/** The earliest time after `now` one of the customer's pending clicks settles. */
export function feedbackDueAt(profile: Profile, now: string): string | undefined {
  const times = (profile.feedback ?? []).flatMap((state) => {
    const at = settlesAt(state.clicks);
    return at && at > now ? [at] : [];
  });
  return times.sort()[0];
}

function feedbackEvent(customerId: string, state: FeedbackState, answer: Answer, now: string): CustomerEvent {
  const email = state.campaignId ? `${state.campaignId}#${state.occurrence}` : 'preferences';
  const properties: Record<string, unknown> = {
    question: answer.question,
    score: answer.score,
    ...(answer.question === 'reason' ? { reason: REASONS[answer.score]?.id } : {}),
    ...(answer.comment ? { comment: answer.comment } : {}),
    ...(state.campaignId ? { campaign: state.campaignId, occurrence: state.occurrence } : {}),
  };
  return {
    type: 'track',
    event: FEEDBACK_GIVEN,
    // One id per answer: the same answer settled again (a retry) is the same event.
    messageId: `feedback#${email}#${answer.question}#${answer.at}`,
    userId: customerId,
    timestamp: answer.at,
    receivedAt: now,
    properties,
  };
}

/** Keeps the reply (the latest KEPT_REPLIES) and makes it an `Email Replied` event. */
export function withReply(profile: Profile, input: ReplyInput): { profile: Profile; event: CustomerEvent } {
  const fact: ReplyFact = {
    at: input.at,
    campaignId: input.campaignId,
    occurrence: input.occurrence,
    ...(input.subject ? { subject: input.subject } : {}),
    text: input.text,
  };
  const replies = [...(profile.replies ?? []), fact]
    .sort((a, b) => (a.at < b.at ? -1 : 1))
    .slice(-KEPT_REPLIES);
  return {
    profile: { ...profile, replies },
    event: {
      type: 'track',
      event: EMAIL_REPLIED,
      messageId: `reply#${input.messageId}`,
      userId: profile.id,
      timestamp: input.at,
      receivedAt: input.at,
      properties: {
        campaign: input.campaignId,
        occurrence: input.occurrence,
        ...(input.subject ? { subject: input.subject } : {}),
        text: input.text,
      },
    },
  };
}

/** The latest answer to a question within the window (for `satisfaction` conditions). */
export function latestAnswer(profile: Profile, question: Question, since?: number): Answer | undefined {
  return (profile.feedback ?? [])
    .flatMap((state) => (state.answer && state.answer.question === question ? [state.answer] : []))
    .filter((answer) => since === undefined || Date.parse(answer.at) > since)
    .sort((a, b) => (a.at < b.at ? -1 : 1))
    .at(-1);
}

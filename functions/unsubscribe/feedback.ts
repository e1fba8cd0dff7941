/**
 * The rating links' page (`/f/{token}`). A click (GET) is kept at once as the answer's click;
 * the thank-you page offers a comment (POST), which confirms the answer: a person, not a mail
 * scanner fetching every link (see ratings.ts for how a click settles into the answer). A forged
 * or altered token gets 404 and changes nothing.
 */
import type { FeedbackInput } from '../../shared/domain/answers.ts';
import { escapeHtml } from '../../shared/domain/html.ts';
import {
  MAX_COMMENT_CHARS,
  QUESTIONS,
  type RatingClaim,
  REASONS,
  readRatingToken,
} from '../../shared/domain/ratings.ts';
import { layout, messagePage } from './page.ts';
import {
  customerById,
  erasedCustomerPage,
  html,
  notFound,
  type Page,
  type UnsubscribeDeps,
} from './unsubscribe.ts';

export async function rated(token: string, path: string, deps: UnsubscribeDeps): Promise<Page> {
  const claim = readRatingToken(await deps.secret(), token);
  const customer = await customerById(claim?.customerId, deps);
  if (!claim || !customer) return notFound(deps);
  if (customer === 'gone') return erasedCustomerPage(deps);
  await deps.apply(customer.id, answerOf(claim, deps));
  return html(200, thankYouPage(deps.brandName, claim, path));
}

export async function commented(token: string, body: string, deps: UnsubscribeDeps): Promise<Page> {
  const claim = readRatingToken(await deps.secret(), token);
  const customer = await customerById(claim?.customerId, deps);
  if (!claim || !customer) return notFound(deps);
  if (customer === 'gone') return erasedCustomerPage(deps);
  const comment = (new URLSearchParams(body).get('comment') ?? '').trim();
  if (comment.length > MAX_COMMENT_CHARS)
    return html(
      413,
      messagePage(
        deps.brandName,
        'Your comment is too long',
        `Please keep it under ${MAX_COMMENT_CHARS.toLocaleString('en')} characters: go back, shorten it and send it again.`,
      ),
    );
  await deps.apply(customer.id, {
    ...answerOf(claim, deps),
    confirmed: true,
    ...(comment ? { comment } : {}),
  });
  return html(
    200,
    messagePage(
      deps.brandName,
      'Thank you',
      comment ? 'Your answer and your words reached us.' : 'Your answer reached us.',
    ),
  );
}

function answerOf(claim: RatingClaim, deps: UnsubscribeDeps): FeedbackInput {
  return {
    kind: 'feedback',
    messageId: `rating#${deps.newId()}`,
    at: deps.now().toISOString(),
    campaignId: claim.campaignId,
    occurrence: claim.occurrence,
    question: claim.question,
    score: claim.score,
  };
}

function thankYouPage(brand: string, claim: RatingClaim, action: string) {
  const chosen =
    claim.question === 'reason'
      ? `You told us: ${REASONS[claim.score]?.label ?? 'another reason'}.`
      : `You gave us ${claim.score} out of ${QUESTIONS[claim.question].max}.`;
  const ask = claim.question === 'reason' ? 'Anything you would like to add?' : 'Would you tell us more?';
  return layout(
    brand,
    'Thank you',
    `<h1>Thank you for your answer</h1>
<p role="status">${escapeHtml(chosen)} If you clicked by mistake, click another answer in the email: the latest one counts.</p>
<form method="post" action="${escapeHtml(action)}">
  <label for="comment">${ask} (optional)</label>
  <textarea id="comment" name="comment" maxlength="${MAX_COMMENT_CHARS}"></textarea>
  <p class="hint">Up to ${MAX_COMMENT_CHARS.toLocaleString('en')} characters. A person reads every comment.</p>
  <button class="primary" type="submit">Send</button>
</form>`,
  );
}

/**
 * The journeys a shop has on day one, shipped as data in the format a marketer writes at
 * PUT /admin/journeys/{id}: the welcome series for subscribers who have not bought and the seven
 * lifecycle journeys and the service follow-up of a low rating (on), and examples (off until turned on).
 */
import abandonedCheckout from './journeys/abandoned-checkout.json' with { type: 'json' };
import birthday from './journeys/birthday.json' with { type: 'json' };
import browseAbandonment from './journeys/browse-abandonment.json' with { type: 'json' };
import farewell from './journeys/farewell.json' with { type: 'json' };
import feedbackRequest from './journeys/feedback-request.json' with { type: 'json' };
import loyaltyReward from './journeys/loyalty-reward.json' with { type: 'json' };
import promiseKept from './journeys/promise-kept.json' with { type: 'json' };
import reEngagement from './journeys/re-engagement.json' with { type: 'json' };
import reviewRequest from './journeys/review-request.json' with { type: 'json' };
import secondPurchaseNudge from './journeys/second-purchase-nudge.json' with { type: 'json' };
import serviceFollowUp from './journeys/service-follow-up.json' with { type: 'json' };
import welcomeKit from './journeys/welcome-kit.json' with { type: 'json' };
import welcomeSeries from './journeys/welcome-series.json' with { type: 'json' };
import winBack from './journeys/win-back.json' with { type: 'json' };

/** Raw, as the files hold them: validated when settings are read (a broken file fails every test). */
export const DEFAULT_JOURNEYS: Record<string, unknown> = {
  'welcome-series': welcomeSeries,
  'welcome-kit': welcomeKit,
  'second-purchase-nudge': secondPurchaseNudge,
  'loyalty-reward': loyaltyReward,
  'feedback-request': feedbackRequest,
  'service-follow-up': serviceFollowUp,
  're-engagement': reEngagement,
  'win-back': winBack,
  farewell,
  'abandoned-checkout': abandonedCheckout,
  'browse-abandonment': browseAbandonment,
  'review-request': reviewRequest,
  birthday,
  'promise-kept': promiseKept,
};

/** The lifecycle table as a page: each campaign's switch, numbers, holdout and mode, saved one by one. */
import { useEffect, useState } from 'preact/hooks';
import type { CampaignId, CampaignSettings } from '../../../shared/domain/rules.ts';
import { ApiError, api, type Problem, problemFor } from '../api.ts';
import { Checkbox, Loading, messageOf, Select, Status, TextField, useLoad } from '../components.tsx';
import { label } from '../format.ts';

type Campaign = CampaignSettings & { id: CampaignId };

const TRIGGERS: Record<CampaignId, string> = {
  'welcome-kit': 'The first order: a welcome, with an offer for the second.',
  'second-purchase-nudge': 'No second order some time after the first.',
  'loyalty-reward': 'A customer reaches an order count.',
  'feedback-request': 'A refund: we ask what went wrong (service email).',
  're-engagement': 'A regular visitor who never ordered stops coming.',
  'win-back': 'A customer goes quiet (moves to deterioration).',
  farewell: 'No order after the win-back: a graceful goodbye (termination).',
};

const NUMBERS: Record<string, { label: string; help?: string; step?: string }> = {
  afterDays: { label: 'After (days)' },
  orderCount: { label: 'At order number' },
  minVisitDays: { label: 'Visit days before it counts as regular' },
  minQuietDays: { label: 'Quiet days at least' },
  gapMultiplier: { label: 'Quiet for this many usual gaps', step: '0.5' },
  conversionWindowDays: {
    label: 'Conversion window (days)',
    help: 'An order this soon after the email counts as its result.',
  },
  holdoutPercent: {
    label: 'Holdout (% of customers)',
    help: 'This share is not sent the email, so its effect can be measured (0 to 50).',
  },
  aliveThreshold: {
    label: 'Win back when P(alive) falls below',
    help: 'Between 0 and 1; used in predictive mode.',
    step: '0.05',
  },
};

export function Campaigns() {
  const campaigns = useLoad(() => api<{ campaigns: Campaign[] }>('/admin/campaigns'), []);
  const templates = useLoad(
    () => api<{ templates: { name: string; published: number | null }[] }>('/admin/templates'),
    [],
  );
  return (
    <>
      <h1>Campaigns</h1>
      <p class="lead">
        The lifecycle table: what sends each email and when. Changes apply to the next decision, and timers
        already set follow within a day.
      </p>
      <Loading state={campaigns}>
        {(data) => (
          <>
            <div class="card table-scroll">
              <table>
                <caption>The lifecycle table</caption>
                <thead>
                  <tr>
                    <th scope="col">Campaign</th>
                    <th scope="col">Sends when</th>
                    <th scope="col">Timing</th>
                    <th scope="col">Holdout</th>
                    <th scope="col">On</th>
                  </tr>
                </thead>
                <tbody>
                  {data.campaigns.map((campaign) => (
                    <tr key={campaign.id}>
                      <th scope="row">{label(campaign.id)}</th>
                      <td>{TRIGGERS[campaign.id]}</td>
                      <td>{timing(campaign)}</td>
                      <td>{campaign.holdoutPercent}%</td>
                      <td>{campaign.enabled ? 'yes' : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="campaigns">
              {data.campaigns.map((campaign) => (
                <CampaignForm
                  key={campaign.id}
                  campaign={campaign}
                  templates={(templates.data?.templates ?? [])
                    .filter((t) => t.published !== null)
                    .map((t) => t.name)}
                />
              ))}
            </div>
          </>
        )}
      </Loading>
    </>
  );
}

function timing(campaign: Campaign): string {
  const settings = campaign as Record<string, unknown>;
  if (settings.mode === 'predictive')
    return campaign.id === 'win-back'
      ? `predictive: P(alive) below ${settings.aliveThreshold}`
      : 'predictive: the usual time between orders';
  if (typeof settings.afterDays === 'number') return `after ${settings.afterDays} days`;
  if (typeof settings.orderCount === 'number') return `at order ${settings.orderCount}`;
  if (typeof settings.minQuietDays === 'number')
    return `quiet ${settings.gapMultiplier}× the usual gap, at least ${settings.minQuietDays} days`;
  return 'at once';
}

function CampaignForm({ campaign, templates }: { campaign: Campaign; templates: string[] }) {
  const [draft, setDraft] = useState<Record<string, unknown>>(campaign);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  useEffect(() => setDraft(campaign), [campaign]);
  const id = campaign.id;
  const set = (field: string, value: unknown) => setDraft((current) => ({ ...current, [field]: value }));
  const offer = draft.offer as { enabled: boolean; description: string; prefix: string } | undefined;
  const setOffer = (field: string, value: unknown) => set('offer', { ...offer, [field]: value });

  const save = async (event: Event) => {
    event.preventDefault();
    const { id: _id, ...body } = draft;
    try {
      const saved = await api<Campaign>(`/admin/campaigns/${id}`, { method: 'PUT', body });
      setDraft(saved);
      setProblems([]);
      setStatus({ message: `${label(id)} saved.`, tone: 'info' });
    } catch (error) {
      setProblems(error instanceof ApiError ? error.problems : []);
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };

  const fieldId = (field: string) => `${id}-${field}`;
  return (
    <form class="card campaign" onSubmit={save} aria-labelledby={`${id}-title`} noValidate>
      <h2 id={`${id}-title`}>{label(id)}</h2>
      <p class="help">{TRIGGERS[id]}</p>
      <Checkbox
        id={fieldId('enabled')}
        label="Enabled"
        checked={draft.enabled === true}
        onChange={(value) => set('enabled', value)}
        error={problemFor(problems, 'enabled')}
      />
      <div class="fields">
        <Select
          id={fieldId('template')}
          label="Template"
          value={String(draft.template)}
          options={[...new Set([String(draft.template), ...templates])].map((name) => ({
            value: name,
            label: name,
          }))}
          onChange={(value) => set('template', value)}
          error={problemFor(problems, 'template')}
        />
        <Select
          id={fieldId('category')}
          label="Kind of email"
          value={String(draft.category)}
          options={[
            { value: 'marketing', label: 'Marketing (caps, quiet hours, opt-outs)' },
            { value: 'service', label: 'Service (always sent)' },
          ]}
          onChange={(value) => set('category', value)}
          error={problemFor(problems, 'category')}
        />
        {'mode' in draft ? (
          <Select
            id={fieldId('mode')}
            label="Timing"
            value={String(draft.mode)}
            options={[
              { value: 'fixed', label: 'Fixed delay' },
              { value: 'predictive', label: 'Predictive (from the fitted model)' },
            ]}
            onChange={(value) => set('mode', value)}
            error={problemFor(problems, 'mode')}
            help="Predictive mode waits for a trusted model; until then the fixed delay applies."
          />
        ) : null}
        {Object.entries(NUMBERS)
          .filter(([field]) => field in draft)
          .map(([field, meta]) => (
            <TextField
              key={field}
              id={fieldId(field)}
              label={meta.label}
              type="number"
              step={meta.step ?? '1'}
              value={draft[field] as number}
              onInput={(value) =>
                set(field, value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value)
              }
              error={problemFor(problems, field)}
              {...(meta.help ? { help: meta.help } : {})}
            />
          ))}
      </div>
      {offer ? (
        <fieldset>
          <legend>Offer</legend>
          <Checkbox
            id={fieldId('offer-enabled')}
            label="Include an offer code"
            checked={offer.enabled}
            onChange={(value) => setOffer('enabled', value)}
          />
          <div class="fields">
            <TextField
              id={fieldId('offer-description')}
              label="Offer"
              value={offer.description}
              onInput={(value) => setOffer('description', value)}
              error={problemFor(problems, 'offer.description')}
            />
            <TextField
              id={fieldId('offer-prefix')}
              label="Code prefix"
              value={offer.prefix}
              onInput={(value) => setOffer('prefix', value)}
              error={problemFor(problems, 'offer.prefix')}
            />
          </div>
        </fieldset>
      ) : null}
      <div class="actions">
        <button type="submit">Save {label(id)}</button>
        <Status message={status.message} tone={status.tone} />
      </div>
    </form>
  );
}

/** Campaign settings and the contact policy, as marketers change them: validated, then stored. */
import {
  CAMPAIGN_IDS,
  type CampaignId,
  type EngineSettings,
  isCampaignId,
} from '../../shared/domain/campaigns.ts';
import { updatedCampaign, updatedPolicy } from '../../shared/domain/settings.ts';
import { defaultTemplate } from '../../shared/domain/templates/default-pack.ts';
import type { SettingsStore, TemplateStore } from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface CampaignDeps {
  settings: () => Promise<EngineSettings>;
  store: SettingsStore;
  templates: TemplateStore;
  now: () => Date;
}

export async function listCampaigns(deps: CampaignDeps): Promise<Answer> {
  const settings = await deps.settings();
  return { status: 200, body: { campaigns: CAMPAIGN_IDS.map((id) => ({ id, ...settings.campaigns[id] })) } };
}

export async function getCampaign(id: string, deps: CampaignDeps): Promise<Answer> {
  if (!isCampaignId(id)) return unknownCampaign(id);
  return { status: 200, body: { id, ...(await deps.settings()).campaigns[id] } };
}

/** A partial update: what is given replaces, the rest stays; the whole is validated before it is stored. */
export async function updateCampaign(id: string, patch: unknown, deps: CampaignDeps): Promise<Answer> {
  if (!isCampaignId(id)) return unknownCampaign(id);
  const settings = await deps.settings();
  const { id: _ignored, ...changes } = (patch && typeof patch === 'object' ? patch : {}) as Record<
    string,
    unknown
  >;
  const result = updatedCampaign(id as CampaignId, settings.campaigns[id], changes);
  if (!result.ok) return invalid(result.problems);
  const template = result.value.template;
  if (!defaultTemplate(template) && !(await deps.templates.summary(template))?.published) {
    return invalid([{ field: 'template', message: `no published template named ${template}` }]);
  }
  await deps.store.saveCampaign(id, result.value, deps.now().toISOString());
  return { status: 200, body: { id, ...result.value } };
}

export async function getPolicy(deps: CampaignDeps): Promise<Answer> {
  return { status: 200, body: (await deps.settings()).policy };
}

export async function updatePolicy(patch: unknown, deps: CampaignDeps): Promise<Answer> {
  const result = updatedPolicy((await deps.settings()).policy, patch);
  if (!result.ok) return invalid(result.problems);
  await deps.store.savePolicy(result.value, deps.now().toISOString());
  return { status: 200, body: result.value };
}

function unknownCampaign(id: string): Answer {
  return {
    status: 404,
    body: { success: false, error: `no campaign ${id}: campaigns are ${CAMPAIGN_IDS.join(', ')}` },
  };
}

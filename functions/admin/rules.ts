/** The engine's rules that are not journeys, as marketers change them: the stage rules and the contact policy. */
import { impressionPolicyOf } from '../../shared/domain/impressions.ts';
import { broadcastPolicyOf, type ContactPolicy, type EngineSettings } from '../../shared/domain/rules.ts';
import { updatedLifecycle, updatedPolicy } from '../../shared/domain/settings.ts';
import type { JobReason, JobState, SettingsStore } from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface RulesDeps {
  settings: () => Promise<EngineSettings>;
  store: SettingsStore;
  /** Every customer's stage timers follow the rules: a change re-evaluates the base. */
  startJob: (reason: JobReason) => Promise<JobState>;
  now: () => Date;
}

export async function getLifecycle(deps: RulesDeps): Promise<Answer> {
  return { status: 200, body: (await deps.settings()).lifecycle };
}

/** A partial update: what is given replaces, the rest stays; the whole is validated before it is stored. */
export async function updateLifecycle(patch: unknown, deps: RulesDeps): Promise<Answer> {
  const result = updatedLifecycle((await deps.settings()).lifecycle, patch);
  if (!result.ok) return invalid(result.problems);
  const at = deps.now().toISOString();
  await deps.store.saveLifecycle(result.value, at);
  await deps.startJob({ kind: 'rules-changed', at });
  return { status: 200, body: result.value };
}

export async function getPolicy(deps: RulesDeps): Promise<Answer> {
  const { policy } = await deps.settings();
  // The broadcasts' defaults shown as they apply, also when nobody changed them.
  return { status: 200, body: shownPolicy(policy) };
}

/** The policy with the defaults that apply where nobody changed them (broadcasts, impressions). */
function shownPolicy(policy: ContactPolicy) {
  return { ...policy, broadcasts: broadcastPolicyOf(policy), impressions: impressionPolicyOf(policy) };
}

export async function updatePolicy(patch: unknown, deps: RulesDeps): Promise<Answer> {
  const result = updatedPolicy((await deps.settings()).policy, patch);
  if (!result.ok) return invalid(result.problems);
  await deps.store.savePolicy(result.value, deps.now().toISOString());
  return { status: 200, body: shownPolicy(result.value) };
}

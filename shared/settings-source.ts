/** Loads the engine's settings for each decision: stored overrides on the defaults, and the offer secret. */
import type { EngineSettings } from './domain/rules.ts';
import { engineSettings } from './domain/settings.ts';
import type { SettingsStore } from './ports.ts';

export function settingsSource(store: SettingsStore, offerSecret: () => Promise<string>) {
  return async (): Promise<EngineSettings> => engineSettings(await store.load(), await offerSecret());
}

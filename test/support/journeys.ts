/** Test helpers for journeys: settings with one journey changed, as a marketer's published version would. */
import type { JourneyDefinition } from '../../shared/domain/journeys.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';

/** The settings with journey `id` replaced by `change(it)` (the same version, so customers inside follow it). */
export function withJourney(
  settings: EngineSettings,
  id: string,
  change: (journey: JourneyDefinition) => JourneyDefinition,
): EngineSettings {
  const current = settings.journeys.published.find((journey) => journey.id === id);
  if (!current) throw new Error(`no journey ${id}`);
  const changed = change(structuredClone(current));
  const versions = new Map(settings.journeys.versions);
  versions.set(`${id}@${changed.version}`, changed);
  return {
    ...settings,
    journeys: {
      published: settings.journeys.published.map((journey) => (journey.id === id ? changed : journey)),
      versions,
    },
  };
}

/**
 * The journeys the engine runs: the built-in ones (data files) unless a marketer published their
 * own version, and the marketers' own. For each, the published version, and the versions before
 * it that customers inside may still be on (they finish on the version they entered).
 */
import { DEFAULT_JOURNEYS } from './defaults/journeys.ts';
import { type JourneyDefinition, parseJourney } from './journeys.ts';

/** How many published versions before the current one are kept for the customers inside them. */
export const KEPT_VERSIONS = 3;

/** What the settings item keeps of a journey: its published versions (the newest current). */
export interface StoredJourney {
  id: string;
  /** The published version, and up to KEPT_VERSIONS before it, by version number (a built-in's own is 0, not stored). */
  versions: Record<string, JourneyDefinition>;
  published: number;
  /** Turned on or off after publishing (no new version); absent: as the published version says. */
  enabled?: boolean;
  /** A journey the marketer deleted. */
  deleted?: boolean;
  updatedAt: string;
}

export interface CompiledJourneys {
  /** The current version of every journey, in id order (disabled ones too: customers inside may finish). */
  published: JourneyDefinition[];
  /** Every version a customer may be on, by `<id>@<version>`. */
  versions: Map<string, JourneyDefinition>;
}

export const BUILT_IN_JOURNEYS: JourneyDefinition[] = Object.entries(DEFAULT_JOURNEYS).map(([id, raw]) => {
  const parsed = parseJourney(raw);
  if (!parsed.ok) throw new Error(`built-in journey ${id}: ${JSON.stringify(parsed.problems)}`);
  return { id, ...parsed.value, version: 0, updatedAt: '1970-01-01T00:00:00.000Z', builtIn: true };
});

export function builtInJourney(id: string): JourneyDefinition | undefined {
  return BUILT_IN_JOURNEYS.find((journey) => journey.id === id);
}

/** The published definition of a stored journey, with its on/off switch applied. */
export function currentOf(record: StoredJourney): JourneyDefinition | undefined {
  const definition =
    record.versions[String(record.published)] ??
    (record.published === 0 ? builtInJourney(record.id) : undefined);
  if (!definition) return undefined;
  return record.enabled === undefined ? definition : { ...definition, enabled: record.enabled };
}

export function compileJourneys(stored: Record<string, StoredJourney> = {}): CompiledJourneys {
  const versions = new Map<string, JourneyDefinition>();
  const published: JourneyDefinition[] = [];
  for (const journey of BUILT_IN_JOURNEYS) {
    // A built-in version stays for the customers who entered it before a marketer's version.
    versions.set(`${journey.id}@0`, journey);
    if (!stored[journey.id]) published.push(journey);
  }
  for (const record of Object.values(stored)) {
    for (const definition of Object.values(record.versions))
      versions.set(`${record.id}@${definition.version}`, definition);
    const current = currentOf(record);
    if (current && !record.deleted) published.push(current);
  }
  return { published: published.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), versions };
}

/** The record after publishing `definition`: it becomes current, the versions before it are kept for a while. */
export function withPublished(
  record: StoredJourney | undefined,
  definition: JourneyDefinition,
  at: string,
): StoredJourney {
  const kept = Object.values(record?.versions ?? {})
    .filter((version) => version.version !== definition.version)
    .sort((a, b) => b.version - a.version)
    .slice(0, KEPT_VERSIONS);
  return {
    id: definition.id,
    versions: Object.fromEntries([definition, ...kept].map((version) => [String(version.version), version])),
    published: definition.version,
    updatedAt: at,
  };
}

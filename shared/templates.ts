/**
 * Which template content a campaign sends: the published version of the stored template, or,
 * for a name of the default pack with nothing published, the built-in default (version 0).
 */
import { defaultTemplate } from './domain/defaults/templates.ts';
import type { TemplateDefinition } from './domain/templates.ts';
import type { TemplateStore } from './ports.ts';

export interface ResolvedTemplate {
  definition: TemplateDefinition;
  version: number;
  source: 'stored' | 'built-in';
}

export async function resolveTemplate(
  store: TemplateStore,
  name: string,
  version?: number,
): Promise<ResolvedTemplate | undefined> {
  if (version === 0) {
    const builtIn = defaultTemplate(name);
    return builtIn ? { definition: builtIn, version: 0, source: 'built-in' } : undefined;
  }
  const wanted = version ?? (await store.summary(name))?.published;
  if (wanted !== undefined) {
    const stored = await store.get(name, wanted);
    if (stored) return { definition: stored, version: stored.version, source: 'stored' };
    if (version !== undefined) return undefined;
  }
  const builtIn = defaultTemplate(name);
  return builtIn ? { definition: builtIn, version: 0, source: 'built-in' } : undefined;
}

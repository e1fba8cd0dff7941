/**
 * Sources in the admin API: create one (its write key, or the webhook URL to paste into the shop
 * platform, answered once), list them with today's numbers, revoke, rotate (the old key or secret
 * keeps working for the grace the marketer sets). Keys are kept as digests, platform secrets sealed.
 */
import { randomBytes } from 'node:crypto';
import { issuesAt } from '../../shared/domain/journeys.ts';
import {
  activeCredentials,
  type Credential,
  DEFAULT_SOURCE_ID,
  defaultSource,
  isPlatform,
  parseNewSource,
  rotated,
  rotationSchema,
  type Source,
  sourceIdFor,
  webhookUrlOf,
} from '../../shared/domain/sources.ts';
import { sealSecret } from '../../shared/domain/webhooks.ts';
import type { SourceStore } from '../../shared/ports.ts';
import { sha256 } from '../../shared/security.ts';
import { type Answer, invalid } from './http.ts';

export interface SourceDeps {
  sources: SourceStore;
  /** The write key the product was installed with (the `default` source until it is changed). */
  writeKeyDigests: () => Promise<readonly Buffer[]>;
  /** The key platform signing secrets are sealed with. */
  masterKey: () => Promise<string>;
  /** The API's public address, for the webhook URLs. */
  publicUrl: string;
  newId: () => string;
  now: () => Date;
}

const DAY_MS = 86_400_000;
/** How far back "last event seen" looks. */
const SEEN_DAYS = 7;

/** A new write key: what a site puts in its Segment library's settings. */
const newWriteKey = () => `wk_${randomBytes(24).toString('base64url')}`;
const digestOf = (key: string) => sha256(key).toString('hex');

async function everySource(deps: SourceDeps): Promise<Source[]> {
  const stored = await deps.sources.list();
  if (stored.some((source) => source.id === DEFAULT_SOURCE_ID)) return stored;
  return [defaultSource(await deps.writeKeyDigests(), '1970-01-01T00:00:00.000Z'), ...stored];
}

async function sourceById(id: string, deps: SourceDeps): Promise<Source | undefined> {
  return (await everySource(deps)).find((source) => source.id === id);
}

/** What the API shows of a source: never a digest or a sealed secret. */
async function view(source: Source, deps: SourceDeps) {
  const now = deps.now();
  const days = Array.from({ length: SEEN_DAYS }, (_, index) =>
    new Date(now.getTime() - index * DAY_MS).toISOString().slice(0, 10),
  );
  const stats = await Promise.all(days.map((day) => deps.sources.stats(source.id, day)));
  const today = stats[0];
  const active = activeCredentials(source, now.toISOString());
  return {
    id: source.id,
    kind: source.kind,
    name: source.name,
    createdAt: source.createdAt,
    status: source.revokedAt ? 'revoked' : 'active',
    ...(source.revokedAt ? { revokedAt: source.revokedAt } : {}),
    ...(source.orderOn ? { orderOn: source.orderOn } : {}),
    ...(isPlatform(source.kind)
      ? {
          webhookUrl: webhookUrlOf(deps.publicUrl, source),
          signingSecret: active.length > 0 ? 'set' : 'missing',
        }
      : {}),
    credentials: source.credentials.map((credential) => ({
      createdAt: credential.createdAt,
      ...(credential.retiresAt ? { retiresAt: credential.retiresAt } : {}),
      active: active.includes(credential),
    })),
    lastEventAt: stats.find((day) => day)?.lastEventAt ?? null,
    today: {
      accepted: today?.accepted ?? 0,
      rejected: today?.rejected ?? 0,
      ignored: today?.ignored ?? 0,
      latestRejections: today?.latestRejections ?? [],
    },
  };
}

export async function listSources(deps: SourceDeps): Promise<Answer> {
  const sources = await everySource(deps);
  return { status: 200, body: { sources: await Promise.all(sources.map((source) => view(source, deps))) } };
}

export async function getSource(id: string, deps: SourceDeps): Promise<Answer> {
  const source = await sourceById(id, deps);
  if (!source) return notFound(id);
  return { status: 200, body: await view(source, deps) };
}

/** Creates a source; its write key (or its webhook URL and what to do with the secret) answered once. */
export async function createSource(input: unknown, deps: SourceDeps): Promise<Answer> {
  const parsed = parseNewSource(input);
  if (!parsed.ok) return invalid(parsed.problems);
  const now = deps.now().toISOString();
  const { kind, name, orderOn, signingSecret } = parsed.value;
  const writeKey = kind === 'segment' ? newWriteKey() : undefined;
  const credentials: Credential[] = writeKey
    ? [{ digest: digestOf(writeKey), createdAt: now }]
    : signingSecret
      ? [{ sealed: sealSecret(await deps.masterKey(), signingSecret), createdAt: now }]
      : [];
  const source: Source = {
    id: sourceIdFor(name, deps.newId()),
    kind,
    name,
    createdAt: now,
    credentials,
    ...(isPlatform(kind) ? { orderOn: orderOn ?? 'paid' } : {}),
  };
  await deps.sources.put(source);
  return {
    status: 201,
    body: {
      ...(await view(source, deps)),
      // Shown this once: only its digest is kept.
      ...(writeKey ? { writeKey } : {}),
      ...(isPlatform(kind)
        ? {
            setup: signingSecret
              ? `Paste ${webhookUrlOf(deps.publicUrl, source)} into ${kind}'s webhook settings.`
              : `Paste ${webhookUrlOf(deps.publicUrl, source)} into ${kind}'s webhook settings, then send the signing secret ${kind} shows you: POST /admin/sources/${source.id}/rotate {"graceHours": 0, "signingSecret": "..."}.`,
          }
        : {}),
    },
  };
}

/** A new key (Segment) or signing secret (platforms); the old ones work for `graceHours` more. */
export async function rotateSource(id: string, input: unknown, deps: SourceDeps): Promise<Answer> {
  const source = await sourceById(id, deps);
  if (!source) return notFound(id);
  if (source.revokedAt) return { status: 409, body: { success: false, error: `source ${id} is revoked` } };
  const parsed = rotationSchema.safeParse(input ?? {});
  if (!parsed.success) return invalid(issuesAt('', parsed.error.issues));
  const now = deps.now().toISOString();
  const platform = isPlatform(source.kind);
  if (platform && !parsed.data.signingSecret)
    return invalid([
      { field: 'signingSecret', message: `must be the new signing secret ${source.kind} shows you` },
    ]);
  if (!platform && parsed.data.signingSecret)
    return invalid([
      { field: 'signingSecret', message: 'is for shop platforms: a Segment source gets a new write key' },
    ]);
  const writeKey = platform ? undefined : newWriteKey();
  const fresh: Credential = writeKey
    ? { digest: digestOf(writeKey), createdAt: now }
    : { sealed: sealSecret(await deps.masterKey(), parsed.data.signingSecret ?? ''), createdAt: now };
  const next = rotated(source, fresh, now, parsed.data.graceHours);
  await deps.sources.put(next);
  return { status: 200, body: { ...(await view(next, deps)), ...(writeKey ? { writeKey } : {}) } };
}

export async function revokeSource(id: string, deps: SourceDeps): Promise<Answer> {
  const source = await sourceById(id, deps);
  if (!source) return notFound(id);
  const revoked = { ...source, revokedAt: source.revokedAt ?? deps.now().toISOString() };
  await deps.sources.put(revoked);
  return { status: 200, body: await view(revoked, deps) };
}

function notFound(id: string): Answer {
  return { status: 404, body: { success: false, error: `no source named ${id}` } };
}

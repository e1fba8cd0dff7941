/**
 * Sources: where events come from. A website or server posting Segment calls (its own write key),
 * or a shop platform posting its webhooks (Shopify, WooCommerce, Stripe, verified with the
 * platform's signing secret). Every source's keys are held only as digests, its signing secrets
 * only sealed; a rotated key keeps working for the grace the marketer chose, then stops; a revoked
 * source stops at once. The write key the product was installed with is the source `default`.
 */
import { timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { sha256 } from '../security.ts';
import { DEFINITION_ID, type Problem } from './conditions.ts';
import { issuesAt } from './journeys.ts';

export const SOURCE_KINDS = ['segment', 'shopify', 'woocommerce', 'stripe'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
export const PLATFORM_KINDS = ['shopify', 'woocommerce', 'stripe'] as const;
export type PlatformKind = (typeof PLATFORM_KINDS)[number];
export const isPlatform = (kind: SourceKind): kind is PlatformKind => kind !== 'segment';

/** The source the product's configured write key belongs to. */
export const DEFAULT_SOURCE_ID = 'default';

/** A credential: a write key's SHA-256 digest (hex), or a platform secret sealed. */
export interface Credential {
  /** `digest` for write keys, `sealed` for platform signing secrets (verifying needs the secret). */
  digest?: string;
  sealed?: string;
  createdAt: string;
  /** After a rotation: it stops working then. */
  retiresAt?: string;
}

export interface Source {
  id: string;
  kind: SourceKind;
  name: string;
  createdAt: string;
  revokedAt?: string;
  credentials: Credential[];
  /** Platforms: whether an order counts when created or when paid. */
  orderOn?: 'created' | 'paid';
}

export const newSourceSchema = z.strictObject({
  kind: z.enum(SOURCE_KINDS, { error: () => `must be one of ${SOURCE_KINDS.join(', ')}` }),
  name: z.string().trim().min(1, 'must name the source').max(100),
  /** Platforms: when an order counts (default: when paid). */
  orderOn: z.enum(['created', 'paid']).optional(),
  /** Platforms: the signing secret, if the marketer has it at hand (else set it later). */
  signingSecret: z.string().trim().min(8, 'must be the platform’s signing secret').max(500).optional(),
});
export type NewSource = z.infer<typeof newSourceSchema>;

export const rotationSchema = z.strictObject({
  /** How long the old key (or secret) keeps working, in hours: 0 stops it at once. */
  graceHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 30),
  /** Platforms: the new signing secret (the platform makes it; the marketer pastes it here). */
  signingSecret: z.string().trim().min(8).max(500).optional(),
});

export function parseNewSource(
  input: unknown,
): { ok: true; value: NewSource } | { ok: false; problems: Problem[] } {
  const parsed = newSourceSchema.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, problems: issuesAt('', parsed.error.issues) };
  if (parsed.data.kind === 'segment' && (parsed.data.signingSecret || parsed.data.orderOn))
    return {
      ok: false,
      problems: [
        {
          field: parsed.data.signingSecret ? 'signingSecret' : 'orderOn',
          message: 'is for shop platforms, not a Segment source',
        },
      ],
    };
  return { ok: true, value: parsed.data };
}

/** A source id from its name: `shopify-main-street-3fa9`. */
export function sourceIdFor(name: string, random: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const id = `${slug || 'source'}-${random}`;
  return DEFINITION_ID.test(id) ? id : `source-${random}`;
}

/** The credentials that work at `now`: none for a revoked source, none retired. */
export function activeCredentials(source: Source, now: string): Credential[] {
  if (source.revokedAt && source.revokedAt <= now) return [];
  return source.credentials.filter((credential) => !credential.retiresAt || credential.retiresAt > now);
}

/** After a rotation: every current credential retires after the grace, and the new one joins. */
export function rotated(source: Source, fresh: Credential, now: string, graceHours: number): Source {
  const retiresAt = new Date(Date.parse(now) + graceHours * 3_600_000).toISOString();
  return {
    ...source,
    credentials: [
      ...activeCredentials(source, now).map((credential) => ({
        ...credential,
        retiresAt:
          credential.retiresAt && credential.retiresAt < retiresAt ? credential.retiresAt : retiresAt,
      })),
      fresh,
    ],
  };
}

/** Where a platform posts: the URL to paste into its webhook settings. */
export function webhookUrlOf(baseUrl: string, source: Pick<Source, 'id' | 'kind'>): string | undefined {
  return isPlatform(source.kind) ? `${baseUrl}/webhooks/${source.kind}/${source.id}` : undefined;
}

/** What an event says about where it came from (`context.source`), and the timeline shows. */
export interface SourceTag {
  id: string;
  kind: SourceKind;
  name: string;
}

/**
 * The source a write key belongs to, or undefined. Every active digest of every Segment source is
 * compared, in constant time and with no early exit. Until the marketer changes the `default`
 * source (rotates or revokes it), the configured write key is its key.
 */
export function sourceOfKey(
  key: string | undefined,
  sources: readonly Source[],
  configured: readonly Buffer[],
  now: string,
): SourceTag | undefined {
  if (!key) return undefined;
  const candidate = sha256(key);
  const stored = sources.some((source) => source.id === DEFAULT_SOURCE_ID);
  const keyed: [SourceTag, Buffer][] = [
    ...(stored ? [] : configured.map((digest): [SourceTag, Buffer] => [defaultTag, digest])),
    ...sources
      .filter((source) => source.kind === 'segment')
      .flatMap((source) =>
        activeCredentials(source, now).flatMap((credential): [SourceTag, Buffer][] =>
          credential.digest
            ? [
                [
                  { id: source.id, kind: source.kind, name: source.name },
                  Buffer.from(credential.digest, 'hex'),
                ],
              ]
            : [],
        ),
      ),
  ];
  let found: SourceTag | undefined;
  for (const [tag, digest] of keyed) {
    const same = digest.length === candidate.length && timingSafeEqual(digest, candidate);
    if (same && !found) found = tag;
  }
  return found;
}

const defaultTag: SourceTag = {
  id: DEFAULT_SOURCE_ID,
  kind: 'segment',
  name: 'Website (the installed write key)',
};

/** The `default` source as it stands before anyone changed it: the configured write key. */
export function defaultSource(configured: readonly Buffer[], createdAt: string): Source {
  return {
    id: DEFAULT_SOURCE_ID,
    kind: 'segment',
    name: defaultTag.name,
    createdAt,
    credentials: configured.map((digest) => ({ digest: digest.toString('hex'), createdAt })),
  };
}

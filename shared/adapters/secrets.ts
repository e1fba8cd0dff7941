import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretSource } from '../config.ts';
import { sha256 } from '../security.ts';

let client: SecretsManagerClient | undefined;

/** Reads a secret's string value: given directly (local stack) or from Secrets Manager. */
export async function readSecret(source: { value: string } | { secretId: string }): Promise<string> {
  if ('value' in source) return source.value;
  client ??= new SecretsManagerClient({});
  const result = await client.send(new GetSecretValueCommand({ SecretId: source.secretId }));
  if (!result.SecretString) throw new Error(`secret ${source.secretId} has no string value`);
  return result.SecretString;
}

/**
 * The digests of a secret, read once per cold start on first use. Only the SHA-256 digest stays
 * in memory; callers compare candidates against it in constant time.
 */
export function secretDigests(value: string | undefined, secretId: string | undefined, name: string) {
  const source = secretSource(value, secretId, name);
  let digests: Promise<Buffer[]> | undefined;
  return () => {
    digests ??= readSecret(source).then((secret) => [sha256(secret)]);
    return digests;
  };
}

/** A secret's value, read once per cold start on first use (for secrets used as keys, not compared). */
export function secretValue(value: string | undefined, secretId: string | undefined, name: string) {
  const source = secretSource(value, secretId, name);
  let secret: Promise<string> | undefined;
  return () => {
    secret ??= readSecret(source);
    return secret;
  };
}

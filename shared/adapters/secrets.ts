import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

/** Reads a secret's string value once per cold start; callers keep only its digest. */
export async function readSecret(source: { value: string } | { secretId: string }): Promise<string> {
  if ('value' in source) return source.value;
  client ??= new SecretsManagerClient({});
  const result = await client.send(new GetSecretValueCommand({ SecretId: source.secretId }));
  if (!result.SecretString) throw new Error(`secret ${source.secretId} has no string value`);
  return result.SecretString;
}

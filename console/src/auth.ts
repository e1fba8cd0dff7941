/**
 * Signing in. Locally the console asks for the admin token; in AWS it signs in through Amazon
 * Cognito's hosted page (authorization code with PKCE) and sends the access token. Either way the
 * token lives in this tab's session storage only.
 */

export type AuthConfig =
  | { kind: 'token' }
  | { kind: 'cognito'; domain: string; clientId: string; redirectUri: string };

export interface ConsoleConfig {
  auth: AuthConfig;
}

const TOKEN = 'lifecycle-console.token';
const VERIFIER = 'lifecycle-console.pkce-verifier';
const STATE = 'lifecycle-console.pkce-state';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN) ?? undefined;
}

export function saveToken(token: string) {
  sessionStorage.setItem(TOKEN, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN);
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function startCognitoSignIn(config: Extract<AuthConfig, { kind: 'cognito' }>) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  });
  location.assign(`${config.domain}/oauth2/authorize?${query}`);
}

/** Back from the hosted page with `?code=`: trades it for tokens. False when this is no such return. */
export async function completeCognitoSignIn(
  config: Extract<AuthConfig, { kind: 'cognito' }>,
): Promise<boolean> {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  if (!code) return false;
  const expected = sessionStorage.getItem(STATE);
  const verifier = sessionStorage.getItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  history.replaceState(null, '', location.pathname + location.hash);
  if (!expected || query.get('state') !== expected || !verifier)
    throw new Error('The sign-in could not be verified: try again.');
  const response = await fetch(`${config.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code,
      redirect_uri: config.redirectUri,
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error('The sign-in service did not accept the sign-in: try again.');
  const tokens = (await response.json()) as { access_token?: string };
  if (!tokens.access_token) throw new Error('The sign-in service gave no token.');
  saveToken(tokens.access_token);
  return true;
}

export function cognitoSignOut(config: Extract<AuthConfig, { kind: 'cognito' }>) {
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri });
  location.assign(`${config.domain}/logout?${query}`);
}

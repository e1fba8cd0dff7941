/** Entry: reads the installation's configuration (how to sign in), then starts the app. */
import { render } from 'preact';
import { App } from './app.tsx';
import type { ConsoleConfig } from './auth.ts';

async function start() {
  const root = document.getElementById('app');
  if (!root) return;
  const response = await fetch('./config.json');
  const config: ConsoleConfig = response.ok ? await response.json() : { auth: { kind: 'token' } };
  render(<App config={config} />, root);
}

void start();

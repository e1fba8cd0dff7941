/**
 * The web console as static files: `console/src` bundled with esbuild (minified, offline), beside
 * its index.html and stylesheet. The local stack serves them from memory; the CDK app writes
 * them to a folder that becomes the S3 asset behind CloudFront.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, buildSync } from 'esbuild';

const CONSOLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'console');

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** The console's own configuration (how to sign in), served beside it as `config.json`. */
export type ConsoleConfig =
  | { auth: { kind: 'token' } }
  | { auth: { kind: 'cognito'; domain: string; clientId: string; redirectUri: string } };

/**
 * What the browser may do on console pages: only our own script, our API and the sign-in service;
 * the email preview (a sandboxed srcdoc frame) may use inline styles and remote images, as email does.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self' https://*.amazoncognito.com",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

const options: BuildOptions = {
  entryPoints: [join(CONSOLE, 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  write: false,
  outfile: 'app.js',
  logLevel: 'silent',
};

function withPages(script: Uint8Array): Map<string, StaticFile> {
  return new Map([
    [
      'index.html',
      { body: readFileSync(join(CONSOLE, 'index.html')), contentType: 'text/html; charset=utf-8' },
    ],
    [
      'styles.css',
      { body: readFileSync(join(CONSOLE, 'styles.css')), contentType: 'text/css; charset=utf-8' },
    ],
    ['app.js', { body: Buffer.from(script), contentType: 'text/javascript; charset=utf-8' }],
  ]);
}

/** The console's files, by name (`index.html`, `app.js`, `styles.css`). */
export async function consoleFiles(): Promise<Map<string, StaticFile>> {
  const result = await build(options);
  const [script] = result.outputFiles ?? [];
  if (!script) throw new Error('esbuild produced no console bundle');
  return withPages(script.contents);
}

/** Writes the console and its configuration to `directory` (synchronously: CDK synthesis is). */
export function writeConsole(directory: string, config: ConsoleConfig | undefined): void {
  const result = buildSync(options);
  const [script] = result.outputFiles ?? [];
  if (!script) throw new Error('esbuild produced no console bundle');
  mkdirSync(directory, { recursive: true });
  for (const [name, file] of withPages(script.contents)) writeFileSync(join(directory, name), file.body);
  if (config) writeFileSync(join(directory, 'config.json'), JSON.stringify(config));
}

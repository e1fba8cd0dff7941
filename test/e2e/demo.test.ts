/** `npm run demo` against the running local stack: a small shop lives through three weeks. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stack } from '../support/stack.ts';

describe('npm run demo', () => {
  it('runs to the end and reports stages, emails and conversions', () => {
    const { api, writeKey, adminToken, ses } = stack();
    const result = spawnSync(
      'npm',
      [
        'run',
        '--silent',
        'demo',
        '--',
        '--customers',
        '40',
        '--days',
        '21',
        '--api',
        api,
        '--write-key',
        writeKey,
        '--admin-token',
        adminToken,
      ],
      { encoding: 'utf8', env: { ...process.env, SES_PORT: new URL(ses).port }, timeout: 120_000 },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('A shop of 40 customers lived through 21 days');
    expect(result.stdout).toMatch(/Customers per stage\n\s+acquaintance\s+\d+/);
    expect(result.stdout).toMatch(/welcome-kit\s+\d+/);
    expect(result.stdout).toContain(`Read the emails in the inbox: ${ses}`);
  }, 150_000);
});

/**
 * The SES v2 emulator `aws-ses-v2-local`, in this process: SendEmail over HTTP like SES, an inbox
 * page at its root, and `GET /store` for tests.
 */
import type { Server } from 'node:http';
import * as emulator from 'aws-ses-v2-local';

export interface SesLocal {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startSesLocal(options: { port: number; maxSendRate: number }): Promise<SesLocal> {
  // What GetAccount answers: the sender paces itself to MaxSendRate as it would in AWS.
  process.env.AWS_SES_ACCOUNT ??= JSON.stringify({
    DedicatedIpAutoWarmupEnabled: false,
    Details: {
      AdditionalContactEmailAddresses: [],
      ContactLanguage: 'EN',
      MailType: 'MARKETING',
      ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
      UseCaseDescription: 'Lifecycle emails (local emulator)',
      WebsiteURL: 'http://localhost',
    },
    EnforcementStatus: 'HEALTHY',
    ProductionAccessEnabled: true,
    SendingEnabled: true,
    SendQuota: { Max24HourSend: 1_000_000, MaxSendRate: options.maxSendRate, SentLast24Hours: 0 },
    SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  });
  // A CommonJS module: depending on the loader its function is the default export or nested in it.
  const start =
    (emulator.default as unknown as { default?: typeof emulator.default }).default ?? emulator.default;
  const server: Server = await start({ host: '127.0.0.1', port: options.port });
  // As the proxy in front of it (see endpointServer): connections are reused, not dropped at 5 s.
  server.keepAliveTimeout = 65_000;
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * SES receiving, locally: an SMTP server (smtp-server) that takes mail for any address, stores the
 * raw message in the local S3 bucket as the receipt rule's S3 action does, and invokes the inbound
 * function with the event SES's Lambda action sends. Mail over the size limit is refused in the
 * SMTP conversation (552), as SES refuses it.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { SMTPServer } from 'smtp-server';
import { MAX_MESSAGE_BYTES } from '../../shared/adapters/mail/parse-mime.ts';

export const INBOUND_BUCKET = 'lifecycle-inbound';

/** The S3 emulator (s3rver) on a port of its own, keeping objects in `directory`. */
export async function startS3Local(options: { port: number; directory: string }) {
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
  });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return { endpoint, stop: () => server.close() };
}

export async function startSmtpInbound(options: {
  port: number;
  s3Endpoint: string;
  region: string;
  keyPrefix: string;
  invoke: (event: unknown) => Promise<unknown>;
}) {
  const s3 = new S3Client({
    endpoint: options.s3Endpoint,
    region: options.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: INBOUND_BUCKET })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  const pending = new Set<Promise<unknown>>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    banner: 'lifecycle local inbound (SES receiving stand-in)',
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const error = Object.assign(new Error('552 message exceeds the size limit'), { responseCode: 552 });
          callback(error);
          return;
        }
        const messageId = randomUUID();
        const recipients = session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase());
        const received = deliver(Buffer.concat(chunks), messageId, recipients).catch((error: unknown) =>
          console.error(`local inbound: delivery of ${messageId} failed: ${String(error)}`),
        );
        pending.add(received);
        void received.finally(() => pending.delete(received));
        callback();
      });
    },
  });

  async function deliver(raw: Buffer, messageId: string, recipients: string[]) {
    await s3.send(
      new PutObjectCommand({ Bucket: INBOUND_BUCKET, Key: `${options.keyPrefix}${messageId}`, Body: raw }),
    );
    const now = new Date().toISOString();
    await options.invoke({
      Records: [
        {
          eventSource: 'aws:ses',
          eventVersion: '1.0',
          ses: {
            mail: { timestamp: now, messageId, destination: recipients, headersTruncated: false },
            receipt: {
              timestamp: now,
              recipients,
              spamVerdict: { status: 'PASS' },
              virusVerdict: { status: 'PASS' },
              action: { type: 'Lambda', invocationType: 'Event' },
            },
          },
        },
      ],
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    /** Deliveries still in progress (the stack's idle waits for them). */
    idle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

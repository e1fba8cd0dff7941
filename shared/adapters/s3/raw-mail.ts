import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

let client: S3Client | undefined;

/**
 * The raw messages SES receiving stores (its S3 action), read by key. Locally an S3 emulator
 * serves the same API at AWS_ENDPOINT_URL_S3, by path (it has no bucket host names).
 */
export function rawMailReader(bucket: string, maxBytes: number) {
  client ??= new S3Client({ forcePathStyle: !!process.env.AWS_ENDPOINT_URL_S3 });
  const s3 = client;
  return async (key: string): Promise<Buffer | { tooLarge: number } | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // Never read a mail bomb into memory: its size is known before its body.
      if ((object.ContentLength ?? 0) > maxBytes) {
        await object.Body?.transformToByteArray().catch(() => undefined);
        return { tooLarge: object.ContentLength ?? 0 };
      }
      return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
}

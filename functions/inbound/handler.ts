import middy from '@middy/core';
import * as z from 'zod';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { DynamoReplyAddresses } from '../../shared/adapters/dynamodb/reply-addresses.ts';
import { MAX_MESSAGE_BYTES, parseInboundMail } from '../../shared/adapters/mail/parse-mime.ts';
import { rawMailReader } from '../../shared/adapters/s3/raw-mail.ts';
import { SesMailer } from '../../shared/adapters/ses/mailer.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, observed } from '../../shared/observability.ts';
import { applyInput } from '../apply-event/apply.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { INBOUND_PREFIX, receiveMail } from './inbound.ts';

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
  'INBOUND_BUCKET',
  'SUPPORT_ADDRESS',
  'MAIL_FROM',
  'SES_CONFIGURATION_SET',
]);
const db = dynamoDocumentClient();
const engine = applyDeps(db, config);
const mailer = new SesMailer(config.SES_CONFIGURATION_SET);
const ledger = new DynamoLedger(db, config.TABLE_NAME);
const deps = {
  rawMail: rawMailReader(config.INBOUND_BUCKET ?? '', MAX_MESSAGE_BYTES),
  parse: (raw: Buffer) => parseInboundMail(raw),
  addresses: new DynamoReplyAddresses(db, config.TABLE_NAME),
  customers: new DynamoCustomerStore(db, config.TABLE_NAME),
  emailsOf: (customerId: string) => ledger.list(customerId),
  apply: (customerId: string, input: Parameters<typeof applyInput>[1]) =>
    applyInput(customerId, input, engine),
  ...(config.SUPPORT_ADDRESS
    ? { forward: { to: config.SUPPORT_ADDRESS, from: config.MAIL_FROM, send: mailer.send.bind(mailer) } }
    : {}),
  now: () => clock.now(),
};

/** What SES's Lambda action sends (the message itself is in S3, stored by the rule's S3 action first). */
const sesReceipt = z.object({
  Records: z
    .array(
      z.looseObject({
        ses: z.looseObject({
          mail: z.looseObject({ messageId: z.string().min(1) }),
          receipt: z.looseObject({
            recipients: z.array(z.string()).default([]),
            spamVerdict: z.looseObject({ status: z.string() }).optional(),
            virusVerdict: z.looseObject({ status: z.string() }).optional(),
            action: z.looseObject({ objectKeyPrefix: z.string().optional() }).optional(),
          }),
        }),
      }),
    )
    .min(1),
});

export const handler = middy<unknown, void>()
  .use(observed())
  .handler(async (event) => {
    const parsed = sesReceipt.safeParse(event);
    if (!parsed.success) {
      log.warn('inbound: not an SES receipt event', { problem: parsed.error.issues[0]?.message });
      return;
    }
    for (const record of parsed.data.Records) {
      const { mail, receipt } = record.ses;
      const outcome = await receiveMail(
        {
          id: mail.messageId,
          key: `${INBOUND_PREFIX}${mail.messageId}`,
          recipients: receipt.recipients,
          ...(receipt.spamVerdict ? { spam: receipt.spamVerdict.status } : {}),
          ...(receipt.virusVerdict ? { virus: receipt.virusVerdict.status } : {}),
        },
        deps,
      );
      log.info('inbound', { messageId: mail.messageId, ...outcome });
    }
  });

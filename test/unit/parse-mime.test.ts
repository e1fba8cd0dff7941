import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { parseInboundMail } from '../../shared/adapters/mail/parse-mime.ts';
import { autoReplyReason, replyText } from '../../shared/domain/replies.ts';

const compose = (options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> =>
  new MailComposer(options).compile().build();

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

describe('parsing a reply', () => {
  it('reads a simple message', async () => {
    const raw = crlf([
      'Return-Path: <jane@example.com>',
      'Delivered-To: Reply+T0ken@Reply.Shop.Example',
      'From: "Jane Doe" <Jane@Example.com>',
      'To: Shop Team <reply+t0ken@reply.shop.example>',
      'Subject: =?UTF-8?Q?Re:_Your_weekly_picks_=F0=9F=9B=8D?=',
      'Date: Mon, 5 Jan 2026 10:05:00 +0100',
      'Message-ID: <CAF1234@mail.gmail.com>',
      'In-Reply-To: <picks-42@shop.example>',
      'X-Mailer: Some',
      '  Client',
      'Content-Type: text/plain; charset="UTF-8"',
      '',
      'Yes please, the blue one.',
      '',
      'On Mon, Jan 5, 2026 at 10:02 AM Shop Team <hello@shop.example> wrote:',
      '> Which colour would you like?',
      '',
    ]);
    const parsed = await parseInboundMail(raw);
    expect(parsed).toMatchObject({ ok: true, envelopeHint: 'reply+t0ken@reply.shop.example' });
    if (!parsed.ok) return;
    const { mail } = parsed;
    expect(mail.from).toBe('jane@example.com');
    expect(mail.to).toEqual(['reply+t0ken@reply.shop.example']);
    expect(mail.subject).toBe('Re: Your weekly picks 🛍');
    expect(mail.contentType).toBe('text/plain');
    expect(mail.headers).toMatchObject({
      'return-path': 'jane@example.com',
      from: '"Jane Doe" <Jane@Example.com>',
      subject: 'Re: Your weekly picks 🛍',
      date: 'Mon, 5 Jan 2026 10:05:00 +0100',
      'in-reply-to': '<picks-42@shop.example>',
      'x-mailer': 'Some  Client',
      'content-type': 'text/plain; charset="UTF-8"',
    });
    expect(replyText(mail).text).toBe('Yes please, the blue one.');
    expect(autoReplyReason(mail)).toBeUndefined();
  });

  it('reads both parts of multipart/alternative', async () => {
    const raw = await compose({
      from: 'jane@example.com',
      to: 'reply@shop.example',
      subject: 'Re: picks',
      text: 'Plain words',
      html: '<p>Rich <b>words</b></p>',
    });
    const parsed = await parseInboundMail(raw);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.mail.contentType).toBe('multipart/alternative');
    expect(parsed.mail.text?.trim()).toBe('Plain words');
    expect(parsed.mail.html).toBe('<p>Rich <b>words</b></p>');
    expect(replyText(parsed.mail).text).toBe('Plain words');
  });

  it('leaves the text of an HTML-only reply to replyText', async () => {
    const raw = await compose({
      from: 'jane@example.com',
      to: 'reply@shop.example',
      html: '<div>Thanks!</div><blockquote>Your picks</blockquote>',
    });
    const parsed = await parseInboundMail(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.mail.text ?? '').toBe('');
    expect(replyText(parsed.mail).text).toBe('Thanks!');
  });

  it('collects recipients from To, Cc, Delivered-To and X-Original-To', async () => {
    const raw = await compose({
      from: 'jane@example.com',
      to: ['Shop <Reply@Shop.Example>', 'friend@example.org'],
      cc: { name: 'Team', address: 'Team@Shop.Example' },
      headers: { 'Delivered-To': 'Inbox@Shop.Example', 'X-Original-To': 'Reply+Abc@Shop.Example' },
      text: 'hi',
    });
    const parsed = await parseInboundMail(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.mail.to).toEqual([
      'reply@shop.example',
      'friend@example.org',
      'team@shop.example',
      'inbox@shop.example',
      'reply+abc@shop.example',
    ]);
    expect(parsed.envelopeHint).toBe('inbox@shop.example');
  });

  it('ignores a zip attachment: never kept, never unpacked', async () => {
    // A local file header of a zip: what a zip bomb starts with too.
    const zip = Buffer.concat([Buffer.from('PK\u0003\u0004', 'binary'), Buffer.alloc(200_000, 0x5a)]);
    const raw = await compose({
      from: 'jane@example.com',
      to: 'reply@shop.example',
      subject: 'Re: picks',
      text: 'See the attached list.',
      attachments: [{ filename: 'list.zip', content: zip, contentType: 'application/zip' }],
    });
    const parsed = await parseInboundMail(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.mail.contentType).toBe('multipart/mixed');
    expect(replyText(parsed.mail).text).toBe('See the attached list.');
    const serialised = JSON.stringify(parsed);
    expect(serialised).not.toContain('list.zip');
    expect(serialised).not.toContain('ZZZZ');
    expect(serialised.length).toBeLessThan(2_000);
  });

  it('reads a delivery status notification as automatic mail', async () => {
    const raw = crlf([
      'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>',
      'To: reply@shop.example',
      'Subject: Delivery Status Notification (Failure)',
      'Auto-Submitted: auto-replied',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
      '',
      '--dsn',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '--dsn',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.com',
      '',
      'Final-Recipient: rfc822; gone@example.com',
      'Action: failed',
      'Status: 5.1.1',
      '--dsn--',
      '',
    ]);
    const parsed = await parseInboundMail(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.mail.contentType).toBe('multipart/report');
    expect(parsed.mail.from).toBe('mailer-daemon@mx.example.com');
    expect(autoReplyReason(parsed.mail)).toBe('Auto-Submitted: auto-replied');
  });
});

describe('refusing what cannot be a reply', () => {
  const manyParts = (count: number) =>
    crlf([
      'From: jane@example.com',
      'To: reply@shop.example',
      'Content-Type: multipart/mixed; boundary="part"',
      '',
      ...Array.from(
        { length: count },
        (_, index) => `--part\r\nContent-Type: text/plain\r\n\r\nPart ${index}`,
      ),
      '--part--',
      '',
    ]);

  it('refuses a message of 1,000 parts', async () => {
    expect(await parseInboundMail(manyParts(1_000))).toEqual({
      ok: false,
      reason: 'too many parts (more than 200, at most 200)',
    });
  });

  it('reads a message within the part limit', async () => {
    // 199 parts and the message itself.
    expect((await parseInboundMail(manyParts(199))).ok).toBe(true);
    expect(await parseInboundMail(manyParts(20), { maxParts: 10 })).toEqual({
      ok: false,
      reason: 'too many parts (more than 10, at most 10)',
    });
  });

  it('refuses an oversized message before parsing it', async () => {
    const raw = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    expect(await parseInboundMail(raw)).toEqual({
      ok: false,
      reason: 'message too large (10485761 bytes, at most 10485760)',
    });
    expect(await parseInboundMail(Buffer.from('Subject: hi\r\n\r\nhello'), { maxBytes: 10 })).toEqual({
      ok: false,
      reason: 'message too large (20 bytes, at most 10)',
    });
  });

  it('refuses an empty message', async () => {
    expect(await parseInboundMail(Buffer.alloc(0))).toEqual({ ok: false, reason: 'empty message' });
  });

  it('never throws on garbage', async () => {
    // A fixed pseudo-random sequence: the same garbage on every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const garbage = [
      Buffer.from(Array.from({ length: 64 * 1024 }, () => random() % 256)),
      Buffer.from([0, 1, 2, 255, 254, 0x3a, 0x3a, 0]),
      Buffer.from('Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n'),
      Buffer.from('Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n'),
      Buffer.from('Content-Type: text/plain; charset=utf-7\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!'),
      Buffer.from(`${'X-Long: '.padEnd(2 * 1024 * 1024, 'a')}\r\n\r\nbody`),
      Buffer.from(':\r\n:\r\n__proto__: x\r\nconstructor: y\r\n\r\n'),
    ];
    for (const raw of garbage) {
      const parsed = await parseInboundMail(raw);
      if (parsed.ok) {
        expect(Array.isArray(parsed.mail.to)).toBe(true);
        expect(replyText(parsed.mail).text).toBe('');
      } else {
        expect(parsed.reason).toMatch(/^malformed MIME: |^too many parts/);
      }
    }
  });

  it('keeps a __proto__ header as a plain key', async () => {
    const parsed = await parseInboundMail(Buffer.from('__proto__: x\r\nSubject: hi\r\n\r\nbody'));
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(Object.getPrototypeOf(parsed.mail.headers)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed.mail.headers, '__proto__')).toBe(true);
  });
});

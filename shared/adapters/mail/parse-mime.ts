/**
 * A reply as it arrives (raw MIME, from SES receiving through S3 or the local SMTP server) read
 * into an InboundMail. The message is untrusted: its size is checked before anything is parsed,
 * the number of MIME parts is bounded while parsing (mailparser stops at the limit), attachments
 * are drained unread (never kept, never unpacked) and anything mailparser cannot read is refused
 * with a reason rather than thrown.
 */
import {
  type AddressObject,
  type EmailAddress,
  type HeaderLines,
  type Headers,
  type HeaderValue,
  MailParser,
  type MessageText,
  parseAddressHeader,
} from 'mailparser';
import type { InboundMail } from '../../domain/replies.ts';

export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
export const MAX_MESSAGE_PARTS = 200;

export type ParsedInboundMail =
  | {
      ok: true;
      mail: InboundMail;
      /** The recipient the receiving side delivered to (Delivered-To, else X-Original-To). */
      envelopeHint?: string;
    }
  | { ok: false; reason: string };

export async function parseInboundMail(
  raw: Buffer,
  limits: { maxBytes?: number; maxParts?: number } = {},
): Promise<ParsedInboundMail> {
  const maxBytes = limits.maxBytes ?? MAX_MESSAGE_BYTES;
  const maxParts = limits.maxParts ?? MAX_MESSAGE_PARTS;
  if (raw.length > maxBytes)
    return { ok: false, reason: `message too large (${raw.length} bytes, at most ${maxBytes})` };
  if (raw.length === 0) return { ok: false, reason: 'empty message' };
  let parsed: Parsed;
  try {
    parsed = await parse(raw, maxParts);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // mailsplit counts every part, the message itself included, and stops past the limit: how many
    // more there would have been is not known.
    if (message === 'Max allowed child nodes exceeded')
      return { ok: false, reason: `too many parts (more than ${maxParts}, at most ${maxParts})` };
    return { ok: false, reason: `malformed MIME: ${message}` };
  }
  const { headers, headerLines, content } = parsed;
  const to = addresses([
    headers.get('to'),
    headers.get('cc'),
    headers.get('delivered-to'),
    originalTo(headerLines),
  ]);
  const envelopeHint = addresses([headers.get('delivered-to'), originalTo(headerLines)])[0];
  const subject = headers.get('subject');
  const contentType = headers.get('content-type');
  const mail: InboundMail = {
    from: addresses([headers.get('from')])[0],
    to,
    subject: typeof subject === 'string' ? subject : undefined,
    headers: headerRecord(headerLines, headers),
    text: content?.text,
    html: content?.html,
    contentType: isStructured(contentType) ? contentType.value.toLowerCase() : undefined,
  };
  return envelopeHint === undefined ? { ok: true, mail } : { ok: true, mail, envelopeHint };
}

interface Parsed {
  headers: Headers;
  headerLines: HeaderLines;
  content?: MessageText;
}

function parse(raw: Buffer, maxParts: number): Promise<Parsed> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({
      maxChildNodes: maxParts,
      // Replies are read for their text: no checksums, no text made HTML, no links found in it.
      checksumAlgo: false,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      // replyText makes text of an HTML-only reply itself, in one linear pass.
      skipHtmlToText: true,
    });
    let content: MessageText | undefined;
    parser.on('data', (data) => {
      if (data.type === 'text') {
        content = data;
        return;
      }
      // An attachment (a zip included) is drained and dropped: its bytes go nowhere. A decoding
      // error in one is no reason to lose the reply.
      data.content.on('error', () => {});
      data.content.resume();
      data.release?.();
    });
    parser.once('error', reject);
    parser.once('end', () =>
      resolve({
        headers: parser.headers || new Map(),
        headerLines: parser.headerLines || [],
        content,
      }),
    );
    parser.end(raw);
  });
}

/** Header names as sent are lower-cased, each with its first value as text. */
function headerRecord(lines: HeaderLines, headers: Headers): Record<string, string> {
  const record = new Map<string, string>();
  for (const { key, line } of lines) {
    // A field name is printable ASCII without ":" (RFC 5322); garbage is no header.
    if (!/^[!-9;-~]+$/.test(key) || record.has(key)) continue;
    const parsed = headers.get(key);
    // The subject with its encoded words decoded, addresses in their text form; otherwise the
    // value as sent, unfolded (a Date or a Content-Type would lose its form or its parameters).
    if (key === 'subject' && typeof parsed === 'string') record.set(key, parsed);
    else if (isAddressObject(parsed)) record.set(key, parsed.text);
    else if (Array.isArray(parsed) && isAddressObject(parsed[0])) record.set(key, parsed[0].text);
    else record.set(key, rawValue(line));
  }
  // fromEntries defines own properties: a "__proto__" header is a key like any other.
  return Object.fromEntries(record);
}

/** The value of a raw header line, unfolded, its bytes read as UTF-8. */
function rawValue(line: string): string {
  const colon = line.indexOf(':');
  const value = colon < 0 ? '' : line.slice(colon + 1);
  return Buffer.from(value.replace(/\r?\n/g, ''), 'binary').toString('utf8').trim();
}

/** X-Original-To is not an address header to mailparser: its raw values. */
function originalTo(lines: HeaderLines): string[] {
  return lines.filter(({ key }) => key === 'x-original-to').map(({ line }) => rawValue(line));
}

/** The addresses of parsed address headers and raw values, lower-cased, each once, in order. */
function addresses(values: (HeaderValue | string[] | undefined)[]): string[] {
  const found = new Set<string>();
  const add = (entries: readonly EmailAddress[]) => {
    for (const entry of entries) {
      if (entry.group) add(entry.group);
      else if (entry.address) found.add(entry.address.trim().toLowerCase());
    }
  };
  for (const value of values) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (isAddressObject(item)) add(item.value);
      else if (typeof item === 'string' && item !== '') add(parseAddressHeader(item).value);
    }
  }
  return [...found];
}

function isAddressObject(value: unknown): value is AddressObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as AddressObject).value) &&
    typeof (value as AddressObject).text === 'string'
  );
}

function isStructured(value: unknown): value is { value: string } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { value: unknown }).value === 'string'
  );
}

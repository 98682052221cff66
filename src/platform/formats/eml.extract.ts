import { simpleParser, type AddressObject, type EmailAddress, type ParsedMail } from 'mailparser';
import { FormatError, guard } from './format-error';
import type { ExtractedAttachment, ExtractedText, FormatLimits } from './format.types';
import { htmlToText } from './html.extract';
import { paginate } from './paginate';

/** File extensions for attachments that arrive without a filename. */
const EXTENSIONS: Record<string, string> = {
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/tiff': '.tif',
  'image/gif': '.gif',
  'text/plain': '.txt',
  'text/html': '.html',
  'text/calendar': '.ics',
  'message/rfc822': '.eml',
};

/**
 * Extracts an e-mail (RFC 822 / .eml) with mailparser: page 1 starts with the From, To,
 * Cc, Subject and Date headers followed by the body (the plain-text part, else the visible
 * text of the HTML part); attachments come back as bytes so the pipeline can store each as
 * a linked document. The subject is the title.
 */
export async function extractEml(bytes: Uint8Array, limits: FormatLimits): Promise<ExtractedText> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mail = await guard('the e-mail could not be read; it may be damaged', () =>
    simpleParser(buffer, { skipHtmlToText: true, skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true }),
  );
  const parsed = mail.attachments ?? [];
  if (parsed.length > limits.maxAttachments) {
    throw new FormatError('limit_exceeded', `the e-mail has ${parsed.length} attachments; the limit is ${limits.maxAttachments}`);
  }
  const body = await guard('the e-mail body could not be read', () =>
    mail.text?.trim() ? mail.text.trim() : typeof mail.html === 'string' ? htmlToText(mail.html) : '',
  );
  const headers = headerLines(mail);
  if (headers.length === 0 && !body && parsed.length === 0) {
    throw new FormatError('corrupt', 'the file is not a readable e-mail (no headers, body or attachments)');
  }
  const pages = paginate(`${headers.join('\n')}\n\n${body}`.trim(), limits);

  const attachments: ExtractedAttachment[] = parsed.map((a, i) => ({
    filename: safeFilename(a.filename) ?? `attachment-${i + 1}${EXTENSIONS[a.contentType] ?? '.bin'}`,
    contentType: a.contentType || 'application/octet-stream',
    bytes: new Uint8Array(a.content.buffer, a.content.byteOffset, a.content.byteLength),
    ...(a.related ? { inline: true } : {}),
  }));

  const meta: Record<string, string | number | boolean> = { attachments: attachments.length };
  const from = addressText(mail.from);
  const to = addressText(mail.to);
  if (from) meta.from = from;
  if (to) meta.to = to;
  if (mail.date && !Number.isNaN(mail.date.getTime())) meta.date = mail.date.toISOString();
  if (mail.messageId) meta.messageId = mail.messageId;

  const title = mail.subject?.trim();
  return { pages, ...(title ? { title } : {}), ...(attachments.length ? { attachments } : {}), meta };
}

function headerLines(mail: ParsedMail): string[] {
  const lines: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value) lines.push(`${name}: ${value}`);
  };
  add('From', addressText(mail.from));
  add('To', addressText(mail.to));
  add('Cc', addressText(mail.cc));
  add('Subject', mail.subject?.trim());
  if (mail.date && !Number.isNaN(mail.date.getTime())) add('Date', mail.date.toUTCString());
  return lines;
}

/** "Name <address>" without the quotes mailparser adds; groups are flattened. */
function addressText(value: AddressObject | AddressObject[] | undefined): string | undefined {
  if (!value) return undefined;
  const out: string[] = [];
  const add = (list: EmailAddress[]) => {
    for (const a of list) {
      if (a.group) add(a.group);
      else if (a.name && a.address) out.push(`${a.name} <${a.address}>`);
      else if (a.address || a.name) out.push(a.address || a.name);
    }
  };
  for (const obj of Array.isArray(value) ? value : [value]) add(obj.value);
  return out.length > 0 ? out.join(', ') : undefined;
}

/** The attachment's own name without any directory part or control characters. */
function safeFilename(name: string | undefined): string | undefined {
  if (!name) return undefined;
  // eslint-disable-next-line no-control-regex
  const base = name.replace(/[\u0000-\u001f\u007f]/g, '').split(/[\\/]/).pop()?.trim();
  return base && base !== '.' && base !== '..' ? base.slice(0, 255) : undefined;
}

/**
 * Tells e-mail, HTML and Markdown apart from plain text by content — these formats have no
 * magic bytes. The filename extension only breaks ties: a `.md` file is Markdown, a `.txt`
 * file is never guessed to be Markdown, and an `.eml` needs only one known header.
 */

/** What a text file is; `svg` is reported so sniff can reject it as an image. */
export type TextClass = 'text' | 'markdown' | 'html' | 'eml' | 'svg';

const MAIL_HEADERS = new Set([
  'date',
  'subject',
  'to',
  'cc',
  'message-id',
  'mime-version',
  'received',
  'return-path',
  'content-type',
  'reply-to',
  'delivered-to',
]);

/** Classifies the start of a decoded text file. */
export function classifyText(head: string, filename?: string): TextClass {
  const ext = extensionOf(filename);
  const text = head.replace(/^\uFEFF/, '');
  if (isMail(text, ext === 'eml')) return 'eml';

  const markup = stripProlog(text);
  if (/^<svg[\s>]/i.test(markup)) return 'svg';
  if (isHtml(markup, ext === 'html' || ext === 'htm' || ext === 'xhtml')) return 'html';

  if (ext === 'md' || ext === 'markdown' || ext === 'mdown' || ext === 'mkd') return 'markdown';
  if (ext === 'txt' || ext === 'csv' || ext === 'log' || ext === 'json') return 'text';
  return markdownScore(text) >= 3 ? 'markdown' : 'text';
}

function extensionOf(filename?: string): string {
  const m = filename ? /\.([A-Za-z0-9]+)$/.exec(filename) : null;
  return m ? m[1].toLowerCase() : '';
}

/** An RFC 5322 header block: only header and folded lines up to the first blank line. */
function isMail(text: string, hinted: boolean): boolean {
  const lines = text.split(/\r?\n/, 300);
  const names = new Set<string>();
  let i = 0;
  if (/^From \S/.test(lines[0] ?? '')) i = 1; // mbox separator line
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') break;
    if (/^[ \t]/.test(line) && names.size > 0) continue;
    const m = /^([!-9;-~]+):/.exec(line);
    if (!m) return false;
    names.add(m[1].toLowerCase());
  }
  if (i === lines.length && lines.length >= 300) return false;
  let known = 0;
  for (const n of names) if (MAIL_HEADERS.has(n)) known++;
  if (hinted) return known + (names.has('from') ? 1 : 0) >= 1;
  return names.has('from') && known >= 2;
}

/** Drops a leading XML declaration, doctype-less comments and whitespace. */
function stripProlog(text: string): string {
  return text.replace(/^\s*(<\?xml[^>]*\?>\s*)?((<!--[\s\S]*?-->)\s*)*/i, '');
}

function isHtml(markup: string, hinted: boolean): boolean {
  if (/^<!doctype\s+html/i.test(markup) || /^<html[\s>]/i.test(markup)) return true;
  const start = markup.slice(0, 8192);
  if (start.startsWith('<') && /<(head|body)[\s>]|<\/html>/i.test(start)) return true;
  return hinted && /<[a-z][a-z0-9]*[\s/>]/i.test(start);
}

/** Points for Markdown-only constructs; plain text with a dash list scores low. */
function markdownScore(text: string): number {
  const sample = text.slice(0, 16_384);
  let score = 0;
  if (/^#{1,6}[ \t]+\S/m.test(sample)) score += 2;
  if (/^(```|~~~)/m.test(sample)) score += 2;
  if (/^\|.*\|[ \t]*$/m.test(sample) && /^\|?[ \t]*:?-{3,}:?[ \t]*\|/m.test(sample)) score += 2;
  if (/\[[^\]\n]+\]\([^)\s]+\)/.test(sample)) score += 1;
  if (/(\*\*|__)[^*_\n]+\1/.test(sample)) score += 1;
  if (/^[ \t]*[-*+][ \t]+\S/m.test(sample)) score += 1;
  if (/^>[ \t]?\S/m.test(sample)) score += 1;
  return score;
}

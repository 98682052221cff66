import { FormatError } from './format-error';
import type { ExtractedPage, FormatLimits } from './format.types';

/**
 * Splits flowing text (plain text, Markdown, HTML, DOCX) into pages of about
 * `limits.pageChars` characters so search hits and citations point at a page a reader can
 * find. Form feeds are hard page breaks; otherwise a page ends at the last paragraph break,
 * else line break, else space in its second half. Enforces `maxTextChars` and `maxPages`.
 */
export function paginate(text: string, limits: FormatLimits): ExtractedPage[] {
  assertTextSize(text.length, limits);
  const normalized = text.replace(/\r\n?/g, '\n');
  const pages: ExtractedPage[] = [];
  const push = (t: string) => {
    if (pages.length >= limits.maxPages) {
      throw new FormatError('limit_exceeded', `the document has more than ${limits.maxPages} pages, the limit`);
    }
    pages.push({ number: pages.length + 1, text: t });
  };
  for (const section of normalized.split('\f')) {
    for (const piece of splitSection(section, Math.max(100, limits.pageChars))) push(piece);
  }
  const nonEmpty = pages.filter((p) => p.text.length > 0);
  if (nonEmpty.length === 0) return [{ number: 1, text: '' }];
  return nonEmpty.map((p, i) => ({ number: i + 1, text: p.text }));
}

/** Throws `limit_exceeded` when a document's text is longer than `maxTextChars`. */
export function assertTextSize(chars: number, limits: FormatLimits): void {
  if (chars > limits.maxTextChars) {
    throw new FormatError(
      'limit_exceeded',
      `the document has more than ${limits.maxTextChars.toLocaleString('en')} characters of text, the limit`,
    );
  }
}

function* splitSection(section: string, size: number): Generator<string> {
  let pos = 0;
  while (pos < section.length) {
    if (section.length - pos <= size) {
      yield section.slice(pos).trim();
      return;
    }
    const window = section.slice(pos, pos + size);
    const half = Math.floor(size / 2);
    let cut = window.lastIndexOf('\n\n');
    if (cut < half) cut = window.lastIndexOf('\n');
    if (cut < half) cut = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
    if (cut < half) {
      cut = size;
      const code = section.charCodeAt(pos + cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--; // never split a surrogate pair
    }
    yield section.slice(pos, pos + cut).trim();
    pos += cut;
  }
}

import { convert, type HtmlToTextOptions } from 'html-to-text';
import { guard } from './format-error';
import type { ExtractedText, FormatLimits } from './format.types';
import { paginate } from './paginate';
import { decodeText } from './text-decode';

/** Elements whose content a reader never sees. */
const HIDDEN = ['script', 'style', 'noscript', 'template', 'head', 'svg', 'iframe', 'object', 'img', 'canvas'];

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    ...HIDDEN.map((selector) => ({ selector, format: 'skip' as const })),
    { selector: 'a', options: { ignoreHref: true } },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
      selector,
      options: { uppercase: false },
    })),
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

/**
 * The visible text of an HTML document (no scripts, styles or markup), with block
 * structure kept as line breaks. Shared with the e-mail extractor for HTML-only messages.
 */
export function htmlToText(html: string): string {
  return convert(html, {
    ...OPTIONS,
    // Deep nesting is cut rather than overflowing the stack; length is checked by the caller.
    limits: { maxInputLength: html.length + 1, maxDepth: 500 },
  }).trim();
}

/** The `<title>` of an HTML document, entities decoded and whitespace collapsed. */
export function htmlTitle(html: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html.slice(0, 65_536));
  if (!m) return undefined;
  const title = convert(m[1], { wordwrap: false }).replace(/\s+/g, ' ').trim();
  return title || undefined;
}

/** Extracts an HTML file: decoded as text, converted to visible text, split into pages. */
export async function extractHtml(bytes: Uint8Array, limits: FormatLimits): Promise<ExtractedText> {
  const { text: html } = decodeText(bytes);
  return guard('the HTML file could not be read', () => {
    const title = htmlTitle(html);
    const pages = paginate(htmlToText(html), limits);
    return { pages, ...(title ? { title } : {}) };
  });
}

import type { ExtractedText, FormatLimits } from './format.types';
import { paginate } from './paginate';
import { decodeText } from './text-decode';

/**
 * Extracts plain text: decoded (UTF-8, UTF-16 with or without BOM, Windows-1252 fallback)
 * and split into pages of about `limits.pageChars` characters.
 */
export function extractPlainText(bytes: Uint8Array, limits: FormatLimits): ExtractedText {
  const { text, encoding } = decodeText(bytes);
  return { pages: paginate(text, limits), meta: { encoding } };
}

/**
 * Extracts Markdown: the source text as it is (its markup reads naturally and keeps code
 * and tables intact for search), split into pages, titled by its first top-level heading.
 */
export function extractMarkdown(bytes: Uint8Array, limits: FormatLimits): ExtractedText {
  const { text, encoding } = decodeText(bytes);
  const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text.slice(0, 65_536)) ?? /^(.+)\r?\n=+[ \t]*$/m.exec(text.slice(0, 65_536));
  const title = heading?.[1].trim();
  return { pages: paginate(text, limits), ...(title ? { title } : {}), meta: { encoding } };
}

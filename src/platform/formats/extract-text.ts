import { extractDocx } from './docx.extract';
import { extractEml } from './eml.extract';
import { FormatError, formatBytes } from './format-error';
import { isTextKind, resolveLimits, type DocumentKind, type ExtractedText, type FormatLimits } from './format.types';
import { extractHtml } from './html.extract';
import { extractPptx } from './pptx.extract';
import { extractMarkdown, extractPlainText } from './text.extract';
import { extractXlsx } from './xlsx.extract';

/**
 * The text of a document of a kind `sniff` returned, page by page. Reads text, Markdown,
 * HTML, DOCX, XLSX, PPTX and e-mail; PDF and images belong to the parse and OCR steps.
 * Pure (bytes in, text out) so it can run in a worker thread. Every failure — a limit, a
 * damaged file, a library exception — is a `FormatError` with a message for the user.
 */
export async function extractText(
  kind: DocumentKind,
  bytes: Uint8Array,
  limits?: Partial<FormatLimits>,
): Promise<ExtractedText> {
  const lim = resolveLimits(limits);
  if (!isTextKind(kind)) {
    throw new FormatError('unsupported', `${kind.toUpperCase()} files are read by the page parser and OCR, not as text`);
  }
  if (bytes.length === 0) throw new FormatError('empty', 'the file is empty');
  if (bytes.length > lim.maxBytes) {
    throw new FormatError('too_large', `the file is ${formatBytes(bytes.length)}; the limit is ${formatBytes(lim.maxBytes)}`);
  }
  switch (kind) {
    case 'text':
      return extractPlainText(bytes, lim);
    case 'markdown':
      return extractMarkdown(bytes, lim);
    case 'html':
      return extractHtml(bytes, lim);
    case 'docx':
      return extractDocx(bytes, lim);
    case 'xlsx':
      return extractXlsx(bytes, lim);
    case 'pptx':
      return extractPptx(bytes, lim);
    case 'eml':
      return extractEml(bytes, lim);
  }
}

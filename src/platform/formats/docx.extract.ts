import mammoth from 'mammoth';
import { FormatError, guard } from './format-error';
import type { ExtractedText, FormatLimits } from './format.types';
import { coreTitle, openPackage } from './ooxml';
import { paginate } from './paginate';

/**
 * Extracts a Word document with mammoth's raw-text conversion (paragraphs, lists, tables,
 * footnotes). The package is first unpacked through the guarded ZIP reader so a zip bomb
 * fails before mammoth sees it. DOCX has no fixed pages, so the text is split like plain text.
 */
export async function extractDocx(bytes: Uint8Array, limits: FormatLimits): Promise<ExtractedText> {
  const parts = openPackage(bytes, 'docx', limits, { want: () => false, verifyAll: true });
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = await guard('the Word document could not be read; it may be damaged', () =>
    mammoth.extractRawText({ buffer }),
  );
  const text = result.value.replace(/\n{3,}/g, '\n\n').trim();
  const failures = result.messages.filter((m) => m.type === 'error');
  if (!text && failures.length > 0) {
    throw new FormatError('corrupt', 'the Word document could not be read; it may be damaged', {
      details: { problems: failures.map((m) => m.message).slice(0, 5) },
    });
  }
  const title = coreTitle(parts);
  return { pages: paginate(text, limits), ...(title ? { title } : {}) };
}

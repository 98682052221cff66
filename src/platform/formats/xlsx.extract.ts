import readXlsxFile from 'read-excel-file/node';
import { FormatError, guard } from './format-error';
import type { ExtractedPage, ExtractedText, FormatLimits } from './format.types';
import { coreTitle, openPackage } from './ooxml';
import { assertTextSize } from './paginate';

/**
 * Extracts an Excel workbook with read-excel-file: one page per sheet, labelled with the
 * sheet name, one line per row with cells separated by tabs (dates as ISO dates). The
 * package goes through the guarded ZIP reader first; sheet and row counts are limited.
 */
export async function extractXlsx(bytes: Uint8Array, limits: FormatLimits): Promise<ExtractedText> {
  const parts = openPackage(bytes, 'xlsx', limits, { want: () => false, verifyAll: true });
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sheets = await guard('the Excel workbook could not be read; it may be damaged', () => readXlsxFile(buffer));
  if (sheets.length > limits.maxSheets) {
    throw new FormatError('limit_exceeded', `the workbook has ${sheets.length} sheets; the limit is ${limits.maxSheets}`);
  }
  const pages: ExtractedPage[] = [];
  let chars = 0;
  for (const { sheet, data } of sheets) {
    if (data.length > limits.maxRowsPerSheet) {
      throw new FormatError(
        'limit_exceeded',
        `sheet "${sheet}" has ${data.length.toLocaleString('en')} rows; the limit is ${limits.maxRowsPerSheet.toLocaleString('en')}`,
      );
    }
    const lines: string[] = [];
    for (const row of data) {
      const cells = row.map(formatCell);
      while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
      if (cells.length > 0) lines.push(cells.join('\t'));
    }
    const text = lines.join('\n');
    chars += text.length;
    assertTextSize(chars, limits);
    pages.push({ number: pages.length + 1, text, label: sheet });
  }
  if (pages.length === 0) throw new FormatError('corrupt', 'the Excel workbook has no sheets');
  const title = coreTitle(parts);
  return { pages, ...(title ? { title } : {}), meta: { sheets: pages.length } };
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
  }
  // Tabs and line breaks inside a cell would break the row/column layout of the page.
  return String(value).replace(/[\t\r\n]+/g, ' ');
}

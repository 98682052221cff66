import type { ExtractionPage, PageWord } from '../../src/modules/extraction/candidates';

/**
 * A page of words from lines of text placed at (x, y) on a 600 × 800 sheet, 7 units a
 * character and 12 a line; `confidence` marks the words as OCR output.
 */
export function pageOfLines(lines: Array<[string, number, number]>, confidence?: number): ExtractionPage {
  const words: PageWord[] = [];
  for (const [text, x, y] of lines) {
    let cx = x;
    for (const t of text.split(' ')) {
      words.push({ t, ...(confidence === undefined ? {} : { c: confidence }), b: [cx / 600, y / 800, (t.length * 7) / 600, 12 / 800] });
      cx += (t.length + 1) * 7;
    }
  }
  return { words };
}

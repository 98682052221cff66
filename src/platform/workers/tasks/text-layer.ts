/**
 * Turns pdfjs text items into words with normalized boxes, page text, and a verdict on
 * whether the text layer is worth using instead of OCR. Pure: no pdfjs import.
 */
import { boxAround } from './raster';
import type { Box } from './types';

/** A text run as pdfjs reports it, with its matrix already in viewport space (y down). */
export interface PositionedItem {
  str: string;
  dir: string;
  /** [a, b, c, d, e, f] in viewport space at scale 1. */
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

/** A word of the text layer: text and its box normalized to the page. */
export interface PdfWord {
  text: string;
  box: Box;
  /** Index of the line in `PdfPageText.lines`. */
  line: number;
}

/** A line of the text layer (items joined until pdfjs reports an end of line). */
export interface PdfLine {
  text: string;
  box: Box;
}

/** What the text layer of one page holds. */
export interface PdfPageText {
  text: string;
  words: PdfWord[];
  lines: PdfLine[];
  /** Letters and digits, excluding replacement and private-use characters. */
  realChars: number;
  /** True when the text layer is trustworthy enough to skip OCR for this page. */
  usable: boolean;
}

/**
 * Thresholds for `usable`: enough letters and digits, and few junk characters (control,
 * private-use, U+FFFD: the signs of a font without a usable Unicode mapping) among them.
 * Punctuation is neutral, so leader dots in a table of contents do not count against it.
 */
export const USABLE_TEXT = Object.freeze({ minRealChars: 25, minRealRatio: 0.6 });

const REAL = /[\p{L}\p{N}]/u;
const JUNK = /[\uFFFD\p{Co}\p{Cc}]/u;

/** Builds words, lines and page text from positioned items on a page of the given size. */
export function buildPageText(items: PositionedItem[], pageWidth: number, pageHeight: number): PdfPageText {
  const words: PdfWord[] = [];
  const lines: PdfLine[] = [];
  let lineItems: Array<{ str: string; corners: Array<[number, number]> }> = [];
  let real = 0;
  let junk = 0;

  const flushLine = () => {
    const text = lineItems.map((i) => i.str).join('').replace(/\s+/g, ' ').trim();
    if (text) lines.push({ text, box: boxAround(lineItems.flatMap((i) => i.corners), pageWidth, pageHeight) });
    lineItems = [];
  };

  for (const item of items) {
    const str = item.str ?? '';
    const geom = itemGeometry(item);
    for (const ch of str) {
      if (/\s/u.test(ch)) continue;
      if (JUNK.test(ch)) junk++;
      else if (REAL.test(ch)) real++;
    }
    if (str.trim()) {
      lineItems.push({ str, corners: geom.corners(0, 1) });
      const chars = [...str];
      const re = /\S+/gu;
      for (let m = re.exec(str); m; m = re.exec(str)) {
        const start = [...str.slice(0, m.index)].length / chars.length;
        const end = start + [...m[0]].length / chars.length;
        words.push({ text: m[0], box: boxAround(geom.corners(start, end), pageWidth, pageHeight), line: lines.length });
      }
    } else if (str && lineItems.length) {
      lineItems.push({ str, corners: [] });
    }
    if (item.hasEOL) flushLine();
  }
  flushLine();
  fixWordLines(words, lines.length);

  const text = lines.map((l) => l.text).join('\n');
  const usable = real >= USABLE_TEXT.minRealChars && real / Math.max(real + junk, 1) >= USABLE_TEXT.minRealRatio;
  return { text, words, lines, realChars: real, usable };
}

/** Words pushed before a line was flushed carry the index that line got; clamp stragglers. */
function fixWordLines(words: PdfWord[], lineCount: number): void {
  for (const w of words) if (w.line >= lineCount) w.line = Math.max(0, lineCount - 1);
}

/**
 * Geometry of one run: origin on the baseline, an advance vector along the text and an
 * "up" vector as tall as the font. Glyphs are taken to span 0.2 em below to 0.8 em above
 * the baseline, which matches common Latin fonts closely enough for highlighting.
 */
function itemGeometry(item: PositionedItem) {
  const [a, b, c, d, e, f] = item.transform;
  const fontSize = Math.hypot(c, d) || Math.hypot(a, b) || 1;
  const up: [number, number] = [c / (Math.hypot(c, d) || 1), d / (Math.hypot(c, d) || 1)];
  const vertical = item.dir === 'ttb';
  const advanceLen = vertical ? item.height : item.width;
  const along: [number, number] = vertical ? [-up[0], -up[1]] : unit(a, b);
  return {
    /** Corners of the part of the run between fractions `from` and `to` of its advance. */
    corners(from: number, to: number): Array<[number, number]> {
      const pts: Array<[number, number]> = [];
      for (const t of [from, to]) {
        const bx = e + along[0] * advanceLen * t;
        const by = f + along[1] * advanceLen * t;
        pts.push([bx - up[0] * 0.2 * fontSize, by - up[1] * 0.2 * fontSize]);
        pts.push([bx + up[0] * 0.8 * fontSize, by + up[1] * 0.8 * fontSize]);
      }
      return pts;
    },
  };
}

function unit(x: number, y: number): [number, number] {
  const len = Math.hypot(x, y) || 1;
  return [x / len, y / len];
}

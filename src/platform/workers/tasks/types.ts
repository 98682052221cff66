/**
 * Shapes exchanged between the pools and the worker tasks. Pure types and constants only:
 * this file is imported on both sides of the thread boundary.
 */

/** An axis-aligned box normalized to the page or image: origin top-left, 0..1 on both axes. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An 8-bit grayscale raster, one byte per pixel, rows top to bottom. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** Resolution the pixels represent, when known (PDF render DPI, image density). */
  dpi?: number;
}

/** The OCR engines: the PP-OCRv4 models (English) and tesseract (any installed language). */
export const OCR_ENGINES = ['ppocr', 'tesseract'] as const;
export type OcrEngine = (typeof OCR_ENGINES)[number];

/** A clockwise quarter turn, in degrees. */
export type QuarterTurn = 0 | 90 | 180 | 270;

/** Limits that stop hostile or absurd inputs before they exhaust memory or time. */
export interface DocumentLimits {
  /** Documents with more pages are refused as a whole. */
  maxPages: number;
  /** Pages larger than this (square inches, after UserUnit) are not read or rendered. */
  maxPageAreaIn2: number;
  /** Any single embedded or uploaded image above this many pixels is refused. */
  maxImagePixels: number;
  /** Rendered pages are scaled down so that they hold at most this many pixels. */
  maxRenderPixels: number;
}

/** Defaults sized for office documents and scans on a small appliance. */
export const DEFAULT_LIMITS: Readonly<DocumentLimits> = Object.freeze({
  maxPages: 2000,
  // ~450 x 450 inches: far beyond any printable sheet, yet poster-sized pages still pass.
  maxPageAreaIn2: 200_000,
  // 64 MP: an A3 page scanned at 600 dpi is ~70% of this.
  maxImagePixels: 64_000_000,
  // 300 dpi Letter/A4 is ~8.5 MP; larger pages are rendered at a lower resolution.
  maxRenderPixels: 12_000_000,
});

/** A failure the task detected and explains; the message is safe to show to users. */
export interface TaskFailure<C extends string = string> {
  kind: 'error';
  code: C;
  message: string;
}

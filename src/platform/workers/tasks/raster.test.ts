import { describe, expect, it } from 'vitest';
import { passwordVariants } from './pdfjs';
import { contentRect, cropGray, downscaleToDpi, encodePgm, medianSkewDegrees, resizeGray, rgbaToGray, rotateGray, shrinkGray, toSourceBox } from './raster';
import { buildPageText, type PositionedItem } from './text-layer';
import type { GrayImage, QuarterTurn } from './types';

// A 3 x 2 image whose pixel values spell their positions: 1 2 3 / 4 5 6.
const image: GrayImage = { width: 3, height: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };

describe('rotateGray', () => {
  it('turns clockwise by quarter turns', () => {
    expect(rotateGray(image, 90)).toMatchObject({ width: 2, height: 3, data: Uint8Array.from([4, 1, 5, 2, 6, 3]) });
    expect(rotateGray(image, 180)).toMatchObject({ width: 3, height: 2, data: Uint8Array.from([6, 5, 4, 3, 2, 1]) });
    expect(rotateGray(image, 270)).toMatchObject({ width: 2, height: 3, data: Uint8Array.from([3, 6, 2, 5, 1, 4]) });
    expect(rotateGray(rotateGray(image, 90), 270).data).toEqual(image.data);
  });
});

describe('medianSkewDegrees', () => {
  it('takes the length-weighted median slope, counter-clockwise positive', () => {
    const deg = (d: number) => (-d * Math.PI) / 180;
    // Two long lines rising 2° to the right outweigh a short one falling 10°.
    expect(medianSkewDegrees([[deg(2), 500], [deg(-10), 50], [deg(2), 400]])).toBe(2);
    expect(medianSkewDegrees([])).toBe(0);
  });
});

describe('toSourceBox', () => {
  it('maps a box on the turned image back to where it was before turning', () => {
    // The pixel "2" sits at x 1/3..2/3, y 0..1/2 on the source image.
    const source = { x: 1 / 3, y: 0, w: 1 / 3, h: 1 / 2 };
    const onTurned: Record<QuarterTurn, { x: number; y: number; w: number; h: number }> = {
      0: source,
      90: { x: 1 / 2, y: 1 / 3, w: 1 / 2, h: 1 / 3 }, // "2" is the right cell of the middle row
      180: { x: 1 / 3, y: 1 / 2, w: 1 / 3, h: 1 / 2 },
      270: { x: 0, y: 1 / 3, w: 1 / 2, h: 1 / 3 },
    };
    for (const [turn, box] of Object.entries(onTurned)) {
      const back = toSourceBox(box, Number(turn) as QuarterTurn);
      for (const k of ['x', 'y', 'w', 'h'] as const) expect(back[k], `${turn} ${k}`).toBeCloseTo(source[k], 6);
    }
  });
});

describe('pixel helpers', () => {
  it('converts RGBA to gray and encodes PGM', () => {
    expect(rgbaToGray(Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 255]), 2, 1)).toEqual(Uint8Array.from([255, 0]));
    const pgm = encodePgm(image);
    expect(new TextDecoder().decode(pgm.subarray(0, 11))).toBe('P5\n3 2\n255\n');
    expect(pgm.subarray(11)).toEqual(image.data);
  });
});

describe('contentRect and cropGray', () => {
  it('trims dark scanner bands along the edges and keeps the page', () => {
    // 100 x 100 white page with a 6-row black band on top and 4 dark columns on the right.
    const data = new Uint8Array(100 * 100).fill(240);
    data.fill(10, 0, 6 * 100);
    for (let y = 0; y < 100; y++) data.fill(20, y * 100 + 96, y * 100 + 100);
    const page = { width: 100, height: 100, data };
    const rect = contentRect(page);
    expect(rect).toEqual({ left: 0, top: 6, width: 96, height: 94 });
    const cropped = cropGray(page, rect);
    expect([cropped.width, cropped.height]).toEqual([96, 94]);
    expect(cropped.data.every((v) => v === 240)).toBe(true);
    expect(contentRect({ width: 10, height: 10, data: new Uint8Array(100).fill(255) })).toEqual({ left: 0, top: 0, width: 10, height: 10 });
  });

  it('halves images down to a pixel budget', () => {
    const small = shrinkGray({ width: 8, height: 8, data: new Uint8Array(64).fill(100), dpi: 300 }, 16);
    expect(small).toMatchObject({ width: 4, height: 4, dpi: 150 });
    expect(small.data.every((v) => v === 100)).toBe(true);
  });
});

describe('downscaleToDpi and resizeGray', () => {
  it('reads scans above 300 dpi at 300 dpi and leaves others alone', () => {
    const page = (dpi?: number): GrayImage => ({ width: 600, height: 900, data: new Uint8Array(600 * 900).fill(200), dpi });
    expect(downscaleToDpi(page(600), 300)).toMatchObject({ width: 300, height: 450, dpi: 300 });
    expect(downscaleToDpi(page(400), 300)).toMatchObject({ width: 450, height: 675, dpi: 300 });
    for (const dpi of [undefined, 150, 300, 320]) {
      const image = page(dpi);
      expect(downscaleToDpi(image, 300)).toBe(image);
    }
  });

  it('averages the area each target pixel covers', () => {
    // 3 x 2 -> 2 x 1: the middle column is shared half and half.
    const image: GrayImage = { width: 3, height: 2, data: Uint8Array.from([0, 90, 180, 0, 90, 180]) };
    expect([...resizeGray(image, 2, 1).data]).toEqual([30, 150]);
    const flat: GrayImage = { width: 7, height: 5, data: new Uint8Array(35).fill(77) };
    expect([...new Set(resizeGray(flat, 3, 2).data)]).toEqual([77]);
  });
});

describe('passwordVariants', () => {
  it('tries the SASLprep form and the UTF-8 bytes as Latin-1', () => {
    expect(passwordVariants('abc')).toEqual(['abc']);
    expect(passwordVariants('S\u00aaSL\u00adprep')).toContain('SaSLprep');
    expect(passwordVariants('æ')).toContain('Ã¦');
  });
});

describe('buildPageText', () => {
  // 10-point Helvetica-like runs on a 200 x 100 pt page, matrices already in viewport space.
  const item = (str: string, x: number, baseline: number, width: number, hasEOL = false): PositionedItem => ({
    str, dir: 'ltr', transform: [10, 0, 0, -10, x, baseline], width, height: 10, hasEOL,
  });

  it('splits runs into words with page-normalized boxes and lines', () => {
    const page = buildPageText([item('Invoice number 42', 20, 30, 100, true), item('Total due', 20, 60, 50)], 200, 100);
    expect(page.lines.map((l) => l.text)).toEqual(['Invoice number 42', 'Total due']);
    expect(page.words.map((w) => [w.text, w.line])).toEqual([['Invoice', 0], ['number', 0], ['42', 0], ['Total', 1], ['due', 1]]);
    const invoice = page.words[0].box;
    expect(invoice.x).toBeCloseTo(0.1, 3);
    expect(invoice.y).toBeCloseTo(0.22, 3); // baseline 30 minus 0.8 em, over 100
    expect(invoice.h).toBeCloseTo(0.1, 3);
    expect(page.realChars).toBe(23);
    expect(page.usable).toBe(false); // fewer than 25 letters and digits
  });

  it('calls a layer of unmapped glyph codes unusable', () => {
    const garbage = '\u0002\u0003\u0004\u0005'.repeat(20) + 'ab';
    expect(buildPageText([item(garbage, 0, 20, 150)], 200, 100).usable).toBe(false);
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(2);
    expect(buildPageText([item(prose, 0, 20, 150)], 200, 100).usable).toBe(true);
  });
});

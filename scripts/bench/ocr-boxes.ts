/**
 * Word box calibration of the PP-OCRv4 reader: renders lines of receipt-like text in three
 * fonts and three sizes, reads them, and prints how far the read words' left and right edges
 * lie from the rendered words' edges, in character widths (positive: to the right). Both
 * near zero means word boxes sit on their ink with no bias.
 *
 *   node --import tsx scripts/bench/ocr-boxes.ts
 */
import { createCanvas } from '@napi-rs/canvas';
import { rgbaToGray } from '../../src/platform/workers/tasks/raster';
import { readText } from '../../src/platform/workers/tasks/text-reader';

const LINES = [
  'TOTAL SALES INCL GST RM 42.50', 'CASH 50.00 CHANGE 7.50', 'LOT 1851-A JALAN KPB 6 KAWASAN PERINDUSTRIAN', 'THANK YOU PLEASE COME AGAIN',
  'Invoice No: CS 67832 Date: 22/12/2017', 'Qty 2 x 15.90 Amount 31.80', 'GARDENIA BAKERIES (KL) SDN BHD', '43300 SERI KEMBANGAN, SELANGOR',
];

let left = 0, right = 0, matched = 0, read = 0;
for (const font of ['monospace', 'sans-serif', 'serif']) {
  for (const px of [20, 28, 40]) {
    const width = 1400, height = 60 * LINES.length + 40;
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#000';
    ctx.font = `${px}px ${font}`;
    const truth: Array<{ text: string; left: number; right: number; y: number }> = [];
    LINES.forEach((line, i) => {
      const y = 50 + i * 60;
      ctx.fillText(line, 40, y);
      let x = 40;
      for (const word of line.split(' ')) {
        const w = ctx.measureText(word).width;
        truth.push({ text: word, left: x, right: x + w, y });
        x += w + ctx.measureText(' ').width;
      }
    });
    const charW = ctx.measureText('M').width;
    const { data } = ctx.getImageData(0, 0, width, height);
    const { regions } = await readText({ width, height, data: rgbaToGray(data, width, height) });
    for (const word of regions.flatMap((r) => r.words)) {
      read++;
      const t = truth.find((u) => u.text === word.text && Math.abs(u.y - (word.top + word.bottom) / 2) < 40 && Math.abs(u.left - word.left) < 3 * charW);
      if (!t) continue;
      left += (word.left - t.left) / charW;
      right += (word.right - t.right) / charW;
      matched++;
    }
  }
}
console.log(`${matched} of ${read} words read matched a rendered word; mean offset of their left edges ${(left / matched).toFixed(3)}, right edges ${(right / matched).toFixed(3)} character widths`);

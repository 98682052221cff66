import { writePdf } from '../../scripts/train/pdf-writer';

/**
 * A small, valid Letter-size PDF with one page per entry of `pages`, each line of text set
 * in 14 pt Helvetica from the top left: a text layer pdf.js reads, without any file checked
 * into the repository.
 */
export function makePdf(pages: string[][]): Uint8Array {
  return writePdf(
    pages.map((lines) => lines.map((text, i) => ({ text, x: 72, y: 72 + 18 * i, size: 14 }))),
    612,
    792,
  );
}

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A PNG whose header claims `width` × `height` pixels with almost no data behind it: the
 * shape of an image bomb, a few dozen bytes on disk.
 */
export function makeHugePngHeader(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const idat = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]));
}
